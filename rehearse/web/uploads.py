"""An uploaded recording, checked before anything is stored: a file was chosen, its name is of a
recording format, and its first bytes are audio. A document or a picture is refused with a
message and nothing is kept; a damaged recording passes here and is kept, unscored, with the
reason the engine gives (the teacher's audio is never thrown away). The formats taken are
scoring/formats.py's, the one list."""

from __future__ import annotations

from pathlib import Path

from werkzeug.datastructures import FileStorage

from ..errors import RehearseError
from ..scoring.formats import HEAD_BYTES, by_suffix, labels, looks_like_audio, suffixes


def checked_suffix(file: FileStorage | None) -> str:
    """The upload's suffix (".m4a"); RehearseError saying what to do when it is not a recording."""
    if file is None or not file.filename:
        raise RehearseError(f"no file was sent; choose a recording ({labels()}) to upload")
    suffix = Path(file.filename).suffix.lower()
    if by_suffix(suffix) is None:
        raise RehearseError(f"{file.filename!r} is not a recording rehearse can read; "
                            f"expected one of {', '.join(suffixes())}")
    head = file.stream.read(HEAD_BYTES)
    file.stream.seek(0)
    if not looks_like_audio(head):
        raise RehearseError(f"{file.filename!r} is named like a recording but does not hold audio "
                            "(it may be a document or a picture); choose the recording itself")
    return suffix
