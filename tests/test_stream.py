"""The WebSocket path for real: a `rehearse serve` process, a WebSocket client streaming a labelled
clip in real time as 16-bit PCM, the pause cue coming back, the verdict after "stop", and the
recording and result stored. Also a dropped connection and a silent rep."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
import wave

import numpy as np
import pytest
import simple_websocket

from rehearse.reps import open_store
from rehearse.scoring.audio import load_audio
from rehearse.capture.recording import to_pcm16
from rehearse.scoring.name_learning import learnt_sound
from rehearse.scoring.steps import get_step
from rehearse.store import history, learnt

from .conftest import CLIPS, LABELS
from .server import Visitor, new_session, running_server
from .test_learnt import misheard  # noqa: F401 - a fixture: a clip whose pupil the engine gets unclear or wrong

CLIP = "ppn-01-correct-oluwaseun-clean.flac"
BLOCK = 1600  # 100 ms, as the page sends
RESULT_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("stream") / "instance"
    with running_server(instance) as url:
        yield url, instance


def connect(url: str, session_id: int):
    return connect_to(url, f"/ws/sessions/{session_id}")


def connect_to(url: str, path: str):
    """Open the WebSocket at `path` and start recording; return it and the "started" message."""
    ws = simple_websocket.Client.connect(url.replace("http", "ws") + path)
    ws.send(json.dumps({"type": "start"}))
    started = json.loads(ws.receive(timeout=30))
    assert started["type"] == "started"
    return ws, started


def refusal(url: str, path: str) -> dict:
    """The message a socket the server refuses at once sends before it closes. simple_websocket's
    client (1.1) can lose it: its handshake reads the server's first bytes, and a message that came
    in the same read is left unparsed when the close follows. So, only when nothing came at all,
    connect again (a client-side race of ours, not the server's behaviour)."""
    for _ in range(5):
        ws = simple_websocket.Client.connect(url.replace("http", "ws") + path)
        try:
            return json.loads(ws.receive(timeout=30))
        except simple_websocket.ConnectionClosed:
            continue
    raise AssertionError(f"{path}: closed five times without a message")


def stream(ws, audio: np.ndarray, real_time: bool = True) -> list[dict]:
    """Send `audio` block by block (paced like a microphone); return the messages that came back."""
    messages, t0 = [], time.perf_counter()
    for i in range(0, len(audio), BLOCK):
        ws.send(to_pcm16(audio[i:i + BLOCK]))
        while (m := ws.receive(timeout=0)) is not None:
            messages.append(json.loads(m))
        if real_time:
            time.sleep(max(0.0, t0 + (i + BLOCK) / 16000 - time.perf_counter()))
    return messages


def stop(ws) -> dict:
    ws.send(json.dumps({"type": "stop"}))
    while True:
        m = json.loads(ws.receive(timeout=RESULT_TIMEOUT_S))
        if m["type"] in ("result", "error"):
            return m


def attempt_row(instance, attempt_id):
    with sqlite3.connect(instance / "rehearse.sqlite") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone())


def test_streamed_rep_gets_the_cue_and_the_same_verdict_as_the_file(server, scorer):
    url, instance = server
    session_id = new_session(url)
    ws, started = connect(url, session_id)
    audio = np.concatenate([load_audio(CLIPS / CLIP), np.zeros(16000, dtype=np.float32)])
    cues = stream(ws, audio)
    reply = stop(ws)
    label = LABELS["clips"][CLIP]

    waiting = [c for c in cues if c["state"] == "waiting"]
    assert waiting and not waiting[0]["reached"] and any(c["reached"] for c in waiting)
    done = [c for c in cues if c["state"] == "done"]
    assert len(done) == 1 and done[0]["wait_s"] == pytest.approx(label["wait_time"], abs=0.1)

    assert reply["type"] == "result", reply
    attempt = reply["attempt"]
    assert attempt["rep"] == started["rep"] == 1 and attempt["passed"] is True
    assert attempt["metrics"]["named_pupil"] == label["pupil"]
    assert attempt["metrics"]["wait_time_s"] == pytest.approx(label["wait_time"], abs=0.1)

    row = attempt_row(instance, attempt["id"])
    assert row["status"] == "scored" and row["source"] == "live"
    with wave.open(str(instance / row["audio_path"])) as w:  # every block is on disk
        assert w.getnframes() == len(audio) and w.getframerate() == 16000
    # Live scoring (words worked out while recording) agrees with scoring the stored file.
    batch = scorer.score_file(instance / row["audio_path"], get_step("pose-pause-name"))
    live = json.loads(row["result"])
    assert live["transcript"] == batch.transcript
    assert live["metrics"] == batch.metrics
    assert [c["passed"] for c in live["criteria"]] == [v.passed for v in batch.criteria]


