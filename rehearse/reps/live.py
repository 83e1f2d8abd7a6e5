"""Reps live now and reps left half-done: which reps this process is recording (LiveReps), and,
after a crash, what a stopped server or `rehearse practice` was recording, kept (recover_unfinished):
nothing recorded is lost.
"""

from __future__ import annotations

import os
import struct
import threading
import wave
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from ..capture.recording import HEADER_BYTES, wav_header
from ..errors import RehearseError
from ..scoring.audio import SAMPLE_RATE
from ..scoring.steps import EXAMPLE_KINDS
from ..store import examples
from ..store.database import Store
from ..store.records import Rep


# Reps being recorded now, and reps left 'recording' while the process goes on -------------------

class LiveReps:
    """The reps this process is recording (or saving, for an upload) right now.

    A rep marked 'recording' that is not among them was left so by a failure that could not
    even be stored (the disk full for the database too): once the disk is mended it can be settled
    and scored at once, without waiting for a restart. Only one process records into an instance
    folder at a time (instance_lock.py), so this process's own list is the whole truth."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    @contextmanager
    def recording(self, new: Callable[[], Rep]) -> Iterator[Rep]:
        """Make the rep (`new()`, e.g. store.new_rep) and count it as live until the block ends."""
        with self._lock:  # no one can settle it between its row being written and its being counted
            rep = new()
            self._ids.add(rep.id)
        try:
            yield rep
        finally:
            with self._lock:
                self._ids.discard(rep.id)

    def settle_if_left(self, store: Store, rep: Rep) -> bool:
        """If this 'recording' rep is not being recorded here, keep it as unscored with what
        reached the disk (so it can be scored now) and return True; False if it is live."""
        with self._lock:
            if rep.id in self._ids:
                return False
            duration = _length_of(lambda: store.audio_file(rep), rep.source)
            store.save_failure(rep.id, LEFT_RECORDING, duration)
            return True


LEFT_RECORDING = ("its recording stopped without its outcome being stored (the disk or the database could not be "
                  "written); what reached the disk is kept: score it now, or record it again")


# After a crash: nothing recorded is lost ------------------------------------------------------

def salvage_recording(path: Path) -> float | None:
    """The seconds of audio in a recording written as it arrived (recording.WavRecorder), after the
    process writing it stopped without closing it; None when there is no such file or it is not one
    of those (an upload's file is kept as it is). If the process died between writing a block and
    counting it in the header, the header is made to count it: every block that reached the disk
    is kept."""
    try:
        with open(path, "r+b") as file:
            header = file.read(HEADER_BYTES)
            if len(header) < HEADER_BYTES and wav_header(0).startswith(header):  # died writing the header
                file.seek(0)
                file.write(wav_header(0))
                return 0.0
            if not _recorder_header(header):
                return _wav_seconds(path)
            data_bytes = (file.seek(0, os.SEEK_END) - HEADER_BYTES) // 2 * 2
            if struct.unpack("<I", header[40:44])[0] != data_bytes:
                file.seek(0)
                file.write(wav_header(data_bytes))
                file.flush()
                os.fsync(file.fileno())
    except OSError:
        return None
    return data_bytes / 2 / SAMPLE_RATE


def _recorder_header(header: bytes) -> bool:
    """Is this the header WavRecorder writes (16 kHz 16-bit mono PCM, data chunk right after)?"""
    ours = wav_header(0)
    return len(header) == HEADER_BYTES and header[:4] == ours[:4] and header[8:40] == ours[8:40]


def _wav_seconds(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError, OSError):
        return None


def unfinished_message(what: str, source: str, stopped: str, duration_s: float | None) -> str:
    """Why a recording left half-done is unscored, and that it is kept."""
    if source == "upload":
        return f"{stopped} stopped before this uploaded {what} was scored; the file is kept: score it now"
    if duration_s == 0:
        return f"{stopped} stopped before any of this {what} was recorded; record it again"
    kept = ("the recording up to then is kept" if duration_s is None
            else f"the {duration_s:.1f} s recorded up to then are kept")
    return f"{stopped} stopped while this {what} was being recorded; {kept}: score it now, or record it again"


def recover_unfinished(store: Store) -> int:
    """Keep what a stopped server (or `rehearse practice`) was recording when it stopped: every
    rep and step example still marked 'recording' becomes unscored, saying so, with the length
    of its recording as found on disk, so that it can be played and scored again. Call it only when
    nothing is recording into this instance folder. Returns how many were recovered."""
    count = 0
    for rep in store.unfinished_recordings():
        session = store.session(rep.session_id)
        stopped = "rehearse practice" if session and session.mode == "solo" else "the server"
        duration = _length_of(lambda: store.audio_file(rep), rep.source)
        store.save_failure(rep.id, unfinished_message("rep", rep.source, stopped, duration), duration)
        count += 1
    for found in examples.unfinished(store):
        duration = _length_of(lambda: examples.example_file(store, found), found["source"])
        what = EXAMPLE_KINDS.get(found["kind"], "recording")
        examples.save_failure(store, found["id"], unfinished_message(what, found["source"], "the server", duration),
                              duration)
        count += 1
    return count


def _length_of(path_of: Callable[[], Path], source: str) -> float | None:
    """A live recording is salvaged (no file: nothing was recorded); an upload's file is only
    measured, never changed; a stored path that leads out of the folder is left alone."""
    try:
        path = path_of()
    except RehearseError:
        return None
    if source != "live":
        return _wav_seconds(path)
    return salvage_recording(path) if path.exists() else 0.0
