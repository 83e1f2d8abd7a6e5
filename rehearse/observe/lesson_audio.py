"""A lesson recording (10-40 minutes, at most MAX_LESSON_S), decoded once to disk and read from there.

A rep is decoded whole into memory (scoring/audio.py); a lesson cannot be: 40 minutes is 150 MB of
float32 samples, and each stage would want its own copy. So `LessonAudio.open` decodes the file a
second or so at a time with PyAV into a 16 kHz mono 16-bit WAV file in a work folder and maps that
file into memory: what is read is only what a stage asks for (`samples(start, end)`), and the
memory used stays about the same whatever the length. `speech()` runs the engine's own speech
finder (scoring/speech.py: Silero VAD, edges refined by energy) a minute at a time, each window
starting in the silence before the speech it has still to place, so that a stretch of speech that
crosses a window's end comes out whole, with the edges one pass over the whole file would give it.

Between windows it gives way: `rehearse.scoring.interrupt.point()` lets a rep's scoring, which a
teacher is waiting for, have the cores first.
"""

from __future__ import annotations

import gc
import os
import tempfile
import wave
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import AudioError
from ..scoring import interrupt
from ..scoring.audio import GROUP_S, MIN_RATE, SAMPLE_RATE, _resample, _valid_frames
from ..scoring.formats import labels
from ..scoring.speech import FRAME, Segment, VadSettings, find_speech

MAX_LESSON_S = 90 * 60  # the longest lesson recording taken: the one place this limit lives
# Loudest sample (of 32768) under which a recording is taken as holding no sound at all (-60 dBFS):
# a microphone that was on hears its room well above this.
SILENT_PEAK = 33

CHUNK_S = 60.0  # speech() looks at the recording this long a window at a time
MAX_CHUNK_S = 600.0  # ...and at most this long, when one stretch of speech does not end in a window
GUARD_S = 3.0  # speech ending this close to a window's end may go on in the next: placed again there
LEAD_S = 2.0  # a window starts this long before the speech it has to place (its silence is measured)
# Windows start on a multiple of both Silero's 512-sample window and the 5 ms energy frame, so both
# grids fall where one pass over the whole file puts them.
ALIGN = int(np.lcm(512, FRAME))
WAV_HEADER = 44  # bytes before the samples in the WAV file `wave` writes


