"""The history: teachers, action steps, sessions, reps and coach marks in one SQLite file.

Recordings live next to the database as WAV files; the database keeps their path relative to the
instance folder, so the folder can be moved. Each rep keeps the engine's result as JSON (what
was heard and measured) and, separately, the coach's marks: the automatic verdict is never
overwritten. Connections are short-lived (one per request or per job): SQLite in WAL mode lets the
page read while a rep is being written.

The schema is versioned (PRAGMA user_version) and brought up to date by MIGRATIONS (schema.py) when a
store is opened, so a database from an older rehearse — or from another laptop's archive — keeps working.
Deleted rows are overwritten (secure_delete) and the write-ahead log is truncated after a teacher's
data is deleted, so nothing of theirs is left in the file. Opening a store also removes what a
process killed outright left staged beside it (`clear_leftovers`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import RehearseError
from ..typed_text import name_key, name_problem, normal_name, text_problem
from .faults import SQLITE_IO, disk_full, full_disk_reader, storage_problem
from .private_files import clear_leftovers, private
from .records import Rep, Session, Teacher
from .rows import SESSION_SQL, Progress, refresh_progress, rep_of, reps_of, session_of, session_reps
from .schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION

REP_TRIES = 5  # new_rep: numbers taken meanwhile by another writer before it gives up


def new_uid() -> str:
    return uuid.uuid4().hex


def default_instance() -> Path:
    """Where the database and recordings go unless told otherwise: REHEARSE_INSTANCE, else the
    user's data folder (~/.local/share/rehearse). Never inside the source tree."""
    if os.environ.get("REHEARSE_INSTANCE"):
        return Path(os.environ["REHEARSE_INSTANCE"]).expanduser().resolve()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return (data_home / "rehearse").resolve()


def inside(base: Path, relative: str, folder: Path | None = None) -> Path:
    """`base / relative`, refused if it leads out of `folder` (default: `base`) by an absolute path,
    "..", or a symlink: a stored path, even a tampered one, can only name a file of that folder."""
    path = (base / relative).resolve()
    if not path.is_relative_to((folder or base).resolve()):
        raise RehearseError(f"the stored path {relative!r} leads outside {folder or base}; the database has "
                            "been changed by hand or damaged: restore it from an archive")
    return path


