"""Recording an attempt to disk as it arrives: a 16 kHz 16-bit mono WAV file, always readable.

Each block of samples is appended and flushed, and the header's two size fields are rewritten after
it, so a closed tab or a killed server leaves a valid WAV holding everything received so far.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from ..scoring.audio import SAMPLE_RATE

HEADER_BYTES = 44


def wav_header(data_bytes: int, rate: int = SAMPLE_RATE) -> bytes:
    """The 44-byte header of a PCM 16-bit mono WAV file holding `data_bytes` of samples."""
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", data_bytes))


def to_pcm16(samples: np.ndarray) -> bytes:
    """float32 samples in [-1, 1] as little-endian 16-bit PCM bytes."""
    scaled = np.round(np.asarray(samples, dtype=np.float64) * 32768)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def from_pcm16(data: bytes) -> np.ndarray:
    """Little-endian 16-bit PCM bytes as float32 samples in [-1, 1]."""
    return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0


class WavRecorder:
    """Appends 16-bit PCM to a WAV file, keeping the file valid after every block."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")
        self._file.write(wav_header(0))
        self._file.flush()
        self.data_bytes = 0

    @property
    def duration_s(self) -> float:
        return self.data_bytes / 2 / SAMPLE_RATE

    def append(self, pcm: bytes) -> None:
        """Write a block of 16-bit little-endian mono samples and make the header count them."""
        if len(pcm) % 2:
            raise ValueError("PCM block of an odd number of bytes: expected 16-bit samples")
        if self._file.closed:
            raise ValueError(f"{self.path}: the recording is already closed")
        self._file.seek(0, os.SEEK_END)
        self._file.write(pcm)
        self.data_bytes += len(pcm)
        self._file.seek(0)
        self._file.write(wav_header(self.data_bytes))
        self._file.flush()

    def close(self) -> None:
        """Flush and close; the file is closed even when the flush fails (a full disk: OSError)."""
        if not self._file.closed:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            finally:
                self._file.close()

    def __enter__(self) -> "WavRecorder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
