"""Stage 2, speech segments: the teacher's voice, not the room's."""

from __future__ import annotations

import numpy as np

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.speech import find_speech

from .conftest import CLIPS, LABELS


def test_a_quieter_voice_in_the_wait_neither_breaks_it_nor_moves_its_edges():
    name = "ppn-00-correct-siobhan-clean.flac"
    label = LABELS["clips"][name]
    audio = load_audio(CLIPS / name)
    other = load_audio(CLIPS / "ppn-05-correct-aoife-clean.flac")[int(0.5 * SAMPLE_RATE): int(2.5 * SAMPLE_RATE)]
    # Another person's question, 20 dB below the teacher, in the middle of the wait.
    at = int((label["question_end"] + 1.5) * SAMPLE_RATE)
    mixed = audio.copy()
    mixed[at: at + len(other)] += other * 10 ** (-20 / 20)
    segments = find_speech(mixed)
    pauses = [(b.start - a.end, a.end, b.start) for a, b in zip(segments, segments[1:])]
    wait, end, start = max(pauses)
    assert abs(end - label["question_end"]) <= 0.1 and abs(start - label["name_start"]) <= 0.1
    assert abs(wait - label["wait_time"]) <= 0.1


def test_the_same_voice_at_the_teacher_s_level_is_speech():
    name = "ppn-00-correct-siobhan-clean.flac"
    audio = load_audio(CLIPS / name)
    other = load_audio(CLIPS / "ppn-05-correct-aoife-clean.flac")[int(0.5 * SAMPLE_RATE): int(2.5 * SAMPLE_RATE)]
    at = int((LABELS["clips"][name]["question_end"] + 1.5) * SAMPLE_RATE)
    mixed = audio.copy()
    mixed[at: at + len(other)] += other
    assert len(find_speech(mixed)) > len(find_speech(audio))
    assert np.isfinite(mixed).all()
