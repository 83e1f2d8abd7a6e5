"""Stage 2, speech segments: where in the recording someone is speaking.

Pauses are measured here and only here. Silero VAD (bundled in faster-whisper) finds the speech
robustly, even in a noisy room; its edges fall on a 32 ms grid and lag the true edge a little, so
each edge is then placed on a 5 ms grid by the signal energy near it. Whisper word timestamps are
never used for timing: they are off by 0.2-0.5 s at the edges of silences.

The teacher's voice, not the room's: Silero hears any voice, so speech far quieter than the
teacher's own level (a colleague, the class next door, a coach's "mm") is cut out of the segments
before anything else sees it; it neither breaks the wait nor becomes the teacher's words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE


@dataclass(frozen=True)
class VadSettings:
    """How speech is told from silence. The defaults were measured on the labelled clips.

    threshold: Silero speech probability above which a 32 ms window counts as speech.
    min_silence_s: a silence shorter than this does not split speech (a breath between words).
    min_speech_s: speech shorter than this is dropped (a cough, a chair, a click).
    refine_window_s: how far around each Silero edge the energy refinement may move it.
    edge_margin_db: an edge is where the energy rises this far above the background noise...
    edge_floor_db: ...or, where the speech is not loud enough for that, at least this far.
    others_below_db: speech whose loud part stays this far below the teacher's (the loud part of
        all the speech) is someone else's, and is not kept as speech.
    """

    threshold: float = 0.35
    min_silence_s: float = 0.3
    min_speech_s: float = 0.12
    refine_window_s: float = 0.3
    edge_margin_db: float = 10.0
    others_below_db: float = 10.0
    edge_floor_db: float = 3.0


@dataclass(frozen=True)
class Segment:
    """A stretch of speech, in seconds from the start of the recording."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


FRAME = SAMPLE_RATE // 200  # 5 ms energy frames
PER_S = SAMPLE_RATE // FRAME  # frames per second
# Exact zeros (a microphone warming up, a dropout, a browser's stream before the device delivers,
# the silence a test pads with) say nothing of the room: a frame this quiet is not its background.
DIGITAL_SILENCE_DB = -100.0


def find_speech(audio: np.ndarray, settings: VadSettings = VadSettings()) -> list[Segment]:
    """Return the speech segments of `audio` (float32 mono 16 kHz), in order, edges refined."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=settings.threshold,
        min_silence_duration_ms=int(settings.min_silence_s * 1000),
        min_speech_duration_ms=int(settings.min_speech_s * 1000),
        speech_pad_ms=0,
    )
    raw = [Segment(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE)
           for c in get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)]
    if not raw:
        return []
    levels = frame_levels(audio)
    raw = _teacher_only(levels, raw, settings)
    if not raw:
        return []
    return _refine_edges(levels, raw, settings)


def teacher_level(levels: np.ndarray, segments: list[Segment]) -> float:
    """The teacher's speaking level (dB): the loud part (95th percentile) of the speech frames. The
    teacher is the nearest and loudest voice; the others in the room are quieter."""
    inside = np.concatenate([levels[int(s.start * PER_S): int(s.end * PER_S)] for s in segments])
    return float(np.percentile(inside, 95)) if inside.size else float(levels.max())


# How far a run of the teacher's speech reaches out over softer frames (a fading "-able", a soft
# "n"), and for how long at most: further, and it would run into the talk of others in the pause.
SOFT_EDGE_DB = 10.0
SOFT_EDGE_S = 0.3


def _teacher_only(levels: np.ndarray, segments: list[Segment], settings: VadSettings) -> list[Segment]:
    """Cut out of `segments` every stretch of at least min_silence_s whose level stays
    others_below_db under the teacher's, and drop what is left shorter than min_speech_s."""
    floor = teacher_level(levels, segments) - settings.others_below_db
    # A frame counts as the teacher's when the loudest frame within 50 ms of it reaches the floor:
    # the quiet frames inside a word (a stop, a soft ending) then still count.
    reach = 10
    padded = np.pad(levels, reach, constant_values=-np.inf)
    near = np.max(np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1), axis=1)
    loud, softer = near >= floor, near >= floor - SOFT_EDGE_DB
    bridge = int(settings.min_silence_s * PER_S)
    kept = []
    for seg in segments:
        a, b = int(seg.start * PER_S), min(int(seg.end * PER_S), len(levels))
        for start, end in _runs(loud[a:b], bridge):
            start, end = a + start, a + end
            # The soft start and ending of the teacher's own words (a fading "-able") stay: a run
            # reaches out while the level stays within SOFT_EDGE_DB more of the floor, for a while.
            for _ in range(int(SOFT_EDGE_S * PER_S)):
                if start > a and softer[start - 1]:
                    start -= 1
                if end < b and softer[end]:
                    end += 1
            kept.append(Segment(start / PER_S, end / PER_S))
    return [s for s in _merge_overlaps(kept, settings.min_silence_s) if s.duration >= settings.min_speech_s]


