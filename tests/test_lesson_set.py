"""The labelled lessons (benchmarks/lesson_set.py, tests/clips/lessons/ from tests/make_lessons.py) and
the accuracy benchmark's comparison (benchmarks/observe_accuracy.py).

- The committed lessons' labels agree with their audio (speech where the labels say, near-silence in
  the waits) and with themselves (order, next speech, waits, talk, names on the roster), and hold what
  the tests need: a pupil named after a wait over 5 s, a call-out, a tag, a procedural question.
- A lesson's plan is the same every time; the splits share no text.
- The benchmark's comparison: the truth scored against itself is perfect; a question found 1.5 s off,
  a wrong pupil, a missed call-out and talk time off are each counted.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import lesson_texts
from benchmarks.labelled_set import VOICES
from benchmarks.lesson_plan import plan_lesson
from benchmarks.observe_accuracy import compare, figures
from rehearse.scoring.audio import SAMPLE_RATE, load_audio

LESSONS = Path(__file__).resolve().parent / "clips" / "lessons"
LABELS = json.loads((LESSONS / "labels.json").read_text())["lessons"]


def as_found(label: dict) -> dict:
    """The label in the shape of LessonAnalysis.to_json() (the fields the benchmark reads)."""
    return {"questions": [{k: q[k] for k in ("start", "end", "text", "kind", "next_speech", "next_speaker",
                                             "named_pupil", "name_at", "call_out", "call_out_at", "wait_s")}
                          for q in label["questions"]],
            "talk": dict(label["talk"])}


@pytest.mark.parametrize("label", LABELS, ids=lambda lb: lb["file"])
def test_labels_agree_with_the_audio(label):
    audio = load_audio(LESSONS / label["file"])
    assert abs(len(audio) / SAMPLE_RATE - label["duration_s"]) < 1e-3

    def level(a, b):  # the median of 50 ms frames' levels: a knock or a scrape in a wait does not count
        piece = audio[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)]
        frames = piece[: len(piece) // 800 * 800].reshape(-1, 800)
        return float(np.median(20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-9)))
    teacher = [level(s["start"], s["end"]) for s in label["speech"] if s["who"] == "teacher"]
    waits = [level(q["end"] + 0.6, q["next_speech"] - 0.1) for q in label["questions"]
             if q["wait_s"] and q["wait_s"] > 1.5]
    assert waits and min(teacher) > max(waits) + 15
    for name in label["enrolment"]:
        assert len(load_audio(LESSONS / name)) / SAMPLE_RATE > 20


@pytest.mark.parametrize("label", LABELS, ids=lambda lb: lb["file"])
def test_labels_agree_with_themselves(label):
    speech = label["speech"]
    assert all(a["end"] <= b["start"] for a, b in zip(speech, speech[1:]))
    assert all("text" in s for s in speech if s["who"] == "teacher")
    assert not any("text" in s for s in speech if s["who"] == "pupil")  # pupils are never transcribed
    for q in label["questions"]:
        after = [s for s in speech if s["start"] >= q["end"]]
        assert q["next_speech"] == after[0]["start"] and q["next_speaker"] == after[0]["who"]
        assert q["wait_s"] == pytest.approx(q["next_speech"] - q["end"], abs=1e-6)
        assert q["named_pupil"] is None or q["named_pupil"] in label["roster"]
        if q["named_pupil"]:
            holder = next(s for s in speech if s["start"] == q["name_at"])
            assert q["named_pupil"] in holder["text"]
        assert q["call_out"] == (after[0]["who"] == "pupil")
    for who, key in (("teacher", "teacher_s"), ("pupil", "pupils_s")):
        assert label["talk"][key] == pytest.approx(sum(s["end"] - s["start"] for s in speech if s["who"] == who), abs=1e-3)


def test_the_committed_lessons_hold_what_the_tests_need():
    qs = [q for lb in LABELS for q in lb["questions"]]
    assert any(q["named_pupil"] and q["wait_s"] > 5 for q in qs)
    assert any(q["call_out"] for q in qs)
    assert any(q["kind"] == "procedural" for q in qs)
    assert all(lb["tags"] for lb in LABELS)
    assert any(s["kind"] == "instruction" for lb in LABELS for s in lb["speech"])
    for lb in LABELS:  # a tag is followed by the teacher at once
        for tag in lb["tags"]:
            after = next(s for s in lb["speech"] if s["start"] >= tag["end"])
            assert after["who"] == "teacher" and after["start"] - tag["end"] < 0.5


def test_a_plan_is_the_same_every_time_and_the_splits_share_no_text():
    voices = [v for v in VOICES if v.split == "dev"]
    roster = ["Priya", "Callum", "Zainab", "Oliver", "Freya", "Kofi"] * 4
    one, two = (plan_lesson("dev", 0, voices[0], voices[1:4], roster, 150.0, 8, "calm", "x.flac") for _ in range(2))
    assert [(u.kind, u.text, u.pause) for u in one.utts] == [(u.kind, u.text, u.pause) for u in two.utts]
    assert sum(u.kind in ("question", "rephrase") for u in one.utts) >= 8
    for name in ("STATEMENTS", "POSED", "HANDS_UP", "CALL_OUT_REPLY", "RESPONSES", "NO_NAME", "TAGS",
                 "PROCEDURAL", "INSTRUCTIONS", "ENROL_QUESTIONS"):
        texts = getattr(lesson_texts, name)
        assert not set(map(str, texts["dev"])) & set(map(str, texts["test"])), name


def test_the_truth_scored_against_itself_is_perfect():
    rows = [compare(lb, as_found(lb)) for lb in LABELS]
    f = figures(rows)
    assert f["recall"] == f["precision"] == 1.0
    assert f["wait_error_max_ms"] < 1e-6 and f["named_right_share"] == 1.0 and f["wrong_pupil_share"] == 0
    assert f["call_outs_found_share"] == 1.0 and f["talk_points_max"] < 1e-9
    assert f["named_right"] == f["named"] > 0 and f["call_outs_found"] == f["call_outs"] > 0


def test_each_kind_of_miss_is_counted():
    label = LABELS[0]
    found = as_found(label)
    posed = [q for q in found["questions"] if q["kind"] == "posed"]
    named = next(q for q in posed if q["named_pupil"])
    named["named_pupil"] = next(n for n in label["roster"] if n != named["named_pupil"])
    called = next(q for q in posed if q["call_out"])
    called["call_out"] = False
    moved = next(q for q in posed if q is not named and q is not called)
    moved["end"] += 1.5
    found["talk"]["teacher_s"] += label["duration_s"] * 0.05
    off = copy.deepcopy(found)
    next(q for q in off["questions"] if q["kind"] == "posed" and q["end"] != moved["end"])["next_speech"] += 0.25
    row = compare(label, found)
    assert row["matched"] == row["posed"] - 1 and row["found"] == row["posed"]
    assert row["wrong_pupil"] == 1 and row["named_right"] == row["named"] - 1
    assert row["call_outs_found"] == row["call_outs"] - 1
    assert row["talk_points"] == pytest.approx(5.0)
    assert max(abs(e) for e in compare(label, off)["wait_errors"]) == pytest.approx(0.25)
