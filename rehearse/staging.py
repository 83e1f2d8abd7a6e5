"""Hidden folders in which rehearse stages files before they are put in place, and the sweep of
those left by a process that was killed.

An import copies the archive's recordings (teachers' and pupils' voices) into `.import-*` of the
instance folder before they are placed; an archive is written beside a snapshot of the database in
`.archive-*`; a step file is written and read back in `.saving-*` of its scenarios/ folder; a lesson
observed is decoded into `.decoding-*` of its own folder while it is analysed. Each is
removed when the work ends, however it ends — except when the process is killed outright (kill -9,
a power cut), which runs no clean-up. So every staging folder holds a lock file (OWNER) that its
process keeps locked for as long as it lives; the operating system lets go of the lock when the
process ends, however it ends. `sweep`, run when rehearse starts, removes each staging folder whose
lock it can take: its owner is gone. A folder still locked belongs to a running process — an
import beside `serve`, another server using the same REHEARSE_SCENARIOS — and is left alone.

A file a process stages outside its folder (an archive's `FILE.zip.part`, written beside the name
asked for so that it can take that name in one rename) is named in the folder's NOTE: the sweep,
and the folder's own close, remove it too.

fcntl.flock on Unix; on Windows msvcrt.locking on one byte far into the file. Floor 0: the store
(instance_lock.py, archive.py) and coaching (authoring.py) use it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

KINDS = ("import", "archive", "saving", "decoding")  # the folders: `.import-*`, `.archive-*`, `.saving-*`, `.decoding-*`
OWNER = ".owner"  # the lock file inside each
NOTE = ".outside"  # the files staged outside the folder, one path a line
OUTSIDE_SUFFIX = ".part"  # the only kind of file outside that a sweep removes
WINDOWS_LOCK_AT = 1 << 20  # the byte locked on Windows (instance_lock.py writes a process id at 0)
TRIES = 5  # stage(): folders swept away by another process's start before this one could lock it


def try_lock(descriptor: int) -> bool:
    """Lock an open file without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        os.lseek(descriptor, WINDOWS_LOCK_AT, os.SEEK_SET)
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class Staging:
    """A staging folder, locked by this process until `close` removes it (a `with` block closes it)."""

    def __init__(self, folder: Path, descriptor: int):
        self.folder = folder
        self._descriptor = descriptor

    def outside(self, path: Path) -> Path:
        """Note that `path` (ending in OUTSIDE_SUFFIX) is staged outside the folder: removed with it, or
        by the sweep if this process is killed first. Returns `path`."""
        if not path.name.endswith(OUTSIDE_SUFFIX):
            raise ValueError(f"{path}: only a {OUTSIDE_SUFFIX} file may be staged outside")
        with open(self.folder / NOTE, "a", encoding="utf-8") as note:
            note.write(f"{Path(path).absolute()}\n")
        return path

    def close(self) -> None:
        if self._descriptor >= 0:
            _remove(self.folder)
            _release(self._descriptor, self.folder)
            self._descriptor = -1

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def stage(parent: Path, kind: str) -> Staging:
    """A new staging folder `.<kind>-*` in `parent` (which must exist), locked by this process."""
    assert kind in KINDS, kind
    for _ in range(TRIES):
        folder = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=parent))
        descriptor = _claim(folder)
        if descriptor is not None:
            return Staging(folder, descriptor)
    raise OSError(f"could not make a staging folder in {parent}: another rehearse removed it {TRIES} times")


def sweep(parent: Path) -> list[Path]:
    """Remove the staging folders in `parent` that no living process holds (and the files they name
    outside); return them. A folder whose process still runs is left alone."""
    swept = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:  # no such folder (yet), or not readable: nothing of ours there
        return swept
    for entry in entries:
        if not entry.name.startswith(tuple(f".{k}-" for k in KINDS)) or entry.is_symlink() or not entry.is_dir():
            continue
        descriptor = _claim(entry)  # a folder killed before it was locked has no OWNER: made here
        if descriptor is None:
            continue  # its process is alive
        try:
            _remove(entry)
        finally:
            _release(descriptor, entry)
        swept.append(entry)
    return swept


def _claim(folder: Path) -> int | None:
    """The folder's lock, taken; None if another process holds it, or swept the folder meanwhile."""
    owner = folder / OWNER
    try:
        descriptor = os.open(owner, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # swept meanwhile, or a folder this account may not write: not ours to remove
        return None
    try:
        if try_lock(descriptor) and os.path.samestat(os.fstat(descriptor), os.stat(owner)):
            return descriptor  # still in place once locked: no sweep removed it in between
    except FileNotFoundError:
        pass
    os.close(descriptor)
    return None


def _remove(folder: Path) -> None:
    """Remove what the folder's NOTE names outside it (only OUTSIDE_SUFFIX files), then the folder."""
    try:
        noted = (folder / NOTE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeError):
        noted = []
    for line in noted:
        path = Path(line)
        if path.name.endswith(OUTSIDE_SUFFIX) and path.is_file() and not path.is_symlink():
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # in a folder this account may not write (any longer): left, the rest still goes
    shutil.rmtree(folder, ignore_errors=True)


def _release(descriptor: int, folder: Path) -> None:
    """Let go of the lock. Windows removes no open file: the lock file, and so the folder, go after."""
    os.close(descriptor)
    if os.name == "nt":
        shutil.rmtree(folder, ignore_errors=True)