def _runs(mask: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """(start, end) of each run of True in `mask`, runs closer than `bridge` frames joined."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[::2], edges[1::2]):
        if runs and start - runs[-1][1] < bridge:
            runs[-1] = (runs[-1][0], int(end))
        else:
            runs.append((int(start), int(end)))
    return runs


def room_snr_db(audio: np.ndarray, segments: list[Segment]) -> float | None:
    """How far the teacher's voice stands above the room's background (dB); None without speech."""
    if not segments:
        return None
    levels = frame_levels(audio)
    heard = outside_speech(levels, segments) & (levels > DIGITAL_SILENCE_DB)  # digital silence is no room
    if heard.sum() < 20:
        return None
    return round(teacher_level(levels, segments) - float(np.percentile(levels[heard], 50)), 1)


def loudness(audio: np.ndarray, segments: list[Segment]) -> list[float]:
    """How loud each segment's speech is (dB): the loud part (95th percentile) of its frames, as the
    teacher's level is measured. A voice further from the microphone (a coach's "mm") is quieter."""
    levels = frame_levels(audio)
    out = []
    for s in segments:
        inside = levels[int(s.start * PER_S): max(int(s.end * PER_S), int(s.start * PER_S) + 1)]
        out.append(float(np.percentile(inside, 95)) if inside.size else float("-inf"))
    return out


def outside_speech(levels: np.ndarray, segments: list[Segment]) -> np.ndarray:
    """Which of the frames of `levels` lie outside every segment."""
    outside = np.ones(len(levels), dtype=bool)
    for seg in segments:
        outside[int(seg.start * PER_S): int(seg.end * PER_S)] = False
    return outside


def frame_levels(audio: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """RMS level of each frame (5 ms unless told), in dB full scale."""
    n = len(audio) // frame
    frames = audio[: n * frame].reshape(n, frame).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _refine_edges(levels: np.ndarray, segments: list[Segment], settings: VadSettings) -> list[Segment]:
    """Move each Silero edge to where the energy crosses the background level plus a margin.

    The background is the quiet part of the recording outside speech (its 20th percentile level),
    so the rule adapts to a silent office and to a noisy classroom alike.
    """
    noise_db = background_db(levels, segments)
    window = int(settings.refine_window_s * PER_S)
    refined = []
    for seg in segments:
        a, b = int(seg.start * PER_S), min(int(seg.end * PER_S), len(levels))
        if b <= a:
            continue
        # The edge level sits a margin above the noise, but well below this segment's loud part.
        loud_db = float(np.percentile(levels[a:b], 90))
        # In a loud room the segment's loud part is not 20 dB above the noise: never set the edge
        # below the noise itself, or every frame is "above" it and the edge runs out into the noise.
        edge_db = max(min(noise_db + settings.edge_margin_db, loud_db - 20), noise_db + settings.edge_floor_db)
        start = _first_above(levels, edge_db, max(a - window, 0), a, min(a + window, b))
        end = _last_above(levels, edge_db, max(b - window, a), b, min(b + window, len(levels)))
        start = a if start is None else start
        end = b if end is None else end + 1
        refined.append(Segment(start / PER_S, end / PER_S))
    return _merge_overlaps(refined, settings.min_silence_s)


def background_db(levels: np.ndarray, segments: list[Segment]) -> float:
    """The room's background level (dB): the quiet part (20th percentile) of the frames outside the
    speech, leaving out digital silence. Counted in, the edges moved with how much of it a recording
    held: with the same speech, a stop a few seconds later (more zeros after it) put both edges of
    every segment up to refine_window_s further out, so the same rep measured differently as it grew."""
    outside = outside_speech(levels, segments)
    heard = outside & (levels > DIGITAL_SILENCE_DB)
    if heard.sum() >= 20:
        return float(np.percentile(levels[heard], 20))
    # Nothing of the room outside the speech (a microphone that sends zeros between words): all of it.
    return float(np.percentile(levels[outside] if outside.sum() >= 20 else levels, 20))


def _first_above(levels: np.ndarray, edge_db: float, lo: int, at: int, hi: int) -> int | None:
    """Start of the run of loud frames that holds the first loud frame in [at, hi), no earlier than lo."""
    hits = np.flatnonzero(levels[at:hi] > edge_db)
    if not hits.size:
        return None
    i = at + int(hits[0])
    while i > lo and levels[i - 1] > edge_db:
        i -= 1
    return i


def _last_above(levels: np.ndarray, edge_db: float, lo: int, at: int, hi: int) -> int | None:
    """End of the run of loud frames that holds the last loud frame in [lo, at), no later than hi."""
    hits = np.flatnonzero(levels[lo:at] > edge_db)
    if not hits.size:
        return None
    i = lo + int(hits[-1])
    while i < hi - 1 and levels[i + 1] > edge_db:
        i += 1
    return i


def _merge_overlaps(segments: list[Segment], min_gap: float) -> list[Segment]:
    merged: list[Segment] = []
    for seg in segments:
        if merged and seg.start - merged[-1].end < min_gap:
            merged[-1] = Segment(merged[-1].start, max(merged[-1].end, seg.end))
        else:
            merged.append(seg)
    return merged
