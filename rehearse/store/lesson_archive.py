"""Lessons observed (lessons.py) in the archive of everything (archive.py, archive_merge.py).

Written: the rows (they are in the database's snapshot) and each lesson's *kept* recording, the one
file its row names (after the analysis, the copy with every other voice silenced, unless the school
kept the original) — never the rest of its folder (the analysis's work files), and nothing for a
lesson whose audio was deleted (its figures only).

Merged on import like sessions: a lesson by the unique id it was given when it was made (so
importing twice adds nothing twice), for its teacher here (by name) and its step (by id), with a
new id and its recording at this store's path, recordings/lessons/<new id>/<the archive's file
name>; the coach's overrules with it (a later one wins) and comments (each once). A lesson still
being recorded, queued or analysed comes in as it is only if its file comes too (the server's next
start makes a cut-off recording whole and queues it, jobs.recover queues the rest); without it, it
comes in as failed, saying the recording was not in the archive. A lesson already here gets the
archive's overrules and comments, and its kept file back if it was lost here (not if its audio was
deleted here: that was someone's choice).

Checked first (ARCHIVE_CHECKS, run with archive.ROW_CHECKS before the merge): what the merge and
the pages rely on, so that a hostile row — a path leading outside, a status not one of STATUSES, a
result that is not JSON, a comment with control characters — refuses the archive in one line.
"""

from __future__ import annotations

import sqlite3
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

from .comments import CONTROL_GLOB, MAX_CHARS
from .lessons import STATUSES

UNFINISHED = ("recording", "queued", "analysing")
SOURCES = ("browser", "upload", "cli")
AUDIO_STATES = ("recording", "original", "voices-silenced", "deleted")
NOT_IN_ARCHIVE = ("the recording was not in the archive it was imported from; record or upload the lesson "
                  "again on this laptop")
FOLDER = "recordings/lessons/"
# A lesson's recording: an upload of up to web.lessons.MAX_LESSON_UPLOAD_MB (600), a browser's WAV of up
# to its MAX_LESSON_S (3 h, ~350 MB); a rep's (archive_merge.MAX_RECORDING_BYTES) would refuse them.
MAX_RECORDING_BYTES = 700 << 20
MAX_ROSTER = 20_000  # characters: a class list, one pupil a line
MAX_WORDS = 2_000    # characters of a stage or an error
MAX_CRITERION = 200


