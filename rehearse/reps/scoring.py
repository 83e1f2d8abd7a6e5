"""Stored reps and the engine together: score a recording of a session and keep the outcome;
score again what could not be scored; and what the coach's one tap on who was named teaches.

Used by every face that makes reps (the browser's live recording and upload, `rehearse practice`):
whatever happens, the recording stays where it is and the rep's row says either what was measured
or, in one line, why it could not be scored, so it can be scored again (from the page, or with
`rehearse rescore`). Even a killed server loses nothing that reached the disk (live.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import RehearseError
from ..scoring.audio import load_audio
from ..scoring.name_learning import learnt_sound
from ..scoring.name_sounds import Pupil, parse_roster
from ..scoring.pipeline import Scorer
from ..scoring.result import Result
from ..scoring.steps import EXAMPLE_KINDS, ActionStep, get_step
from ..scoring.stored import StoredResult
from ..store import examples, learnt
from ..store.database import Store
from ..store.records import Rep, Session


def session_step(session: Session, instance: Path | None) -> tuple[ActionStep, list[Pupil]]:
    """The session's action step (the instance folder may hold the school's own) and the roster the
    coach set for it."""
    step = get_step(session.step_id, instance)
    roster = parse_roster(list(session.roster)) if session.roster else list(step.roster)
    return step, roster


def keep_result(store: Store, rep_id: int, result: Result) -> None:
    store.save_result(rep_id, result.to_dict() | {"timings": result.timings})


def score_stored(store: Store, scorer: Scorer, rep_id: int) -> Rep:
    """Score (or score again) a stored rep from its recording, with the names its teacher's reps
    have taught the app (learnt.py; not what this rep taught: scored again, it would only hear what
    the coach told it); return the rep as stored."""
    rep = _rep_or_lookup(store, rep_id)
    session = store.session(rep.session_id)
    try:
        step, roster = session_step(session, store.instance)
        roster = learnt.roster_for(store, session.teacher_id, roster, besides=rep.uid)
        result = scorer.score_file(store.audio_file(rep), step, roster)
    except RehearseError as exc:
        store.save_failure(rep_id, without_path(str(exc), store, rep))
    else:
        keep_result(store, rep_id, result)
    return store.rep(rep_id)


# Who was named in a rep, as the coach says it, and what that teaches the app -----------------------

def mark_named(store: Store, rep_id: int, pupil: str | None, comment: str = "") -> dict[str, Any] | None:
    """The coach's one tap on a rep the app got unclear or wrong: `pupil` (a name of the session's
    class) was named. Kept as the coach's mark on names_pupil (met; the pause counts as the wait),
    and the rep's name piece is learnt for the session's teacher (learn_from_rep). None undoes
    the tap, and forgets what the rep taught. Returns what was learnt, or None. The mark is kept first:
    a recording that can no longer be read (RehearseError) teaches nothing but does not undo it."""
    if pupil is None:
        store.mark(rep_id, "names_pupil", None, comment)
        forget_rep(store, rep_id)
        return None
    rep = _rep_or_lookup(store, rep_id)
    pupil = class_pupil(store, store.session(rep.session_id), pupil).name
    store.mark(rep_id, "names_pupil", True, comment, pupil)
    return learn_from_rep(store, rep_id, pupil)


def class_pupil(store: Store, session: Session, pupil: str) -> Pupil:
    """`pupil` as the session's class has it (matched in any case; with its hint, how the name is
    said); RehearseError if not in it."""
    _step, roster = session_step(session, store.instance)
    spelt = learnt.on_roster([p.name for p in roster], pupil)
    if spelt is None:
        raise RehearseError(f"{pupil!r} is not in this session's class ({', '.join(p.name for p in roster)}); "
                            "give one of them")
    return next(p for p in roster if p.name == spelt)


def learn_from_rep(store: Store, rep_id: int, pupil: str) -> dict[str, Any] | None:
    """Learn how the session's teacher says `pupil`'s name from a scored rep in which the coach says
    they were named: the rep's name piece (scoring/name_learning.py: the words after the wait that sound
    most like `pupil`, else those in the name's place, else the first speech after the question) and
    what Whisper wrote there. What that rep taught before is replaced; the rep's own result is not changed. Returns what was learnt (its
    id, pupil, heard, seconds), or None when the rep has no speech after the question. RehearseError
    for a rep not scored, a pupil not in the session's class, or a recording that cannot be read."""
    rep = _rep_or_lookup(store, rep_id)
    if rep.result is None:
        raise RehearseError(f"rep {rep.number} is not scored yet; score it first, then say who was named")
    session = store.session(rep.session_id)
    who = class_pupil(store, session, pupil)
    pupil = who.name
    sound = learnt_sound(load_audio(store.audio_file(rep)), rep.result, who)
    if sound is None:
        learnt.forget_rep(store, rep.uid)
        return None
    learnt_id = learnt.learn(store, session.teacher_id, pupil, sound, rep.uid, "rep")
    return {"id": learnt_id, "pupil": pupil, "heard": sound.heard,
            "seconds": round(len(sound.pcm) / learnt.BYTES_PER_S, 2)}


