"""Model and non-example recordings of an action step, scored like any attempt.

The coach records (or uploads) a model of the step and, if they like, a non-example; the teacher
plays them before practising. Each is scored against the step, so the coach sees that the model
passes and the non-example fails — and that the criteria judge what they meant. A shipped step
has a shipped model (TTS, in audio/examples/) until the coach records their own.

Recordings live in the instance folder under examples/<step id>/; a new recording becomes the
current one and the earlier files stay on disk. The table `examples` holds the current one per
step and kind, with its result.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import RehearseError
from ..scoring.result import Result
from ..scoring.steps import EXAMPLE_KINDS, SHIPPED_AUDIO, ActionStep, shipped_example
from .database import Store, inside, new_uid, now
from .faults import storage_problem

def check_kind(kind: str) -> str:
    if kind not in EXAMPLE_KINDS:
        raise RehearseError(f"unknown kind of example {kind!r}; expected model or non_example")
    return kind


def example(store: Store, step_id: str, kind: str) -> dict[str, Any] | None:
    """The current model (or non-example) of a step, with its result decoded; the shipped one if the
    coach has not recorded one (registered on first sight, not scored yet)."""
    check_kind(kind)
    query = "SELECT * FROM examples WHERE step_id = ? AND kind = ?"
    row = store.query_one(query, step_id, kind)
    if row is None and (shipped := shipped_example(step_id, kind)):
        try:
            with store.connect() as db:
                db.execute("INSERT OR IGNORE INTO examples(step_id, kind, source, audio_path, status, created_at)"
                           " VALUES (?, ?, 'shipped', ?, 'new', ?)", (step_id, kind, shipped.name, now()))
        except sqlite3.OperationalError as exc:
            if storage_problem(exc) is None:
                raise
            return None  # a full disk: registered once it can be written; the page that only reads still shows
        row = store.query_one(query, step_id, kind)
    if row is None:
        return None
    found = dict(row)
    found["result"] = json.loads(found["result"]) if found["result"] else None
    return found


def examples_of(store: Store, step: ActionStep) -> dict[str, dict[str, Any] | None]:
    """The step's current model and non-example, by kind (None where there is none)."""
    return {kind: example(store, step.id, kind) for kind in EXAMPLE_KINDS}


def new_example(store: Store, step_id: str, kind: str, source: str, suffix: str = ".wav") -> dict[str, Any]:
    """Make a new recording the step's current model (or non-example); returns it with its path."""
    check_kind(kind)
    # A file of its own even when two are started in the same second (two tabs): the earlier one's
    # recording is never written over.
    stamp = now().replace(":", "").replace("+0000", "")
    relative = f"examples/{step_id}/{EXAMPLE_KINDS[kind]}-{stamp}-{new_uid()[:8]}{suffix}"
    with store.connect() as db:
        db.execute("DELETE FROM examples WHERE step_id = ? AND kind = ?", (step_id, kind))
        cur = db.execute("INSERT INTO examples(step_id, kind, source, audio_path, status, created_at)"
                         " VALUES (?, ?, ?, ?, 'recording', ?)", (step_id, kind, source, relative, now()))
    return {"id": int(cur.lastrowid), "step_id": step_id, "kind": kind, "source": source,
            "audio_path": relative}


def example_file(store: Store, found: dict[str, Any]) -> Path:
    if found["source"] == "shipped":
        return inside(SHIPPED_AUDIO, found["audio_path"])
    return inside(store.instance, found["audio_path"], store.instance / "examples")


def save_result(store: Store, example_id: int, result: Result) -> None:
    with store.connect() as db:
        db.execute("UPDATE examples SET status = 'scored', error = NULL, result = ?, passed = ?, duration_s = ?"
                   " WHERE id = ?", (json.dumps(result.to_dict()), int(result.passed), result.duration_s,
                                      example_id))


def save_failure(store: Store, example_id: int, error: str, duration_s: float | None = None) -> None:
    with store.connect() as db:
        db.execute("UPDATE examples SET status = 'unscored', error = ?, duration_s = COALESCE(?, duration_s)"
                   " WHERE id = ?", (error, duration_s, example_id))


def unfinished(store: Store) -> list[dict[str, Any]]:
    """Models and non-examples left 'recording' (the server stopped while they were recorded)."""
    return [dict(row) for row in store.query_all("SELECT * FROM examples WHERE status = 'recording'")]


def unscored(store: Store) -> list[dict[str, Any]]:
    """The current models and non-examples that could not be scored, to score again."""
    return [dict(row) for row in store.query_all("SELECT * FROM examples WHERE status = 'unscored'"
                                                 " ORDER BY step_id, kind")]

