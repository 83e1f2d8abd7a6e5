"""Reading a zip someone else made (an archive to import) without trusting it.

A zip says of itself how many members it has, what they are called and how large each is once
inflated; all of it can lie. Before anything is extracted, `open_untrusted` and `check_members`
refuse what a rehearse archive never holds and what would fill the memory or the disk: a central
directory too large to read, too many members, a name that leads out of the folder it is
extracted to (`../`, an absolute path, a drive letter, a backslash), a symlink, an encrypted
member, a compression method other than stored or deflated (a bzip2 or LZMA member can inflate a
few bytes to gigabytes in a single step), a member larger than the caller allows, and a ratio
bomb (a member that inflates more than MAX_RATIO times). Then `copy_member` streams a member to
disk a chunk at a time and stops as soon as more comes out than was declared or allowed, since
a declared size is only a claim. Each refusal is a RehearseError of one line.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path
from typing import Callable

from ..errors import RehearseError

MAX_MEMBERS = 100_000  # an archive holds one file per rep, plus two
MAX_DIRECTORY_BYTES = 16 << 20  # the central directory, read whole by zipfile: ~80 bytes a member
MAX_RATIO = 100  # inflated / compressed; text and SQLite pages deflate ~5-20x, recordings are stored
RATIO_FLOOR = 16 << 20  # a member smaller than this may be as compressible as it likes
MAX_TOTAL_BYTES = 64 << 30  # all members together, as declared (overlapping members count each time)
CHUNK = 1 << 20
SAFE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
NOTHING = "nothing was imported (make the archive again with `rehearse export --archive FILE.zip`)"


class UnsafeArchive(RehearseError):
    """The zip is refused as it stands: nothing of it was extracted."""


def open_untrusted(path: Path) -> zipfile.ZipFile:
    """Open the zip at `path` once its central directory is known to be of a size that can be read.
    OSError or zipfile.BadZipFile for a missing file or one that is not a zip (the caller words it)."""
    with open(path, "rb") as f:
        try:
            end = zipfile._EndRecData(f)  # the end record: how many members, how long their directory
        except AttributeError:  # pragma: no cover - a future Python without it: check after opening
            end = None
    if end is not None:
        if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS:
            raise UnsafeArchive(f"{path}: it claims {end[zipfile._ECD_ENTRIES_TOTAL]} members, more than a rehearse "
                                f"archive has (at most {MAX_MEMBERS}); {NOTHING}")
        if end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:
            raise UnsafeArchive(f"{path}: its list of members is {end[zipfile._ECD_SIZE] >> 20} MB, more than a "
                                f"rehearse archive's (at most {MAX_DIRECTORY_BYTES >> 20} MB); {NOTHING}")
    return zipfile.ZipFile(path)


def check_members(archive: zipfile.ZipFile, label: str, max_size: Callable[[str], int]) -> None:
    """Refuse the whole zip if any member is unsafe to extract (see the module's docstring);
    `max_size(name)`: the largest a member of that name may inflate to."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeArchive(f"{label}: it has {len(infos)} members, more than a rehearse archive has "
                            f"(at most {MAX_MEMBERS}); {NOTHING}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        problem = _unsafe(info, seen, max_size(name))
        if problem:
            raise UnsafeArchive(f"{label}: refused, its member {name[:200]!r} {problem}; {NOTHING}")
        seen.add(name)
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise UnsafeArchive(f"{label}: refused, its members would inflate to {total >> 30} GB in all (at most "
                            f"{MAX_TOTAL_BYTES >> 30} GB); {NOTHING}")


def _unsafe(info: zipfile.ZipInfo, seen: set[str], limit: int) -> str | None:
    """What makes this member unsafe, in words; None when it is not."""
    name = info.filename
    if (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\\" in name or "\0" in name
            or ".." in name.split("/")):
        return "would be written outside the folder it is extracted to"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link, which a rehearse archive never holds"
    if name in seen:
        return "appears twice"
    if info.flag_bits & 0x1:
        return "is encrypted (a rehearse archive never is)"
    if info.compress_type not in SAFE_METHODS:
        return f"is compressed with method {info.compress_type}; a rehearse archive's are stored or deflated"
    if info.file_size > limit:
        return f"would inflate to {_mb(info.file_size)}, more than {_mb(limit)}"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (f"would inflate {info.file_size // max(info.compress_size, 1)} times "
                f"({_mb(info.compress_size)} to {_mb(info.file_size)}), as a zip bomb does")
    return None


def copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limit: int, label: str) -> None:
    """Stream one member to `dest`, a chunk at a time, and stop with UnsafeArchive as soon as more
    comes out than it declared or than `limit`. A damaged member (a CRC error) raises
    zipfile.BadZipFile; the caller words that, and removes `dest`."""
    most = min(info.file_size, limit)
    written = 0
    with archive.open(info) as source, open(dest, "wb") as target:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > most:
                raise UnsafeArchive(f"{label}: refused, its member {info.filename[:200]!r} inflates to more than "
                                    f"the {_mb(most)} it declared or may have; {NOTHING}")
            target.write(chunk)


def read_small(archive: zipfile.ZipFile, name: str, limit: int, label: str) -> bytes:
    """A member read into memory, at most `limit` bytes of it (KeyError if there is none)."""
    with archive.open(name) as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise UnsafeArchive(f"{label}: refused, its member {name!r} is over {_mb(limit)}; {NOTHING}")
    return data


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB" if size < 1 << 30 else f"{size / (1 << 30):.1f} GB"