class LessonAudio:
    """A lesson's recording as 16 kHz mono 16-bit samples in a file, mapped into memory."""

    def __init__(self, source: Path, pcm_path: Path, made_dir: Path | None):
        self.source = source  # the recording as given
        self.path = pcm_path  # the decoded samples: a 16 kHz mono 16-bit WAV file
        self._pcm = np.memmap(pcm_path, dtype="<i2", mode="r", offset=WAV_HEADER)
        self._cleanup = weakref.finalize(self, _remove, pcm_path, made_dir)

    @classmethod
    def open(cls, path: str | Path, work_dir: Path | None = None, max_s: float = MAX_LESSON_S) -> LessonAudio:
        """Decode `path` (any format of scoring/formats.py) into a file in `work_dir` (a temporary
        folder when None) and map it. AudioError, with one line, when it is not a recording that can
        be read, is longer than `max_s`, or holds no sound at all."""
        path = Path(path)
        _check_file(path)
        made_dir = None
        if work_dir is None:
            work_dir = made_dir = Path(tempfile.mkdtemp(prefix="rehearse-lesson-"))
        descriptor, name = tempfile.mkstemp(prefix="lesson-", suffix=".wav", dir=work_dir)
        os.close(descriptor)
        pcm_path = Path(name)
        try:
            peak = _decode_to_wav(path, pcm_path, max_s)
            if peak < SILENT_PEAK:
                raise AudioError(f"{path} is silent (no sound at all); check that it is the lesson's recording "
                                 "and that the microphone was on, then record or export it again")
        except BaseException:
            _remove(pcm_path, made_dir)
            raise
        return cls(path, pcm_path, made_dir)

    @property
    def duration_s(self) -> float:
        return len(self._pcm) / SAMPLE_RATE

    def samples(self, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        """The samples from `start_s` to `end_s` (the end when None) as float32 in [-1, 1): a copy."""
        a, b = self._span(start_s, end_s)
        return self._pcm[a:b].astype(np.float32) / 32768.0

    def pcm(self, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        """The samples from `start_s` to `end_s` as they are stored (int16), a read-only view: no copy."""
        a, b = self._span(start_s, end_s)
        return self._pcm[a:b]

    def _span(self, start_s: float, end_s: float | None) -> tuple[int, int]:
        n = len(self._pcm)
        a = min(max(int(round(start_s * SAMPLE_RATE)), 0), n)
        b = n if end_s is None else min(max(int(round(end_s * SAMPLE_RATE)), a), n)
        return a, b

    def speech(self, settings: VadSettings = VadSettings(), progress: Callable[[float], None] | None = None,
               chunk_s: float = CHUNK_S) -> list[Segment]:
        """Where someone speaks, as scoring.speech.find_speech finds it, a window (`chunk_s`) at a time.

        Speech ending within GUARD_S of a window's end is placed again by the next window, which
        starts LEAD_S before it; so a segment crossing a window's end comes out as one. The room's
        background and the loud voice's level (what find_speech measures its edges against) are
        those of the window around each segment: over a whole lesson they change anyway.
        Calls `progress(fraction done)` after each window and interrupt.point() before each."""
        n = len(self._pcm)
        placed: list[Segment] = []
        start, length = 0, _aligned(chunk_s * SAMPLE_RATE)
        while start < n:
            interrupt.point()
            end = min(start + length, n)
            found = [replace(s, start=s.start + start / SAMPLE_RATE, end=s.end + start / SAMPLE_RATE)
                     for s in find_speech(self._pcm[start:end].astype(np.float32) / 32768.0, settings)]
            if end >= n:
                _add(placed, found, settings.min_silence_s)
                break
            final_before = end / SAMPLE_RATE - GUARD_S
            done = [s for s in found if s.end <= final_before]
            pending = next((s.start for s in found if s.end > final_before), final_before)
            next_start = _aligned((pending - LEAD_S) * SAMPLE_RATE)
            if done:
                next_start = max(next_start, min(_aligned(done[-1].end * SAMPLE_RATE, up=True),
                                                 _aligned(pending * SAMPLE_RATE)))
            if next_start <= start and length < _aligned(MAX_CHUNK_S * SAMPLE_RATE):
                length *= 2  # one stretch of speech fills the window: look again with a longer one
                continue
            if next_start <= start:  # speech without a pause for MAX_CHUNK_S: cut it at the window
                done = [replace(s, end=min(s.end, final_before)) for s in found if s.start < final_before]
                next_start = _aligned(final_before * SAMPLE_RATE)
            _add(placed, done, settings.min_silence_s)
            start, length = next_start, _aligned(chunk_s * SAMPLE_RATE)
            if progress is not None:
                progress(start / n)
        if progress is not None:
            progress(1.0)
        return placed

    def close(self) -> None:
        """Let go of the mapping and delete the decoded file (and the temporary folder made for it)."""
        self._pcm = np.empty(0, dtype="<i2")
        self._cleanup()

    def __enter__(self) -> LessonAudio:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _add(placed: list[Segment], found: list[Segment], min_gap: float) -> None:
    """Add a window's final segments to those placed before: what an earlier window placed already
    stays as it was; a segment that starts within `min_gap` of the last one joins it, as find_speech
    joins them in one pass."""
    for seg in found:
        if placed and seg.end <= placed[-1].end:
            continue
        if placed and seg.start - placed[-1].end < min_gap:
            placed[-1] = Segment(placed[-1].start, seg.end)
        else:
            placed.append(seg)


def _aligned(samples: float, up: bool = False) -> int:
    """`samples` rounded down (or up) to a multiple of ALIGN, never below 0."""
    steps = int(np.ceil(samples / ALIGN)) if up else int(np.floor(samples / ALIGN))
    return max(steps, 0) * ALIGN


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not a recording")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes); choose the lesson's recording")


def hours_minutes(seconds: float) -> str:
    """A length for people: "3 h 2 min", "1 h 30 min", "45 min", "2 h"."""
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _too_long(path: Path, length_s: float | None, max_s: float) -> AudioError:
    said = f"is {hours_minutes(length_s)} long" if length_s is not None else f"is longer than {hours_minutes(max_s)}"
    return AudioError(f"{path} {said}; a lesson recording can be at most {hours_minutes(max_s)}: "
                      "trim it to the stretch you observed")


def _decode_to_wav(path: Path, dest: Path, max_s: float) -> int:
    """Decode `path` into `dest` (16 kHz mono 16-bit WAV) about GROUP_S at a time; return the
    loudest sample. Refuses a recording longer than `max_s`: at once when its container says how
    long it is, else as soon as the decoding passes the limit."""
    import av

    limit = int(max_s * SAMPLE_RATE)
    total, peak, pieces = 0, 0, []
    not_audio = AudioError(f"{path} is not an audio file we can read ({labels(' or ')}); "
                           "export the recording as one of these and choose it again")
    try:
        with av.open(str(path), metadata_errors="ignore") as container, wave.open(str(dest), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            streams = container.streams.audio
            if not streams:
                raise not_audio
            rate = streams[0].codec_context.sample_rate if streams[0].codec_context is not None else 0
            if rate and rate < MIN_RATE:
                raise AudioError(f"{path}: the recording claims a sample rate of {rate} Hz; expected at least "
                                 f"{MIN_RATE} Hz (export it again, or convert it to 16 kHz WAV)")
            claimed = _claimed_length(container, streams[0])
            if claimed is not None and claimed > max_s + 1:
                raise _too_long(path, claimed, max_s)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            fifo = av.AudioFifo()
            for frame in _valid_frames(container.decode(audio=0), av.error.InvalidDataError):
                frame.pts = None  # timestamps that jump (a cut file) would stop the FIFO
                fifo.write(frame)
                if fifo.samples >= GROUP_S * (frame.sample_rate or SAMPLE_RATE):
                    _resample(resampler, fifo.read(), pieces)
                    total, peak = _write(out, pieces, total, peak)
                    if total > limit:
                        raise _too_long(path, None, max_s)
            if fifo.samples:
                _resample(resampler, fifo.read(), pieces)
            _resample(resampler, None, pieces)
            total, peak = _write(out, pieces, total, peak)
            if total > limit:
                raise _too_long(path, None, max_s)
        del resampler, fifo
        gc.collect()  # PyAV's resampler keeps buffers until collected (faster-whisper issue 390)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration, EOFError):
        raise not_audio from None
    if total == 0:
        raise AudioError(f"{path}: the recording holds no audio; choose the lesson's recording")
    return peak


def _claimed_length(container, stream) -> float | None:
    """How long the container says the recording is (s), or None when it does not say."""
    if container.duration:
        return container.duration / 1_000_000  # in AV_TIME_BASE units
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _write(out: wave.Wave_write, pieces: list[np.ndarray], total: int, peak: int) -> tuple[int, int]:
    """Append the resampled `pieces` to `out` and empty the list; the new total and peak."""
    for piece in pieces:
        out.writeframesraw(piece.astype("<i2", copy=False).tobytes())
        total += piece.size
        if piece.size:
            peak = max(peak, int(np.abs(piece.astype(np.int32)).max()))
    pieces.clear()
    return total, peak


def _remove(pcm_path: Path, made_dir: Path | None) -> None:
    pcm_path.unlink(missing_ok=True)
    if made_dir is not None:
        try:
            made_dir.rmdir()
        except OSError:
            pass
