"""Nothing lost: `rehearse rescore` run as a real process over a real store of real clips, and what
the server keeps at start of the reps and models it was recording when it was stopped."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave

import numpy as np

from rehearse.reps import open_store
from rehearse.store import examples
from rehearse.scoring.audio import load_audio
from rehearse.capture.recording import WavRecorder, from_pcm16, to_pcm16
from rehearse.store.database import Store
from rehearse.web import create_app

from .conftest import CLIPS, LABELS

GOOD = "ppn-00-correct-siobhan-clean.flac"
CUT = "the server stopped while this rep was being recorded; the 7.4 s recorded up to then are kept"


def rehearse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rehearse", *args], capture_output=True, text=True, timeout=600)


def stored_rep(store: Store, session_id: int, clip: str | None, error: str | None) -> int:
    """A rep of the session with a copy of `clip` as its recording, left unscored with `error`
    (or, without an error, still marked 'recording')."""
    attempt = store.new_rep(session_id, "live", ".flac")
    if clip:
        path = store.audio_file(attempt)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CLIPS / clip, path)
    if error:
        store.save_failure(attempt.id, error)
    return attempt.id


def test_rescore_scores_what_was_left_unscored_and_says_what_still_is(tmp_path):
    store = open_store(tmp_path / "instance")
    folder = str(store.instance)
    session_id = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", LABELS["roster"])
    cut = stored_rep(store, session_id, GOOD, CUT)
    silent = stored_rep(store, session_id, "silent.flac", "no speech found")
    recording = stored_rep(store, session_id, None, None)  # being recorded now: left alone
    model = examples.new_example(store, "pose-pause-name", "model", "upload", ".flac")
    examples.example_file(store, model).parent.mkdir(parents=True)
    shutil.copy(CLIPS / GOOD, examples.example_file(store, model))
    examples.save_failure(store, model["id"], "the server stopped while this model was being recorded")

    run = rehearse("rescore", "--instance", folder)  # every unscored attempt, and the model
    assert run.returncode == 2, run.stderr
    lines = run.stdout.splitlines()
    assert lines == [
        f"attempt {cut} · Ms Okafor · Pose, pause, name · session {session_id} · rep 1: PASSED (4 of 4 criteria met)",
        f"attempt {silent} · Ms Okafor · Pose, pause, name · session {session_id} · rep 2: still unscored: "
        + store.rep(silent).error,
        "model of pose-pause-name · Pose, pause, name: PASSED (4 of 4 criteria met)",
        "total: 2 scored, 1 still unscored",
    ]
    assert "no speech" in lines[1]
    assert run.stderr.count("\n") == 1 and f"`rehearse rescore {silent}` again" in run.stderr
    again = store.rep(cut)
    assert again.status == "scored" and again.error is None and again.app_passed is True
    assert again.result.metrics.named_pupil == "Siobhan"
    assert store.session(session_id).reps_scored == 1  # the session's counts follow
    assert store.rep(recording).status == "recording"
    assert examples.example(store, "pose-pause-name", "model")["status"] == "scored"

    run = rehearse("rescore", "--instance", folder, str(recording), "999")  # nothing to score: no model
    assert run.returncode == 2
    assert run.stdout.splitlines() == [
        f"attempt {recording} · Ms Okafor · Pose, pause, name · session {session_id} · rep 3: not scored: it is "
        "still being recorded; stop it first (if the server or `rehearse practice` that recorded it has "
        "stopped, start `rehearse serve` once: it keeps the recording, unscored)",
        "total: 0 scored, 1 still unscored"]
    errors = run.stderr.splitlines()
    assert len(errors) == 2 and errors[0].startswith(f"rehearse: no attempt 999 in {folder};")
    assert "1 still cannot be scored" in errors[1]
    assert store.rep(recording).status == "recording"

    run = rehearse("rescore", "--instance", folder, str(cut))  # all scored: status 0
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.splitlines()[-1] == "total: 1 scored, 0 still unscored"


def test_rescore_with_nothing_to_do_and_without_a_store(tmp_path):
    open_store(tmp_path / "instance")
    run = rehearse("rescore", "--instance", str(tmp_path / "instance"))
    assert run.returncode == 0 and run.stdout.startswith("nothing to score: every attempt in")
    run = rehearse("rescore", "--instance", str(tmp_path / "elsewhere"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "no rehearse data in" in run.stderr


def test_at_start_the_server_keeps_every_block_of_what_it_was_recording(tmp_path):
    """Reps and a model left 'recording' (the server or `rehearse practice` was killed) become
    unscored at the next start, with the length of what is on disk; a block written just before the
    kill, but not yet counted in the WAV header, is kept too."""
    store = open_store(tmp_path / "instance")
    audio = to_pcm16(load_audio(CLIPS / GOOD))
    coached = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan"])
    solo = store.start_session("Mr Byrne", "pose-pause-name", "Pose, pause, name", ["Siobhan"], mode="solo")

    live = store.new_rep(coached, "live")
    recorder = WavRecorder(store.audio_file(live))
    for start in range(0, 32000 * 2, 3200):
        recorder.append(audio[start:start + 3200])
    with open(store.audio_file(live), "ab") as file:  # killed between a block and its header
        file.write(audio[64000:67200])
    practised = store.new_rep(solo, "live")
    WavRecorder(store.audio_file(practised)).append(audio[:16000])
    never = store.new_rep(coached, "live")  # killed before its file was made
    tampered = store.new_rep(coached, "live")  # its stored path leads out of the folder: left alone
    (tmp_path / "outside.wav").write_bytes(b"RIFF")
    with store.connect() as db:
        db.execute("UPDATE attempts SET audio_path = '../outside.wav' WHERE id = ?", (tampered.id,))
    uploaded = store.new_rep(coached, "upload", ".flac")
    shutil.copy(CLIPS / GOOD, store.audio_file(uploaded))
    model = examples.new_example(store, "pose-pause-name", "model", "live")
    WavRecorder(examples.example_file(store, model)).append(audio[:48000])

    create_app({"INSTANCE": store.instance, "WARM_UP": False})  # the server starts again

    rep = store.rep(live.id)
    assert rep.status == "unscored" and rep.duration_s == 2.1
    assert rep.error == ("the server stopped while this rep was being recorded; the 2.1 s recorded up "
                            "to then are kept: score it now, or record it again")
    with wave.open(str(store.audio_file(live))) as w:
        assert w.getnframes() == 33600 and w.getframerate() == 16000
        kept = w.readframes(w.getnframes())
    assert kept == audio[:67200]  # every block, the uncounted one too, byte for byte
    assert np.array_equal(load_audio(store.audio_file(live)), from_pcm16(audio[:67200]))

    alone = store.rep(practised.id)
    assert alone.status == "unscored" and alone.duration_s == 0.5
    assert alone.error.startswith("rehearse practice stopped while this rep was being recorded")
    assert store.rep(never.id).error == ("the server stopped before any of this rep was recorded; "
                                                   "record it again")
    assert store.rep(tampered.id).status == "unscored"
    assert (tmp_path / "outside.wav").read_bytes() == b"RIFF"
    upload = store.rep(uploaded.id)
    assert upload.status == "unscored" and upload.error.startswith(
        "the server stopped before this uploaded rep was scored; the file is kept")
    assert store.audio_file(uploaded).read_bytes() == (CLIPS / GOOD).read_bytes()  # an upload is not touched
    found = examples.example(store, "pose-pause-name", "model")
    assert found["status"] == "unscored" and found["duration_s"] == 1.5
    assert found["error"].startswith("the server stopped while this model was being recorded; the 1.5 s")
