"""The coach's notes at a meeting's end, kept in the sessions table (schema version 7): saving one,
and reading a teacher's meetings back — the latest session (the last meeting), the latest note
(what was agreed last time), the sessions of one action step (its history across meetings), and
each teacher's agreed next step (to preselect when a session is started for them).

Deleting a teacher deletes their notes with their session rows (database.delete_teacher).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .database import Store, now
from .records import Session
from .rows import SESSION_SQL as _SESSION, session_of

NOTE_COLUMNS = ("went_well", "next_step_id", "next_observation", "planned_at")
# An archive's session whose note rehearse could not have written (archive.ROW_CHECKS): text that is not
# text, a note longer than the form takes, a next observation that is not a YYYY-MM-DD day.
MAX_NOTE = 4000  # characters of what went well: as the form takes (authoring.MAX_TEXT)
NOTE_PROBLEMS = (f"((went_well IS NOT NULL AND (typeof(went_well) != 'text' OR length(went_well) > {MAX_NOTE}))"
                 " OR (next_step_id IS NOT NULL AND (typeof(next_step_id) != 'text' OR length(next_step_id) > 200))"
                 " OR (next_observation IS NOT NULL AND (typeof(next_observation) != 'text'"
                 " OR date(next_observation, '+0 days') IS NOT next_observation))"  # +0 days: 02-30 is not a day
                 " OR (planned_at IS NOT NULL AND typeof(planned_at) != 'text'))")
_NEWEST = " ORDER BY s.started_at DESC, s.id DESC LIMIT 1"


def save_note(store: Store, session_id: int, went_well: str | None, next_step_id: str | None,
              next_observation: str | None) -> None:
    """Keep a session's note (checked by coaching.plan.read_note), replacing any before it; a note
    with every field empty is no note."""
    empty = not (went_well or next_step_id or next_observation)
    with store.connect() as db:
        db.execute("UPDATE sessions SET went_well = ?, next_step_id = ?, next_observation = ?, planned_at = ?"
                   " WHERE id = ?", (went_well, next_step_id, next_observation, None if empty else now(), session_id))


def note_of(store: Store, session_id: int) -> dict[str, Any] | None:
    row = store.query_one(f"SELECT {', '.join(NOTE_COLUMNS)} FROM sessions WHERE id = ?", session_id)
    return None if row is None else dict(row)


def latest_session(store: Store, teacher_id: int) -> Session | None:
    """The teacher's most recent session (by when it started): the last meeting."""
    row = store.query_one(_SESSION + " WHERE s.teacher_id = ?" + _NEWEST, teacher_id)
    return None if row is None else session_of(row)


def latest_note(store: Store, teacher_id: int) -> Session | None:
    """The teacher's most recent session that has a note: what was agreed last time."""
    row = store.query_one(_SESSION + " WHERE s.teacher_id = ? AND s.planned_at IS NOT NULL" + _NEWEST, teacher_id)
    return None if row is None else session_of(row)


def step_sessions(store: Store, teacher_id: int, step_id: str) -> list[Session]:
    """The teacher's sessions on one action step, oldest first, with their counts and progress."""
    rows = store.query_all(_SESSION + " WHERE s.teacher_id = ? AND a.step_id = ? ORDER BY s.started_at, s.id",
                           teacher_id, step_id)
    return [session_of(r) for r in rows]


def agreed_steps(store: Store) -> dict[str, str]:
    """Per teacher's name, the next step agreed at their last meeting (their latest session), for
    teachers whose latest session has one."""
    rows = store.query_all(
        "SELECT t.name, s.next_step_id FROM teachers t JOIN sessions s ON s.id = ("
        " SELECT l.id FROM sessions l WHERE l.teacher_id = t.id ORDER BY l.started_at DESC, l.id DESC LIMIT 1)"
        " WHERE s.next_step_id IS NOT NULL")
    return {r["name"]: r["next_step_id"] for r in rows}


def merge_note(db: sqlite3.Connection, here_id: int, incoming: dict[str, Any]) -> None:
    """An archive's note on a session that is here already: taken if it was saved later than the
    note here (or there is none here), as coach marks are merged."""
    if incoming.get("planned_at") is None:
        return
    db.execute("UPDATE sessions SET went_well = ?, next_step_id = ?, next_observation = ?, planned_at = ?"
               " WHERE id = ? AND (planned_at IS NULL OR planned_at < ?)",
               (*(incoming.get(c) for c in NOTE_COLUMNS), here_id, incoming["planned_at"]))
