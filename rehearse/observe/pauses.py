"""A second look in the pauses: another voice the whole-lesson VAD did not hear.

Silero, run over a long window, misses much of a pupil's speech when it comes between the teacher's:
quiet, far and high, after loud speech it stays under its threshold (dev lessons: 18 of 22 call-outs
were missed, at 9-25 dB below the teacher). Run on the pause alone, it hears them, and the class's
murmur too. A pupil answering or calling out is near enough to be heard over the murmur: the loud
part of what is found must reach within OTHER_WITHIN_DB of the teacher's own level, or it is the room.
What is kept becomes a stretch of "another voice" on the timeline: it ends the wait, as in rehearsal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..scoring.audio import SAMPLE_RATE
from ..scoring.interrupt import point
from ..scoring.speech import FRAME, PER_S, frame_levels

LOOK_IN_S = 0.8  # pauses at least this long are looked in again
OTHER_WITHIN_DB = 25.0  # the loud part of a pupil's speech reaches this close to the teacher's level
MIN_VOICE_S = 0.25  # shorter is a knock or a cough
ONSET_BELOW_DB = 4.0  # the voice starts where its level first comes this close to its loud part
SUSTAIN = 10  # frames (50 ms) the level must hold there: a click is not an onset
EDGE_S = 0.05
VOICED_S = 0.03  # voicing is judged on frames this long...
VOICED_R = 0.45  # ...by their autocorrelation's peak at a pitch (1: a pure tone)
MIN_VOICED = 0.2  # of the frames of another voice's speech, at least this share is voiced
FRAME_N = int(VOICED_S * PER_S)  # level frames (5 ms) in a voicing frame  # found speech this close to the pause's edges is the teacher's own speech trailing


@dataclass(frozen=True)
class Voice:
    """Another voice found in a pause (the same shape as voices.Stretch)."""

    start: float
    end: float
    who: str = "other"


def others_in_pauses(samples: Callable[[float, float], np.ndarray], timeline: Sequence, teacher_db: float) -> list:
    """`timeline` with the other voices found in its pauses added, in order. `samples(a, b)`: the
    lesson's audio; `teacher_db`: the teacher's speaking level (dB, the loud part of her speech)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=0.35, min_silence_duration_ms=300, min_speech_duration_ms=120, speech_pad_ms=0)
    found = []
    for before, after in zip(timeline, timeline[1:]):
        if after.start - before.end < LOOK_IN_S:
            continue
        point()
        a, b = before.end, after.start
        piece = samples(a, b)
        levels = frame_levels(piece)
        for chunk in get_speech_timestamps(piece, options, sampling_rate=SAMPLE_RATE):
            lo, hi = int(chunk["start"] / SAMPLE_RATE * PER_S), int(chunk["end"] / SAMPLE_RATE * PER_S)
            inside = levels[lo:hi]
            if not inside.size or (hi - lo) / PER_S < MIN_VOICE_S:
                continue
            loud = float(np.percentile(inside, 90))
            if loud < teacher_db - OTHER_WITHIN_DB:
                continue  # the room's murmur, a voice far off
            voiced = voicing(piece[lo * FRAME: hi * FRAME])
            if voiced.mean() < MIN_VOICED:
                continue  # a chair's scrape, a knock: loud, but no voice in it
            # The voice starts at its first voiced frame that is loud enough (not the murmur before it).
            steady = np.convolve(inside, np.ones(SUSTAIN) / SUSTAIN, mode="full")[SUSTAIN - 1: SUSTAIN - 1 + inside.size]
            each = np.zeros(inside.size, dtype=bool)
            each[: voiced.size * FRAME_N] = np.repeat(voiced, FRAME_N)[: inside.size]
            strong = (steady >= loud - ONSET_BELOW_DB) & each
            if not strong.any():
                continue
            onset = lo + int(np.argmax(strong))
            start, end = a + onset / PER_S, a + hi / PER_S
            if start - a < EDGE_S or end - start < MIN_VOICE_S:
                continue
            found.append(Voice(round(start, 3), round(min(end, b), 3)))
    return sorted(list(timeline) + found, key=lambda s: s.start)


def voicing(piece: np.ndarray) -> np.ndarray:
    """Per level frame of `piece`, whether it lies in a voiced stretch (VOICED_S frames whose normalised
    autocorrelation peaks above VOICED_R at a pitch of 80-600 Hz): speech has a pitch, a scrape none."""
    n = int(VOICED_S * SAMPLE_RATE)
    count = len(piece) // n
    out = np.zeros(count, dtype=bool)
    lo, hi = SAMPLE_RATE // 600, SAMPLE_RATE // 80
    for k in range(count):
        x = piece[k * n: (k + 1) * n].astype(np.float64)
        x = x - x.mean()
        energy = float(np.dot(x, x))
        if energy <= 1e-10:
            continue
        r = np.correlate(x, x, mode="full")[n - 1 + lo: n - 1 + hi]
        out[k] = float(r.max()) / energy > VOICED_R
    return out


def teacher_level(samples: Callable[[float, float], np.ndarray], teacher: Sequence, most_s: float = 120.0) -> float:
    """The teacher's speaking level (dB): the loud part (95th percentile) of her stretches' frames, from
    up to `most_s` of them spread over the lesson."""
    step = max(1, int(sum(s.end - s.start for s in teacher) / most_s))
    levels = [frame_levels(samples(s.start, s.end)) for s in list(teacher)[::step]]
    levels = [lv for lv in levels if lv.size]
    return float(np.percentile(np.concatenate(levels), 95)) if levels else -20.0
