"""Where rows become records (records.py), in one place: a session's reps with their coach marks
(and taps and comments), and the session row's progress kept true to its reps in every write that
changes them.

The store does not judge progress: `Progress` is the function that does (coaching.progress_of),
given to the store when it is opened (Store.open; reps.open_store gives the coach's)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..scoring.stored import StoredResult
from .records import Comment, Mark, Rep, Session, TapPass

# (a session's reps, its fluent_after) -> {"accurate_at", "fluent_at", "scored", "passed", ...}
Progress = Callable[[list[Rep], int], dict[str, Any]]

SESSION_SQL = ("SELECT s.*, t.name AS teacher, a.step_id, a.title FROM sessions s"
               " JOIN teachers t ON t.id = s.teacher_id JOIN action_steps a ON a.id = s.action_step_id")


def session_reps(db: sqlite3.Connection, session_id: int, taps: bool = True) -> list[Rep]:
    rows = db.execute("SELECT * FROM attempts WHERE session_id = ? ORDER BY rep", (session_id,))
    return reps_of(db, list(rows), taps)


def refresh_progress(db: sqlite3.Connection, session_id: int, progress_of: Progress) -> None:
    """Keep the session row's accurate/fluent reps and its counts of reps true to its reps, as
    `progress_of` judges them (called inside every write that can change them, in the same transaction)."""
    fluent_after = db.execute("SELECT fluent_after FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
    # Progress needs no taps (and the migrations before version 4 run it with no table for them).
    reps = session_reps(db, session_id, taps=False)
    progress = progress_of(reps, fluent_after)
    db.execute("UPDATE sessions SET accurate_at = ?, fluent_at = ?, reps = ?, reps_scored = ?, reps_passed = ?"
               " WHERE id = ?", (progress["accurate_at"], progress["fluent_at"], len(reps),
                                 progress["scored"], progress["passed"], session_id))


def session_of(row: Mapping[str, Any]) -> Session:
    """A session from a row of SESSION_SQL (or of `sessions` joined with its teacher's name and its step)."""
    row = dict(row)
    return Session(
        id=row["id"], teacher_id=row["teacher_id"], teacher=row["teacher"], step_id=row["step_id"],
        title=row["title"], started_at=row["started_at"], uid=row.get("uid"), step_row=row.get("action_step_id"),
        roster=tuple(n for n in (row.get("roster") or "").splitlines() if n.strip()),
        reps_target=row.get("reps_target", 10), fluent_after=row.get("fluent_after", 3),
        mode=row.get("mode") or "coached", finished_at=row.get("finished_at"),
        summary=json.loads(row["summary"]) if row.get("summary") else None,
        accurate_at=row.get("accurate_at"), fluent_at=row.get("fluent_at"), reps=row.get("reps") or 0,
        reps_scored=row.get("reps_scored") or 0, reps_passed=row.get("reps_passed") or 0,
        went_well=row.get("went_well"), next_step_id=row.get("next_step_id"),
        next_observation=row.get("next_observation"), planned_at=row.get("planned_at"))


def reps_of(db: sqlite3.Connection, rows: list[sqlite3.Row], taps: bool = True) -> list[Rep]:
    """Reps from rows of `attempts`, each with its result read and its coach marks and (unless `taps` is False)
    its passes of taps, oldest first, and the coach's comments on its recording, in the order they
    are heard: one query each for all of them. (`taps` False: neither, for what needs only the
    verdicts, and for the migrations that run before those tables exist.)"""
    marks: dict[int, dict[str, Mark]] = {r["id"]: {} for r in rows}
    passes: dict[int, list[TapPass]] = {r["id"]: [] for r in rows}
    comments: dict[int, list[Comment]] = {r["id"]: [] for r in rows}
    for start in range(0, len(rows), 500):  # SQLite's limit on bound parameters
        ids = list(marks)[start:start + 500]
        among = f"attempt_id IN ({','.join('?' * len(ids))})"
        for m in db.execute(f"SELECT * FROM coach_marks WHERE {among}", ids):
            marks[m["attempt_id"]][m["criterion"]] = Mark(
                passed=None if m["passed"] is None else bool(m["passed"]), comment=m["comment"],
                marked_at=m["marked_at"],
                # migrations before version 5 read marks (refresh_progress) before the column exists
                pupil=m["pupil"] if "pupil" in m.keys() else None)
        for t in db.execute(f"SELECT id, attempt_id, source, question_end_s, name_s, tapped_at FROM taps"
                            f" WHERE {among} ORDER BY id", ids) if taps else []:
            passes[t["attempt_id"]].append(TapPass(t["id"], t["source"], t["question_end_s"], t["name_s"], t["tapped_at"]))
        for c in db.execute(f"SELECT id, attempt_id, at_s, text, created_at, edited_at FROM comments"
                            f" WHERE {among} ORDER BY at_s, id", ids) if taps else []:
            comments[c["attempt_id"]].append(Comment(c["id"], c["at_s"], c["text"], c["created_at"], c["edited_at"]))
    return [rep_of(r, marks[r["id"]], tuple(passes[r["id"]]), tuple(comments[r["id"]])) for r in rows]


def rep_of(row: Mapping[str, Any], marks: Mapping[str, Mark] | None = None, taps: tuple[TapPass, ...] = (),
           comments: tuple[Comment, ...] = ()) -> Rep:
    """A rep from one row of `attempts`, and what reps_of read beside it."""
    row = dict(row)
    passed = row.get("passed")
    return Rep(
        id=row["id"], session_id=row["session_id"], number=row["rep"], status=row["status"],
        created_at=row["created_at"], uid=row.get("uid"), source=row.get("source") or "live",
        audio_path=row.get("audio_path") or "", error=row.get("error"), duration_s=row.get("duration_s"),
        app_passed=None if passed is None else bool(passed),
        result=StoredResult.from_json(json.loads(row["result"])) if row.get("result") else None,
        marks=MappingProxyType(dict(marks or {})), taps=taps, comments=comments)


def with_sessions(db: sqlite3.Connection, reps: list[Rep]) -> list[Rep]:
    """The reps, each with its session (for what lists reps across sessions)."""
    wanted = sorted({r.session_id for r in reps})
    sessions: dict[int, Session] = {}
    for start in range(0, len(wanted), 500):
        ids = wanted[start:start + 500]
        for row in db.execute(f"{SESSION_SQL} WHERE s.id IN ({','.join('?' * len(ids))})", ids):
            sessions[row["id"]] = session_of(row)
    return [replace(r, session=sessions[r.session_id]) for r in reps]
