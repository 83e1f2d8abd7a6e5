"""Stored attempts and the engine together: score a recording of a session and keep the outcome.

Used by every face that makes attempts (the browser's live recording and upload, later the terminal):
whatever happens, the recording stays where it is and the attempt row says either what was measured
or, in one line, why it could not be scored, so it can be scored again (from the page, or with
`rehearse rescore`). Even a killed server loses nothing that reached the disk: at the next start,
`recover_unfinished` keeps what it was recording as unscored, with its length.
"""

from __future__ import annotations

import os
import struct
import threading
import wave
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..capture.recording import HEADER_BYTES, wav_header
from ..errors import RehearseError
from ..scoring.audio import SAMPLE_RATE, load_audio
from ..scoring.name_learning import learnt_sound
from ..scoring.pipeline import Scorer
from ..scoring.name_sounds import Pupil, parse_roster
from ..scoring.result import Result
from ..scoring.steps import EXAMPLE_KINDS, ActionStep, get_step
from ..store import examples, learnt
from ..store.database import Store


def session_step(session: dict[str, Any], instance: Path | None) -> tuple[ActionStep, list[Pupil]]:
    """The session's action step (the instance folder may hold the school's own) and the roster the
    coach set for it."""
    step = get_step(session["step_id"], instance)
    roster = parse_roster(session["roster"]) if session["roster"] else list(step.roster)
    return step, roster


def keep_result(store: Store, attempt_id: int, result: Result) -> None:
    store.save_result(attempt_id, result.to_dict() | {"timings": result.timings})


def score_stored(store: Store, scorer: Scorer, attempt_id: int) -> dict[str, Any]:
    """Score (or score again) a stored attempt from its recording, with the names its teacher's reps
    have taught the app (learnt.py; not what this rep taught: scored again, it would only hear what
    the coach told it); return the attempt as stored."""
    attempt = _attempt_or_lookup(store, attempt_id)
    session = store.session(attempt["session_id"])
    try:
        step, roster = session_step(session, store.instance)
        roster = learnt.roster_for(store, session["teacher_id"], roster, besides=attempt["uid"])
        result = scorer.score_file(store.audio_file(attempt), step, roster)
    except RehearseError as exc:
        store.save_failure(attempt_id, without_path(str(exc), store, attempt))
    else:
        keep_result(store, attempt_id, result)
    return store.attempt(attempt_id)


# Who was named in a rep, as the coach says it, and what that teaches the app -----------------------

def mark_named(store: Store, attempt_id: int, pupil: str | None, comment: str = "") -> dict[str, Any] | None:
    """The coach's one tap on a rep the app got unclear or wrong: `pupil` (a name of the session's
    class) was named. Kept as the coach's mark on names_pupil (met; the pause counts as the wait),
    and the rep's name piece is learnt for the session's teacher (learn_from_attempt). None undoes
    the tap, and forgets what the rep taught. Returns what was learnt, or None. The mark is kept first:
    a recording that can no longer be read (RehearseError) teaches nothing but does not undo it."""
    if pupil is None:
        store.mark(attempt_id, "names_pupil", None, comment)
        forget_rep(store, attempt_id)
        return None
    attempt = _attempt_or_lookup(store, attempt_id)
    pupil = class_pupil(store, store.session(attempt["session_id"]), pupil).name
    store.mark(attempt_id, "names_pupil", True, comment, pupil)
    return learn_from_attempt(store, attempt_id, pupil)


def class_pupil(store: Store, session: dict[str, Any], pupil: str) -> Pupil:
    """`pupil` as the session's class has it (matched in any case; with its hint, how the name is
    said); RehearseError if not in it."""
    _step, roster = session_step(session, store.instance)
    spelt = learnt.on_roster([p.name for p in roster], pupil)
    if spelt is None:
        raise RehearseError(f"{pupil!r} is not in this session's class ({', '.join(p.name for p in roster)}); "
                            "give one of them")
    return next(p for p in roster if p.name == spelt)


def learn_from_attempt(store: Store, attempt_id: int, pupil: str) -> dict[str, Any] | None:
    """Learn how the session's teacher says `pupil`'s name from a scored rep in which the coach says
    they were named: the rep's name piece (scoring/name_learning.py: the words after the wait that sound
    most like `pupil`, else those in the name's place, else the first speech after the question) and
    what Whisper wrote there. What that rep taught before is replaced; the rep's own result is not changed. Returns what was learnt (its
    id, pupil, heard, seconds), or None when the rep has no speech after the question. RehearseError
    for a rep not scored, a pupil not in the session's class, or a recording that cannot be read."""
    attempt = _attempt_or_lookup(store, attempt_id)
    if attempt["result"] is None:
        raise RehearseError(f"rep {attempt['rep']} is not scored yet; score it first, then say who was named")
    session = store.session(attempt["session_id"])
    who = class_pupil(store, session, pupil)
    pupil = who.name
    sound = learnt_sound(load_audio(store.audio_file(attempt)), attempt["result"], who)
    if sound is None:
        learnt.forget_rep(store, attempt["uid"])
        return None
    learnt_id = learnt.learn(store, session["teacher_id"], pupil, sound, attempt["uid"], "rep")
    return {"id": learnt_id, "pupil": pupil, "heard": sound.heard,
            "seconds": round(len(sound.pcm) / learnt.BYTES_PER_S, 2)}


def forget_rep(store: Store, attempt_id: int) -> int:
    """Forget what a rep taught (the coach undid their word on who was named in it)."""
    return learnt.forget_rep(store, _attempt_or_lookup(store, attempt_id)["uid"])


def _attempt_or_lookup(store: Store, attempt_id: int) -> dict[str, Any]:
    attempt = store.attempt(attempt_id)
    if attempt is None:
        raise LookupError(f"no attempt {attempt_id}")
    return attempt


