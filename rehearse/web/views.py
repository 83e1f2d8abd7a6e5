"""What the pages show, as plain dicts: a scenario, an attempt (verdicts, marked transcript) and a
session with its progress. The session page's script and the templates both read these."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import abort, current_app, url_for

from ..coaching.calibration import attempt_agreement, band_view, summarise
from ..coaching.progress import attempt_passed, marked_metrics, progress_of, verdicts_of
from ..errors import RehearseError
from ..scoring.names import parse_roster
from ..scoring.scenarios import Scenario
from ..store import examples
from ..store.attempts import LiveReps, session_scenario
from ..store.database import Store

WORD_SLACK_S = 0.6  # how far Whisper may place a word from the speech it belongs to


def services() -> tuple[Store, Any]:
    ext = current_app.extensions["rehearse"]
    return ext["store"], ext["scorer"]


def live_reps() -> LiveReps:
    """The reps this server is recording or saving now (see attempts.LiveReps)."""
    return current_app.extensions["rehearse"]["live"]


def session_or_404(session_id: int) -> tuple[Store, dict[str, Any], Scenario | None, str | None]:
    """The store, a session, its action step and, if the step cannot be loaded, why not."""
    store, _ = services()
    session = store.session(session_id)
    if session is None:
        abort(404, description=f"there is no session {session_id}; start one from the first page")
    try:
        scenario, _roster = session_scenario(session, store.instance)
    except RehearseError as exc:
        return store, session, None, str(exc)
    return store, session, scenario, None


def attempt_or_404(attempt_id: int) -> dict[str, Any]:
    store, _ = services()
    attempt = store.attempt(attempt_id)
    if attempt is None:
        abort(404, description=f"there is no attempt {attempt_id}")
    return attempt


def scenario_view(scenario: Scenario) -> dict[str, Any]:
    return {
        "id": scenario.id, "title": scenario.title, "goal": scenario.goal, "strategy": scenario.strategy,
        "prompt": scenario.prompt, "model": scenario.model, "non_example": scenario.non_example,
        "criteria": [{"id": c.id, "description": c.description} for c in scenario.criteria],
        "roster": list(scenario.roster_lines),  # as written, with how names sound
        "wait_band": band_view(scenario.wait_band),
    }


def playable_examples(store: Store, scenario: Scenario | None) -> list[dict[str, Any]]:
    """The step's model and non-example the teacher can play before practising (not one still being
    recorded)."""
    found = examples.examples_of(store, scenario).values() if scenario else []
    return [example_view(f, scenario) for f in found if f and f["status"] != "recording"]


def example_view(found: dict[str, Any] | None, scenario: Scenario | None = None) -> dict[str, Any] | None:
    """A step's model or non-example for the page: where to play it, and how it scored."""
    if found is None:
        return None
    descriptions = {c.id: c.description for c in scenario.criteria} if scenario else {}
    result = found["result"] or {}
    kind, step = found["kind"], found["scenario_id"]
    return {
        "id": found["id"], "kind": kind, "label": "Model" if kind == "model" else "Non-example",
        "source": found["source"], "status": found["status"], "error": found["error"],
        "passed": None if found["passed"] is None else bool(found["passed"]),
        "verdicts": [v | {"description": descriptions.get(v["id"], v["id"])} for v in result.get("criteria", [])],
        "transcript": result.get("transcript"), "wait_time_s": (result.get("metrics") or {}).get("wait_time_s"),
        "audio_url": url_for("steps.example_audio", scenario_id=step, kind=kind, v=found["id"]),
        "score_url": url_for("steps.score_example", scenario_id=step, kind=kind),
    }


