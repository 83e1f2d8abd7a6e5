"""Names learnt the way each teacher says them (issue 28), over a real SQLite file of real scored reps
(tests/seed.py) and the real model: the table and its migration, learning from the coach's one tap
(scoring.mark_named, learn_from_rep), the few latest kept per pupil, forgetting, archives, and a
learnt name that makes the engine hear its own teacher's rep and no other teacher's."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace

import numpy as np
import pytest

from rehearse.reps import import_archive, open_store
from rehearse.errors import RehearseError
from rehearse.capture.recording import to_pcm16, wav_header
from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.name_learning import MAX_PIECE_S, learnt_sound
from rehearse.scoring.name_sounds import LearntSound, parse_roster
from rehearse.scoring.steps import get_step
from rehearse.store import archive as archives
from rehearse.store import history, learnt
from rehearse.store.records import Mark, Rep
from rehearse.reps.scoring import learn_from_rep, mark_named, score_stored
from rehearse.store.database import Store
from rehearse.store.schema import SCHEMA_VERSION

from .conftest import CLIPS, LABELS
from .test_plan import rewrite_database

ROSTER = LABELS["roster"]
# The clips in which a pupil is named, in noise: where the engine is likeliest to mishear a name.
NAMED_NOISY = [name for name, label in LABELS["clips"].items()
               if label["scenario"] == "pose-pause-name" and label.get("pupil") and label["noise"] != "clean"]


def teacher_id(store, name):
    return history.teacher_named(store, name)["id"]


def piece(clip: str, seconds: float = 0.5) -> bytes:
    """Real speech as a learnt sound's PCM: `seconds` from the middle of a clip."""
    audio = load_audio(CLIPS / clip)
    middle = len(audio) // 2
    return to_pcm16(audio[middle: middle + int(seconds * SAMPLE_RATE)])


def question_only(path, clip: str = "ppn-00-correct-siobhan-clean.flac"):
    """A recording at `path` of a clip's question, then only the room's quiet: nothing after it."""
    audio = load_audio(CLIPS / clip)[: int((LABELS["clips"][clip]["question_end"] + 0.4) * SAMPLE_RATE)]
    audio = np.concatenate([audio, np.random.default_rng(3).normal(0, 0.002, 6 * SAMPLE_RATE).astype(np.float32)])
    path.write_bytes(wav_header(len(audio) * 2) + to_pcm16(audio))
    return path


@pytest.fixture()
def store(history_instance):
    return open_store(history_instance[0])


@pytest.fixture()
def niamh_rep(history_instance):
    """Rep 2 of Ms Okafor's second session: Niamh, named after the wait (the clean clip)."""
    return history_instance[1]["sessions"][1]["attempts"][1]


def test_a_store_from_before_learnt_names_gets_their_table(history_instance):
    folder, _ = history_instance
    with sqlite3.connect(folder / "rehearse.sqlite") as db:  # as rehearse left it before issue 28
        db.execute("DROP TABLE learnt_names")
        db.execute("PRAGMA user_version=8")
    db.close()
    store = open_store(folder)
    assert store.query_one("PRAGMA user_version")[0] == SCHEMA_VERSION
    okafor = teacher_id(store, "Ms Okafor")
    assert learnt.learnt_for(store, okafor) == {}
    learnt.learn(store, okafor, "Niamh", LearntSound("Neve", piece("ppn-02-correct-niamh-clean.flac")), source="file")
    assert [s.heard for s in learnt.learnt_for(store, okafor)["Niamh"]] == ["Neve"]


def test_the_coachs_tap_teaches_the_reps_teacher_and_leaves_its_result(store, niamh_rep):
    before = store.rep(niamh_rep)
    okafor, byrne = teacher_id(store, "Ms Okafor"), teacher_id(store, "Mr Byrne")

    taught = mark_named(store, niamh_rep, "niamh")  # the class's spelling, whatever the case typed

    after = store.rep(niamh_rep)
    assert replace(after.marks["names_pupil"], marked_at=None) == Mark(True, "", pupil="Niamh")
    assert after.result.stored == before.result.stored  # what was learnt never changes a stored result
    expected = learnt_sound(load_audio(store.audio_file(after)), after.result)
    assert taught == {"id": taught["id"], "pupil": "Niamh", "heard": expected.heard,
                      "seconds": round(len(expected.pcm) / 2 / SAMPLE_RATE, 2)}
    assert 0 < taught["seconds"] <= MAX_PIECE_S + 0.01
    assert learnt.learnt_for(store, okafor) == {"Niamh": [expected]}  # the piece of her recording itself
    assert learnt.learnt_for(store, okafor, besides=after.uid) == {}  # the rep itself is not scored with it
    assert learnt.learnt_for(store, byrne) == {}
    roster = parse_roster(ROSTER)
    hers = {p.name: p.learnt for p in learnt.roster_for(store, okafor, roster)}
    assert hers["Niamh"] == (expected,) and not any(hers[p.name] for p in roster if p.name != "Niamh")
    assert not any(p.learnt for p in learnt.roster_for(store, byrne, roster))
    (row,) = learnt.learnt_list(store, okafor)
    assert (row["pupil"], row["heard"], row["source"], row["attempt_id"], row["session_id"], row["rep"]) == (
        "Niamh", expected.heard, "rep", niamh_rep, before.session_id, 2)

    # The coach changes their mind: a rep teaches one name, the latest said.
    mark_named(store, niamh_rep, "Priya")
    assert list(learnt.learnt_for(store, okafor)) == ["Priya"]
    assert store.rep(niamh_rep).marks["names_pupil"].pupil == "Priya"
    # ...then undoes the tap: the mark and what the rep taught are gone.
    assert mark_named(store, niamh_rep, None) is None
    assert "names_pupil" not in store.rep(niamh_rep).marks
    assert learnt.learnt_for(store, okafor) == {}

    with pytest.raises(RehearseError) as refused:
        mark_named(store, niamh_rep, "Caoimhe")
    assert "not in this session's class" in str(refused.value) and "\n" not in str(refused.value)
    assert "names_pupil" not in store.rep(niamh_rep).marks and learnt.learnt_for(store, okafor) == {}


