"""A lesson recording (10-40 minutes, at most MAX_LESSON_S), decoded once to disk and read from there.

A rep is decoded whole into memory (scoring/audio.py); a lesson cannot be: 40 minutes is 150 MB of
float32 samples, and each stage would want its own copy. So `LessonAudio.open` decodes the file a
second or so at a time with PyAV into a 16 kHz mono 16-bit WAV file in a work folder, and reads
from that file only what a stage asks for (`samples(start, end)`): the memory used stays about the
same whatever the length. Read, not mapped into memory: the pages of a map that were read count in
the process's resident memory until it is unmapped (a 30-minute lesson's speech, found through a
map, took its 58 MB of samples on top), while what is read lives in the system's file cache.

`speech()` runs the engine's own speech finder (scoring/speech.py: Silero VAD, edges refined by
energy) a minute at a time, each window seen with some of the recording on either side, so that a
stretch of speech that crosses a window's end comes out whole, where one pass over the whole file
would place it.

Between windows it gives way: `rehearse.scoring.interrupt.point()` lets a rep's scoring, which a
teacher is waiting for, have the cores first.
"""

from __future__ import annotations

import gc
import os
import tempfile
import threading
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
from ..scoring.speech import FRAME, PER_S, Segment, VadSettings, find_speech

MAX_LESSON_S = 90 * 60  # the longest lesson recording taken: the one place this limit lives
# Loudest sample (of 32768) under which a recording is taken as holding no sound at all (-60 dBFS):
# a microphone that was on hears its room well above this.
SILENT_PEAK = 33

CHUNK_S = 60.0  # speech() places the speech of the recording this long a window at a time...
CONTEXT_S = 15.0  # ...looking this much further on either side (a segment across its edge is seen whole)
# Windows start on a multiple of both Silero's 512-sample window and the 5 ms energy frame, so both
# grids fall where one pass over the whole file puts them.
ALIGN = int(np.lcm(512, FRAME))
WAV_HEADER = 44  # bytes before the samples in the WAV file `wave` writes
# How a lesson's speech is found: as a rep's, but keeping every voice. For a rep find_speech cuts out
# speech far quieter than the teacher's (a colleague, the class next door); in a lesson the pupils
# are those quieter voices, and who speaks is told apart afterwards (voices.py), so none is cut here.
EVERY_VOICE = replace(VadSettings(), others_below_db=float("inf"))


