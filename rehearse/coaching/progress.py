"""Accuracy, then fluency: what a session's reps add up to, with the coach's marks applied.

A rep's verdict on a criterion is the coach's where the coach overruled it, else the app's.
Where the app did not hear whom the teacher named and the coach says who it was (a mark on
names_pupil with its pupil), the pause kept after the question counts as the wait: its verdict is
the one the app gave for that case (the criterion's `if_named`), and the rep is charted at it.
The action step is *accurate* at the first rep that meets every criterion, and *fluent* once the
last `fluent_after` reps in a row met every criterion, each without hesitation (no filler, no
pause inside the question) and with a steady wait time (all within STEADY_SPREAD_S).

Across sessions (`step_progress`), a teacher's action step became accurate in the first session
that reached accuracy, and fluent in the first that reached fluency; each rep is plotted by the
step's key metric (ActionStep.key_metric: the wait time for pose-pause-name).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping, Protocol, Sequence

from ..scoring.stored import Metrics, StoredResult

HESITATION_PAUSE_S = 0.5  # a pause this long inside the question is a hesitation
STEADY_SPREAD_S = 1.5  # wait times within this of each other are steady


class CoachMark(Protocol):
    """What these rules read of a coach's mark (store.records.Mark)."""

    passed: bool | None
    comment: str
    pupil: str | None


class ScoredRep(Protocol):
    """What these rules read of a stored rep (store.records.Rep: the store is a floor above)."""

    id: int
    number: int
    created_at: str
    result: StoredResult | None
    marks: Mapping[str, CoachMark]


class StepSession(Protocol):
    """What step_progress reads of a session (store.records.Session)."""

    id: int
    started_at: str
    mode: str
    fluent_after: int


def chosen_pupil(rep: ScoredRep) -> str | None:
    """The pupil the coach says was named, where the app did not hear whom; else None."""
    mark = rep.marks.get("names_pupil")
    return mark.pupil if mark is not None else None


def verdicts_of(rep: ScoredRep) -> list[dict[str, Any]]:
    """Each criterion of a scored rep: the app's verdict, the coach's, and the one that counts."""
    result = rep.result
    if result is None:
        return []
    pupil = chosen_pupil(rep)
    heard = result.metrics.name_heard
    verdicts = []
    for c in result.criteria:
        mark = rep.marks.get(c.id)
        coach = mark.passed if mark is not None else None
        app, detail = c.passed, c.detail
        if pupil and c.id == "names_pupil":
            detail = f"The coach says {pupil} was named" + (f' (the app heard "{heard}").' if heard else ".")
        elif pupil and c.if_named is not None and coach is None:
            # the wait kept, judged as one now that the coach has said who was named
            detail = c.if_named.detail + f" (The coach says {pupil} was named.)"
            app = c.if_named.passed
        verdicts.append({
            "id": c.id, "detail": detail, "app": app, "coach": coach,
            "comment": mark.comment if mark is not None else "", "passed": app if coach is None else coach,
            "pupil": pupil if c.id == "names_pupil" else None,
        })
    return verdicts


def marked(rep: ScoredRep) -> Metrics | None:
    """A scored rep's measured figures, with the coach's say applied: the pupil the coach chose
    and the wait kept (the pause after the question) where the app timed none for want of a name
    after it; a name said first keeps its pause as the wait too (criteria.wait_time judges it so).
    Which words were the name does not change (the words heard are still the words heard)."""
    if rep.result is None:
        return None
    metrics = rep.result.metrics
    pupil = chosen_pupil(rep)
    kept = metrics.pause_after_question_s
    if pupil:
        metrics = replace(metrics, named_pupil=pupil, name_chosen_by_coach=True)
    if metrics.wait_time_s is None and kept is not None and (pupil or metrics.named_before_question):
        # a wait the app did not time as one: the pause after the question
        metrics = replace(metrics, wait_time_s=kept, wait_kept_s=kept)
    return metrics


def marked_metrics(rep: ScoredRep) -> dict[str, Any] | None:
    """`marked` as the pages and exports give it: the stored figures' JSON with the coach's say."""
    metrics = marked(rep)
    return None if metrics is None else metrics.to_json()


def rep_passed(rep: ScoredRep) -> bool | None:
    """Did the rep meet every criterion (coach's marks applied)? None if it is not scored."""
    verdicts = verdicts_of(rep)
    return all(v["passed"] for v in verdicts) if verdicts else None


