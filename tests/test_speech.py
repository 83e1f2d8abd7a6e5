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


def test_digital_silence_around_a_rep_does_not_move_its_edges():
    """Exact zeros (a browser's stream before the microphone delivers, a rep stopped long after the
    clip that fed it ended) are not the room: the same speech with more of them around it has the
    same edges, and the wait measured is the labelled one. (They used to lower the background
    estimate and move every edge up to 0.3 s outward: a 1.26 s wait read 0.67 s in the browser.)"""
    for name in ("ppn-10-short-pause-kwame-clean.flac", "ppn-19-fillers-declan-noisy.flac"):
        label = LABELS["clips"][name]
        audio = load_audio(CLIPS / name)
        lead = 0.5
        padded = np.concatenate([np.zeros(int(lead * SAMPLE_RATE), np.float32), audio,
                                 np.zeros(16 * SAMPLE_RATE, np.float32)])
        plain, zeros = find_speech(audio), find_speech(padded)
        assert len(plain) == len(zeros), name
        for a, b in zip(plain, zeros):
            assert abs(a.start - (b.start - lead)) <= 0.02 and abs(a.end - (b.end - lead)) <= 0.02, (name, a, b)
        wait = max(b.start - a.end for a, b in zip(zeros, zeros[1:]))
        assert abs(wait - label["wait_time"]) <= 0.1, (name, wait)
