"""Lessons observed in the archive of everything: written with their kept recording (and no other file
of their folder), imported on another laptop with `rehearse import` under that laptop's ids and paths
with the coach's overrules and comments, twice without adding anything twice, a lesson whose audio
was deleted as its figures only, one still queued or being recorded as it is if its file came and as
failed if not; and an archive whose lesson rows were made to do harm refused in one line, nothing
added. Real stores, real zips; the lessons' analyses are written as the job writes them."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from rehearse.errors import RehearseError
from rehearse.reps import import_archive, open_store
from rehearse.store import archive, lessons
from rehearse.store.database import Store

from .test_cli import rehearse
from .test_hostile_archive import rebuilt, state

STEP = ("pose-pause-name", "Pose, pause, name")
ANALYSIS = {"version": 1, "file": "recording.wav", "duration_s": 42.0,
            "questions": [{"start": 3.0, "end": 4.5, "text": "Why does ice float?", "kind": "posed",
                           "next_speech": 7.5, "next_speaker": "pupil", "named_pupil": "Amira", "name_at": 7.0,
                           "wait_s": 3.0}],
            "talk": {"teacher_s": 20.0, "pupils_s": 5.0, "silence_s": 17.0}}


def observed(store: Store, teacher: str, status: str = "done", audio: bytes | None = b"kept audio",
             keep_file: bool = True) -> lessons.Lesson:
    """A lesson in `status` as the app leaves it: done ones analysed, their kept copy (other voices
    silenced) beside the work files the analysis leaves in the folder; `audio` None: deleted."""
    made = lessons.new_lesson(store, teacher, *STEP, ["Amira", "Jo"], "browser" if status == "recording" else "upload")
    original = lessons.lesson_file(store, made)
    if keep_file:
        original.write_bytes(b"RIFF the original, every voice in it")
    if status != "recording":
        lessons.recorded(store, made.id)  # the upload saved: queued
    if status == "done":
        kept = original.with_name("kept.flac")
        kept.write_bytes(audio or b"")
        original.unlink(missing_ok=True)
        (kept.parent / "decoded.f32").write_bytes(b"a work file of the analysis")
        lessons.claim(store, made.id)
        lessons.save_analysis(store, made.id, ANALYSIS, kept.relative_to(store.instance).as_posix(),
                              "voices-silenced", 3.0)
        if audio is None:
            lessons.delete_audio(store, made.id)
    elif status == "analysing":
        lessons.claim(store, made.id)
        lessons.set_progress(store, made.id, 0.5, 30.0, "transcribing the teacher")
    found = lessons.lesson(store, made.id)
    assert found is not None and found.status == status
    return found


@pytest.fixture()
def coach(tmp_path) -> tuple[Store, dict[str, lessons.Lesson]]:
    """The coach's laptop: lessons in every state that travels differently."""
    store = open_store(tmp_path / "coach")
    made = {"done": observed(store, "Ms Okafor"),
            "deleted": observed(store, "Ms Okafor", audio=None),
            "queued": observed(store, "Mr Bell", status="queued"),
            "analysing": observed(store, "Mr Bell", status="analysing"),
            "lost": observed(store, "Mr Bell", status="recording", keep_file=False)}
    lessons.mark(store, made["done"].id, 0, "wait_time", False)
    lessons.add_comment(store, made["done"].id, 4.5, "a good pause after the question", 42.0)
    lessons.add_comment(store, made["deleted"].id, 1.0, "the figures still tell it", 42.0)
    return store, made


@pytest.fixture()
def other_laptop(tmp_path) -> Store:
    """Another laptop with a lesson of its own, so that imported lessons get other ids here."""
    store = open_store(tmp_path / "other")
    observed(store, "ms  okafor")  # the same teacher, typed otherwise
    return store


def by_uid(store: Store, uid: str) -> lessons.Lesson:
    found = lessons.lesson(store, store.query_one("SELECT id FROM lessons WHERE uid = ?", uid)["id"])
    assert found is not None
    return found