@dataclass
class Rescored:
    """One stored recording scored again (or refused), for a report."""

    kind: str  # "attempt", "model" or "non_example"
    id: int  # of the attempt or the example
    label: str  # "attempt 12 · Ms Okafor · Pose, pause, name · session 3 · rep 2"
    stored: dict[str, Any] | None  # the attempt (or example) as stored now; None if there is none
    problem: str | None = None  # why it was not scored this time (unknown, still recording, no step)

    @property
    def scored(self) -> bool:
        return self.problem is None and self.stored is not None and self.stored["status"] == "scored"

    @property
    def why_not(self) -> str | None:
        """Why it is still unscored, in one line; None once it is scored."""
        return None if self.scored else self.problem or (self.stored or {}).get("error") or "not scored"


STILL_RECORDING = ("it is still being recorded; stop it first (if the server or `rehearse practice` that "
                   "recorded it has stopped, start `rehearse serve` once: it keeps the recording, unscored)")


def unscored_attempts(store: Store) -> list[int]:
    """Every attempt that could not be scored (not one still being recorded), oldest first."""
    return [row["id"] for row in store.query_all("SELECT id FROM attempts WHERE status = 'unscored' ORDER BY id")]


def rescore_attempts(store: Store, scorer: Scorer, attempt_ids: Iterable[int]) -> Iterator[Rescored]:
    """Score these attempts again from their recordings, one by one, each kept as it comes out.
    An unknown id, or an attempt still being recorded, is reported and left alone."""
    for attempt_id in dict.fromkeys(attempt_ids):
        attempt = store.attempt(attempt_id)
        if attempt is None:
            yield Rescored("attempt", attempt_id, f"attempt {attempt_id}", None, f"there is no attempt {attempt_id}")
            continue
        session = store.session(attempt["session_id"])
        label = (f"attempt {attempt_id} · {session['teacher']} · {session['title']} · "
                 f"session {session['id']} · rep {attempt['rep']}")
        if attempt["status"] == "recording":
            yield Rescored("attempt", attempt_id, label, attempt, STILL_RECORDING)
            continue
        yield Rescored("attempt", attempt_id, label, score_stored(store, scorer, attempt_id))


def rescore_examples(store: Store, scorer: Scorer) -> Iterator[Rescored]:
    """Score again every step's current model or non-example that could not be scored."""
    for found in examples.unscored(store):
        label = f"{EXAMPLE_KINDS.get(found['kind'], found['kind'])} of {found['step_id']}"
        try:
            step = get_step(found["step_id"], store.instance)
        except RehearseError as exc:
            yield Rescored(found["kind"], found["id"], label, found, str(exc))
            continue
        stored = score_example(store, scorer, step, found["kind"])
        yield Rescored(found["kind"], found["id"], f"{label} · {step.title}", stored)


def score_example(store: Store, scorer: Scorer, step: ActionStep, kind: str) -> dict[str, Any]:
    """Score (or score again) the step's current model or non-example with the step's own class list."""
    found = examples.example(store, step.id, kind)
    if found is None:
        raise RehearseError(f"{step.title!r} has no {EXAMPLE_KINDS[kind]} recording yet; record one first")
    path = examples.example_file(store, found)
    try:
        result = scorer.score_file(path, step)  # with the step's own class list
    except RehearseError as exc:
        examples.save_failure(store, found["id"], str(exc).replace(f"{path}: ", ""))
    else:
        examples.save_result(store, found["id"], result)
    return examples.example(store, step.id, kind)


def without_path(message: str, store: Store, attempt: dict[str, Any]) -> str:
    """Engine messages start with the file's path, which means nothing on a page."""
    try:
        path = str(store.audio_file(attempt))
    except RehearseError:  # a stored path that leads elsewhere: the message says so already
        return message
    return message.replace(path + ": ", "").replace(path, "this recording")


# Reps being recorded now, and reps left 'recording' while the process goes on -------------------

class LiveReps:
    """The attempts this process is recording (or saving, for an upload) right now.

    An attempt marked 'recording' that is not among them was left so by a failure that could not
    even be stored (the disk full for the database too): once the disk is mended it can be settled
    and scored at once, without waiting for a restart. Only one process records into an instance
    folder at a time (instance_lock.py), so this process's own list is the whole truth."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    @contextmanager
    def recording(self, new: Callable[[], dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Make the attempt (`new()`, e.g. store.new_attempt) and count it as live until the block ends."""
        with self._lock:  # no one can settle it between its row being written and its being counted
            attempt = new()
            self._ids.add(attempt["id"])
        try:
            yield attempt
        finally:
            with self._lock:
                self._ids.discard(attempt["id"])

    def settle_if_left(self, store: Store, attempt: dict[str, Any]) -> bool:
        """If this 'recording' attempt is not being recorded here, keep it as unscored with what
        reached the disk (so it can be scored now) and return True; False if it is live."""
        with self._lock:
            if attempt["id"] in self._ids:
                return False
            duration = _length_of(lambda: store.audio_file(attempt), attempt["source"])
            store.save_failure(attempt["id"], LEFT_RECORDING, duration)
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
    attempt and step example still marked 'recording' becomes unscored, saying so, with the length
    of its recording as found on disk, so that it can be played and scored again. Call it only when
    nothing is recording into this instance folder. Returns how many were recovered."""
    count = 0
    for attempt in store.unfinished_recordings():
        session = store.session(attempt["session_id"])
        stopped = "rehearse practice" if session and session["mode"] == "solo" else "the server"
        duration = _length_of(lambda: store.audio_file(attempt), attempt["source"])
        store.save_failure(attempt["id"], unfinished_message("rep", attempt["source"], stopped, duration), duration)
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