def forget_rep(store: Store, rep_id: int) -> int:
    """Forget what a rep taught (the coach undid their word on who was named in it)."""
    return learnt.forget_rep(store, _rep_or_lookup(store, rep_id).uid)


def _rep_or_lookup(store: Store, rep_id: int) -> Rep:
    rep = store.rep(rep_id)
    if rep is None:
        raise LookupError(f"no rep {rep_id}")
    return rep


@dataclass(frozen=True)
class Rescored:
    """One stored recording scored again (or refused), for a report."""

    kind: str  # "rep", "model" or "non_example"
    id: int  # of the rep or the example
    label: str  # "rep 12 · Ms Okafor · Pose, pause, name · session 3 · rep 2"
    found: bool  # False: there is no such recording
    status: str | None = None  # as stored now
    error: str | None = None  # why it is unscored, as stored now
    result: StoredResult | None = None  # as stored now
    problem: str | None = None  # why it was not scored this time (unknown, still recording, no step)

    @classmethod
    def of_rep(cls, rep: Rep, label: str, problem: str | None = None) -> "Rescored":
        return cls("rep", rep.id, label, True, rep.status, rep.error, rep.result, problem)

    @classmethod
    def of_example(cls, found: dict[str, Any], label: str, problem: str | None = None) -> "Rescored":
        result = StoredResult.from_json(found["result"]) if found["result"] else None
        return cls(found["kind"], found["id"], label, True, found["status"], found["error"], result, problem)

    @property
    def scored(self) -> bool:
        return self.problem is None and self.found and self.status == "scored"

    @property
    def why_not(self) -> str | None:
        """Why it is still unscored, in one line; None once it is scored."""
        return None if self.scored else self.problem or self.error or "not scored"


STILL_RECORDING = ("it is still being recorded; stop it first (if the server or `rehearse practice` that "
                   "recorded it has stopped, start `rehearse serve` once: it keeps the recording, unscored)")


def unscored_reps(store: Store) -> list[int]:
    """Every rep that could not be scored (not one still being recorded), oldest first."""
    return [row["id"] for row in store.query_all("SELECT id FROM attempts WHERE status = 'unscored' ORDER BY id")]


def rescore_reps(store: Store, scorer: Scorer, rep_ids: Iterable[int]) -> Iterator[Rescored]:
    """Score these reps again from their recordings, one by one, each kept as it comes out.
    An unknown id, or a rep still being recorded, is reported and left alone."""
    for rep_id in dict.fromkeys(rep_ids):
        rep = store.rep(rep_id)
        if rep is None:
            yield Rescored("rep", rep_id, f"attempt {rep_id}", False, problem=f"there is no attempt {rep_id}")
            continue
        session = store.session(rep.session_id)
        label = f"attempt {rep_id} · {session.teacher} · {session.title} · session {session.id} · rep {rep.number}"
        if rep.status == "recording":
            yield Rescored.of_rep(rep, label, STILL_RECORDING)
            continue
        yield Rescored.of_rep(score_stored(store, scorer, rep_id), label)


def rescore_examples(store: Store, scorer: Scorer) -> Iterator[Rescored]:
    """Score again every step's current model or non-example that could not be scored."""
    for found in examples.unscored(store):
        label = f"{EXAMPLE_KINDS.get(found['kind'], found['kind'])} of {found['step_id']}"
        try:
            step = get_step(found["step_id"], store.instance)
        except RehearseError as exc:
            yield Rescored.of_example(found, label, str(exc))
            continue
        stored = score_example(store, scorer, step, found["kind"])
        yield Rescored.of_example(stored, f"{label} · {step.title}")


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


def without_path(message: str, store: Store, rep: Rep) -> str:
    """Engine messages start with the file's path, which means nothing on a page."""
    try:
        path = str(store.audio_file(rep))
    except RehearseError:  # a stored path that leads elsewhere: the message says so already
        return message
    return message.replace(path + ": ", "").replace(path, "this recording")


