"""Lessons analysed as jobs on the real queue (Huey on SQLite in the instance folder) by the real
engine and speech model: the embedded worker takes a queued lesson to done, keeps its figures and a
recording with other voices silenced; Cancel stops it and keeps the recording; a server killed
mid-analysis finishes the lesson once started again; a file that is not audio fails with one line."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from rehearse.lessons.jobs import LessonJobs
from rehearse.reps import open_store
from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.store import lessons

from .server import server_process

LESSONS = Path(__file__).parent / "clips" / "lessons"
LABELS = json.loads((LESSONS / "labels.json").read_text()) if (LESSONS / "labels.json").exists() else {}
DONE_WITHIN_S = 900  # generous: a shared, busy machine; no test asserts a time


def first_lesson() -> tuple[Path, dict]:
    label = LABELS["lessons"][0]
    return LESSONS / label["file"], label


def queue_lesson(store, clip: Path, label: dict, teacher: str = "Ms Adeyemi"):
    lesson = lessons.new_lesson(store, teacher, "pose-pause-name", "Pose, pause, name", list(label["roster"]), "upload",
                                suffix=clip.suffix)
    shutil.copyfile(clip, lessons.lesson_file(store, lesson))
    lessons.recorded(store, lesson.id)
    return lesson


def wait_for(store, lesson_id: int, statuses=("done", "failed", "cancelled"), timeout=DONE_WITHIN_S, progressed=False):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = lessons.lesson(store, lesson_id)
        if found.status in statuses and (not progressed or found.progress > 0):
            return found
        time.sleep(0.2)
    raise AssertionError(f"lesson {lesson_id} still {lessons.lesson(store, lesson_id).status} after {timeout} s")


@pytest.fixture
def jobs(tmp_path, scorer):
    store = open_store(tmp_path / "instance")
    queue = LessonJobs(store, scorer, embedded=True)
    yield queue
    queue.stop_worker(timeout=60)


def test_the_embedded_worker_analyses_a_queued_lesson_and_silences_other_voices(jobs):
    clip, label = first_lesson()
    lesson = queue_lesson(jobs.store, clip, label)
    jobs.submit(lesson.id)
    done = wait_for(jobs.store, lesson.id)
    assert done.status == "done", done.error
    assert done.result["questions"] and done.result["talk"]["teacher_s"] > 0
    assert done.audio_state == "voices-silenced"
    kept = lessons.lesson_file(jobs.store, done)
    assert kept.exists() and not (kept.parent / f"recording{clip.suffix}").exists()
    audio = load_audio(kept)
    others = [t for t in done.result["timeline"] if t["who"] == "other"]
    assert others, "the lesson has pupils' voices"
    for stretch in others:  # every stretch the engine heard as another voice is digital silence
        inside = audio[int((stretch["start"] + 0.05) * SAMPLE_RATE): int((stretch["end"] - 0.05) * SAMPLE_RATE)]
        assert not np.any(inside), f"another voice at {stretch['start']}-{stretch['end']} s was kept"
    teacher = [t for t in done.result["timeline"] if t["who"] == "teacher"][0]
    assert np.any(audio[int(teacher["start"] * SAMPLE_RATE): int(teacher["end"] * SAMPLE_RATE)])


def test_cancel_stops_the_analysis_and_keeps_the_recording_to_analyse_again(jobs):
    clip, label = first_lesson()
    lesson = queue_lesson(jobs.store, clip, label)
    jobs.submit(lesson.id)
    wait_for(jobs.store, lesson.id, ("analysing",))
    assert jobs.cancel(lesson.id)
    stopped = wait_for(jobs.store, lesson.id)
    if stopped.status == "done":
        pytest.skip("the analysis finished before it looked for the Cancel (a very fast machine)")
    assert stopped.status == "cancelled" and "cancelled" in stopped.error
    assert lessons.lesson_file(jobs.store, stopped).exists()
    assert jobs.again(lesson.id)
    assert wait_for(jobs.store, lesson.id).status == "done"


def test_a_file_that_is_not_audio_fails_with_one_line_and_is_kept(jobs, tmp_path):
    fake = tmp_path / "lesson.wav"
    fake.write_bytes(b"this is a lesson plan, not a recording\n" * 100)
    lesson = queue_lesson(jobs.store, fake, {"roster": ["Amira"]})
    jobs.submit(lesson.id)
    failed = wait_for(jobs.store, lesson.id)
    assert failed.status == "failed" and "\n" not in failed.error and "audio" in failed.error
    assert lessons.lesson_file(jobs.store, failed).exists()


def test_a_server_killed_mid_analysis_finishes_the_lesson_when_started_again(tmp_path):
    clip, label = first_lesson()
    instance = tmp_path / "instance"
    store = open_store(instance)
    lesson = queue_lesson(store, clip, label)  # queued by another process (`rehearse observe`, an upload)
    with server_process(instance) as (url, process):  # the server finds it queued and analyses it
        wait_for(store, lesson.id, ("analysing",), progressed=True)
        process.kill()
        process.wait()
    assert lessons.lesson(store, lesson.id).status == "analysing"
    with server_process(instance) as (url, process):
        done = wait_for(store, lesson.id)
        with urllib.request.urlopen(url + "/") as page:  # the app stayed usable
            assert page.status == 200
    assert done.status == "done", done.error
    assert done.result["questions"]
