"""Why a write to the instance folder failed, in words a person can act on.

The disk fills up, a folder or the database is made read-only, a USB stick is pulled out: the
operating system says so with an errno (OSError) and SQLite with a message (sqlite3.Error) — except
that a disk already full when SQLite opens its write-ahead log reads as "disk I/O error": `disk_full`
tells, and database.py then reads the database as it is, refusing writes as "database or disk is
full". Each face (the WebSocket, the pages, the terminal) says the same thing: what happened, the system's own
words in brackets, and what to do — e.g. "the disk is full (No space left on device) — free some
space, then try again". Anything else is not a storage problem (None): a bug, to be logged whole.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
# SQLite's messages for its result codes (sqlite3.Error has no errno before Python 3.11's
# sqlite_errorname, and the text is what it shows anyway).
SQLITE_FULL = ("database or disk is full",)
SQLITE_READ_ONLY = ("attempt to write a readonly database", "unable to open database file", "readonly database")
SQLITE_BUSY = ("database is locked", "database table is locked")
SQLITE_IO = ("disk i/o error",)
ROOM = 64 << 10  # less free space than this is a full disk: SQLite's index of its write-ahead log takes 32 KiB


def disk_full(folder: Path) -> bool:
    """Has the disk that holds `folder` no room left (for this user)? SQLite cannot say so when the
    full disk stops it opening its write-ahead log: it says "disk I/O error"."""
    try:
        return shutil.disk_usage(folder).free < ROOM
    except OSError:
        return False


class _FullDisk(sqlite3.Connection):
    """A write through `full_disk_reader` is refused as SQLite refuses one on a full disk."""

    def execute(self, sql: str, *args):
        try:
            return super().execute(sql, *args)
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):
                raise
            raise sqlite3.OperationalError("database or disk is full") from None


def full_disk_reader(path: Path) -> sqlite3.Connection:
    """The database at `path` read on a disk too full for SQLite to open its write-ahead log's index:
    "immutable", without that index or locks, so the pages that only read still work, and a write
    is refused as "database or disk is full". Immutable reading assumes no other process writes
    meanwhile, which holds while the disk stays full; and it reads the file without its write-ahead
    log, so it shows what was last checkpointed into the file: everything after a clean close, but
    after a crash (kill -9) the latest changes still only in the log are not shown until space is
    freed and the database is opened as usual again, when they are all there."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=10,
                           factory=_FullDisk)


def storage_problem(exc: BaseException, retry: str = "try again") -> str | None:
    """What went wrong and what to do, ending "then <retry>"; None if `exc` is not a failure to
    write or read the disk or the database (let it be handled, and logged, as a bug)."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc)
        lowered = text.lower()
        if lowered.startswith(SQLITE_FULL):
            return f"the disk is full ({text}) — free some space, then {retry}"
        if lowered.startswith(SQLITE_READ_ONLY):
            return (f"the database cannot be written ({text}) — make the instance folder and rehearse.sqlite "
                    f"writable (or serve another --instance), then {retry}")
        if lowered.startswith(SQLITE_BUSY):
            return f"the database is busy ({text}) — another program is writing to it; wait a moment, then {retry}"
        if lowered.startswith(SQLITE_IO):
            return f"the disk reported an error ({text}) — check the disk is still there and sound, then {retry}"
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        said = exc.strerror or str(exc)
        if exc.errno in FULL:
            return f"the disk is full ({said}) — free some space, then {retry}"
        if exc.errno in READ_ONLY:
            where = f"{exc.filename}" if exc.filename else "the instance folder"
            return f"{where} cannot be written ({said}) — make it writable (or serve another --instance), then {retry}"
        if exc.errno == errno.EIO:
            return f"the disk reported an error ({said}) — check the disk is still there and sound, then {retry}"
    return None
