"""The database's tables, and the migrations that bring an older database up to date.

The schema is versioned (PRAGMA user_version): SCHEMA is version 1, the tables as first released,
and each of MIGRATIONS brings it from the version before to its own, so a database from an older
rehearse — or from another laptop's archive — keeps working. `Store.migrate` applies them.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from ..typed_text import name_key
from .rows import Progress, refresh_progress

SCHEMA_VERSION = 11

# Version 1: the tables as first released. Later versions are MIGRATIONS applied on top of it.
SCHEMA = """
CREATE TABLE IF NOT EXISTS teachers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_steps (
    id INTEGER PRIMARY KEY,
    scenario_id TEXT NOT NULL UNIQUE,   -- step_id since version 8
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


def _v2_uids_and_progress(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 2: a unique id per session and attempt (so an archive imported twice adds nothing
    twice), and each session's progress and counts kept up to date in its row (so history pages
    read sessions only, not every attempt)."""
    for statement in [  # one by one: executescript would commit the migration's transaction
        "ALTER TABLE sessions ADD COLUMN uid TEXT",
        "ALTER TABLE sessions ADD COLUMN accurate_at INTEGER",
        "ALTER TABLE sessions ADD COLUMN fluent_at INTEGER",
        "ALTER TABLE sessions ADD COLUMN reps INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN reps_scored INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN reps_passed INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE attempts ADD COLUMN uid TEXT",
        "UPDATE sessions SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL",
        "UPDATE attempts SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL",
        "CREATE UNIQUE INDEX sessions_by_uid ON sessions(uid)",
        "CREATE UNIQUE INDEX attempts_by_uid ON attempts(uid)",
        "CREATE INDEX sessions_by_step ON sessions(action_step_id, started_at)",
        "CREATE INDEX sessions_by_start ON sessions(started_at)",
    ]:
        db.execute(statement)
    for (session_id,) in db.execute("SELECT id FROM sessions").fetchall():
        refresh_progress(db, session_id, progress)


def _v3_examples(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 3: the model and non-example recording of each action step, scored like attempts."""
    db.execute("""
        CREATE TABLE examples (
            id INTEGER PRIMARY KEY,
            scenario_id TEXT NOT NULL,   -- step_id since version 8
            kind TEXT NOT NULL,          -- 'model' or 'non_example'
            source TEXT NOT NULL,        -- 'live', 'upload', or 'shipped' (a file of rehearse's audio/examples)
            audio_path TEXT NOT NULL,    -- relative to the instance folder (shipped: to audio/examples)
            status TEXT NOT NULL,        -- 'recording', 'new' (not scored yet), 'scored' or 'unscored'
            error TEXT,
            duration_s REAL,
            result TEXT,                 -- the engine's result as JSON
            passed INTEGER,
            created_at TEXT NOT NULL,
            UNIQUE (scenario_id, kind)   -- the current one; earlier recordings stay on disk
        )""")


def _v4_taps(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 4: a coach's taps along a rep (calibration.py), one row per pass, on the recording's clock."""
    db.execute("""
        CREATE TABLE taps (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,    -- so an archive imported twice adds a pass once
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            source TEXT NOT NULL,        -- 'live' (tapped while recorded) or 'playback'
            question_end_s REAL,         -- seconds on the recording's clock; NULL = not tapped
            name_s REAL,
            clock TEXT NOT NULL,         -- JSON: the page's clock readings the times came from
            tapped_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX taps_by_attempt ON taps(attempt_id, id)")


def _v5_chosen_pupil(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 5: the pupil a coach says was named, when the app did not hear whom (one tap)."""
    if "pupil" not in [c[1] for c in db.execute("PRAGMA table_info(coach_marks)")]:  # (a store set back by hand has it)
        db.execute("ALTER TABLE coach_marks ADD COLUMN pupil TEXT")


def _v6_comments(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 6: a coach's comments on a rep's recording, each at a moment of it (comments.py). (IF NOT
    EXISTS: a store set back to an older version by hand keeps the table it has.)"""
    db.execute("""
        CREATE TABLE IF NOT EXISTS comments (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,    -- so an archive imported twice adds a comment once
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            at_s REAL NOT NULL,          -- seconds on the recording's clock (0 = its first sample)
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            edited_at TEXT               -- NULL: as first written
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS comments_by_attempt ON comments(attempt_id, at_s)")


def _v7_meeting_plan(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 7: the coach's note at a meeting's end (the coaching cycle's "Plan"): what went well,
    the next step agreed (an action step's text id) and the day of the next observation (YYYY-MM-DD),
    and when the note was last saved (so an archive's later edit wins over an older one). Nullable:
    a session without a note, or from before this version, has none. Touches only the sessions table
    and checks each column first, so it needs no other version's tables and never adds one twice."""
    have = {c[1] for c in db.execute("PRAGMA table_info(sessions)")}
    for column in ("went_well", "next_step_id", "next_observation", "planned_at"):
        if column not in have:
            db.execute(f"ALTER TABLE sessions ADD COLUMN {column} TEXT")


def _v8_step_id(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 8: an action step's id is `step_id` wherever it is stored, as in the code (it was
    `scenario_id`: the one concept had three names)."""
    for table in ("action_steps", "examples"):
        if "scenario_id" in [c[1] for c in db.execute(f"PRAGMA table_info({table})")]:
            db.execute(f"ALTER TABLE {table} RENAME COLUMN scenario_id TO step_id")


def _v9_learnt_names(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 9: how each teacher says their pupils' names, learnt from reps the coach corrected in
    one tap (store/learnt.py): what Whisper wrote in the name's place and that piece of the recording
    (16-bit mono PCM at 16 kHz, a few seconds at most). Deleted with the teacher. (IF NOT EXISTS: a
    store set back to an older version by hand keeps the table it has.)"""
    db.execute("""
        CREATE TABLE IF NOT EXISTS learnt_names (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,    -- so an archive imported twice adds a learnt name once
            teacher_id INTEGER NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
            pupil TEXT NOT NULL,         -- the roster's spelling of the pupil named
            heard TEXT NOT NULL,         -- what Whisper wrote in the name's place
            audio BLOB NOT NULL,         -- the name piece: 16-bit mono PCM at 16 kHz
            attempt_uid TEXT,            -- the rep it was learnt from (attempts.uid); NULL: from a file
            source TEXT NOT NULL,        -- 'rep' (the coach's tap, or practice's question) or 'file'
            learnt_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS learnt_names_by_teacher ON learnt_names(teacher_id, pupil, learnt_at)")
    db.execute("CREATE INDEX IF NOT EXISTS learnt_names_by_attempt ON learnt_names(attempt_uid)")


def _v10_teacher_keys(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 10: a teacher is found by `name_key` (typed_text.name_key: the name without invisible
    characters, in NFC, case-folded in any script), kept in the row and unique, so that "Zoë" typed
    as NFC or NFD, "ÉVA" and "éva", or "Tom" with a zero-width space are one teacher. Teachers kept
    twice before (two rows with one key) become one: the first kept takes the others' sessions and
    learnt names, and the others' rows go. A name with nothing visible (kept before typed text had a
    rule) has no key (NULL): it is left as it is, found by its id, and can still be deleted."""
    if "name_key" not in [c[1] for c in db.execute("PRAGMA table_info(teachers)")]:
        db.execute("ALTER TABLE teachers ADD COLUMN name_key TEXT")
    first: dict[str, int] = {}
    for row in db.execute("SELECT id, name FROM teachers ORDER BY id").fetchall():
        key = name_key(row[1]) if isinstance(row[1], str) else ""
        if not key:
            db.execute("UPDATE teachers SET name_key = NULL WHERE id = ?", (row[0],))
        elif key not in first:
            first[key] = row[0]
            db.execute("UPDATE teachers SET name_key = ? WHERE id = ?", (key, row[0]))
        else:
            for table in ("sessions", "learnt_names"):
                db.execute(f"UPDATE {table} SET teacher_id = ? WHERE teacher_id = ?", (first[key], row[0]))
            db.execute("DELETE FROM teachers WHERE id = ?", (row[0],))
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS teachers_by_key ON teachers(name_key)")


def _v11_lessons(db: sqlite3.Connection, progress: Progress) -> None:
    """Version 11: lessons observed (the coaching cycle's Observe stage, store/lessons.py): a stretch of
    a real lesson recorded or uploaded, its analysis (the engine's JSON: the teacher's questions, waits,
    names and talk; other voices only as "another voice", never their words), the job's progress, the
    coach's overrules of a question's verdicts and comments at moments of the recording. Deleted with
    the teacher. (IF NOT EXISTS: a store set back to an older version by hand keeps the tables it has.)"""
    db.execute("""
        CREATE TABLE IF NOT EXISTS lessons (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            teacher_id INTEGER NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
            action_step_id INTEGER NOT NULL REFERENCES action_steps(id),
            roster TEXT NOT NULL,            -- one pupil per line
            source TEXT NOT NULL,            -- 'browser', 'upload' or 'cli'
            audio_path TEXT,                 -- relative to the instance folder; NULL once deleted
            audio_state TEXT NOT NULL,       -- 'recording', 'original', 'voices-silenced' or 'deleted'
            status TEXT NOT NULL,            -- 'recording', 'queued', 'analysing', 'done', 'failed', 'cancelled'
            progress REAL NOT NULL DEFAULT 0,
            eta_s REAL,
            stage TEXT NOT NULL DEFAULT '',
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            claim TEXT,                      -- the job analysing it now: its writes name it
            error TEXT,                      -- why it failed, in words
            duration_s REAL,
            result TEXT,                     -- the analysis as JSON
            median_wait_s REAL,              -- the posed questions' median wait, for the teacher's chart
            created_at TEXT NOT NULL,
            analysed_at TEXT
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS lessons_by_teacher ON lessons(teacher_id, created_at)")
    db.execute("""
        CREATE TABLE IF NOT EXISTS lesson_marks (
            lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
            question INTEGER NOT NULL,       -- the question's index in the analysis
            criterion TEXT NOT NULL,
            passed INTEGER NOT NULL,
            marked_at TEXT NOT NULL,
            PRIMARY KEY (lesson_id, question, criterion)
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS lesson_comments (
            id INTEGER PRIMARY KEY,
            lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
            at_s REAL NOT NULL,              -- seconds on the recording's clock
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS lesson_comments_by_lesson ON lesson_comments(lesson_id, at_s)")


# (version, migration): each brings the schema from the version before it to its own.
MIGRATIONS: list[tuple[int, Callable[[sqlite3.Connection, Progress], None]]] = [
    (2, _v2_uids_and_progress),
    (3, _v3_examples),
    (4, _v4_taps),
    (5, _v5_chosen_pupil),
    (6, _v6_comments),
    (7, _v7_meeting_plan),
    (8, _v8_step_id),
    (9, _v9_learnt_names),
    (10, _v10_teacher_keys),
    (11, _v11_lessons),
]
