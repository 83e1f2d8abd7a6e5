"""A teacher's observed lessons on the teacher's page (templates/teacher.html): the lessons listed and,
for each action step observed in a lesson, each rehearsal session's median wait and each lesson's
median wait by date (static/lesson_waits.js draws it), with the last of each in words ("in rehearsal
6.3 s; in the lesson 2.1 s"). The two are the same measure: the median over the questions (a rep
holds one) of the wait from the question's end to the next speech (the name, in a rep). And the
lesson observed after a meeting's plan, which the plan's "next observation" links to.

The page reaches these through template globals (`install`), so the teacher page's route is unchanged.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Flask, url_for

from ..coaching.progress import metric_value
from ..store import history
from ..store import lessons as stored
from ..store.records import Lesson
from . import context
from .display import step_or_problem
from .lesson_view import median_wait


def posed(lesson: Lesson) -> list[dict[str, Any]]:
    return [q for q in (lesson.result or {}).get("questions") or [] if q.get("kind", "posed") == "posed"]


def lesson_median(lesson: Lesson) -> float | None:
    """The lesson's median wait as the analysis job kept it, else from its questions posed (the same
    median, observe.measures.counts_of)."""
    if lesson.median_wait_s is not None:
        return lesson.median_wait_s
    return median_wait(q.get("wait_s") for q in posed(lesson))


def _lesson_row(lesson: Lesson) -> dict[str, Any]:
    done = lesson.status == "done" and lesson.result is not None
    return {"id": lesson.id, "at": lesson.created_at, "step_id": lesson.step_id, "title": lesson.step_title,
            "status": lesson.status, "questions": len(posed(lesson)) if done else None,
            "median_wait_s": lesson_median(lesson) if done else None,
            "url": url_for("lesson_page.lesson_page", lesson_id=lesson.id)}


def teacher_lessons(teacher_id: int) -> dict[str, Any]:
    """{"lessons": newest first, "charts": one per step observed: sessions' and lessons' medians by date}."""
    store = context.store()
    lessons = stored.lessons_of(store, teacher_id=teacher_id)
    rows = [_lesson_row(lesson) for lesson in lessons]
    charts = []
    step_rows = {r["step_id"]: r["id"] for r in history.action_steps(store)}
    for step_id in dict.fromkeys(r["step_id"] for r in rows if r["median_wait_s"] is not None):
        sessions = []
        if step_id in step_rows:
            for session, reps in history.step_history(store, teacher_id, step_rows[step_id]):
                wait = median_wait(metric_value(rep, "wait_time_s") for rep in reps)
                if wait is not None:
                    sessions.append({"at": session.started_at, "median_wait_s": wait,
                                     "url": url_for("pages.summary", session_id=session.id)})
        observed = sorted((r for r in rows if r["step_id"] == step_id and r["median_wait_s"] is not None),
                          key=lambda r: r["at"])
        step, _ = step_or_problem(step_id, store.instance)
        band = step.wait_band if step else None
        charts.append({"step_id": step_id, "title": observed[-1]["title"], "sessions": sessions,
                       "lessons": [{k: r[k] for k in ("at", "median_wait_s", "url")} for r in observed],
                       "band": {"min_s": band[0], "max_s": band[1]} if band else None,
                       "words": _words(sessions, observed)})
    return {"lessons": rows, "charts": charts}


def _words(sessions: list[dict[str, Any]], lessons: list[dict[str, Any]]) -> str:
    """'in rehearsal 6.3 s; in the lesson 2.1 s': the last session's median wait and the last lesson's."""
    said = [f"in rehearsal {sessions[-1]['median_wait_s']:.1f} s"] if sessions else ["not rehearsed with a wait measured"]
    return "; ".join(said + [f"in the lesson {lessons[-1]['median_wait_s']:.1f} s"])


def lesson_after(teacher_id: int, since: str | None) -> dict[str, Any] | None:
    """The first lesson of the teacher's recorded after `since` (a meeting's session's start): the
    observation that meeting planned."""
    if not since:
        return None
    later = [lesson for lesson in stored.lessons_of(context.store(), teacher_id=teacher_id)
             if _instant(lesson.created_at) > _instant(since)]
    return _lesson_row(min(later, key=lambda lesson: _instant(lesson.created_at))) if later else None


def _instant(iso: str) -> datetime:
    """A stored time (UTC, with or without its offset written) as an aware datetime, to compare."""
    stamp = datetime.fromisoformat(iso)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def install(app: Flask) -> None:
    app.jinja_env.globals.update(teacher_lessons=teacher_lessons, lesson_after=lesson_after)