def checked_name(value: str, label: str = "the teacher's name") -> str:
    """A teacher's name as typed, as it is kept (typed_text.normal_name: NFC, one space between
    words); RehearseError with one line if no one can keep it (typed_text.name_problem)."""
    name = normal_name(value)
    if problem := name_problem(name, label):
        raise RehearseError(problem)
    return name


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Store:
    """The SQLite file and the folder of recordings beside it, and the function that judges a
    session's progress (rows.Progress: coaching's, given by whoever opens it; reps.open_store)."""

    path: Path
    recordings: Path
    progress: Progress = field(compare=False, repr=False)

    @property
    def instance(self) -> Path:
        """The instance folder: the database, recordings/, examples/ and the school's scenarios/."""
        return self.path.parent

    @classmethod
    def open(cls, instance: str | Path, progress: Progress) -> "Store":
        """The store in an instance folder, created with its schema if new, migrated if old; every
        write that changes a session's reps keeps its progress as `progress` judges it."""
        instance = Path(instance)
        store = cls(instance / "rehearse.sqlite", instance / "recordings", progress)
        store.recordings.mkdir(parents=True, exist_ok=True)
        private(instance)
        store.migrate()
        clear_leftovers(instance)
        return store

    def connect(self) -> sqlite3.Connection:
        """A connection; on a disk already full, one that reads the database as it is (faults.py)."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA user_version").fetchone()  # the first read opens the write-ahead log's index
        except sqlite3.DatabaseError as exc:  # anything else fails again at the caller's first statement
            if str(exc).lower().startswith(SQLITE_IO) and disk_full(self.instance):
                db.close()
                db = full_disk_reader(self.path)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
        return db

    def migrate(self) -> None:
        """Create the schema, or bring an older one up to SCHEMA_VERSION, one step per transaction."""
        db = self.connect()
        db.isolation_level = None  # explicit transactions: each migration commits whole or not at all
        try:
            db.execute("PRAGMA journal_mode=WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RehearseError(f"{self.path} was written by a newer rehearse (schema {version}, "
                                    f"this one knows {SCHEMA_VERSION}); update rehearse to open it")
            if version == 0:
                db.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version=1; COMMIT;")
                version = 1
            for target, migration in MIGRATIONS:
                if target <= version:
                    continue
                db.execute("BEGIN IMMEDIATE")
                try:
                    migration(db, self.progress)
                    db.execute(f"PRAGMA user_version={target}")
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                version = target
        except sqlite3.DatabaseError as exc:
            if problem := storage_problem(exc, "start again"):  # a full disk, a read-only file: not damage
                raise RehearseError(f"{self.path}: {problem}") from None
            raise RehearseError(f"{self.path} is not a rehearse database ({exc}); "
                                "move it aside and start again, or restore it from an archive") from None
        finally:
            db.close()

    def query_one(self, sql: str, *args) -> sqlite3.Row | None:
        with closing(self.connect()) as db:  # closed here, not when collected: an idle server keeps no log open
            return db.execute(sql, args).fetchone()

    def query_all(self, sql: str, *args) -> list[sqlite3.Row]:
        with closing(self.connect()) as db:
            return db.execute(sql, args).fetchall()

    # Teachers and action steps ------------------------------------------------------------

    def teacher_names(self) -> list[str]:
        return [r["name"] for r in self.query_all("SELECT name FROM teachers ORDER BY name")]

    def add_teacher(self, name: str) -> int:
        """The id of the teacher of this name, added if new: the same teacher whatever the case, the
        form of the accents or invisible characters (typed_text.name_key). RehearseError with one
        line for a name no one can keep (checked_name)."""
        with self.connect() as db:
            return self.teacher_id_in(db, name)

    def teacher_id_in(self, db: sqlite3.Connection, name: str) -> int:
        """The teacher's id within the write `db` (added if new): sessions and lessons start with it."""
        name = checked_name(name)
        key = name_key(name)
        db.execute("INSERT OR IGNORE INTO teachers(name, name_key, created_at) VALUES (?, ?, ?)", (name, key, now()))
        return db.execute("SELECT id FROM teachers WHERE name_key = ?", (key,)).fetchone()["id"]

    def step_row_in(self, db: sqlite3.Connection, step_id: str, title: str) -> int:
        """The action step's row within the write `db` (added if new)."""
        db.execute("INSERT OR IGNORE INTO action_steps(step_id, title, created_at) VALUES (?, ?, ?)",
                   (step_id, title, now()))
        db.execute("UPDATE action_steps SET title = ? WHERE step_id = ?", (title, step_id))
        return db.execute("SELECT id FROM action_steps WHERE step_id = ?",
                          (step_id,)).fetchone()["id"]

    # Sessions -----------------------------------------------------------------------------

    def start_session(self, teacher: str, step_id: str, title: str, roster: list[str],
                      reps_target: int = 10, fluent_after: int = 3, mode: str = "coached") -> int:
        """Open a session for a teacher (created if new) on an action step; return its id."""
        with self.connect() as db:
            teacher_id = self.teacher_id_in(db, teacher)
            step_row = self.step_row_in(db, step_id, title)
            cur = db.execute(
                "INSERT INTO sessions(uid, teacher_id, action_step_id, roster, reps_target, fluent_after,"
                " mode, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (new_uid(), teacher_id, step_row, "\n".join(roster), reps_target, fluent_after, mode, now()))
            return int(cur.lastrowid)

    def session(self, session_id: int) -> Session | None:
        row = self.query_one(f"{SESSION_SQL} WHERE s.id = ?", session_id)
        return None if row is None else session_of(row)

    def last_session(self, teacher: str, step_id: str | None = None) -> Session | None:
        """A teacher's most recent session (on one action step), to pick up where they left off."""
        row = self.query_one(
            "SELECT s.id FROM sessions s JOIN teachers t ON t.id = s.teacher_id"
            " JOIN action_steps a ON a.id = s.action_step_id"
            " WHERE t.name_key = ? AND (? IS NULL OR a.step_id = ?) ORDER BY s.id DESC LIMIT 1",
            name_key(teacher), step_id, step_id)
        return self.session(row["id"]) if row else None

    def recent_sessions(self, limit: int = 8) -> list[Session]:
        return [session_of(r) for r in self.query_all(f"{SESSION_SQL} ORDER BY s.id DESC LIMIT ?", limit)]

    def finish_session(self, session_id: int, summary: dict[str, Any]) -> None:
        with self.connect() as db:
            db.execute("UPDATE sessions SET finished_at = COALESCE(finished_at, ?), summary = ?"
                       " WHERE id = ?", (now(), json.dumps(summary), session_id))

    # Reps ---------------------------------------------------------------------------------

    def new_rep(self, session_id: int, source: str, suffix: str = ".wav") -> Rep:
        """Reserve the next rep of a session and its recording path (the file is not made here).

        Reps started at the same moment (two tabs, a double click, parallel uploads) each get their
        own number and file: the next number is read and taken in one write transaction (BEGIN
        IMMEDIATE: no other writer between the two), and a rep taken meanwhile by a writer that
        does not take that lock first (an archive being imported) makes it try the next one."""
        for _ in range(REP_TRIES):
            with self.connect() as db:
                db.execute("BEGIN IMMEDIATE")  # `with db` commits it, or rolls it back on an error
                number = db.execute("SELECT COALESCE(MAX(rep), 0) + 1 FROM attempts WHERE session_id = ?",
                                    (session_id,)).fetchone()[0]
                relative = f"recordings/session-{session_id}/rep-{number:02d}{suffix}"
                try:
                    cur = db.execute(
                        "INSERT INTO attempts(uid, session_id, rep, source, audio_path, status, created_at)"
                        " VALUES (?, ?, ?, ?, ?, 'recording', ?)",
                        (new_uid(), session_id, number, source, relative, now()))
                except sqlite3.IntegrityError as exc:
                    if "UNIQUE" not in str(exc):
                        raise  # no such session: not a race
                    continue
                refresh_progress(db, session_id, self.progress)
                return rep_of(db.execute("SELECT * FROM attempts WHERE id = ?", (cur.lastrowid,)).fetchone())
        raise RehearseError(f"session {session_id}: could not take a new rep number after {REP_TRIES} tries; "
                            "try again")

    def audio_file(self, rep: Rep) -> Path:
        return self.recording_at(rep.audio_path)

    def recording_at(self, relative: str) -> Path:
        """A stored recording's path (relative to the instance folder), refused outside recordings/ (inside)."""
        return inside(self.instance, relative, self.recordings)

    def save_result(self, rep_id: int, result: dict[str, Any]) -> None:
        """Store the engine's result for a rep (scored, or scored again)."""
        with self.connect() as db:
            db.execute(
                "UPDATE attempts SET status = 'scored', error = NULL, result = ?, passed = ?,"
                " wait_time_s = ?, duration_s = ? WHERE id = ?",
                (json.dumps(result), int(result["passed"]), result["metrics"].get("wait_time_s"),
                 result["duration_s"], rep_id))
            refresh_progress(db, self._session_of(db, rep_id), self.progress)

    def save_failure(self, rep_id: int, error: str, duration_s: float | None = None) -> None:
        """Mark a rep unscored, saying why; its recording stays and can be scored again."""
        with self.connect() as db:
            db.execute("UPDATE attempts SET status = 'unscored', error = ?,"
                       " duration_s = COALESCE(?, duration_s) WHERE id = ?",
                       (error, duration_s, rep_id))
            refresh_progress(db, self._session_of(db, rep_id), self.progress)

    def rep(self, rep_id: int) -> Rep | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM attempts WHERE id = ?", (rep_id,)).fetchone()
            return None if row is None else reps_of(db, [row])[0]

    def reps(self, session_id: int) -> list[Rep]:
        with self.connect() as db:
            return session_reps(db, session_id)

    @staticmethod
    def _session_of(db: sqlite3.Connection, rep_id: int) -> int:
        return db.execute("SELECT session_id FROM attempts WHERE id = ?", (rep_id,)).fetchone()[0]

    # Coach marks --------------------------------------------------------------------------

    def mark(self, rep_id: int, criterion: str, passed: bool | None, comment: str = "",
             pupil: str | None = None) -> None:
        """The coach's verdict on one criterion (None = agree with the app) and a comment; on
        names_pupil, `pupil` is who the coach says was named (the app did not hear whom).
        RehearseError with one line for a comment no typed text may be (typed_text.text_problem)."""
        if problem := text_problem("the comment", comment, None):
            raise RehearseError(problem)
        with self.connect() as db:
            if passed is None and not comment.strip() and pupil is None:
                db.execute("DELETE FROM coach_marks WHERE attempt_id = ? AND criterion = ?",
                           (rep_id, criterion))
            else:
                db.execute(
                    "INSERT INTO coach_marks(attempt_id, criterion, passed, comment, pupil, marked_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(attempt_id, criterion) DO UPDATE SET"
                    " passed = excluded.passed, comment = excluded.comment, pupil = excluded.pupil,"
                    " marked_at = excluded.marked_at",
                    (rep_id, criterion, None if passed is None else int(passed), comment.strip(), pupil, now()))
            refresh_progress(db, self._session_of(db, rep_id), self.progress)

    # A coach's taps along a rep ------------------------------------------------------------

    def add_taps(self, rep_id: int, tapped: dict[str, Any]) -> int:
        """Keep one pass of tapping (calibration.tap_pass) for a rep; return its id."""
        with self.connect() as db:
            cur = db.execute(
                "INSERT INTO taps(uid, attempt_id, source, question_end_s, name_s, clock, tapped_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_uid(), rep_id, tapped["source"], tapped["question_end_s"], tapped["name_s"],
                 json.dumps(tapped["clock"]), now()))
            return int(cur.lastrowid)

    def remove_taps(self, rep_id: int, tap_id: int) -> bool:
        """Forget one pass of tapping (a mistaken one); False if the rep has no such pass."""
        with self.connect() as db:
            return db.execute("DELETE FROM taps WHERE id = ? AND attempt_id = ?", (tap_id, rep_id)).rowcount > 0

    def unfinished_recordings(self) -> Iterator[Rep]:
        """Reps left 'recording' (the server stopped mid-rep): to be marked unscored."""
        for row in self.query_all("SELECT * FROM attempts WHERE status = 'recording'"):
            yield rep_of(dict(row))

    # Deleting a teacher ----------------------------------------------------------------------

    def teacher(self, teacher_id: int) -> Teacher | None:
        row = self.query_one("SELECT id, name, created_at FROM teachers WHERE id = ?", teacher_id)
        return None if row is None else Teacher(row["id"], row["name"], row["created_at"])

    def delete_teacher(self, teacher_id: int) -> dict[str, Any]:
        """Delete a teacher with every session, rep, coach mark, learnt name, lesson observed and recording of theirs.

        The rows go first (overwritten in place, then the write-ahead log is emptied), then each
        session's folder of recordings. Returns what was deleted, and any folder that could not be
        removed.
        """
        with self.connect() as db:
            teacher = db.execute("SELECT * FROM teachers WHERE id = ?", (teacher_id,)).fetchone()
            if teacher is None:
                raise LookupError(f"no teacher {teacher_id}")
            sessions = [r["id"] for r in db.execute("SELECT id FROM sessions WHERE teacher_id = ?",
                                                    (teacher_id,))]
            recordings = db.execute("SELECT COUNT(*) FROM attempts WHERE session_id IN"
                                    " (SELECT id FROM sessions WHERE teacher_id = ?)", (teacher_id,)).fetchone()[0]
            learnt = db.execute("SELECT COUNT(*) FROM learnt_names WHERE teacher_id = ?", (teacher_id,)).fetchone()[0]
            lessons = [r["id"] for r in db.execute("SELECT id FROM lessons WHERE teacher_id = ?", (teacher_id,))]
            db.execute("DELETE FROM teachers WHERE id = ?", (teacher_id,))  # cascades to the rest
        self.empty_log()
        left = []
        folders = [self.recordings / f"session-{session_id}" for session_id in sessions]  # (new_rep)
        folders += [self.recordings / "lessons" / str(lesson_id) for lesson_id in lessons]  # (lessons.new_lesson)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
            if folder.exists():
                left.append(str(folder))
        return {"name": teacher["name"], "sessions": len(sessions), "recordings": recordings,
                "learnt_names": learnt, "lessons": len(lessons), "left_on_disk": left}

    def empty_log(self, tries: int = 50) -> None:
        """Copy the write-ahead log into the database and truncate it, so old page images are gone."""
        for _ in range(tries):
            with self.connect() as db:
                busy, _log, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(0.1)  # a reader is open (another request); try again
