"""An uploaded recording, checked before anything is stored: a file was chosen, its name is of a
recording format, and its first bytes are audio. A document or a picture is refused with a
message and nothing is kept; a damaged recording passes here and is kept, unscored, with the
reason the engine gives (the teacher's audio is never thrown away)."""

from __future__ import annotations

from pathlib import Path

from werkzeug.datastructures import FileStorage

from ..errors import RehearseError
from ..scoring.audio import looks_like_audio

AUDIO_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
               ".webm": "audio/webm", ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".aac": "audio/aac"}


def checked_suffix(file: FileStorage | None) -> str:
    """The upload's suffix (".m4a"); RehearseError saying what to do when it is not a recording."""
    if file is None or not file.filename:
        raise RehearseError("no file was sent; choose a recording (WAV, MP3, M4A, OGG, WebM) to upload")
    suffix = Path(file.filename).suffix.lower()
    if suffix not in AUDIO_TYPES:
        raise RehearseError(f"{file.filename!r} is not a recording rehearse can read; "
                            f"expected one of {', '.join(sorted(AUDIO_TYPES))}")
    head = file.stream.read(16)
    file.stream.seek(0)
    if not looks_like_audio(head):
        raise RehearseError(f"{file.filename!r} is named like a recording but does not hold audio "
                            "(it may be a document or a picture); choose the recording itself")
    return suffix