def test_a_streamed_rep_is_heard_with_the_names_its_teacher_taught(server, scored, misheard):  # noqa: F811
    """How this teacher says the pupil's name, learnt (here from the same words, scored from the
    file): the rep streamed live is heard with it, as an upload is (test_learnt.py)."""
    url, instance = server
    pupil = LABELS["clips"][misheard]["pupil"]
    session_id = new_session(url, teacher="Ms Streamed")
    store = open_store(instance)
    sound = learnt_sound(load_audio(CLIPS / misheard), scored(misheard).to_dict())
    learnt.learn(store, history.teacher_named(store, "Ms Streamed")["id"], pupil, sound, source="file")
    ws, _ = connect(url, session_id)
    stream(ws, np.concatenate([load_audio(CLIPS / misheard), np.zeros(16000, dtype=np.float32)]), real_time=False)
    reply = stop(ws)
    assert reply["type"] == "result", reply
    assert reply["attempt"]["metrics"]["named_pupil"] == pupil, (misheard, reply["attempt"]["metrics"]["name_heard"])


def test_dropped_connection_keeps_the_rep_to_score_later(server):
    url, instance = server
    session_id = new_session(url)
    ws, started = connect(url, session_id)
    audio = load_audio(CLIPS / CLIP)[: 3 * 16000]
    stream(ws, audio, real_time=False)
    ws.close()  # the tab is closed mid-rep
    deadline = time.monotonic() + 30
    while (row := attempt_row(instance, started["attempt"]))["status"] == "recording":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert row["status"] == "unscored" and "connection to the page dropped at 3.0 s" in row["error"]
    with wave.open(str(instance / row["audio_path"])) as w:
        assert w.getnframes() == 3 * 16000
    with Visitor(url).post(f"/api/attempts/{started['attempt']}/score") as response:
        rescored = json.load(response)
    assert rescored["status"] == "scored" and rescored["passed"] is False  # a question, no name yet


def test_silent_rep_says_so_and_is_kept(server):
    url, instance = server
    ws, started = connect(url, new_session(url))
    stream(ws, np.zeros(2 * 16000, dtype=np.float32), real_time=False)
    reply = stop(ws)
    assert reply["type"] == "error" and "no speech found" in reply["message"]
    assert reply["attempt"]["status"] == "unscored" and reply["attempt"]["rep"] == 1
    assert (instance / attempt_row(instance, started["attempt"])["audio_path"]).is_file()


def test_a_page_that_does_not_start_properly_is_told(server):
    url, _ = server
    ws = simple_websocket.Client.connect(url.replace("http", "ws") + f"/ws/sessions/{new_session(url)}")
    ws.send(b"\x00\x01")
    reply = json.loads(ws.receive(timeout=30))
    assert reply["type"] == "error" and "must send" in reply["message"]
    assert "there is no session 999" in refusal(url, "/ws/sessions/999")["message"]


def wait_until_stored(instance, attempt_id: int) -> dict:
    deadline = time.monotonic() + 60
    while (row := attempt_row(instance, attempt_id))["status"] == "recording":
        assert time.monotonic() < deadline, "the rep stayed 'recording'"
        time.sleep(0.2)
    return row


def test_oversize_and_malformed_frames_end_the_rep_keep_its_audio_and_the_server_serves(server):
    url, instance = server
    audio = load_audio(CLIPS / CLIP)[:16000]
    ws, started = connect(url, new_session(url))
    stream(ws, audio, real_time=False)
    ws.send(b"\x00" * (70 * 1024))  # a 70 KB frame: 2 s of audio in one block
    with pytest.raises(simple_websocket.ConnectionClosed):
        for _ in range(100):
            ws.receive(timeout=1)
    row = wait_until_stored(instance, started["attempt"])
    assert row["status"] == "unscored" and "a block of over 64 KB arrived" in row["error"]
    with wave.open(str(instance / row["audio_path"])) as w:
        assert w.getnframes() == 16000  # what came before it is kept

    for bad, said in [("not json", "not a JSON message with a type"), ('{"type": "pause"}', "'pause'"),
                      ("[" * 50_000, "not a JSON message with a type"), (b"\x01\x02\x03", "odd number of bytes")]:
        ws, started = connect(url, new_session(url))
        stream(ws, audio, real_time=False)
        ws.send(bad)
        reply = json.loads(ws.receive(timeout=RESULT_TIMEOUT_S))
        assert reply["type"] == "error" and said in reply["message"], reply
        assert reply["attempt"]["status"] == "unscored" and said in reply["attempt"]["error"]
        ws.close()
    with urllib.request.urlopen(url + "/", timeout=60) as page:
        assert page.status == 200


def test_a_rep_is_stopped_and_scored_at_the_longest_allowed(tmp_path):
    instance = tmp_path / "instance"
    with running_server(instance, "--max-attempt-s", "4") as url:
        ws, _ = connect(url, new_session(url))
        messages = stream(ws, np.concatenate([load_audio(CLIPS / CLIP)] * 2), real_time=False)
        limit = [m for m in messages if m["type"] == "limit"]
        while not limit:
            limit = [m for m in [json.loads(ws.receive(timeout=60))] if m["type"] == "limit"]
        assert "at most 4 s" in limit[0]["message"]
        reply = stop(ws)
        assert reply["type"] == "result" and 4.0 <= reply["attempt"]["duration_s"] <= 4.2
