"""`rehearse observe` as others' scripts and people use it: the JSON contract of issue 31, the plain
summary, the lesson kept in a teacher's history (or nothing kept), and bad input as one line with
exit status 2 — the real command, the real engine and speech model, on the short test lessons."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rehearse.reps import open_store
from rehearse.store import lessons

LESSONS = Path(__file__).parent / "clips" / "lessons"
LABELS = json.loads((LESSONS / "labels.json").read_text()) if (LESSONS / "labels.json").exists() else {}
QUESTION_KEYS = {"start", "end", "text", "next_speech", "next_speaker", "named_pupil", "name_at"}


def rehearse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rehearse", *args], capture_output=True, text=True, timeout=1800)


def a_lesson() -> tuple[Path, dict]:
    label = LABELS["lessons"][0]
    return LESSONS / label["file"], label


def test_json_is_one_object_per_file_with_the_contracts_keys(tmp_path):
    clip, label = a_lesson()
    done = rehearse("observe", str(clip), "--step", "pose-pause-name", "--roster", ",".join(label["roster"]),
                    "--json", "--instance", str(tmp_path / "instance"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    got = json.loads(lines[0])
    assert got["file"] == str(clip)
    assert got["duration_s"] == pytest.approx(label["duration_s"], abs=0.1)
    assert set(got["talk"]) >= {"teacher_s", "pupils_s"} and got["talk"]["teacher_s"] > 0
    assert got["questions"], "the lesson's posed questions"
    for question in got["questions"]:
        assert set(question) >= QUESTION_KEYS
        assert question["start"] < question["end"] <= got["duration_s"]
        assert question["next_speaker"] in ("teacher", "pupil", None)
        assert (question["next_speech"] is None) == (question["next_speaker"] is None)
        if question["next_speech"] is not None:
            assert question["next_speech"] >= question["end"]
        assert question["named_pupil"] is None or question["named_pupil"] in label["roster"]
        assert (question["named_pupil"] is None) == (question["name_at"] is None)
    assert not (tmp_path / "instance").exists(), "without --teacher nothing is kept"


def test_with_a_teacher_the_lesson_is_kept_and_delete_audio_keeps_only_the_figures(tmp_path):
    clip, label = a_lesson()
    instance = tmp_path / "instance"
    done = rehearse("observe", str(clip), "--step", "pose-pause-name", "--roster", ",".join(label["roster"]),
                    "--teacher", "Ms Adeyemi", "--instance", str(instance), "--delete-audio")
    assert done.returncode == 0, done.stderr
    assert "questions posed" in done.stdout and "kept as lesson" in done.stdout
    store = open_store(instance)
    [kept] = lessons.lessons_of(store)
    assert kept.status == "done" and kept.teacher_name == "Ms Adeyemi" and kept.source == "cli"
    assert kept.audio_state == "deleted" and kept.audio_path is None and kept.result["questions"]
    assert not any((instance / "recordings" / "lessons").rglob("*.*")), "no recording is left"
    assert clip.exists(), "the teacher's own file is never touched"


def test_bad_input_is_one_line_with_status_2_and_the_other_files_are_still_analysed(tmp_path):
    clip, label = a_lesson()
    unknown = rehearse("observe", str(clip), "--step", "pose-pause")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert len(unknown.stderr.strip().splitlines()) == 1 and "pose-pause-name" in unknown.stderr
    fake = tmp_path / "plan.mp3"
    fake.write_text("not a recording")
    mixed = rehearse("observe", str(fake), str(tmp_path / "missing.wav"), str(clip), "--step", "pose-pause-name",
                     "--roster", ",".join(label["roster"]), "--json")
    assert mixed.returncode == 2
    assert len(mixed.stderr.strip().splitlines()) == 2 and "plan.mp3" in mixed.stderr and "missing.wav" in mixed.stderr
    assert [json.loads(line)["file"] for line in mixed.stdout.strip().splitlines()] == [str(clip)]
    lonely = rehearse("observe", str(clip), "--step", "pose-pause-name", "--delete-audio")
    assert lonely.returncode == 2 and "--teacher" in lonely.stderr
