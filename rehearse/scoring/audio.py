"""Stage 1, audio: read a recording of any common format into float32 mono samples at 16 kHz.

Every later stage works on this one representation, so the sample rate lives here. A recording is
decoded a piece at a time and the decoding stops as soon as it passes the longest allowed: a small
compressed file can hold hours (0.73 MB of FLAC silence is four hours, 2 GB once decoded whole).
"""

from __future__ import annotations

import gc
import wave
from pathlib import Path

import numpy as np

from ..errors import AudioError
from .formats import labels

SAMPLE_RATE = 16000
# The lowest sample rate taken (telephone audio). A file that claims less is broken or hostile: a
# 2 KB WAV saying "1 Hz" would decode to 16 000 times as many samples, minutes of work and gigabytes.
MIN_RATE = 8000
MAX_UPLOAD_MB = 64  # the default limit on an uploaded recording: a 3-minute rep is ~6 MB as WAV
# The longest recording decoded when no rep limit is given (`rehearse rescore`, a Scorer made without
# one): an hour is 230 MB of samples; past it a file is refused rather than filling the memory.
MAX_DECODE_S = 3600
GROUP_S = 1.0  # decoded frames are resampled (and the length checked) about a second at a time


def load_audio(path: str | Path, max_s: float | None = None) -> np.ndarray:
    """Decode `path` (any format of formats.FORMATS) to float32 mono at SAMPLE_RATE.

    Plain 16-bit mono 16 kHz WAV (what the app itself records) is read directly; everything else
    goes through PyAV, which faster-whisper brings with it. A recording longer than `max_s` seconds
    (default MAX_DECODE_S) is refused with AudioError as soon as the decoding passes it, so the
    memory used is bounded by the limit, not by what the file would decode to.
    """
    audio, longer = load_opening(path, max_s or MAX_DECODE_S)
    if longer:
        raise too_long(path, max_s or MAX_DECODE_S)
    return audio


def load_opening(path: str | Path, max_s: float) -> tuple[np.ndarray, bool]:
    """The first `max_s` seconds of `path`, decoded as load_audio does, and whether the recording
    goes on past them (its rest is never decoded). For what may show a part of a recording that is
    longer than a rep may be (the saved report), where load_audio would refuse it whole."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not a recording")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes); record the attempt again")
    limit = int(max_s * SAMPLE_RATE)
    audio = _read_plain_wav(path, limit)
    if audio is None:
        audio = _decode_with_av(path, limit)
    if audio.size == 0:
        raise AudioError(f"{path}: the recording holds no audio; record the attempt again")
    return audio[:limit], len(audio) > limit


def too_long(path: str | Path, max_s: float) -> AudioError:
    """The one line for a recording past the limit (its full length is not known: it was not decoded)."""
    span = f"{max_s / 60:g} minutes" if max_s >= 60 and max_s % 60 == 0 else f"{max_s:g} s"
    return AudioError(f"{path}: this recording is longer than {span}; a rep may be at most {max_s:g} s, "
                      "so trim it to the rep itself and try again")


def _read_plain_wav(path: Path, limit: int) -> np.ndarray | None:
    """Fast path for 16-bit mono 16 kHz WAV, at most `limit` + 1 samples read; None when the file
    is anything else."""
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, SAMPLE_RATE):
                return None
            data = w.readframes(min(w.getnframes(), limit + 1))
    except (wave.Error, EOFError, OSError, RuntimeError):  # RuntimeError: a chunk's size past the end
        return None
    data = data[: len(data) // 2 * 2]  # cut off mid-sample (a write interrupted): drop the half sample
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _decode_with_av(path: Path, limit: int) -> np.ndarray:
    """Decode the first audio stream with PyAV, about GROUP_S at a time, into 16-bit mono at
    SAMPLE_RATE; stop once more than `limit` samples are out (the caller refuses the file then).
    As faster-whisper's decode_audio does, frames FFmpeg finds invalid are skipped and timestamps
    ignored; unlike it, the whole file is never held decoded."""
    import av

    pieces: list[np.ndarray] = []
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            rate = streams[0].codec_context.sample_rate if streams and streams[0].codec_context is not None else 0
            if rate and rate < MIN_RATE:  # no codec: no context, and no rate to judge
                raise AudioError(f"{path}: the recording claims a sample rate of {rate} Hz; expected at least "
                                 f"{MIN_RATE} Hz (record it again, or convert it to 16 kHz WAV)")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            fifo, total = av.AudioFifo(), 0
            for frame in _valid_frames(container.decode(audio=0), av.error.InvalidDataError):
                frame.pts = None  # timestamps that jump (a cut file) would stop the FIFO
                fifo.write(frame)
                if fifo.samples >= GROUP_S * (frame.sample_rate or SAMPLE_RATE):
                    total += _resample(resampler, fifo.read(), pieces)
                    if total > limit:
                        break
            else:
                if fifo.samples:
                    total += _resample(resampler, fifo.read(), pieces)
                _resample(resampler, None, pieces)  # what the resampler still holds
        del resampler, fifo
        gc.collect()  # PyAV's resampler keeps buffers until collected (faster-whisper issue 390)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise AudioError(
            f"{path}: not a readable recording ({exc.__class__.__name__}); "
            f"expected {labels(' or ')} audio"
        ) from None
    audio = np.empty(sum(len(piece) for piece in pieces), dtype=np.float32)  # filled in place: no copies
    at = 0
    for piece in pieces:
        audio[at: at + len(piece)] = piece
        at += len(piece)
    audio /= 32768.0
    return audio


def _valid_frames(frames, invalid: type[Exception]):
    """The frames of a decoder, skipping those FFmpeg finds invalid (a damaged patch of a file)."""
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except invalid:
            continue


def _resample(resampler, frame, pieces: list[np.ndarray]) -> int:
    """Resample `frame` (None: flush) onto `pieces`; return how many samples were added."""
    added = 0
    for out in resampler.resample(frame):
        pieces.append(out.to_ndarray().reshape(-1))
        added += pieces[-1].size
    return added

