"""The copy of a lesson's recording that is kept: the teacher's voice, every other voice silenced.

Pupils' speech is only ever "another voice on/off" (issue 31): never transcribed, identified or kept.
So once the analysis has placed the other voices (its "timeline", who == "other"), the recording
that is stored is a copy with each of those stretches, a little widened (OTHER_MARGIN_S), set to
digital silence; the original is not kept. Where the teacher spoke over a pupil, that is silenced
too: the pupil's voice is in it. Each silence is faded in and out over `fade_s` outside the
stretch, so that no click marks it; inside, every sample is exactly 0.

The copy is written a few seconds at a time from the decoded lesson (lesson_audio.py), so the memory
used does not grow with the lesson's length, to a temporary name beside `dest` that takes its name
only once it is whole.
"""

from __future__ import annotations

import json
import os
import wave
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..scoring.audio import SAMPLE_RATE
from .lesson_audio import LessonAudio

OTHER_MARGIN_S = 0.15  # each other voice's stretch is widened this much on either side before it is silenced
BLOCK_S = 10.0  # written this much at a time
WRITERS = (".flac", ".wav")  # the kinds of copy silence_spans writes, by dest's suffix


def other_voice_spans(analysis: Mapping[str, Any] | str, margin_s: float = OTHER_MARGIN_S) -> list[tuple[float, float]]:
    """The stretches to silence: each "other" entry of the analysis's "timeline" (the analysis JSON,
    as a dict or its text), widened by `margin_s` on either side, clipped to the recording
    ("duration_s"), those that then touch or overlap joined; in order."""
    if isinstance(analysis, str):
        analysis = json.loads(analysis)
    duration = float(analysis.get("duration_s") or float("inf"))
    spans = sorted((max(float(e["start"]) - margin_s, 0.0), min(float(e["end"]) + margin_s, duration))
                   for e in analysis.get("timeline", []) if e.get("who") == "other")
    joined: list[tuple[float, float]] = []
    for start, end in spans:
        if end <= start:
            continue
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def silence_spans(audio: LessonAudio, spans: Sequence[tuple[float, float]], dest: Path, fade_s: float = 0.02) -> Path:
    """Write `audio` to `dest` (FLAC or WAV, by its suffix) with every sample of each span (start,
    end in seconds: from the sample at or before start to the one at or after end) set to 0, faded
    out over `fade_s` before it and in over `fade_s` after it. Returns `dest`."""
    dest = Path(dest)
    if dest.suffix.lower() not in WRITERS:
        raise ValueError(f"{dest}: the kept copy is written as {' or '.join(WRITERS)}")
    n = audio.sample_count
    cuts = _sample_spans(spans, n)
    fade = max(int(round(fade_s * SAMPLE_RATE)), 0)
    part = dest.with_name(f".{dest.name}.part")
    try:
        _write(part, dest.suffix.lower(), _silenced_blocks(audio, cuts, fade, n))
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def _sample_spans(spans: Sequence[tuple[float, float]], n: int) -> np.ndarray:
    """The spans as [first, last + 1) sample indices within the recording, an (k, 2) array in order."""
    cuts = [(max(int(np.floor(start * SAMPLE_RATE)), 0), min(int(np.ceil(end * SAMPLE_RATE)) + 1, n))
            for start, end in spans]
    cuts = sorted((a, b) for a, b in cuts if b > a)
    return np.array(cuts, dtype=np.int64).reshape(-1, 2)


def _silenced_blocks(audio: LessonAudio, cuts: np.ndarray, fade: int, n: int) -> Iterator[np.ndarray]:
    """The recording's int16 samples, BLOCK_S at a time, with the gain of `_gain` applied."""
    step = int(BLOCK_S * SAMPLE_RATE)
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        block = audio.pcm(lo / SAMPLE_RATE, hi / SAMPLE_RATE)
        gain = _gain(cuts, fade, lo, len(block))
        if gain is not None:
            block = np.round(block * gain).astype("<i2")
        yield block


def _gain(cuts: np.ndarray, fade: int, lo: int, size: int) -> np.ndarray | None:
    """The gain of samples lo .. lo + size: 0 inside each cut, a ramp over `fade` samples on either
    side of it (the lowest where two ramps meet), 1 elsewhere; None when all of it is 1."""
    near = cuts[(cuts[:, 0] - fade < lo + size) & (cuts[:, 1] + fade > lo)] if len(cuts) else cuts
    if not len(near):
        return None
    index = np.arange(lo, lo + size)
    gain = np.ones(size)
    for a, b in near:
        # Outside the cut the gain climbs back to 1 over `fade` samples: 1/(fade+1) next to it.
        distance = np.maximum(a - index, index - (b - 1))  # 1 for the samples next to the cut, <= 0 inside
        ramp = np.clip(distance / (fade + 1), 0.0, 1.0)
        gain = np.minimum(gain, ramp)
    return gain


def _write(path: Path, kind: str, blocks: Iterator[np.ndarray]) -> None:
    """Write int16 mono blocks at SAMPLE_RATE to `path` as FLAC (PyAV) or WAV."""
    if kind == ".wav":
        with open(path, "wb") as file, wave.open(file, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            for block in blocks:
                out.writeframesraw(block.astype("<i2", copy=False).tobytes())
        return
    import av

    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        for block in blocks:
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1).astype(np.int16), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