def test_lessons_travel_with_their_kept_recording_only(coach, other_laptop, tmp_path):
    store, made = coach
    zip_path = tmp_path / "everything.zip"
    counts = archive.write_archive(store, zip_path)
    assert (counts["lessons"], counts["lesson_recordings"], counts["lesson_recordings_missing"]) == (5, 3, 1)
    with zipfile.ZipFile(zip_path) as z:
        members = {n for n in z.namelist() if n.startswith("recordings/lessons/")}
        manifest = json.loads(z.read(archive.MANIFEST))
    assert members == {made["done"].audio_path, made["queued"].audio_path, made["analysing"].audio_path}
    assert manifest["lessons"] == 5 and manifest["lesson_recordings"] == 3

    run = rehearse("import", str(zip_path), "--instance", str(other_laptop.instance))
    assert run.returncode == 0, run.stderr
    assert "5 lessons observed (3 recordings, 1 overrules, 2 comments)" in run.stdout
    assert "1 lessons' recordings were not in the archive" in run.stdout

    done = by_uid(other_laptop, uid_of(store, made["done"]))
    assert done.id != made["done"].id and done.step_id == STEP[0]
    assert done.teacher_name == "ms okafor"  # matched by name: this laptop's spelling
    assert done.teacher_id == lessons.lessons_of(other_laptop)[-1].teacher_id  # matched by name
    assert done.audio_path == f"recordings/lessons/{done.id}/kept.flac" and done.audio_state == "voices-silenced"
    assert lessons.lesson_file(other_laptop, done).read_bytes() == b"kept audio"
    assert not (lessons.lesson_file(other_laptop, done).parent / "decoded.f32").exists()
    assert (done.status, done.result, done.median_wait_s, done.roster) == ("done", ANALYSIS, 3.0, ("Amira", "Jo"))
    assert lessons.marks(other_laptop, done.id) == {(0, "wait_time"): False}
    assert [(c.at_s, c.text) for c in lessons.comments(other_laptop, done.id)] == [
        (4.5, "a good pause after the question")]


def uid_of(store: Store, lesson: lessons.Lesson) -> str:
    return store.query_one("SELECT uid FROM lessons WHERE id = ?", lesson.id)["uid"]


def test_each_state_comes_in_as_it_should(coach, other_laptop, tmp_path):
    store, made = coach
    archive.write_archive(store, tmp_path / "everything.zip")
    import_archive(other_laptop.instance, tmp_path / "everything.zip")
    there = {name: by_uid(other_laptop, uid_of(store, lesson)) for name, lesson in made.items()}
    deleted = there["deleted"]  # its figures only
    assert (deleted.audio_path, deleted.audio_state) == (None, "deleted")
    assert (deleted.status, deleted.result) == ("done", ANALYSIS)
    assert [c.text for c in lessons.comments(other_laptop, deleted.id)] == ["the figures still tell it"]
    for name in ("queued", "analysing"):  # its file came: as it is, for the next start's jobs.recover
        assert there[name].status == made[name].status and there[name].audio_state == "original"
        assert lessons.lesson_file(other_laptop, there[name]).read_bytes().startswith(b"RIFF the original")
    assert [x.id for x in lessons.interrupted(other_laptop)] == [there["queued"].id, there["analysing"].id]
    lost = there["lost"]
    assert lost.status == "failed" and lost.audio_path is None and lessons.lesson_file(other_laptop, lost) is None
    assert "the recording was not in the archive" in lost.error and "\n" not in lost.error


def test_importing_twice_adds_nothing_twice(coach, other_laptop, tmp_path):
    store, _ = coach
    archive.write_archive(store, tmp_path / "everything.zip")
    import_archive(other_laptop.instance, tmp_path / "everything.zip")
    before = state(other_laptop.instance)
    again = import_archive(other_laptop.instance, tmp_path / "everything.zip")
    assert (again["lessons"], again["lessons_already_here"], again["lesson_recordings"]) == (0, 5, 0)
    assert (again["lesson_marks"], again["lesson_comments"]) == (0, 0)
    assert state(other_laptop.instance) == before
    # Back the other way: the coach's own lessons are already there, the other laptop's one is new.
    back = import_archive(store.instance, _written(other_laptop, tmp_path / "back.zip"))
    assert (back["lessons"], back["lessons_already_here"], back["teachers"]) == (1, 5, 0)


