"""What every query over attempts shares: a session's attempts with their coach marks (and taps
and comments) decoded, and the session row's progress kept true to its attempts in every write that changes them.

The store does not judge progress: `Progress` is the function that does (coaching.progress_of),
given to the store when it is opened (Store.open; reps.open_store gives the coach's)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Callable

# (a session's attempts, its fluent_after) -> {"accurate_at", "fluent_at", "scored", "passed", ...}
Progress = Callable[[list[dict[str, Any]], int], dict[str, Any]]


def session_attempts(db: sqlite3.Connection, session_id: int, taps: bool = True) -> list[dict[str, Any]]:
    rows = db.execute("SELECT * FROM attempts WHERE session_id = ? ORDER BY rep", (session_id,))
    return with_marks(db, [dict(r) for r in rows], taps)


def refresh_progress(db: sqlite3.Connection, session_id: int, progress_of: Progress) -> None:
    """Keep the session row's accurate/fluent reps and its counts of reps true to its attempts, as
    `progress_of` judges them (called inside every write that can change them, in the same transaction)."""
    fluent_after = db.execute("SELECT fluent_after FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
    # Progress needs no taps (and the migrations before version 4 run it with no table for them).
    attempts = session_attempts(db, session_id, taps=False)
    progress = progress_of(attempts, fluent_after)
    db.execute("UPDATE sessions SET accurate_at = ?, fluent_at = ?, reps = ?, reps_scored = ?, reps_passed = ?"
               " WHERE id = ?", (progress["accurate_at"], progress["fluent_at"], len(attempts),
                                 progress["scored"], progress["passed"], session_id))


def with_marks(db: sqlite3.Connection, attempts: list[dict[str, Any]], taps: bool = True) -> list[dict[str, Any]]:
    """Decode each attempt's result and attach its coach marks and (unless `taps` is False) its passes
    of taps, oldest first, and the coach's comments on its recording, in the order they are heard:
    one query each for all of them. (`taps` False: neither, for what needs only the verdicts, and
    for the migrations that run before those tables exist.)"""
    marks: dict[int, dict[str, Any]] = {a["id"]: {} for a in attempts}
    passes: dict[int, list[dict[str, Any]]] = {a["id"]: [] for a in attempts}
    comments: dict[int, list[dict[str, Any]]] = {a["id"]: [] for a in attempts}
    for start in range(0, len(attempts), 500):  # SQLite's limit on bound parameters
        ids = list(marks)[start:start + 500]
        among = f"attempt_id IN ({','.join('?' * len(ids))})"
        for m in db.execute(f"SELECT * FROM coach_marks WHERE {among}", ids):
            marks[m["attempt_id"]][m["criterion"]] = {
                "passed": None if m["passed"] is None else bool(m["passed"]),
                "comment": m["comment"], "marked_at": m["marked_at"],
                # migrations before version 5 read marks (refresh_progress) before the column exists
                "pupil": m["pupil"] if "pupil" in m.keys() else None}
        for t in db.execute(f"SELECT id, attempt_id, source, question_end_s, name_s, tapped_at FROM taps"
                            f" WHERE {among} ORDER BY id", ids) if taps else []:
            passes[t["attempt_id"]].append({k: t[k] for k in ("id", "source", "question_end_s", "name_s", "tapped_at")})
        for c in db.execute(f"SELECT id, attempt_id, at_s, text, created_at, edited_at FROM comments"
                            f" WHERE {among} ORDER BY at_s, id", ids) if taps else []:
            comments[c["attempt_id"]].append({k: c[k] for k in ("id", "at_s", "text", "created_at", "edited_at")})
    for attempt in attempts:
        attempt["result"] = json.loads(attempt["result"]) if attempt["result"] else None
        attempt["marks"] = marks[attempt["id"]]
        if taps:
            attempt["taps"] = passes[attempt["id"]]
            attempt["comments"] = comments[attempt["id"]]
    return attempts