def _one_of(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _number(column: str, nullable: bool = True) -> str:
    """SQL true when `column` is not a number of at least 0 (or NULL, where allowed)."""
    null = f"{column} IS NOT NULL AND " if nullable else ""
    return f"({null}(typeof({column}) NOT IN ('real', 'integer') OR {column} < 0))"


def _words(column: str, most: int) -> str:
    """SQL true when `column` is not text of at most `most` characters without control characters
    (line breaks allowed)."""
    return (f"(typeof({column}) != 'text' OR length({column}) > {most} OR {column} GLOB {CONTROL_GLOB}"
            f" OR instr({column}, char(0)) > 0)")


# A kept recording's path as lessons.py makes it: recordings/lessons/<id>/<name>.<suffix>, with one '.'
# and no backslash, '..' or control character: nothing that could lead elsewhere (the merge takes only
# the file's name, and places it in this store's own folder for the lesson).
BAD_PATH = ("audio_path IS NOT NULL AND (typeof(audio_path) != 'text'"
            " OR audio_path NOT GLOB 'recordings/lessons/[0-9]*/?*.?*' OR instr(audio_path, '..') > 0"
            f" OR instr(audio_path, '\\') > 0 OR audio_path GLOB {CONTROL_GLOB} OR instr(audio_path, char(0)) > 0"
            " OR audio_path GLOB '*[' || char(9) || char(10) || char(13) || ']*'"
            " OR length(audio_path) - length(replace(audio_path, '/', '')) != 3"
            " OR length(audio_path) - length(replace(audio_path, '.', '')) != 1 OR length(audio_path) > 200)")

ARCHIVE_CHECKS = [
    ("SELECT l.id FROM lessons l LEFT JOIN teachers t ON t.id = l.teacher_id WHERE t.id IS NULL",
     "lesson {} has no teacher in the archive"),
    ("SELECT l.id FROM lessons l LEFT JOIN action_steps a ON a.id = l.action_step_id WHERE a.id IS NULL",
     "lesson {} has no action step in the archive"),
    ("SELECT m.lesson_id FROM lesson_marks m LEFT JOIN lessons l ON l.id = m.lesson_id WHERE l.id IS NULL",
     "an overrule is on lesson {}, which is not in the archive"),
    ("SELECT c.id FROM lesson_comments c LEFT JOIN lessons l ON l.id = c.lesson_id WHERE l.id IS NULL",
     "lesson comment {} is on a lesson that is not in the archive"),
    ("SELECT id FROM lessons WHERE typeof(uid) != 'text' OR typeof(created_at) != 'text'"
     " OR (analysed_at IS NOT NULL AND typeof(analysed_at) != 'text')",
     "lesson {} has no unique id or date"),
    (f"SELECT id FROM lessons WHERE status NOT IN {_one_of(STATUSES)} OR source NOT IN {_one_of(SOURCES)}"
     f" OR audio_state NOT IN {_one_of(AUDIO_STATES)} OR cancel_requested NOT IN (0, 1)",
     f"lesson {{}}'s status is not one of {', '.join(STATUSES)}, or its source or audio's state is unknown"),
    ("SELECT id FROM lessons WHERE " + BAD_PATH,
     "lesson {}'s recording is not named as rehearse names one (recordings/lessons/<id>/<file>)"),
    ("SELECT id FROM lessons WHERE (audio_path IS NULL) != (audio_state = 'deleted')",
     "lesson {}'s recording and the state of its audio disagree"),
    ("SELECT id FROM lessons WHERE CASE WHEN result IS NULL THEN status = 'done'"
     " WHEN json_valid(result) THEN json_type(result) != 'object' ELSE 1 END",
     "lesson {}'s analysis is not readable JSON"),
    ("SELECT id FROM lessons WHERE typeof(progress) NOT IN ('real', 'integer') OR progress < 0 OR progress > 1"
     f" OR {_number('eta_s')} OR {_number('duration_s')} OR {_number('median_wait_s')}",
     "lesson {}'s progress, time left, duration or median wait is not a number of seconds"),
    (f"SELECT id FROM lessons WHERE {_words('roster', MAX_ROSTER)} OR {_words('stage', MAX_WORDS)}"
     f" OR (error IS NOT NULL AND {_words('error', MAX_WORDS)})",
     "lesson {}'s class list, stage or error is not text without control characters"),
    ("SELECT lesson_id FROM lesson_marks WHERE typeof(question) != 'integer' OR question < 0"
     f" OR passed NOT IN (0, 1) OR typeof(marked_at) != 'text' OR {_words('criterion', MAX_CRITERION)}",
     "an overrule on lesson {} is not a question, a criterion, a verdict and a date"),
    ("SELECT id FROM lesson_comments WHERE " + _number("at_s", nullable=False) + " OR typeof(created_at) != 'text'",
     "lesson comment {} has no moment on the recording or date"),
    (f"SELECT id FROM lesson_comments WHERE trim(text) = '' OR {_words('text', MAX_CHARS)}",
     f"lesson comment {{}} is not text of 1 to {MAX_CHARS} characters without control characters"),
]


def kept_recordings(db: sqlite3.Connection) -> list[str]:
    """The kept recording of every lesson that has one (archive.write_archive writes these and no other
    file of a lesson's folder), as stored: relative to the instance folder."""
    return [r[0] for r in db.execute("SELECT audio_path FROM lessons WHERE audio_path IS NOT NULL ORDER BY id")]


# stage(member, relative): the archive's file `member` staged to be placed at `relative`; False if the
# archive does not have it (archive_merge.stage_recording).
Stage = Callable[[str, str], bool]
Rows = Callable[[str], Iterable[dict[str, Any]]]


def merge(db: sqlite3.Connection, rows: Rows, teacher_ids: dict[int, int], step_rows: dict[int, int],
          stage: Stage, lost_here: Callable[[str], bool], counts: dict[str, int]) -> None:
    """The archive's lessons (`rows(table)`: its rows) into the importing store's transaction `db`;
    `lost_here(relative)`: that recording of this store is not on its disk. Counts what it adds."""
    for key in ("lessons", "lessons_already_here", "lesson_recordings", "lesson_recordings_missing",
                "lesson_marks", "lesson_comments"):
        counts.setdefault(key, 0)
    lesson_ids = {}
    for lesson in rows("lessons"):
        lesson_ids[lesson["id"]] = _local_lesson(db, lesson, teacher_ids, step_rows, stage, lost_here, counts)
    for mark in rows("lesson_marks"):
        counts["lesson_marks"] += db.execute(
            "INSERT INTO lesson_marks(lesson_id, question, criterion, passed, marked_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(lesson_id, question, criterion) DO UPDATE SET passed = excluded.passed,"
            " marked_at = excluded.marked_at WHERE excluded.marked_at > lesson_marks.marked_at",
            (lesson_ids[mark["lesson_id"]], mark["question"], mark["criterion"], mark["passed"],
             mark["marked_at"])).rowcount
    for comment in rows("lesson_comments"):
        lesson_id = lesson_ids[comment["lesson_id"]]
        values = (lesson_id, comment["at_s"], comment["text"], comment["created_at"])
        if not db.execute("SELECT 1 FROM lesson_comments WHERE lesson_id = ? AND at_s = ? AND text = ?"
                          " AND created_at = ?", values).fetchone():  # they have no unique id: the same words, then
            db.execute("INSERT INTO lesson_comments(lesson_id, at_s, text, created_at) VALUES (?, ?, ?, ?)", values)
            counts["lesson_comments"] += 1


def _local_lesson(db: sqlite3.Connection, lesson: dict[str, Any], teacher_ids: dict[int, int],
                  step_rows: dict[int, int], stage: Stage, lost_here: Callable[[str], bool],
                  counts: dict[str, int]) -> int:
    member = lesson["audio_path"]
    here = db.execute("SELECT id, audio_path FROM lessons WHERE uid = ?", (lesson["uid"],)).fetchone()
    if here is not None:
        counts["lessons_already_here"] += 1
        kept = here["audio_path"]
        if member is not None and kept is not None and lost_here(kept):  # lost here: the archive has it
            counts["lesson_recordings"] += stage(member, kept)
        return here["id"]
    counts["lessons"] += 1
    cur = db.execute(
        "INSERT INTO lessons(uid, teacher_id, action_step_id, roster, source, audio_path, audio_state, status,"
        " progress, eta_s, stage, cancel_requested, error, duration_s, result, median_wait_s, created_at,"
        " analysed_at) VALUES (?, ?, ?, ?, ?, NULL, 'deleted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (lesson["uid"], teacher_ids[lesson["teacher_id"]], step_rows[lesson["action_step_id"]], lesson["roster"],
         lesson["source"], lesson["status"], lesson["progress"], lesson["eta_s"], lesson["stage"],
         lesson["cancel_requested"], lesson["error"], lesson["duration_s"], lesson["result"],
         lesson["median_wait_s"], lesson["created_at"], lesson["analysed_at"]))
    lesson_id = int(cur.lastrowid)
    if member is None:  # its audio was deleted: its figures only
        return lesson_id
    relative = f"recordings/lessons/{lesson_id}/{PurePosixPath(member).name}"
    if stage(member, relative):
        counts["lesson_recordings"] += 1
        db.execute("UPDATE lessons SET audio_path = ?, audio_state = ? WHERE id = ?",
                   (relative, lesson["audio_state"], lesson_id))
        return lesson_id
    counts["lesson_recordings_missing"] += 1
    if lesson["status"] in UNFINISHED:
        db.execute("UPDATE lessons SET status = 'failed', error = ?, eta_s = NULL, stage = '', cancel_requested = 0"
                   " WHERE id = ?", (NOT_IN_ARCHIVE, lesson_id))
    return lesson_id
