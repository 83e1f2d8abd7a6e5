"""The audio formats rehearse reads: the one list. To support a new format, add it here (and
nothing else needs to change): the upload check (by name and first bytes), the upload inputs'
`accept=`, the MIME type recordings are served and embedded with, the CLI's help and the decoder's
error message all come from FORMATS. tests/test_formats.py decodes a file of every format listed.

Every format here is one the decoder (scoring/audio.py: PyAV's FFmpeg) reads. FFmpeg goes by the
file's content, not its name, so a recording of one listed format named as another still decodes;
the upload check likewise takes a file whose first bytes start any listed format.

Light on purpose (no numpy, no PyAV): the CLI's help imports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    label: str  # for people: "WAV", "M4A"
    suffixes: tuple[str, ...]  # lower case, with the dot; the first is the usual one
    mime: str
    magic: bytes  # a regular expression the file's first bytes match (re.DOTALL: "." is any byte)


FORMATS = (
    Format("WAV", (".wav",), "audio/wav", rb"(RIFF|RF64)....WAVE"),
    Format("FLAC", (".flac",), "audio/flac", rb"fLaC"),
    Format("MP3", (".mp3",), "audio/mpeg", rb"ID3|\xff[\xe0-\xff]"),  # ID3 tags, or an MPEG frame's sync
    Format("M4A", (".m4a", ".mp4"), "audio/mp4", rb"....ftyp"),  # an MP4 container's first box
    Format("AAC", (".aac",), "audio/aac", rb"ID3|\xff[\xf0-\xff]"),  # ADTS frame sync
    Format("OGG", (".ogg",), "audio/ogg", rb"OggS"),
    Format("WebM", (".webm",), "audio/webm", rb"\x1a\x45\xdf\xa3"),  # Matroska's EBML header
)
HEAD_BYTES = 16  # how much of a file `looks_like_audio` needs

_BY_SUFFIX = {suffix: f for f in FORMATS for suffix in f.suffixes}
_MAGIC = re.compile(b"|".join(b"(?:%s)" % f.magic for f in FORMATS), re.DOTALL)


def by_suffix(suffix: str) -> Format | None:
    """The format named by a file suffix (".M4A" too), or None."""
    return _BY_SUFFIX.get(suffix.lower())


def by_mime(mime: str) -> Format | None:
    """The (first) format of this MIME type ("audio/mpeg": MP3), or None."""
    return next((f for f in FORMATS if f.mime == mime), None)


def mime_type(suffix: str, default: str = "application/octet-stream") -> str:
    """The MIME type a recording with this suffix is served or embedded as."""
    found = by_suffix(suffix)
    return found.mime if found else default


def suffixes() -> list[str]:
    """Every suffix taken, in the registry's order: [".wav", ".flac", ...]."""
    return list(_BY_SUFFIX)


def labels(last: str = ", ") -> str:
    """The formats for people: "WAV, FLAC, MP3, M4A, AAC, OGG, WebM" ("..., OGG or WebM" with last=" or ")."""
    names = [f.label for f in FORMATS]
    return ", ".join(names[:-1]) + last + names[-1]


def accept() -> str:
    """The `accept=` of a file input offering these formats: their suffixes, then their MIME types."""
    mimes = list(dict.fromkeys(f.mime for f in FORMATS))
    return ",".join(suffixes() + mimes)


def looks_like_audio(head: bytes) -> bool:
    """Do these first bytes of a file (HEAD_BYTES of them) start a listed format? Used to refuse an
    upload that is not audio at all (a document, a picture) before it is stored; a damaged
    recording still starts like one, and is kept to be looked at."""
    return _MAGIC.match(head) is not None
