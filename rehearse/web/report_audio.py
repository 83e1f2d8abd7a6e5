"""A rep's recording made small enough to travel inside one HTML file (a `data:` URI).

The report embeds MP3, mono, at the 16 kHz every rep is scored at, SHARE_KBPS kbit/s: about a
tenth of the WAV the app records (256 kbit/s), clear for speech, and the one compressed format
that plays in every browser a teacher may open the file in — Chromium, Firefox and Safari on
macOS and iOS (Ogg Opus is smaller still but Safari played it only lately; FLAC only halves the
size). The encoder is the libmp3lame that PyAV's own FFmpeg carries, so nothing more is installed
and nothing leaves the laptop. The recording is decoded by the engine's bounded decoder
(scoring.audio.load_opening), so a hostile file costs no more here than when it was scored.

Should the encoding fail (a damaged recording that the decoder cannot read), the recording is
embedded as it was stored, with its own type, so the teacher still gets what was kept.

A report holds at most what a rep may (`max_s`, the server's --max-attempt-s): an uploaded file can
be far longer than a rep (it is then kept, unscored), and encoding an hour of it made a 27 MB report
and cost half a minute of CPU per request. Only its first `max_s` seconds are decoded and embedded,
with a note saying the rest is left out; a stored file that cannot be decoded is embedded only if it
is no larger than the app's own WAV of a rep that long, else left out with a note. So a session's
report costs at most its reps times the limit.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import RehearseError
from ..scoring.audio import MAX_DECODE_S, SAMPLE_RATE, load_opening
from ..scoring.formats import by_mime, mime_type

SHARE_KBPS = 48
# A live rep is stopped at the first block of audio that reaches the limit (stream.py), so its file
# may run this much past it; a recording longer than the limit by more is cut at the limit.
OVERRUN_S = 0.5
MP3 = mime_type(".mp3")  # what the report embeds (mp3_bytes)
WAV_BYTES_PER_S = SAMPLE_RATE * 2  # the app's own recordings: 16-bit mono at 16 kHz


@dataclass(frozen=True)
class Embedded:
    """A recording as a data: URI, with what it is (for the report's small print); `uri` is None
    when it is left out. `note` says what of the recording is not in the report, and why."""
    uri: str | None
    mime: str
    size: int  # bytes before base64
    note: str | None = None

    @property
    def label(self) -> str:
        known = by_mime(self.mime)
        kind = known.label if known else self.mime.split("/")[-1].upper()
        return f"{kind}, {self.size / 1024:.0f} KB"


def embedded_audio(path: Path, max_s: float) -> Embedded | None:
    """The recording at `path` as a data: URI (MP3; else the stored bytes), at most its first
    `max_s` seconds (a rep's limit); None if it is missing."""
    if not path.is_file():
        return None
    max_s = min(max_s, MAX_DECODE_S)  # the decoder's own ceiling, whatever limit a server was given
    try:
        samples, longer = load_opening(path, max_s + OVERRUN_S)
    except (RehearseError, av.FFmpegError, OSError, ValueError):
        return _as_stored(path, max_s)
    note = None
    if longer:
        samples = samples[:int(max_s * SAMPLE_RATE)]
        note = (f"Only the first {max_s:g} s of this recording are in this file: a rep may last at most {max_s:g} s "
                "and this recording is longer. The whole recording is still kept in rehearse.")
    data = mp3_bytes(samples)
    return Embedded(_uri(MP3, data), MP3, len(data), note)


def _as_stored(path: Path, max_s: float) -> Embedded:
    """A recording the decoder cannot read, as it was stored; left out if it is larger than the
    app's own WAV of a rep of `max_s` seconds (it cannot be a rep's recording then)."""
    mime, size = mime_type(path.suffix), path.stat().st_size
    if size > max_s * WAV_BYTES_PER_S + 1024:  # + room for a WAV header
        return Embedded(None, mime, size, (
            f"This recording ({size / 2**20:.1f} MB) could not be read, and it is larger than a rep of "
            f"{max_s:g} s could be, so it is not in this file; it is still kept in rehearse."))
    data = path.read_bytes()
    return Embedded(_uri(mime, data), mime, len(data))


def _uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


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