def test_a_rep_not_scored_or_with_nothing_said_after_the_question_teaches_nothing(store, scorer):
    session_id = store.start_session("Ms Short", "pose-pause-name", "Pose, pause, name", ROSTER)
    unscored = store.new_rep(session_id, "upload", ".wav")
    with pytest.raises(RehearseError, match="not scored yet"):
        learn_from_rep(store, unscored.id, "Siobhan")
    path = store.audio_file(unscored)
    path.parent.mkdir(parents=True, exist_ok=True)
    question_only(path)
    assert score_stored(store, scorer, unscored.id).status == "scored"
    assert learn_from_rep(store, unscored.id, "Siobhan") is None
    assert learnt.learnt_for(store, teacher_id(store, "Ms Short")) == {}


def test_only_the_latest_few_are_kept_per_pupil_and_forgetting_deletes_them(store):
    okafor, byrne = teacher_id(store, "Ms Okafor"), teacher_id(store, "Mr Byrne")
    sound = piece("ppn-00-correct-siobhan-clean.flac")
    for heard in ("first", "second", "third", "fourth"):
        learnt.learn(store, okafor, "Siobhan", LearntSound(heard, sound), source="file")
    learnt.learn(store, okafor, "Niamh", LearntSound("Neve", sound), source="file")
    learnt.learn(store, byrne, "Siobhan", LearntSound("Byrne's", sound), source="file")
    assert [s.heard for s in learnt.learnt_for(store, okafor)["Siobhan"]] == ["fourth", "third", "second"]
    assert len(learnt.learnt_list(store, okafor)) == learnt.KEEP + 1  # the oldest is not kept at all
    assert [(r["pupil"], r["heard"], r["rep"]) for r in learnt.learnt_list(store, okafor)] == [
        ("Niamh", "Neve", None), ("Siobhan", "fourth", None), ("Siobhan", "third", None), ("Siobhan", "second", None)]

    for bad in (sound[:-1], b"", b"\0\0" * int((MAX_PIECE_S + 0.1) * SAMPLE_RATE)):
        with pytest.raises(RehearseError, match="16-bit audio"):
            learnt.learn(store, okafor, "Siobhan", LearntSound("bad", bad), source="file")

    assert learnt.forget(store, okafor, pupil="siobhan") == learnt.KEEP
    assert list(learnt.learnt_for(store, okafor)) == ["Niamh"]
    (niamh,) = learnt.learnt_list(store, okafor)
    assert learnt.learnt_piece(store, okafor, niamh["id"]) == LearntSound("Neve", sound)  # to play it back
    assert learnt.learnt_piece(store, byrne, niamh["id"]) is None  # not another teacher's
    assert learnt.forget(store, okafor, learnt_id=niamh["id"]) == 1
    assert learnt.forget(store, okafor) == 0
    assert [s.heard for s in learnt.learnt_for(store, byrne)["Siobhan"]] == ["Byrne's"]  # another teacher's stay
    on_disk = b"".join(p.read_bytes() for p in store.instance.glob("rehearse.sqlite*"))
    assert b"fourth" not in on_disk and b"Neve" not in on_disk  # forgotten to the bytes


def test_learnt_names_travel_in_an_archive_once_to_the_teacher_of_that_name(store, niamh_rep, tmp_path):
    okafor = teacher_id(store, "Ms Okafor")
    mark_named(store, niamh_rep, "Niamh")
    learnt.learn(store, okafor, "Siobhan", LearntSound("Shivawn", piece("ppn-00-correct-siobhan-clean.flac")),
                 source="file")
    archives.write_archive(store, tmp_path / "a.zip")
    laptop = open_store(tmp_path / "laptop")
    hers = laptop.add_teacher("MS OKAFOR")  # already on the other laptop: matched by name

    counts = import_archive(laptop.instance, tmp_path / "a.zip")

    assert counts["learnt_names"] == 2 and counts["teachers"] == 1  # Mr Byrne is new there
    assert learnt.learnt_for(laptop, hers) == learnt.learnt_for(store, okafor)
    assert learnt.learnt_for(laptop, teacher_id(laptop, "Mr Byrne")) == {}
    there = {r["pupil"]: r for r in learnt.learnt_list(laptop, hers)}
    copy = laptop.query_one("SELECT id, session_id, rep FROM attempts WHERE uid = ?", store.rep(niamh_rep).uid)
    assert (there["Niamh"]["attempt_id"], there["Niamh"]["session_id"], there["Niamh"]["rep"]) == tuple(copy)
    assert there["Siobhan"]["source"] == "file" and there["Siobhan"]["rep"] is None

    again = import_archive(laptop.instance, tmp_path / "a.zip")
    assert again["learnt_names"] == 0 and len(learnt.learnt_list(laptop, hers)) == 2