def _written(store: Store, path: Path) -> Path:
    archive.write_archive(store, path)
    return path


def test_a_kept_recording_lost_here_comes_back_but_not_one_deleted_here(coach, other_laptop, tmp_path):
    store, made = coach
    zip_path = _written(store, tmp_path / "everything.zip")
    import_archive(other_laptop.instance, zip_path)
    done = by_uid(other_laptop, uid_of(store, made["done"]))
    lessons.lesson_file(other_laptop, done).unlink()
    assert import_archive(other_laptop.instance, zip_path)["lesson_recordings"] == 1
    assert lessons.lesson_file(other_laptop, done).read_bytes() == b"kept audio"
    lessons.delete_audio(other_laptop, done.id)  # the coach deleted it here: an import does not undo that
    assert import_archive(other_laptop.instance, zip_path)["lesson_recordings"] == 0
    assert lessons.lesson(other_laptop, done.id).audio_path is None


HOSTILE = {
    "a path leading outside": ("UPDATE lessons SET audio_path = 'recordings/lessons/1/../../../../etc/passwd.x'",
                               "recording is not named as rehearse names one"),
    "an absolute path": ("UPDATE lessons SET audio_path = '/etc/passwd.x' WHERE audio_path IS NOT NULL",
                         "recording is not named as rehearse names one"),
    "a path with a backslash": ("UPDATE lessons SET audio_path = 'recordings/lessons/1/C:\\x.wav'"
                                " WHERE audio_path IS NOT NULL", "recording is not named as rehearse names one"),
    "a status not one of STATUSES": ("UPDATE lessons SET status = 'pwned'", "status is not one of recording, queued"),
    "a result that is not JSON": ("UPDATE lessons SET result = '{\"questions\": [' WHERE result IS NOT NULL",
                                  "analysis is not readable JSON"),
    "a result that is JSON but not an analysis": ("UPDATE lessons SET result = '[1, 2]' WHERE result IS NOT NULL",
                                                  "analysis is not readable JSON"),
    "a comment with control characters": ("UPDATE lesson_comments SET text = 'look' || char(27) || '[2J'",
                                          "is not text of 1 to 2000 characters without control characters"),
    "a class list with control characters": ("UPDATE lessons SET roster = 'Amira' || char(7)",
                                             "class list, stage or error is not text"),
    "a lesson of no teacher": ("UPDATE lessons SET teacher_id = 999", "has no teacher in the archive"),
    "an overrule of no lesson": ("UPDATE lesson_marks SET lesson_id = 999", "which is not in the archive"),
    "an overrule that is not a verdict": ("UPDATE lesson_marks SET passed = 'yes'", "is not a question, a criterion"),
    "a progress that is not a number": ("UPDATE lessons SET progress = 'half'", "progress, time left"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_lesson_row_is_refused_in_one_line_and_nothing_is_added(name, coach, other_laptop, tmp_path):
    store, _ = coach
    sql, words = HOSTILE[name]
    genuine = _written(store, tmp_path / "genuine.zip")
    hostile = rebuilt(genuine, tmp_path / "hostile.zip", sql=(sql,))
    before = state(other_laptop.instance)
    with pytest.raises(RehearseError) as refused:
        import_archive(other_laptop.instance, hostile)
    line = str(refused.value)
    assert words in line and "nothing was imported" in line and "\n" not in line, line
    assert state(other_laptop.instance) == before


def test_an_archive_from_before_lessons_imports_with_none(coach, other_laptop, tmp_path):
    store, _ = coach
    older = rebuilt(_written(store, tmp_path / "genuine.zip"), tmp_path / "v10.zip",
                    manifest={"format": archive.FORMAT, "schema": 10},
                    sql=("DROP TABLE lesson_comments", "DROP TABLE lesson_marks", "DROP TABLE lessons",
                         "PRAGMA user_version = 10"))
    counts = import_archive(other_laptop.instance, older)
    assert (counts["lessons"], counts["lesson_recordings"]) == (0, 0)
    assert len(lessons.lessons_of(other_laptop)) == 1  # its own
    with sqlite3.connect(other_laptop.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 11
