"""Lessons observed in a real SQLite store: the job's states, Cancel, the coach's overrules and
comments, "delete the audio, keep the figures", and a teacher's deletion taking their lessons."""

from __future__ import annotations

import sqlite3

import pytest

from rehearse.errors import RehearseError
from rehearse.reps import open_store
from rehearse.store import lessons


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "instance")


def new(store, source="upload", teacher="Ms Okafor", roster=("Amira", "Jo")):
    made = lessons.new_lesson(store, teacher, "pose-pause-name", "Pose, pause, name", list(roster), source)
    path = lessons.lesson_file(store, made)
    path.write_bytes(b"RIFF....")
    return made


def test_a_new_lesson_is_queued_with_its_recording_path_reserved(store):
    lesson = new(store)
    assert lesson.status == "queued" and lesson.teacher_name == "Ms Okafor" and lesson.step_id == "pose-pause-name"
    assert lesson.roster == ("Amira", "Jo")
    assert lessons.lesson_file(store, lesson).parent.name == str(lesson.id)
    assert new(store, source="browser").status == "recording"
    assert [x.id for x in lessons.lessons_of(store, teacher_id=lesson.teacher_id)] == [lesson.id + 1, lesson.id]


def test_a_lesson_is_claimed_once_and_its_progress_kept(store):
    lesson = new(store)
    assert lessons.claim(store, lesson.id)
    assert not lessons.claim(store, lesson.id)  # a second copy of the job does nothing
    lessons.set_progress(store, lesson.id, 0.4, 61.0, "transcribing the teacher")
    got = lessons.lesson(store, lesson.id)
    assert (got.status, got.progress, got.eta_s, got.stage) == ("analysing", 0.4, 61.0, "transcribing the teacher")
    lessons.save_analysis(store, lesson.id, {"duration_s": 75.0, "questions": []}, got.audio_path, "voices-silenced", 2.1)
    done = lessons.lesson(store, lesson.id)
    assert (done.status, done.duration_s, done.median_wait_s, done.audio_state) == ("done", 75.0, 2.1, "voices-silenced")
    assert done.result == {"duration_s": 75.0, "questions": []} and done.finished


def test_cancel_before_the_start_and_during_the_analysis(store):
    waiting = new(store)
    assert lessons.request_cancel(store, waiting.id)
    assert lessons.lesson(store, waiting.id).status == "cancelled"
    assert not lessons.claim(store, waiting.id)
    running = new(store)
    lessons.claim(store, running.id)
    assert not lessons.cancel_requested(store, running.id)
    assert lessons.request_cancel(store, running.id)
    assert lessons.cancel_requested(store, running.id)
    lessons.save_failure(store, running.id, "cancelled by the coach", status="cancelled")
    assert lessons.requeue(store, running.id) and lessons.lesson(store, running.id).status == "queued"
    done = new(store)
    lessons.claim(store, done.id)
    lessons.save_analysis(store, done.id, {"duration_s": 1.0}, done.audio_path, "original", None)
    assert not lessons.request_cancel(store, done.id)  # nothing to cancel


def test_a_server_stopped_mid_analysis_puts_the_lesson_back_on_the_queue(store):
    cut = new(store)
    lessons.claim(store, cut.id)
    assert [x.id for x in lessons.interrupted(store)] == [cut.id]
    lessons.unclaim(store, cut.id)
    assert lessons.lesson(store, cut.id).status == "queued"
    cancelled = new(store)
    lessons.claim(store, cancelled.id)
    lessons.request_cancel(store, cancelled.id)
    lessons.unclaim(store, cancelled.id)  # the coach's Cancel outlives the restart
    assert lessons.lesson(store, cancelled.id).status == "cancelled"


def test_overrules_and_comments(store):
    lesson = new(store)
    lessons.mark(store, lesson.id, 2, "wait_time", True)
    lessons.mark(store, lesson.id, 2, "wait_time", False)
    lessons.mark(store, lesson.id, 0, "names_pupil", True)
    assert lessons.marks(store, lesson.id) == {(2, "wait_time"): False, (0, "names_pupil"): True}
    lessons.mark(store, lesson.id, 0, "names_pupil", None)
    assert lessons.marks(store, lesson.id) == {(2, "wait_time"): False}
    first = lessons.add_comment(store, lesson.id, 12.5, "  Lovely wait here. ", duration_s=60)
    lessons.add_comment(store, lesson.id, 3.0, "Name came too soon", duration_s=60)
    assert [(c.at_s, c.text) for c in lessons.comments(store, lesson.id)] == [(3.0, "Name came too soon"),
                                                                              (12.5, "Lovely wait here.")]
    with pytest.raises(RehearseError, match="outside the recording"):
        lessons.add_comment(store, lesson.id, 61, "past the end", duration_s=60)
    with pytest.raises(RehearseError, match="empty"):
        lessons.add_comment(store, lesson.id, 1, "   ", duration_s=60)
    assert lessons.remove_comment(store, lesson.id, first) and not lessons.remove_comment(store, lesson.id, first)


def test_delete_the_audio_keep_the_figures(store):
    lesson = new(store)
    with pytest.raises(RehearseError, match="still being analysed"):
        lessons.delete_audio(store, lesson.id)
    lessons.claim(store, lesson.id)
    lessons.save_analysis(store, lesson.id, {"duration_s": 5.0, "questions": [{"start": 1}]}, lesson.audio_path,
                          "voices-silenced", 3.0)
    path = lessons.lesson_file(store, lesson)
    assert lessons.delete_audio(store, lesson.id)
    kept = lessons.lesson(store, lesson.id)
    assert not path.exists() and not path.parent.exists()
    assert kept.audio_path is None and kept.audio_state == "deleted" and lessons.lesson_file(store, kept) is None
    assert kept.result["questions"] == [{"start": 1}] and kept.median_wait_s == 3.0


def test_deleting_a_teacher_deletes_their_lessons_and_recordings(store):
    lesson = new(store)
    other = new(store, teacher="Mr Hale")
    folder = lessons.lesson_file(store, lesson).parent
    gone = store.delete_teacher(lesson.teacher_id)
    assert gone["lessons"] == 1 and not folder.exists()
    assert lessons.lesson(store, lesson.id) is None and lessons.lesson(store, other.id) is not None


def test_a_store_from_before_lessons_is_migrated(tmp_path):
    instance = tmp_path / "old"
    store = open_store(instance)
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TABLE lesson_comments")
        db.execute("DROP TABLE lesson_marks")
        db.execute("DROP TABLE lessons")
        db.execute("PRAGMA user_version = 10")
    again = open_store(instance)
    assert new(again).status == "queued"
