"""The history: teachers, action steps, sessions, attempts and coach marks in one SQLite file.

Recordings live next to the database as WAV files; the database keeps their path relative to the
instance folder, so the folder can be moved. Each attempt keeps the engine's result as JSON (what
was heard and measured) and, separately, the coach's marks: the automatic verdict is never
overwritten. Connections are short-lived (one per request or per job): SQLite in WAL mode lets the
page read while an attempt is being written.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS teachers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_steps (
    id INTEGER PRIMARY KEY,
    scenario_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    teacher_id INTEGER NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
    action_step_id INTEGER NOT NULL REFERENCES action_steps(id),
    roster TEXT NOT NULL,            -- one pupil per line, as the coach left it
    reps_target INTEGER NOT NULL,
    fluent_after INTEGER NOT NULL,   -- consecutive reps that make the step fluent
    mode TEXT NOT NULL DEFAULT 'coached',  -- 'coached' (web meeting) or 'solo'
    started_at TEXT NOT NULL,
    finished_at TEXT,
    summary TEXT                     -- JSON, written when the session is finished
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    rep INTEGER NOT NULL,
    source TEXT NOT NULL,            -- 'live' (streamed) or 'upload'
    audio_path TEXT NOT NULL,        -- relative to the instance folder
    status TEXT NOT NULL,            -- 'recording', 'scored' or 'unscored'
    error TEXT,                      -- why it is unscored, in words
    duration_s REAL,
    result TEXT,                     -- the engine's result as JSON
    passed INTEGER,                  -- the automatic overall verdict
    wait_time_s REAL,
    created_at TEXT NOT NULL,
    UNIQUE (session_id, rep)
);
CREATE TABLE IF NOT EXISTS coach_marks (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    criterion TEXT NOT NULL,         -- the criterion id of the result
    passed INTEGER,                  -- the coach's verdict; NULL = only a comment
    comment TEXT NOT NULL DEFAULT '',
    marked_at TEXT NOT NULL,
    UNIQUE (attempt_id, criterion)
);
CREATE INDEX IF NOT EXISTS attempts_by_session ON attempts(session_id, rep);
CREATE INDEX IF NOT EXISTS sessions_by_teacher ON sessions(teacher_id, started_at);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Store:
    """The SQLite file and the folder of recordings beside it."""

    path: Path
    recordings: Path

    @classmethod
    def open(cls, instance: str | Path) -> "Store":
        """The store in an instance folder, created with its schema if new."""
        instance = Path(instance)
        store = cls(instance / "rehearse.sqlite", instance / "recordings")
        store.recordings.mkdir(parents=True, exist_ok=True)
        with store.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return store

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _one(self, sql: str, *args) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute(sql, args).fetchall()

    # Teachers and action steps ------------------------------------------------------------

    def teacher_names(self) -> list[str]:
        return [r["name"] for r in self._all("SELECT name FROM teachers ORDER BY name")]

    def _teacher_id(self, db: sqlite3.Connection, name: str) -> int:
        db.execute("INSERT OR IGNORE INTO teachers(name, created_at) VALUES (?, ?)", (name, now()))
        return db.execute("SELECT id FROM teachers WHERE name = ?", (name,)).fetchone()["id"]

    def _action_step_id(self, db: sqlite3.Connection, scenario_id: str, title: str) -> int:
        db.execute("INSERT OR IGNORE INTO action_steps(scenario_id, title, created_at) VALUES (?, ?, ?)",
                   (scenario_id, title, now()))
        db.execute("UPDATE action_steps SET title = ? WHERE scenario_id = ?", (title, scenario_id))
        return db.execute("SELECT id FROM action_steps WHERE scenario_id = ?",
                          (scenario_id,)).fetchone()["id"]

    # Sessions -----------------------------------------------------------------------------

    def start_session(self, teacher: str, scenario_id: str, title: str, roster: list[str],
                      reps_target: int = 10, fluent_after: int = 3, mode: str = "coached") -> int:
        """Open a session for a teacher (created if new) on an action step; return its id."""
        with self.connect() as db:
            teacher_id = self._teacher_id(db, teacher)
            step_id = self._action_step_id(db, scenario_id, title)
            cur = db.execute(
                "INSERT INTO sessions(teacher_id, action_step_id, roster, reps_target, fluent_after,"
                " mode, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (teacher_id, step_id, "\n".join(roster), reps_target, fluent_after, mode, now()))
            return int(cur.lastrowid)

    def session(self, session_id: int) -> dict[str, Any] | None:
        row = self._one(
            "SELECT s.*, t.name AS teacher, a.scenario_id, a.title FROM sessions s"
            " JOIN teachers t ON t.id = s.teacher_id JOIN action_steps a ON a.id = s.action_step_id"
            " WHERE s.id = ?", session_id)
        if row is None:
            return None
        session = dict(row)
        session["roster"] = [n for n in session["roster"].splitlines() if n.strip()]
        session["summary"] = json.loads(session["summary"]) if session["summary"] else None
        return session

    def recent_sessions(self, limit: int = 8) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT s.id, s.started_at, s.finished_at, s.reps_target, t.name AS teacher, a.title,"
            " (SELECT COUNT(*) FROM attempts WHERE session_id = s.id) AS reps"
            " FROM sessions s JOIN teachers t ON t.id = s.teacher_id"
            " JOIN action_steps a ON a.id = s.action_step_id ORDER BY s.id DESC LIMIT ?", limit)
        return [dict(r) for r in rows]

    def finish_session(self, session_id: int, summary: dict[str, Any]) -> None:
        with self.connect() as db:
            db.execute("UPDATE sessions SET finished_at = COALESCE(finished_at, ?), summary = ?"
                       " WHERE id = ?", (now(), json.dumps(summary), session_id))

    # Attempts -----------------------------------------------------------------------------

    def new_attempt(self, session_id: int, source: str, suffix: str = ".wav") -> dict[str, Any]:
        """Reserve the next rep of a session and its recording path (the file is not made here)."""
        with self.connect() as db:
            rep = db.execute("SELECT COALESCE(MAX(rep), 0) + 1 FROM attempts WHERE session_id = ?",
                             (session_id,)).fetchone()[0]
            relative = f"recordings/session-{session_id}/rep-{rep:02d}{suffix}"
            cur = db.execute(
                "INSERT INTO attempts(session_id, rep, source, audio_path, status, created_at)"
                " VALUES (?, ?, ?, ?, 'recording', ?)", (session_id, rep, source, relative, now()))
            return {"id": int(cur.lastrowid), "rep": rep, "audio_path": relative}

    def audio_file(self, attempt: dict[str, Any]) -> Path:
        return self.path.parent / attempt["audio_path"]

    def save_result(self, attempt_id: int, result: dict[str, Any]) -> None:
        """Store the engine's result for an attempt (scored, or scored again)."""
        with self.connect() as db:
            db.execute(
                "UPDATE attempts SET status = 'scored', error = NULL, result = ?, passed = ?,"
                " wait_time_s = ?, duration_s = ? WHERE id = ?",
                (json.dumps(result), int(result["passed"]), result["metrics"].get("wait_time_s"),
                 result["duration_s"], attempt_id))

    def save_failure(self, attempt_id: int, error: str, duration_s: float | None = None) -> None:
        """Mark an attempt unscored, saying why; its recording stays and can be scored again."""
        with self.connect() as db:
            db.execute("UPDATE attempts SET status = 'unscored', error = ?,"
                       " duration_s = COALESCE(?, duration_s) WHERE id = ?",
                       (error, duration_s, attempt_id))

    def attempt(self, attempt_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM attempts WHERE id = ?", attempt_id)
        return None if row is None else self._with_marks([dict(row)])[0]

    def attempts(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM attempts WHERE session_id = ? ORDER BY rep", session_id)
        return self._with_marks([dict(r) for r in rows])

    def _with_marks(self, attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Decode each attempt's result and attach its coach marks (one query for all of them)."""
        marks: dict[int, dict[str, Any]] = {a["id"]: {} for a in attempts}
        if attempts:
            ids = ",".join("?" * len(attempts))
            for m in self._all(f"SELECT attempt_id, criterion, passed, comment, marked_at FROM coach_marks"
                               f" WHERE attempt_id IN ({ids})", *marks):
                marks[m["attempt_id"]][m["criterion"]] = {
                    "passed": None if m["passed"] is None else bool(m["passed"]),
                    "comment": m["comment"], "marked_at": m["marked_at"]}
        for attempt in attempts:
            attempt["result"] = json.loads(attempt["result"]) if attempt["result"] else None
            attempt["marks"] = marks[attempt["id"]]
        return attempts

    # Coach marks --------------------------------------------------------------------------

    def mark(self, attempt_id: int, criterion: str, passed: bool | None, comment: str = "") -> None:
        """The coach's verdict on one criterion (None = agree with the app) and a comment."""
        with self.connect() as db:
            if passed is None and not comment.strip():
                db.execute("DELETE FROM coach_marks WHERE attempt_id = ? AND criterion = ?",
                           (attempt_id, criterion))
                return
            db.execute(
                "INSERT INTO coach_marks(attempt_id, criterion, passed, comment, marked_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(attempt_id, criterion) DO UPDATE SET"
                " passed = excluded.passed, comment = excluded.comment, marked_at = excluded.marked_at",
                (attempt_id, criterion, None if passed is None else int(passed), comment.strip(), now()))

    def unfinished_recordings(self) -> Iterator[dict[str, Any]]:
        """Attempts left 'recording' (the server stopped mid-attempt): to be marked unscored."""
        for row in self._all("SELECT * FROM attempts WHERE status = 'recording'"):
            yield dict(row)