def attempt_view(attempt: dict[str, Any], scenario: Scenario | None) -> dict[str, Any]:
    """An attempt for the page: its verdicts with the coach's marks, and its transcript marked."""
    descriptions = {c.id: c.description for c in scenario.criteria} if scenario else {}
    result = attempt.get("result")
    verdicts = [v | {"description": descriptions.get(v["id"], v["id"])} for v in verdicts_of(attempt)]
    view = {
        "id": attempt["id"], "rep": attempt["rep"], "source": attempt["source"],
        "status": attempt["status"], "error": attempt["error"], "created_at": attempt["created_at"],
        "duration_s": attempt["duration_s"], "passed": attempt_passed(attempt),
        "app_passed": None if attempt["passed"] is None else bool(attempt["passed"]),
        "overruled": any(v["coach"] is not None and v["coach"] != v["app"] for v in verdicts),
        "audio_url": url_for("pages.attempt_audio", attempt_id=attempt["id"]),
        "verdicts": verdicts,
        "taps": attempt.get("taps", []),
        "comments": attempt.get("comments", []),  # the coach's, each at a moment of the recording
        "agreement": attempt_agreement(result, attempt.get("taps", []), scenario.wait_band if scenario else None),
    }
    if result:
        metrics = marked_metrics(attempt)  # with the pupil the coach chose, and the wait kept
        view |= {
            "metrics": metrics, "pauses": result["pauses"], "utterances": result["utterances"],
            "words": marked_words(result | {"metrics": metrics}), "timings": result.get("timings", {}),
        }
    return view


def compare_choice(attempt: dict[str, Any]) -> dict[str, Any]:
    """Another rep to compare with, as the list names it: when, which rep, met or not and the wait,
    with the coach's marks applied (the figures the chart and the feedback show)."""
    metrics = marked_metrics(attempt) or {}
    return {"id": attempt["id"], "rep": attempt["rep"], "started_at": attempt["started_at"],
            "passed": attempt_passed(attempt), "wait_time_s": metrics.get("wait_time_s")}


def marked_words(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The transcript's words, each with its role: part of the question, the named pupil, or none."""
    m = result["metrics"]
    q_start, q_end = m.get("question_start_s"), m.get("question_end_s")
    name_at = m.get("name_start_s")
    heard = set(re.findall(r"[a-z']+", (m.get("name_heard") or "").lower()))
    words, name_marked = [], False
    for w in result["words"]:
        middle = (w["start"] + w["end"]) / 2
        role = None
        # Word times can be half a second off at a pause (never used for timing): allow for it.
        if (q_start is not None and q_start - WORD_SLACK_S <= middle <= q_end + WORD_SLACK_S
                and (name_at is None or middle < name_at - 0.2)):
            role = "question"
        elif (not name_marked and m.get("named_pupil") and q_end is not None and middle > q_end
              and set(re.findall(r"[a-z']+", w["word"].lower())) & heard):
            role, name_marked = "name", True
        words.append({"word": w["word"], "start": w["start"], "end": w["end"], "role": role})
    return words


def session_pupils(session: dict[str, Any], scenario: Scenario | None) -> list[str]:
    """The names of the session's class (as the coach set it, else the step's), without how they sound."""
    if session["roster"]:
        return [p.name for p in parse_roster(session["roster"])]
    return [p.name for p in scenario.roster] if scenario else []


def session_view(store: Store, session: dict[str, Any], scenario: Scenario | None) -> dict[str, Any]:
    attempts = store.attempts(session["id"])
    views = [attempt_view(a, scenario) for a in attempts]
    return {
        "session": {k: session[k] for k in ("id", "teacher", "teacher_id", "scenario_id", "title", "roster",
                                            "reps_target", "fluent_after", "started_at", "finished_at", "mode")}
        | {"pupils": session_pupils(session, scenario)},
        "scenario": scenario_view(scenario) if scenario else None,
        "attempts": views,
        "progress": progress_of(attempts, session["fluent_after"]),
        "calibration": summarise(v["agreement"] for v in views),
    }


# Template filters: stored times are UTC; a coach reads them in the laptop's own time.

def when(iso: str | None) -> str:
    """'Tue 3 Nov 2026, 09:00' in local time."""
    if not iso:
        return ""
    local = datetime.fromisoformat(iso).astimezone()
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def day(iso: str | None) -> str:
    """'3 Nov 2026' in local time."""
    if not iso:
        return ""
    local = datetime.fromisoformat(iso).astimezone()
    return f"{local.day} {local:%b %Y}"


def metric(metrics: dict[str, Any] | None, key: str) -> Any:
    return (metrics or {}).get(key)


def signed_s(seconds: float | None) -> str:
    """A difference in seconds with its sign: '+0.25 s', '−0.10 s' ('—' for none)."""
    if seconds is None:
        return "—"
    shown = round(seconds, 2)
    return "0.00 s" if shown == 0 else f"{'+' if shown > 0 else '−'}{abs(shown):.2f} s"


FILTERS = {"when": when, "day": day, "metric": metric, "signed_s": signed_s}
