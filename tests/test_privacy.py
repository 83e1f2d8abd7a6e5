"""The kept copy of a lesson (rehearse/observe/privacy.py): every sample of each other voice's
stretch is 0, faded in and out just outside it, and every other sample is the recording's own, in
FLAC and in WAV; the stretches come from the analysis's timeline, widened and clipped."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rehearse.observe.lesson_audio import LessonAudio
from rehearse.observe.privacy import OTHER_MARGIN_S, other_voice_spans, silence_spans
from rehearse.scoring.audio import SAMPLE_RATE

from .test_lesson_audio import lesson_like, write_lesson

FADE_S = 0.02


@pytest.fixture
def lesson(tmp_path):
    with LessonAudio.open(write_lesson(tmp_path / "lesson.wav", lesson_like())) as audio:
        yield audio


def kept_samples(path) -> np.ndarray:
    with LessonAudio.open(path) as kept:
        return np.array(kept.pcm())


def check_silenced(original: np.ndarray, kept: np.ndarray, spans, fade_s: float = FADE_S) -> None:
    fade = int(round(fade_s * SAMPLE_RATE))
    assert kept.shape == original.shape
    touched = np.zeros(len(original), dtype=bool)
    for start, end in spans:
        a, b = max(int(np.floor(start * SAMPLE_RATE)), 0), min(int(np.ceil(end * SAMPLE_RATE)), len(original) - 1)
        assert np.all(kept[a: b + 1] == 0), (start, end)
        assert np.any(original[a: b + 1] != 0)  # there was sound there to silence
        before, after = kept[max(a - fade, 0): a], kept[b + 1: b + 1 + fade]
        assert np.all(np.abs(before.astype(int)) <= np.abs(original[max(a - fade, 0): a].astype(int)))
        assert np.all(np.abs(after.astype(int)) <= np.abs(original[b + 1: b + 1 + fade].astype(int)))
        touched[max(a - fade, 0): b + 1 + fade] = True
    assert np.array_equal(kept[~touched], original[~touched])


@pytest.mark.parametrize("suffix", [".flac", ".wav"])
def test_each_span_is_digital_silence_and_the_rest_is_unchanged(lesson, tmp_path, suffix):
    spans = [(2.0, 3.5), (10.0001, 10.3), (10.31, 11.0), (15.25, 24.1)]
    dest = silence_spans(lesson, spans, tmp_path / f"kept{suffix}", fade_s=FADE_S)
    assert dest == tmp_path / f"kept{suffix}" and dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept" + suffix, "lesson.wav"]  # no temporary left
    check_silenced(np.array(lesson.pcm()), kept_samples(dest), spans)


def test_the_fades_leave_no_click(lesson, tmp_path):
    """The step next to a silenced span is no larger than the recording's own steps there."""
    original = np.array(lesson.pcm()).astype(int)
    kept = kept_samples(silence_spans(lesson, [(2.0, 3.5)], tmp_path / "kept.wav")).astype(int)
    a = 2 * SAMPLE_RATE
    fade = int(FADE_S * SAMPLE_RATE)
    assert np.abs(original[a - 1]) > 300  # speech at the edge: a cut without a fade would click
    assert np.abs(np.diff(kept[a - fade - 1: a + 1])).max() <= np.abs(np.diff(original[a - fade - 1: a + 1])).max() + 2
    assert np.abs(kept[a - 1]) < np.abs(original[a - 1]) / 10


def test_spans_past_the_ends_are_clipped_and_no_spans_copy_it_whole(lesson, tmp_path):
    original = np.array(lesson.pcm())
    end = lesson.duration_s
    kept = kept_samples(silence_spans(lesson, [(-3.0, 0.5), (end - 1.0, end + 5.0)], tmp_path / "kept.flac"))
    assert np.all(kept[: SAMPLE_RATE // 2] == 0) and np.all(kept[-SAMPLE_RATE:] == 0)
    assert np.array_equal(kept[SAMPLE_RATE: -2 * SAMPLE_RATE], original[SAMPLE_RATE: -2 * SAMPLE_RATE])
    assert np.array_equal(kept_samples(silence_spans(lesson, [], tmp_path / "same.wav")), original)


def test_a_copy_of_another_kind_is_refused_before_anything_is_written(lesson, tmp_path):
    with pytest.raises(ValueError, match=r"\.flac or \.wav"):
        silence_spans(lesson, [(1.0, 2.0)], tmp_path / "kept.mp3")
    with pytest.raises(OSError):
        silence_spans(lesson, [(1.0, 2.0)], tmp_path / "no-such-folder" / "kept.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.wav"]


ANALYSIS = {
    "version": 1, "file": "lesson.m4a", "duration_s": 30.0,
    "timeline": [{"start": 0.05, "end": 4.0, "who": "other"}, {"start": 4.5, "end": 9.0, "who": "teacher"},
                 {"start": 9.2, "end": 9.9, "who": "other"}, {"start": 10.1, "end": 11.0, "who": "other"},
                 {"start": 20.0, "end": 21.0, "who": "teacher"}, {"start": 29.5, "end": 29.95, "who": "other"}],
}


def test_other_voices_are_taken_from_the_timeline_widened_clipped_and_joined():
    m = OTHER_MARGIN_S
    expected = [(0.0, 4.0 + m), (9.2 - m, 11.0 + m), (29.5 - m, 30.0)]  # 9.9+m and 10.1-m meet: one span
    assert np.allclose(other_voice_spans(ANALYSIS), expected)
    assert np.allclose(other_voice_spans(json.dumps(ANALYSIS)), expected)
    assert np.allclose(other_voice_spans(ANALYSIS, margin_s=0.0), [(0.05, 4.0), (9.2, 9.9), (10.1, 11.0), (29.5, 29.95)])
    assert other_voice_spans({**ANALYSIS, "timeline": [e for e in ANALYSIS["timeline"] if e["who"] == "teacher"]}) == []


def test_the_other_voice_of_an_analysis_is_silenced_in_the_kept_copy(lesson, tmp_path):
    other = (1.0 + 12.405 + 1.0, 1.0 + 12.405 + 1.0 + 10.86)  # where lesson_like puts the second voice
    analysis = {"duration_s": lesson.duration_s, "timeline": [
        {"start": 1.6, "end": 12.6, "who": "teacher"}, {"start": other[0] + 0.5, "end": other[1] - 0.4, "who": "other"}]}
    spans = other_voice_spans(analysis)
    kept = kept_samples(silence_spans(lesson, spans, tmp_path / "kept.flac"))
    check_silenced(np.array(lesson.pcm()), kept, spans)
