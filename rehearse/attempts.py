"""Stored attempts and the engine together: score a recording of a session and keep the outcome.

Used by every face that makes attempts (the browser's live recording and upload, later the terminal):
whatever happens, the recording stays where it is and the attempt row says either what was measured
or, in one line, why it could not be scored, so it can be scored again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .engine import Scorer
from .errors import RehearseError
from .names import Pupil, parse_roster
from .result import Result
from .scenarios import Scenario, get_scenario
from .store import Store


def session_scenario(session: dict[str, Any], instance: Path | None) -> tuple[Scenario, list[Pupil]]:
    """The session's action step (the instance folder may hold the school's own) and the roster the
    coach set for it."""
    scenario = get_scenario(session["scenario_id"], instance)
    roster = parse_roster(session["roster"]) if session["roster"] else list(scenario.roster)
    return scenario, roster


def keep_result(store: Store, attempt_id: int, result: Result) -> None:
    store.save_result(attempt_id, result.to_dict() | {"timings": result.timings})


def score_stored(store: Store, scorer: Scorer, attempt_id: int) -> dict[str, Any]:
    """Score (or score again) a stored attempt from its recording; return the attempt as stored."""
    attempt = store.attempt(attempt_id)
    if attempt is None:
        raise LookupError(f"no attempt {attempt_id}")
    session = store.session(attempt["session_id"])
    try:
        scenario, roster = session_scenario(session, store.instance)
        result = scorer.score_file(store.audio_file(attempt), scenario, roster)
    except RehearseError as exc:
        store.save_failure(attempt_id, _without_path(str(exc), store, attempt))
    else:
        keep_result(store, attempt_id, result)
    return store.attempt(attempt_id)


def _without_path(message: str, store: Store, attempt: dict[str, Any]) -> str:
    """Engine messages start with the file's path, which means nothing on a page."""
    path = str(store.audio_file(attempt))
    return message.replace(path + ": ", "").replace(path, "this recording")