def hesitated(result: StoredResult) -> bool:
    """A filler, or a pause inside the question: the step was done, but not yet without effort."""
    metrics = result.metrics
    if metrics.filler_count:
        return True
    start, end = metrics.question_start_s, metrics.question_end_s
    if start is None or end is None:
        return False
    return any(p.duration >= HESITATION_PAUSE_S and p.start >= start and p.end <= end for p in result.pauses)


def progress_of(reps: Iterable[ScoredRep], fluent_after: int = 3) -> dict[str, Any]:
    """Per rep: passed, wait time, hesitation; and the reps at which the step became accurate and fluent."""
    points, accurate_at, fluent_at, run = [], None, None, []
    for rep in sorted(reps, key=lambda r: r.number):
        passed = rep_passed(rep)
        if rep.result is None or passed is None:  # not scored: neither counts nor breaks the run
            points.append({"rep": rep.number, "passed": None, "wait_time_s": None, "hesitated": None})
            continue
        wait = marked(rep).wait_time_s
        hesitant = hesitated(rep.result)
        smooth = passed and not hesitant
        points.append({"rep": rep.number, "passed": passed, "wait_time_s": wait, "hesitated": hesitant})
        if passed and accurate_at is None:
            accurate_at = rep.number
        run = run + [wait] if smooth else []
        waits = [w for w in run[-fluent_after:] if w is not None]
        steady = not waits or max(waits) - min(waits) <= STEADY_SPREAD_S
        if fluent_at is None and len(run) >= fluent_after and steady:
            fluent_at = rep.number
    scored = [p for p in points if p["passed"] is not None]
    return {
        "streak": len(run),  # reps in a row, up to the last, that count towards fluency
        "reps": points,
        "scored": len(scored),
        "passed": sum(1 for p in scored if p["passed"]),
        "accurate_at": accurate_at,
        "fluent_at": fluent_at,
        "fluent_after": fluent_after,
    }


def metric_value(rep: ScoredRep, metric_id: str) -> float | None:
    """The value of a key metric (see ActionStep.key_metric) for a scored rep, else None."""
    result = rep.result
    if result is None:
        return None
    if metric_id == "criteria_met":
        return sum(v["passed"] for v in verdicts_of(rep))
    if metric_id == "spoken_s":
        spoken = result.utterances
        return round(spoken[-1].end - spoken[0].start, 3) if spoken else None
    return marked(rep).get(metric_id)


def step_progress(sessions: Iterable[tuple[StepSession, Sequence[ScoredRep]]], metric_id: str) -> dict[str, Any]:
    """One teacher's progress on one action step across sessions (each with its reps; history.step_history):
    every rep as a point, each session's pass rate, and when the step first became accurate and
    fluent (session, rep and date)."""
    points, per_session, accurate, fluent = [], [], None, None
    for session, reps in sorted(sessions, key=lambda pair: (pair[0].started_at, pair[0].id)):
        reps = sorted(reps, key=lambda r: r.number)
        progress = progress_of(reps, session.fluent_after)
        for rep, point in zip(reps, progress["reps"]):
            points.append({"attempt_id": rep.id, "session_id": session.id, "rep": point["rep"],
                           "at": rep.created_at, "passed": point["passed"],
                           "hesitated": point["hesitated"], "value": metric_value(rep, metric_id)})
        per_session.append({
            "id": session.id, "started_at": session.started_at, "mode": session.mode,
            "reps": len(reps), "scored": progress["scored"], "passed": progress["passed"],
            "pass_rate": progress["passed"] / progress["scored"] if progress["scored"] else None,
            "accurate_at": progress["accurate_at"], "fluent_at": progress["fluent_at"],
        })
        if accurate is None and progress["accurate_at"] is not None:
            accurate = _milestone(session, reps, progress["accurate_at"])
        if fluent is None and progress["fluent_at"] is not None:
            fluent = _milestone(session, reps, progress["fluent_at"])
    return {"points": points, "sessions": per_session, "accurate": accurate, "fluent": fluent}


def _milestone(session: StepSession, reps: Sequence[ScoredRep], number: int) -> dict[str, Any]:
    rep = next(r for r in reps if r.number == number)
    return {"session_id": session.id, "rep": number, "attempt_id": rep.id, "at": rep.created_at}
