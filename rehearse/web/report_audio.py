"""A rep's recording made small enough to travel inside one HTML file (a `data:` URI).

The report embeds MP3, mono, at the 16 kHz every rep is scored at, SHARE_KBPS kbit/s: about a
tenth of the WAV the app records (256 kbit/s), clear for speech, and the one compressed format
that plays in every browser a teacher may open the file in — Chromium, Firefox and Safari on
macOS and iOS (Ogg Opus is smaller still but Safari played it only lately; FLAC only halves the
size). The encoder is the libmp3lame that PyAV's own FFmpeg carries, so nothing more is installed
and nothing leaves the laptop. The recording is decoded by the engine's bounded decoder
(scoring.audio.load_audio), so a hostile file costs no more here than when it was scored.

Should the encoding fail (a damaged recording that the decoder cannot read), the recording is
embedded as it was stored, with its own type, so the teacher still gets what was kept.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import RehearseError
from ..scoring.audio import SAMPLE_RATE, load_audio
from .uploads import AUDIO_TYPES

SHARE_KBPS = 48
MAX_EMBED_S = 3600  # the decoder's own ceiling (scoring.audio.MAX_DECODE_S): a rep is far shorter


@dataclass(frozen=True)
class Embedded:
    """A recording as a data: URI, with what it is (for the report's small print)."""
    uri: str
    mime: str
    size: int  # bytes before base64

    @property
    def label(self) -> str:
        kind = {"audio/mpeg": "MP3"}.get(self.mime, self.mime.split("/")[-1].upper())
        return f"{kind}, {self.size / 1024:.0f} KB"


def embedded_audio(path: Path) -> Embedded | None:
    """The recording at `path` as a data: URI (MP3; else the stored bytes), or None if it is missing."""
    if not path.is_file():
        return None
    try:
        data, mime = mp3_bytes(load_audio(path, MAX_EMBED_S)), "audio/mpeg"
    except (RehearseError, av.FFmpegError, OSError, ValueError):
        data, mime = path.read_bytes(), AUDIO_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return Embedded(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", mime, len(data))


def mp3_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE, kbps: int = SHARE_KBPS) -> bytes:
    """Float32 mono samples as an MP3 file (with its Xing/LAME header, so browsers know its length)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = kbps * 1000
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
        step = rate  # a second at a time
        for start in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[None, start:start + step], format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()
