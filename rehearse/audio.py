"""Stage 1, audio: read a recording of any common format into float32 mono samples at 16 kHz.

Every later stage works on this one representation, so the sample rate lives here.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from .errors import AudioError

SAMPLE_RATE = 16000


def load_audio(path: str | Path) -> np.ndarray:
    """Decode `path` (WAV, FLAC, MP3, OGG, WebM, ...) to float32 mono at SAMPLE_RATE.

    Plain 16-bit mono 16 kHz WAV (what the app itself records) is read directly; everything else
    goes through PyAV, which faster-whisper brings with it.
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not a recording")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes); record the attempt again")
    audio = _read_plain_wav(path)
    if audio is None:
        audio = _decode_with_av(path)
    if audio.size == 0:
        raise AudioError(f"{path}: the recording holds no audio; record the attempt again")
    return audio


def _read_plain_wav(path: Path) -> np.ndarray | None:
    """Fast path for 16-bit mono 16 kHz WAV; None when the file is anything else."""
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, SAMPLE_RATE):
                return None
            data = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError):
        return None
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _decode_with_av(path: Path) -> np.ndarray:
    import av
    from faster_whisper.audio import decode_audio

    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise AudioError(
            f"{path}: not a readable recording ({exc.__class__.__name__}); "
            "expected WAV, FLAC, MP3, OGG or WebM audio"
        ) from None
