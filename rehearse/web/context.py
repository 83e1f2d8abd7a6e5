"""The one way a request reaches what the app holds (as flaskr's `get_db`): the store, the scorer,
the reps being recorded now and the queue of lessons to analyse, kept on the app by `install`; and the lookups the pages and the API
repeat, each a 404 with one line when there is no such thing."""

from __future__ import annotations

from flask import Flask, abort, current_app

from ..errors import RehearseError
from ..lessons.jobs import LessonJobs
from ..reps.live import LiveReps
from ..reps.scoring import session_step
from ..scoring.pipeline import Scorer
from ..scoring.steps import ActionStep
from ..store.database import Store
from ..store.records import Rep, Session, Teacher

KEY = "rehearse"  # the app's extensions[KEY]: {"store", "scorer", "live", "lesson_jobs"}


def install(app: Flask, store: Store, scorer: Scorer, jobs: LessonJobs) -> None:
    app.extensions[KEY] = {"store": store, "scorer": scorer, "live": LiveReps(), "lesson_jobs": jobs}


def store() -> Store:
    return current_app.extensions[KEY]["store"]


def scorer() -> Scorer:
    return current_app.extensions[KEY]["scorer"]


def live_reps() -> LiveReps:
    """The reps this server is recording or saving now (reps.live.LiveReps)."""
    return current_app.extensions[KEY]["live"]


def lesson_jobs() -> LessonJobs:
    """The queue of lessons to analyse (lessons.jobs.LessonJobs): submit, cancel, analyse again."""
    return current_app.extensions[KEY]["lesson_jobs"]


def rep_or_404(rep_id: int) -> Rep:
    rep = store().rep(rep_id)
    if rep is None:
        abort(404, description=f"there is no attempt {rep_id}")
    return rep


def session_or_404(session_id: int) -> tuple[Session, ActionStep | None, str | None]:
    """A session, its action step and, if the step cannot be loaded, why not."""
    session = store().session(session_id)
    if session is None:
        abort(404, description=f"there is no session {session_id}; start one from the first page")
    try:
        step, _roster = session_step(session, store().instance)
    except RehearseError as exc:
        return session, None, str(exc)
    return session, step, None


def teacher_or_404(teacher_id: int) -> Teacher:
    teacher = store().teacher(teacher_id)
    if teacher is None:
        abort(404, description=f"there is no teacher {teacher_id}; their data may have been deleted")
    return teacher
