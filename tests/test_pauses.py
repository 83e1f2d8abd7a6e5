"""pauses.py: another voice in a pause is found, with its onset; a scrape and the room's murmur are not."""

from __future__ import annotations

import numpy as np

from rehearse.observe.pauses import Voice, others_in_pauses, voicing
from rehearse.scoring.audio import SAMPLE_RATE, load_audio

from .conftest import CLIPS

SPEECH = load_audio(CLIPS / "ppn-00-correct-siobhan-clean.flac")[: int(1.8 * SAMPLE_RATE)]  # the question


def _lesson(pupil_db: float | None, scrape: bool = False):
    """Teacher 0-1.8 s, a 6 s pause (a voice `pupil_db` below the teacher's at 3.0 s, or a scrape), teacher again."""
    rng = np.random.default_rng(1)
    pause = rng.normal(0, 1e-4, int(6 * SAMPLE_RATE)).astype(np.float32)
    at = int(1.2 * SAMPLE_RATE)
    if pupil_db is not None:
        pause[at: at + len(SPEECH)] += SPEECH * 10 ** (pupil_db / 20)
    if scrape:
        pause[at: at + int(0.5 * SAMPLE_RATE)] += rng.normal(0, 0.05, int(0.5 * SAMPLE_RATE)).astype(np.float32)
    audio = np.concatenate([SPEECH, pause, SPEECH])
    timeline = [Voice(0.0, 1.8, "teacher"), Voice(7.8, 9.6, "teacher")]
    return (lambda a, b: audio[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)]), timeline


def _teacher_db() -> float:
    from rehearse.scoring.speech import frame_levels
    return float(np.percentile(frame_levels(SPEECH), 95))


def test_a_quieter_voice_in_a_pause_is_found_from_its_onset():
    samples, timeline = _lesson(-15.0)
    found = [s for s in others_in_pauses(samples, timeline, _teacher_db()) if s.who == "other"]
    assert len(found) == 1
    first_sound = 3.0 + np.argmax(np.abs(SPEECH) > 0.01 * np.abs(SPEECH).max()) / SAMPLE_RATE
    assert abs(found[0].start - first_sound) < 0.3


def test_the_room_and_a_scrape_are_not_a_voice():
    for pupil_db, scrape in ((-40.0, False), (None, True)):
        samples, timeline = _lesson(pupil_db, scrape)
        assert [s.who for s in others_in_pauses(samples, timeline, _teacher_db())] == ["teacher", "teacher"]


def test_speech_is_voiced_and_noise_is_not():
    assert voicing(SPEECH).mean() > 0.3
    assert voicing(np.random.default_rng(2).normal(0, 0.1, SAMPLE_RATE).astype(np.float32)).mean() < 0.05