def test_an_archive_from_before_learnt_names_still_imports(store, tmp_path):
    archives.write_archive(store, tmp_path / "new.zip")

    def as_before(db):  # as rehearse wrote it before schema 9
        db.execute("DROP TABLE learnt_names")
        db.execute("PRAGMA user_version=8")

    rewrite_database(tmp_path / "new.zip", tmp_path / "old.zip", as_before, schema=8)
    counts = import_archive(tmp_path / "laptop", tmp_path / "old.zip")
    assert counts["sessions"] == 4 and counts["learnt_names"] == 0


@pytest.mark.parametrize("column, value, problem", [
    ("audio", b"\0" * 3, "audio is not 16-bit audio"),
    ("audio", "text, not audio", "audio is not 16-bit audio"),
    ("audio", b"\0\0" * int((MAX_PIECE_S + 1) * SAMPLE_RATE), "audio is not 16-bit audio"),
    ("pupil", " ", "pupil or what was heard is not text"),
    ("heard", "x" * 201, "pupil or what was heard is not text"),
    ("source", "microphone", "has no unique id, date or source"),
    ("teacher_id", 99, "has no teacher in the archive"),
])
def test_an_archive_with_a_learnt_name_rehearse_never_writes_is_refused(store, tmp_path, column, value, problem):
    learnt.learn(store, teacher_id(store, "Ms Okafor"), "Niamh", LearntSound("Neve", piece("ppn-02-correct-niamh-clean.flac")),
                 source="file")
    archives.write_archive(store, tmp_path / "a.zip")
    rewrite_database(tmp_path / "a.zip", tmp_path / "bad.zip",
                     lambda db: db.execute(f"UPDATE learnt_names SET {column} = ?", (value,)))
    with pytest.raises(RehearseError) as refused:
        import_archive(tmp_path / "laptop", tmp_path / "bad.zip")
    assert f"the archive is damaged (learnt name 1" in str(refused.value) and problem in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "laptop").exists()


# Through the engine -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def misheard(scored):
    """A named clip whose pupil the engine, with the labelled roster, gets unclear or wrong on this
    machine (which one is the engine's business: no test holds it to a particular mishearing)."""
    for clip in NAMED_NOISY:
        if scored(clip).metrics["named_pupil"] != LABELS["clips"][clip]["pupil"]:
            return clip
    pytest.skip(f"the engine heard every pupil of {len(NAMED_NOISY)} noisy clips right: no mishearing to learn from")


def upload(store: Store, scorer, teacher: str, clip: str) -> Rep:
    """A rep of `clip` by `teacher` (a session of their own), uploaded and scored as the web app does."""
    step = get_step("pose-pause-name")
    session_id = store.start_session(teacher, step.id, step.title, ROSTER)
    attempt = store.new_rep(session_id, "upload", ".flac")
    path = store.audio_file(attempt)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CLIPS / clip, path)
    return score_stored(store, scorer, attempt.id)


def test_a_name_learnt_from_one_teachers_rep_is_heard_in_her_next_reps_and_no_one_elses(tmp_path, scorer, misheard):
    pupil = LABELS["clips"][misheard]["pupil"]
    store = open_store(tmp_path / "instance")
    first = upload(store, scorer, "Ms A", misheard)
    assert first.result.metrics.named_pupil != pupil  # as scored without anything learnt

    taught = mark_named(store, first.id, pupil)  # the coach's one tap

    assert taught is not None and taught["pupil"] == pupil
    assert store.rep(first.id).result.stored == first.result.stored
    again = upload(store, scorer, "Ms A", misheard).result
    assert again.metrics.named_pupil == pupil, (misheard, again.metrics.name_heard, taught)
    assert again.verdict("names_pupil").passed
    clean = misheard.replace("-noisy", "-clean")  # the same words said without the noise
    assert upload(store, scorer, "Ms A", clean).result.metrics.named_pupil == pupil
    # Another teacher's rep of the very same recording is scored as before: A's learning is A's.
    # Scored again, the rep it was learnt from is not scored with its own piece: it stays as it was.
    assert score_stored(store, scorer, first.id).result.metrics == first.result.metrics
    other = upload(store, scorer, "Mr B", misheard).result
    assert other.metrics.named_pupil == first.result.metrics.named_pupil != pupil
    # And what A taught does not put the pupil's name into a rep of A's that names no one.
    assert upload(store, scorer, "Ms A", "ppn-14-no-name-clean.flac").result.metrics.named_pupil is None