class LessonAudio:
    """A lesson's recording as 16 kHz mono 16-bit samples in a file, read a stretch at a time."""

    def __init__(self, source: Path, pcm_path: Path, made_dir: Path | None):
        self.source = source  # the recording as given
        self.path = pcm_path  # the decoded samples: a 16 kHz mono 16-bit WAV file
        self._file = open(pcm_path, "rb")
        self._lock = threading.Lock()  # a read is a seek and a read: one at a time
        self._length = (pcm_path.stat().st_size - WAV_HEADER) // 2
        self._cleanup = weakref.finalize(self, _remove, pcm_path, made_dir, self._file)

    @classmethod
    def open(cls, path: str | Path, work_dir: Path | None = None, max_s: float = MAX_LESSON_S) -> LessonAudio:
        """Decode `path` (any format of scoring/formats.py) into a file in `work_dir` (a temporary
        folder when None). AudioError, with one line, when it is not a recording that can
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
        return self._length / SAMPLE_RATE

    @property
    def sample_count(self) -> int:
        """How many samples (at SAMPLE_RATE) the recording holds."""
        return self._length

    def samples(self, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        """The samples from `start_s` to `end_s` (the end when None) as float32 in [-1, 1): a copy."""
        return self.pcm(start_s, end_s).astype(np.float32) / 32768.0

    def pcm(self, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        """The samples from `start_s` to `end_s` as they are stored (int16)."""
        a, b = self._span(start_s, end_s)
        return self._read(a, b)

    def _read(self, a: int, b: int) -> np.ndarray:
        """Samples a .. b (indices) from the file."""
        with self._lock:
            if self._file.closed:
                raise ValueError("this lesson's audio was closed")
            self._file.seek(WAV_HEADER + 2 * a)
            data = self._file.read(2 * (b - a))
        return np.frombuffer(data, dtype="<i2").copy()  # writable, as a decoded array is

    def _span(self, start_s: float, end_s: float | None) -> tuple[int, int]:
        n = self._length
        a = min(max(int(round(start_s * SAMPLE_RATE)), 0), n)
        b = n if end_s is None else min(max(int(round(end_s * SAMPLE_RATE)), a), n)
        return a, b

    def speech(self, settings: VadSettings = EVERY_VOICE, progress: Callable[[float], None] | None = None,
               chunk_s: float = CHUNK_S, context_s: float = CONTEXT_S) -> list[Segment]:
        """Where someone speaks, as scoring.speech.find_speech finds it (with EVERY_VOICE unless told:
        the pupils' speech too), a window of `chunk_s` at a time.

        Each window is looked at with `context_s` more on either side: a segment that crosses the
        window's end is seen whole there, and again by the next window, where the two are joined
        (one that runs on past the context too is cut at the window's end, and the next window,
        which sees it go on, takes it further).
        The room's background (what find_speech measures each edge against) is that of the window
        and its context, about a minute and a half around the speech: over a whole lesson it
        changes anyway. On a recording no longer than the context, every window sees it all, and
        the segments are those of one pass over it.
        Calls interrupt.point() before each window and `progress(fraction done)` after it."""
        n = self._length
        step, context = max(_aligned(chunk_s * SAMPLE_RATE), ALIGN), _aligned(context_s * SAMPLE_RATE, up=True)
        placed: list[Segment] = []
        for start in range(0, n, step):
            interrupt.point()
            end = min(start + step, n)
            lo, hi = max(start - context, 0), min(end + context, n)
            found = find_speech(self._read(lo, hi).astype(np.float32) / 32768.0, settings)
            offset, window = lo / SAMPLE_RATE, (start / SAMPLE_RATE, end / SAMPLE_RATE)
            seen = [Segment(s.start + offset, s.end + offset) for s in found]
            if hi < n and seen and seen[-1].end >= hi / SAMPLE_RATE - 1 / PER_S:
                # Speech running on past the context: its end is the next window's to say.
                seen[-1] = Segment(seen[-1].start, min(seen[-1].end, window[1]))
            _add(placed, [s for s in seen if s.end > window[0] and s.start < window[1]], settings.min_silence_s)
            if progress is not None:
                progress(end / n)
        return placed

    def close(self) -> None:
        """Close and delete the decoded file (and the temporary folder made for it)."""
        self._cleanup()

    def __enter__(self) -> LessonAudio:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _add(placed: list[Segment], found: list[Segment], min_gap: float) -> None:
    """Add a window's segments to those placed before: what an earlier window placed stays; a
    segment that overlaps the last one or starts within `min_gap` of it (the same speech, seen from
    the next window, or speech that goes on past the context) joins it, as find_speech joins them."""
    for seg in found:
        if placed and seg.end <= placed[-1].end:
            continue
        if placed and seg.start - placed[-1].end < min_gap:
            placed[-1] = Segment(placed[-1].start, seg.end)
        else:
            placed.append(seg)


def _aligned(samples: float, up: bool = False) -> int:
    """`samples` rounded down (or up) to a multiple of ALIGN."""
    return int(np.ceil(samples / ALIGN) if up else np.floor(samples / ALIGN)) * ALIGN


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not a recording")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes); choose the lesson's recording")


def hours_minutes(seconds: float) -> str:
    """A length for people: "3 h 2 min", "1 h 30 min", "45 min", "2 h" ("30 s" under a minute)."""
    if seconds < 59.5:
        return f"{seconds:.0f} s"
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


# Containers whose length FFmpeg may only guess from the first frames' bit rate (MP3 without a Xing
# header, ADTS AAC): a variable bit rate that starts low makes the guess several times too long,
# and a real lesson must not be refused for it. These are decoded up to the limit instead.
GUESSED_LENGTH = ("mp3", "aac")


def _claimed_length(container, stream) -> float | None:
    """How long the container says the recording is (s), or None when it does not say, or guesses."""
    if container.format.name in GUESSED_LENGTH:
        return None
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


def _remove(pcm_path: Path, made_dir: Path | None, file=None) -> None:
    if file is not None:
        file.close()
    pcm_path.unlink(missing_ok=True)
    if made_dir is not None:
        try:
            made_dir.rmdir()
        except OSError:
            pass
