"""One recording process per instance folder: an OS lock on `rehearse.lock`, held for the process's life.

`rehearse serve` starts by settling the reps it finds 'recording' (the last server stopped while
recording them: reps.live.recover_unfinished), and a server knows which reps it is recording itself
(reps.live.LiveReps). Both are true only if no other process records into the same folder — a
second server would mark the first one's live rep as stopped. So `serve` and `practice` each take
this lock before they touch the folder, and refuse to start while another holds it, naming it
and its process id. The operating system lets go of the lock when the process ends, however it
ends (a crash, a kill), so a stale lock never blocks a start.

The lock is staging.try_lock's: fcntl.flock on Unix; on Windows msvcrt.locking on one byte past the
process id written at the start of the file (a locked range cannot be read there).

`export`, `import`, `rescore` and `passcode` do not take it: they never record, never settle a
rep, and SQLite's own locking keeps their writes whole beside a running server.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RehearseError
from ..staging import try_lock
from .faults import FULL

LOCK_FILE = "rehearse.lock"
WHO = {"serve": "another rehearse server", "practice": "`rehearse practice`"}


class InstanceLock:
    """The lock, held until `release` (or the process ends)."""

    def __init__(self, descriptor: int, path: Path):
        self.descriptor = descriptor
        self.path = path

    def release(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)  # closing the file lets go of the lock
            self.descriptor = -1


def hold(folder: Path, command: str) -> InstanceLock:
    """Take the instance folder's lock for `command` ("serve" or "practice"); RehearseError naming
    who holds it, and what to do, if another process does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if not try_lock(descriptor):
        holder = _holder(descriptor)
        os.close(descriptor)
        pid, other = holder if holder else ("unknown", "serve")
        raise RehearseError(f"{WHO.get(other, 'another rehearse')} is using {folder} (pid {pid}); stop it, "
                            "or use --instance to choose another folder") from None
    try:
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, f"{os.getpid()} {command}\n".encode())
    except OSError as exc:
        if exc.errno not in FULL:
            os.close(descriptor)
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        # A full disk: the lock is held all the same; another process will name no pid.
    return InstanceLock(descriptor, path)


def _holder(descriptor: int) -> tuple[str, str] | None:
    """(process id, command) of the holder, as it wrote them; None if it has not yet."""
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        words = os.read(descriptor, 200).decode("ascii", "replace").split()
    except OSError:
        return None
    return (words[0], words[1]) if len(words) >= 2 and words[0].isdigit() else None
