"""Accuracy, then fluency: what a session's attempts add up to, with the coach's marks applied.

An attempt's verdict on a criterion is the coach's where the coach overruled it, else the app's.
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
from typing import Any

from ..scoring.stored import Metrics, StoredResult

HESITATION_PAUSE_S = 0.5  # a pause this long inside the question is a hesitation
STEADY_SPREAD_S = 1.5  # wait times within this of each other are steady


def result_of(attempt: dict[str, Any]) -> StoredResult | None:
    """A stored attempt's result, typed (scoring.stored.StoredResult); None if it is not scored.
    The functions below read it themselves, or take it read once as `result` (over many reps)."""
    result = attempt.get("result")
    return StoredResult.from_json(result) if result else None


def _read(attempt: dict[str, Any], result: StoredResult | None) -> StoredResult | None:
    return result if result is not None else result_of(attempt)


def chosen_pupil(attempt: dict[str, Any]) -> str | None:
    """The pupil the coach says was named, where the app did not hear whom; else None."""
    return ((attempt.get("marks") or {}).get("names_pupil") or {}).get("pupil")


def verdicts_of(attempt: dict[str, Any], result: StoredResult | None = None) -> list[dict[str, Any]]:
    """Each criterion of a scored attempt: the app's verdict, the coach's, and the one that counts."""
    result = _read(attempt, result)
    if result is None:
        return []
    marks = attempt.get("marks") or {}
    pupil = chosen_pupil(attempt)
    heard = result.metrics.name_heard
    verdicts = []
    for c in result.criteria:
        mark = marks.get(c.id) or {}
        coach = mark.get("passed")
        app, detail = c.passed, c.detail
        if pupil and c.id == "names_pupil":
            detail = f"The coach says {pupil} was named" + (f' (the app heard "{heard}").' if heard else ".")
        elif pupil and c.if_named is not None and coach is None:
            # the wait kept, judged as one now that the coach has said who was named
            detail = c.if_named.detail + f" (The coach says {pupil} was named.)"
            app = c.if_named.passed
        verdicts.append({
            "id": c.id, "detail": detail, "app": app, "coach": coach,
            "comment": mark.get("comment", ""), "passed": app if coach is None else coach,
            "pupil": pupil if c.id == "names_pupil" else None,
        })
    return verdicts


def marked(attempt: dict[str, Any], result: StoredResult | None = None) -> Metrics | None:
    """A scored attempt's measured figures, with the coach's say applied: the pupil the coach chose
    and the wait kept (the pause after the question) where the app timed none for want of a name
    after it; a name said first keeps its pause as the wait too (criteria.wait_time judges it so).
    Which words were the name does not change (the words heard are still the words heard)."""
    result = _read(attempt, result)
    if result is None:
        return None
    metrics = result.metrics
    pupil = chosen_pupil(attempt)
    kept = metrics.pause_after_question_s
    if pupil:
        metrics = replace(metrics, named_pupil=pupil, name_chosen_by_coach=True)
    if metrics.wait_time_s is None and kept is not None and (pupil or metrics.named_before_question):
        # a wait the app did not time as one: the pause after the question
        metrics = replace(metrics, wait_time_s=kept, wait_kept_s=kept)
    return metrics


def marked_metrics(attempt: dict[str, Any], result: StoredResult | None = None) -> dict[str, Any] | None:
    """`marked` as the pages and exports give it: the stored figures' JSON with the coach's say."""
    metrics = marked(attempt, result)
    return None if metrics is None else metrics.to_json()


def attempt_passed(attempt: dict[str, Any], result: StoredResult | None = None) -> bool | None:
    """Did the attempt meet every criterion (coach's marks applied)? None if it is not scored."""
    verdicts = verdicts_of(attempt, result)
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


def progress_of(attempts: list[dict[str, Any]], fluent_after: int = 3) -> dict[str, Any]:
    """Per rep: passed, wait time, hesitation; and the reps at which the step became accurate and fluent."""
    reps, accurate_at, fluent_at, run = [], None, None, []
    for attempt in sorted(attempts, key=lambda a: a["rep"]):
        result = result_of(attempt)
        passed = attempt_passed(attempt, result)
        if passed is None:  # not scored: neither counts nor breaks the run
            reps.append({"rep": attempt["rep"], "passed": None, "wait_time_s": None, "hesitated": None})
            continue
        wait = marked(attempt, result).wait_time_s
        hesitant = hesitated(result)
        smooth = passed and not hesitant
        reps.append({"rep": attempt["rep"], "passed": passed, "wait_time_s": wait, "hesitated": hesitant})
        if passed and accurate_at is None:
            accurate_at = attempt["rep"]
        run = run + [wait] if smooth else []
        waits = [w for w in run[-fluent_after:] if w is not None]
        steady = not waits or max(waits) - min(waits) <= STEADY_SPREAD_S
        if fluent_at is None and len(run) >= fluent_after and steady:
            fluent_at = attempt["rep"]
    scored = [r for r in reps if r["passed"] is not None]
    return {
        "streak": len(run),  # reps in a row, up to the last, that count towards fluency
        "reps": reps,
        "scored": len(scored),
        "passed": sum(1 for r in scored if r["passed"]),
        "accurate_at": accurate_at,
        "fluent_at": fluent_at,
        "fluent_after": fluent_after,
    }


def metric_value(attempt: dict[str, Any], metric_id: str) -> float | None:
    """The value of a key metric (see ActionStep.key_metric) for a scored attempt, else None."""
    result = result_of(attempt)
    if result is None:
        return None
    if metric_id == "criteria_met":
        return sum(v["passed"] for v in verdicts_of(attempt, result))
    if metric_id == "spoken_s":
        spoken = result.utterances
        return round(spoken[-1].end - spoken[0].start, 3) if spoken else None
    return marked(attempt, result).get(metric_id)


def step_progress(sessions: list[dict[str, Any]], metric_id: str) -> dict[str, Any]:
    """One teacher's progress on one action step across sessions (oldest first; each session with
    its "attempts"): every rep as a point, each session's pass rate, and when the step first
    became accurate and fluent (session, rep and date)."""
    points, per_session, accurate, fluent = [], [], None, None
    for session in sorted(sessions, key=lambda s: (s["started_at"], s["id"])):
        attempts = sorted(session["attempts"], key=lambda a: a["rep"])
        progress = progress_of(attempts, session["fluent_after"])
        for attempt, rep in zip(attempts, progress["reps"]):
            points.append({"attempt_id": attempt["id"], "session_id": session["id"], "rep": rep["rep"],
                           "at": attempt["created_at"], "passed": rep["passed"],
                           "hesitated": rep["hesitated"], "value": metric_value(attempt, metric_id)})
        per_session.append({
            "id": session["id"], "started_at": session["started_at"], "mode": session["mode"],
            "reps": len(attempts), "scored": progress["scored"], "passed": progress["passed"],
            "pass_rate": progress["passed"] / progress["scored"] if progress["scored"] else None,
            "accurate_at": progress["accurate_at"], "fluent_at": progress["fluent_at"],
        })
        if accurate is None and progress["accurate_at"] is not None:
            accurate = _milestone(session, attempts, progress["accurate_at"])
        if fluent is None and progress["fluent_at"] is not None:
            fluent = _milestone(session, attempts, progress["fluent_at"])
    return {"points": points, "sessions": per_session, "accurate": accurate, "fluent": fluent}


def _milestone(session: dict[str, Any], attempts: list[dict[str, Any]], rep: int) -> dict[str, Any]:
    attempt = next(a for a in attempts if a["rep"] == rep)
    return {"session_id": session["id"], "rep": rep, "attempt_id": attempt["id"], "at": attempt["created_at"]}
