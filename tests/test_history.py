"""The history over a real SQLite file of real scored attempts (tests/seed.py): progress kept per
session, filters, progress across sessions, schema migrations, and deleting a teacher's data."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from datetime import date

import pytest

from rehearse.reps import open_store
from rehearse.store import history
from rehearse.errors import RehearseError
from rehearse.coaching.progress import step_progress
from rehearse.scoring.steps import SHIPPED as SCENARIOS
from rehearse.capture.recording import to_pcm16
from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.name_sounds import LearntSound
from rehearse.store import learnt
from rehearse.store.records import Mark
from rehearse.store.schema import SCHEMA, SCHEMA_VERSION



def by_teacher(store, name):
    return history.teacher_named(store, name)["id"]


def test_each_session_keeps_its_progress_and_a_coach_overrule_updates_it(history_instance):
    folder, ids = history_instance
    store = open_store(folder)
    first, second = ids["sessions"][0]["id"], ids["sessions"][1]["id"]
    assert (store.session(first).accurate_at, store.session(first).fluent_at) == (2, None)
    assert (store.session(second).accurate_at, store.session(second).fluent_at) == (1, 3)
    assert store.session(second).reps_passed == 3
    # The coach hears rep 1 of the second session differently: the wait did not count.
    store.mark(ids["sessions"][1]["attempts"][0], "wait_time", False, "the name came too soon")
    assert (store.session(second).accurate_at, store.session(second).fluent_at) == (2, None)
    assert store.session(second).reps_passed == 2
    store.mark(ids["sessions"][1]["attempts"][0], "wait_time", None, "")  # undone
    assert store.session(second).fluent_at == 3


def test_summaries_count_sessions_reps_and_accurate_and_fluent_sessions(history_instance):
    store = open_store(history_instance[0])
    rows = {(r["teacher"], r["step_id"]): r for r in history.step_summaries(store, history.Filters())}
    okafor = rows[("Ms Okafor", "pose-pause-name")]
    assert (okafor["sessions"], okafor["reps"], okafor["passed"], okafor["accurate"], okafor["fluent"]) == (2, 6, 4, 2, 1)
    byrne = rows[("Mr Byrne", "key-vocabulary")]
    assert (byrne["sessions"], byrne["reps"], byrne["passed"], byrne["accurate"], byrne["fluent"]) == (1, 2, 1, 1, 0)
    assert len(rows) == 3


def test_filters_by_teacher_step_and_local_days(history_instance):
    store = open_store(history_instance[0])
    okafor = by_teacher(store, "ms okafor")  # names are matched as typed, any case
    vocab = history.step_with_id(store, "key-vocabulary")["id"]

    def started(filters):
        sessions, total = history.sessions_page(store, filters)
        assert total == len(sessions)
        return [s.started_at[:10] for s in sessions]

    assert started(history.Filters()) == ["2026-11-12", "2026-11-12", "2026-11-10", "2026-11-03"]  # newest first
    assert started(history.Filters(teacher_id=okafor)) == ["2026-11-10", "2026-11-03"]
    assert started(history.Filters(step_row=vocab)) == ["2026-11-12"]
    assert started(history.Filters(since=date(2026, 11, 4), until=date(2026, 11, 10))) == ["2026-11-10"]
    assert started(history.Filters.parse({"teacher": str(okafor), "from": "2026-11-04", "to": ""})) == ["2026-11-10"]
    with pytest.raises(RehearseError, match="'2026-11-31' is not a date; write it as YYYY-MM-DD"):
        history.Filters.parse({"to": "2026-11-31"})
    with pytest.raises(RehearseError, match="no teacher called 'Ms Nobody'; the teachers are: Mr Byrne, Ms Okafor"):
        history.teacher_named(store, "Ms Nobody")


def test_sessions_come_a_page_at_a_time(history_instance):
    store = open_store(history_instance[0])
    first, total = history.sessions_page(store, history.Filters(), page=1, size=3)
    second, _ = history.sessions_page(store, history.Filters(), page=2, size=3)
    assert total == 4 and len(first) == 3 and len(second) == 1
    assert second[0].started_at.startswith("2026-11-03")


def test_progress_across_sessions_marks_when_the_step_became_accurate_and_fluent(history_instance):
    folder, ids = history_instance
    store = open_store(folder)
    okafor = by_teacher(store, "Ms Okafor")
    step = history.step_with_id(store, "pose-pause-name")["id"]
    progress = step_progress(history.step_history(store, okafor, step), "wait_time_s")
    first, second = ids["sessions"][0], ids["sessions"][1]
    assert progress["accurate"] == {"session_id": first["id"], "rep": 2, "attempt_id": first["attempts"][1],
                                    "at": "2026-11-03T09:00:00+00:00"}
    assert progress["fluent"]["session_id"] == second["id"] and progress["fluent"]["rep"] == 3
    assert [p["passed"] for p in progress["points"]] == [False, True, False, True, True, True]
    waits = [p["value"] for p in progress["points"]]
    assert waits[0] < 4 < 5 < waits[1]  # the short pause, then the five seconds
    assert [s["pass_rate"] for s in progress["sessions"]] == [pytest.approx(1 / 3), 1.0]


def test_an_older_database_is_migrated_and_keeps_everything(tmp_path, scored):
    """A version-1 file (as the web rehearsal issue shipped it) gains ids and kept progress."""
    folder = tmp_path / "old"
    folder.mkdir()
    result = scored("ppn-00-correct-siobhan-clean.flac").to_dict()
    with sqlite3.connect(folder / "rehearse.sqlite") as db:
        db.executescript(SCHEMA)
        db.execute("PRAGMA user_version=1")
        db.execute("INSERT INTO teachers(name, created_at) VALUES ('Ms Old', '2026-10-01T09:00:00+00:00')")
        db.execute("INSERT INTO action_steps(scenario_id, title, created_at) VALUES"
                   " ('pose-pause-name', 'Pose, pause, name', '2026-10-01T09:00:00+00:00')")
        db.execute("INSERT INTO sessions(teacher_id, action_step_id, roster, reps_target, fluent_after, started_at)"
                   " VALUES (1, 1, 'Siobhan', 10, 3, '2026-10-01T09:00:00+00:00')")
        db.execute("INSERT INTO attempts(session_id, rep, source, audio_path, status, result, passed, created_at)"
                   " VALUES (1, 1, 'live', 'recordings/session-1/rep-01.wav', 'scored', ?, 1, ?)",
                   (json.dumps(result), "2026-10-01T09:00:00+00:00"))
    store = open_store(folder)
    session = store.session(1)
    assert len(session.uid) == 32 and session.accurate_at == 1 and session.reps_passed == 1
    assert len(store.rep(1).uid) == 32 and store.rep(1).result.stored == result
    with sqlite3.connect(folder / "rehearse.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    open_store(folder)  # opening again changes nothing
    assert store.session(1).uid == session.uid


def test_a_newer_or_foreign_database_is_refused_in_one_line(tmp_path):
    newer = tmp_path / "newer"
    newer.mkdir()
    with sqlite3.connect(newer / "rehearse.sqlite") as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(RehearseError, match="written by a newer rehearse"):
        open_store(newer)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "rehearse.sqlite").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(RehearseError, match="not a rehearse database"):
        open_store(foreign)


def test_deleting_a_teacher_leaves_nothing_of_theirs_on_disk(history_instance):
    folder, ids = history_instance
    store = open_store(folder)
    okafor_sessions = [s for s in ids["sessions"] if s["teacher"] == "Ms Okafor"]
    mine = [store.audio_file(store.rep(a)) for s in okafor_sessions for a in s["attempts"]]
    theirs = [store.audio_file(store.rep(a)) for s in ids["sessions"] if s["teacher"] != "Ms Okafor"
              for a in s["attempts"]]
    store.mark(okafor_sessions[0]["attempts"][0], "wait_time", None, "Zanzibar-comment-7")
    # How she says a name, learnt from a rep: what Whisper wrote there, and that piece of her voice.
    voice = to_pcm16(load_audio(mine[1])[SAMPLE_RATE * 7: SAMPLE_RATE * 8])
    learnt.learn(store, by_teacher(store, "Ms Okafor"), "Siobhan", LearntSound("Quetzal-heard-3", voice),
                 store.rep(okafor_sessions[0]["attempts"][1]).uid)
    assert all(p.is_file() for p in mine + theirs)
    # A word she said that the other teacher did not: whatever the model heard on this machine's CPU.
    said = [store.rep(a).result.transcript for s in okafor_sessions for a in s["attempts"]]
    others = [store.rep(a).result.transcript for s in ids["sessions"] if s["teacher"] != "Ms Okafor"
              for a in s["attempts"]]
    # (Lower-case words only: a name she said is also on the class list, which stays.)
    kept = " ".join(others).lower() + " ".join(p.read_text().lower() for p in SCENARIOS.glob("*.toml"))
    hers = sorted(set(re.findall(r"\b[a-z]{5,}\b", " ".join(said))) - set(re.findall(r"[a-z]+", kept)))
    assert hers, "her transcripts share every word with the other teacher's"
    word = hers[0].encode()
    on_disk = b"".join(p.read_bytes() for p in folder.glob("rehearse.sqlite*"))
    assert b"Ms Okafor" in on_disk and b"Zanzibar-comment-7" in on_disk and word in on_disk
    assert b"Quetzal-heard-3" in on_disk and voice[16000:16064] in on_disk

    deleted = store.delete_teacher(by_teacher(store, "Ms Okafor"))

    assert deleted == {"name": "Ms Okafor", "sessions": 2, "recordings": 6, "learnt_names": 1, "lessons": 0,
                       "left_on_disk": []}
    assert not any(p.exists() for p in mine)
    assert not any((folder / "recordings" / f"session-{s['id']}").exists() for s in okafor_sessions)
    assert all(p.is_file() for p in theirs)  # the other teacher's recordings stay
    # Not in the database, nor in its write-ahead log, nor in free pages: the bytes are gone.
    on_disk = b"".join(p.read_bytes() for p in folder.glob("rehearse.sqlite*"))
    # name, comment, a word she said, a name as she says it: what Whisper wrote, and her voice
    for trace in (b"Ms Okafor", b"Zanzibar-comment-7", word, b"Quetzal-heard-3", voice[16000:16064]):
        assert trace not in on_disk
    assert b"Mr Byrne" in on_disk
    assert store.teacher_names() == ["Mr Byrne"]
    assert [r["reps"] for r in history.step_summaries(store, history.Filters())] == [2, 1]
    assert store.session(okafor_sessions[0]["id"]) is None



def test_a_store_from_before_the_chosen_pupil_gets_its_column(history_instance):
    """Schema 5: the pupil a coach says was named; an older store's marks are kept, with no pupil."""
    folder, ids = history_instance
    attempt_id = ids["sessions"][0]["attempts"][0]
    open_store(folder).mark(attempt_id, "wait_time", False, "felt rushed")
    with sqlite3.connect(folder / "rehearse.sqlite") as db:  # as rehearse left it before issue 18
        db.execute("ALTER TABLE coach_marks DROP COLUMN pupil")
        db.execute("PRAGMA user_version=4")
    store = open_store(folder)
    with store.connect() as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert replace(store.rep(attempt_id).marks["wait_time"], marked_at=None) == Mark(False, "felt rushed")
    store.mark(attempt_id, "names_pupil", True, "", pupil="Niamh")
    assert store.rep(attempt_id).marks["names_pupil"].pupil == "Niamh"
