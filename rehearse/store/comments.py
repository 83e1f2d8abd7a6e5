"""A coach's comments on a rep's recording, each at a moment of it (as GoReact's time-stamped ones).

The coach clicks a moment on the rep's timeline, or presses C while the recording plays, and types
what they noticed; the comment is kept at that moment on the recording's own clock (seconds from
its first sample, as the audio element's currentTime reads it), so it can be played from just
before. Comments are read with the rep (rows.reps_of), exported with it (reps/export.py), archived
and merged by their uid (archive.py), and deleted with the rep, its session and its teacher
(ON DELETE CASCADE; secure_delete overwrites them).

What is kept is checked here, whoever asks (the web, a test, a script): some text, at most
MAX_CHARS characters, held to the rule of all typed text (typed_text.text_problem: no control
character, not only invisible characters), at a moment within the recording. Each refusal is a RehearseError of one line.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime, timezone
from typing import Any

from ..errors import RehearseError
from ..typed_text import text_problem
from .database import Store, new_uid, now
from .records import Comment, CommentOnRep

MAX_CHARS = 2000
END_SLACK_S = 0.05  # a moment this far past the stored length is its end (the player's and the
#                     store's lengths of one file may differ by a rounding)


def checked_text(text: Any) -> str:
    """The comment's text, trimmed; RehearseError with one line if it cannot be kept."""
    if not isinstance(text, str):
        raise RehearseError('the comment\'s text is missing: send {"at_s": seconds, "text": "what you noticed"}')
    text = text.strip()
    if not text:
        raise RehearseError("the comment is empty: type what you noticed at that moment, then save")
    problem = text_problem("the comment", text, MAX_CHARS)
    if problem:
        raise RehearseError(problem)
    return text


def checked_moment(at_s: Any, duration_s: float) -> float:
    """The comment's moment in seconds on the recording's clock, to the millisecond; RehearseError
    with one line if it is not a number within the recording (0 to `duration_s`)."""
    try:
        at = math.nan if isinstance(at_s, bool) or not isinstance(at_s, (int, float)) else float(at_s)
    except OverflowError:  # a whole number too large for a float: far past any recording's end
        at = math.inf
    if math.isnan(at):
        raise RehearseError(f"the comment's moment {repr(at_s)[:40]} is not a number of seconds; click the "
                            "timeline or press C while the recording plays")
    if not 0 <= at <= duration_s + END_SLACK_S:
        shown = f"{at:.2f} s" if math.isfinite(at) else "past any recording's end"
        raise RehearseError(f"the comment's moment ({shown}) is outside the recording (0–{duration_s:.1f} s); "
                            "click the timeline or press C while the recording plays")
    return round(min(at, duration_s), 3)


def edit_time() -> str:
    """When a comment was edited, to the millisecond: an archive's copy replaces the one here only if
    edited later (`merge`), and two edits may come within a second."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def add(store: Store, rep_id: int, at_s: Any, text: Any, duration_s: float) -> int:
    """Keep a comment at `at_s` seconds of a rep's recording of `duration_s`; return its id."""
    at, words = checked_moment(at_s, duration_s), checked_text(text)
    with store.connect() as db:
        cur = db.execute("INSERT INTO comments(uid, attempt_id, at_s, text, created_at) VALUES (?, ?, ?, ?, ?)",
                         (new_uid(), rep_id, at, words, now()))
        return int(cur.lastrowid)


def edit(store: Store, rep_id: int, comment_id: int, text: Any, at_s: Any = None,
         duration_s: float | None = None) -> bool:
    """Change a comment's text (and, given `at_s`, its moment); False if the rep has no such comment."""
    words = checked_text(text)
    with store.connect() as db:
        row = db.execute("SELECT at_s FROM comments WHERE id = ? AND attempt_id = ?", (comment_id, rep_id)).fetchone()
        if row is None:
            return False
        at = row["at_s"] if at_s is None else checked_moment(at_s, duration_s if duration_s is not None else math.inf)
        db.execute("UPDATE comments SET text = ?, at_s = ?, edited_at = ? WHERE id = ?", (words, at, edit_time(), comment_id))
        return True


def remove(store: Store, rep_id: int, comment_id: int) -> bool:
    """Delete a comment (overwritten in the file: secure_delete); False if the rep has no such comment."""
    with store.connect() as db:
        return db.execute("DELETE FROM comments WHERE id = ? AND attempt_id = ?", (comment_id, rep_id)).rowcount > 0


# A control character `checked_text` refuses (C0 but tab and line breaks, DEL, C1), as an SQLite GLOB;
# NUL, which GLOB cannot name, is looked for with instr.
CONTROL_GLOB = ("'*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31)"
                " || char(127) || '-' || char(159) || ']*'")
# An archive's comments, checked before its merge (archive.ROW_CHECKS): each finds the first that is
# wrong, so that what comes in holds to what `add` keeps.
ARCHIVE_CHECKS = [
    ("SELECT c.id FROM comments c LEFT JOIN attempts a ON a.id = c.attempt_id WHERE a.id IS NULL",
     "comment {} is on an attempt that is not in the archive"),
    ("SELECT id FROM comments WHERE typeof(uid) != 'text' OR typeof(at_s) NOT IN ('real', 'integer') OR at_s < 0"
     " OR typeof(created_at) != 'text'", "comment {} has no unique id, moment on the recording or date"),
    (f"SELECT id FROM comments WHERE typeof(text) != 'text' OR trim(text) = '' OR length(text) > {MAX_CHARS}"
     f" OR text GLOB {CONTROL_GLOB} OR instr(text, char(0)) > 0",
     f"comment {{}} is not text of 1 to {MAX_CHARS} characters without control characters"),
]


def merge(db: sqlite3.Connection, comment: dict[str, Any], rep_id: int) -> int:
    """An archive's comment, into the importing store's transaction `db` on its rep `rep_id`:
    added unless it is here already (by its uid), or — the same comment on the same rep — given the
    archive's text and moment if they were edited later than the copy here. Returns 1 if anything
    changed, else 0."""
    cur = db.execute(
        "INSERT INTO comments(uid, attempt_id, at_s, text, created_at, edited_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(uid) DO UPDATE SET at_s = excluded.at_s, text = excluded.text, edited_at = excluded.edited_at"
        " WHERE comments.attempt_id = excluded.attempt_id"
        " AND COALESCE(excluded.edited_at, '') > COALESCE(comments.edited_at, '')",
        (comment["uid"], rep_id, comment["at_s"], comment["text"], comment["created_at"], comment["edited_at"]))
    return cur.rowcount


def of_teacher(store: Store, teacher_id: int) -> list[CommentOnRep]:
    """Every comment a coach left on a teacher's reps, newest session first, in the order heard:
    the comment with its rep (id, number) and session (id, step title, started)."""
    rows = store.query_all(
        "SELECT c.id, c.at_s, c.text, c.created_at, c.edited_at, a.id AS rep_id, a.rep AS rep_number,"
        " s.id AS session_id, st.title, s.started_at FROM comments c JOIN attempts a ON a.id = c.attempt_id"
        " JOIN sessions s ON s.id = a.session_id JOIN action_steps st ON st.id = s.action_step_id"
        " WHERE s.teacher_id = ?"
        " ORDER BY s.started_at DESC, a.rep, c.at_s, c.id", teacher_id)
    return [CommentOnRep(Comment(r["id"], r["at_s"], r["text"], r["created_at"], r["edited_at"]), r["rep_id"],
                         r["rep_number"], r["session_id"], r["title"], r["started_at"]) for r in rows]
