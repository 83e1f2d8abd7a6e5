"""Stage 1, audio: read a recording of any common format into float32 mono samples at 16 kHz.

Every later stage works on this one representation, so the sample rate lives here.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ..errors import AudioError

SAMPLE_RATE = 16000
# The lowest sample rate taken (telephone audio). A file that claims less is broken or hostile: a
# 2 KB WAV saying "1 Hz" would decode to 16 000 times as many samples, minutes of work and gigabytes.
MIN_RATE = 8000
MAX_UPLOAD_MB = 64  # the default limit on an uploaded recording: a 3-minute rep is ~6 MB as WAV


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
    except (wave.Error, EOFError, OSError, RuntimeError):  # RuntimeError: a chunk's size past the end
        return None
    data = data[: len(data) // 2 * 2]  # cut off mid-sample (a write interrupted): drop the half sample
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _decode_with_av(path: Path) -> np.ndarray:
    import av
    from faster_whisper.audio import decode_audio

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            rates = [s.codec_context.sample_rate for s in container.streams.audio[:1]
                     if s.codec_context is not None and s.codec_context.sample_rate]  # no codec: no context
        if rates and rates[0] < MIN_RATE:
            raise AudioError(f"{path}: the recording claims a sample rate of {rates[0]} Hz; expected at least "
                             f"{MIN_RATE} Hz (record it again, or convert it to 16 kHz WAV)")
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise AudioError(
            f"{path}: not a readable recording ({exc.__class__.__name__}); "
            "expected WAV, FLAC, MP3, OGG or WebM audio"
        ) from None


def looks_like_audio(head: bytes) -> bool:
    """Do these first bytes of a file start a recording format rehearse reads (WAV, FLAC, MP3, AAC,
    OGG, WebM, M4A)? Used to refuse an upload that is not audio at all (a document, a picture) before
    it is stored; a damaged recording still starts like one, and is kept to be looked at."""
    return (head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE"
            or head[:4] in (b"fLaC", b"OggS", b"\x1a\x45\xdf\xa3")  # FLAC, Ogg, Matroska/WebM
            or head[:3] == b"ID3"  # MP3 with tags
            or len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0  # MPEG/AAC frame sync
            or head[4:8] == b"ftyp")  # MP4/M4A
