"""The instance folder's files kept as private as the voices in them: the folder readable by its
owner only (`private`), each file rehearse writes from its data (an archive, a report, an export)
created owner-only whatever the umask (`owner_only`), and what a process killed outright left staged
swept away when rehearse starts (`clear_leftovers`, staging.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .. import staging
from ..errors import RehearseError
from ..scoring.steps import SHIPPED, step_dirs


def private(folder: Path) -> None:
    """Make the instance folder its owner's only (voices are personal data): other accounts on a
    shared laptop cannot list or read what is in it. A folder owned by someone else is left alone."""
    try:
        if folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except (OSError, AttributeError):  # AttributeError: no getuid (Windows)
        pass


def owner_only(path: Path) -> BinaryIO:
    """`path` opened to be written from the start, readable by its owner only whatever the umask:
    a file made of the instance folder's data (an archive, a report) is as private as the folder.
    Created 0600; a file of ours that was there already is made 0600 before it is emptied and
    written. Anything else named (a terminal's /dev/stdout, /dev/null, a pipe) is written as it is,
    its mode untouched; a file of someone else's is refused (RehearseError) before it is emptied."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        status = os.fstat(descriptor)
        if stat.S_ISREG(status.st_mode):
            if hasattr(os, "fchmod"):  # not on Windows, where a file's access follows its folder's
                if status.st_uid != os.geteuid():
                    raise RehearseError(f"{path} belongs to another account; write to a file of your own")
                os.fchmod(descriptor, 0o600)
            os.ftruncate(descriptor, 0)
        return os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        raise


def clear_leftovers(instance: Path) -> list[Path]:
    """Remove what a process killed outright (kill -9, a power cut) left staged (staging.py):
    `.import-*` and `.archive-*` in the instance folder — recordings, a snapshot of the database,
    and the half-written archive each names —, `.saving-*` in the folders steps are saved to, and
    `.decoding-*` in a lesson's folder (the whole lesson decoded, pupils' voices in it).
    Only those no living process holds: an import or a server running beside this one keeps its
    own. Returns the folders removed."""
    lessons = Path(instance) / "recordings" / "lessons"  # a lesson's decoded copy while analysed (lessons.py)
    lesson_folders = sorted(f for f in lessons.iterdir() if f.is_dir() and not f.is_symlink()) if lessons.is_dir() else []
    folders = [Path(instance)] + [f for f in step_dirs(instance) if f != SHIPPED] + lesson_folders
    return [swept for folder in folders for swept in staging.sweep(folder)]
