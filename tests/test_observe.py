"""analyse_lesson through the real speech model on the short lesson-like files of tests/clips/lessons/
(tests/make_lessons.py): behaviour within tolerances, never a particular hearing."""

from __future__ import annotations

import json

import wave

import numpy as np
import pytest

from rehearse.errors import AudioError
from rehearse.observe.lesson import LessonAnalysis, analyse_lesson
from rehearse.observe.lesson_audio import LessonAudio
from rehearse.observe.voices import enrol
from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.name_sounds import parse_roster
from rehearse.scoring.steps import get_step

from .conftest import CLIPS

LESSONS = CLIPS / "lessons"
LABELS = {lesson["file"]: lesson for lesson in json.loads((LESSONS / "labels.json").read_text())["lessons"]}
WAIT_TOLERANCE_S = 0.3
END_TOLERANCE_S = 1.0


@pytest.fixture(scope="module")
def analysed(scorer):
    """Each test lesson analysed once, with the teacher's voice enrolled from her enrolment file, and
    the progress reported on the way."""
    out = {}
    for name, label in LABELS.items():
        profile = enrol([load_audio(LESSONS / f) for f in label["enrolment"]])
        reported = []
        with LessonAudio.open(LESSONS / name) as audio:
            analysis = analyse_lesson(audio, get_step(label["step"]), parse_roster(label["roster"]), scorer,
                                      profile, progress=lambda f, words: reported.append((f, words)))
        out[name] = (label, analysis.to_json(), reported)
        assert analysis.voice["source"] == ("dominant" if profile is None else "reps")
    return out


def _match(label_q: dict, found: list[dict]) -> dict | None:
    near = [q for q in found if abs(q["end"] - label_q["end"]) <= END_TOLERANCE_S]
    return min(near, key=lambda q: abs(q["end"] - label_q["end"]), default=None)


def test_posed_questions_are_found_with_their_waits(analysed):
    for name, (label, found, _) in analysed.items():
        posed = [q for q in found["questions"] if q["kind"] == "posed"]
        for truth in (q for q in label["questions"] if q["kind"] == "posed"):
            q = _match(truth, posed)
            assert q is not None, f"{name}: {truth['text']!r} not found among {[p['text'] for p in posed]}"
            assert q["next_speech"] is not None
            assert abs(q["wait_s"] - truth["wait_s"]) <= WAIT_TOLERANCE_S, (name, truth["text"], q["wait_s"])
            assert q["next_speaker"] == truth["next_speaker"], (name, truth["text"])
        assert len(posed) <= len([q for q in label["questions"] if q["kind"] == "posed"]) + 1  # at most one extra


def test_procedural_questions_are_apart_and_tags_are_not_listed(analysed):
    for name, (label, found, _) in analysed.items():
        for truth in (q for q in label["questions"] if q["kind"] == "procedural"):
            q = _match(truth, found["questions"])
            assert q is None or q["kind"] == "procedural", (name, truth["text"], q)
        for tag in label["tags"]:
            assert _match(tag, [q for q in found["questions"] if q["kind"] == "posed"]) is None, (name, tag["text"])


def test_the_named_pupil_is_right_or_null_and_call_outs_are_flagged(analysed):
    for name, (label, found, _) in analysed.items():
        for truth in (q for q in label["questions"] if q["kind"] == "posed"):
            q = _match(truth, found["questions"])
            if q is None:
                continue
            assert q["named_pupil"] in (truth["named_pupil"], None), (name, truth["text"], q["named_pupil"])
            if q["named_pupil"] is not None:
                assert abs(q["name_at"] - truth["name_at"]) <= WAIT_TOLERANCE_S
            if truth["call_out"]:
                assert q["call_out"] and abs(q["call_out_at"] - truth["call_out_at"]) <= WAIT_TOLERANCE_S
    named = [(truth["named_pupil"], _match(truth, found["questions"]))
             for label, found, _ in analysed.values() for truth in label["questions"] if truth["named_pupil"]]
    assert any(q is not None and q["named_pupil"] == pupil for pupil, q in named)  # some name is heard


def test_only_the_teachers_speech_is_transcribed_and_talk_adds_up(analysed):
    for name, (label, found, _) in analysed.items():
        teacher = [(t["start"], t["end"]) for t in found["timeline"] if t["who"] == "teacher"]
        assert found["teacher_speech"] and all((s["start"], s["end"]) in teacher for s in found["teacher_speech"])
        talk = found["talk"]
        assert abs(talk["teacher_s"] + talk["pupils_s"] + talk["silence_s"] - found["duration_s"]) < 0.01
        truth = label["talk"]["teacher_s"] / label["duration_s"]
        assert abs(talk["teacher_s"] / found["duration_s"] - truth) <= 0.05, name
        assert LessonAnalysis.from_json(found).to_json() == found


def test_progress_rises_to_the_end_through_each_stage(analysed):
    for _, _, reported in analysed.values():
        fractions = [f for f, _ in reported]
        assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
        assert len({words for _, words in reported}) == 4


def test_a_recording_without_speech_is_refused_in_one_line(scorer, tmp_path):
    t = np.arange(20 * SAMPLE_RATE) / SAMPLE_RATE
    chords = 0.2 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277 * t) + np.sin(2 * np.pi * 330 * t)) / 3
    path = tmp_path / "tones.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((chords * 32767).astype("<i2").tobytes())
    with LessonAudio.open(path) as audio, pytest.raises(AudioError) as refused:
        analyse_lesson(audio, get_step("pose-pause-name"), parse_roster(["Amira"]), scorer)
    assert "no speech" in str(refused.value) and "\n" not in str(refused.value)
