"""Lessons observed: a stretch of a teacher's real lesson, recorded in the browser or uploaded (or
given to `rehearse observe`), analysed in the background (rehearse/lessons/), and its figures kept.

A lesson's row holds the job's state as well as its result, so that a page reloaded, a server
restarted or a second process reading the same folder all see one truth: `status` goes recording ->
queued -> analysing -> done (or failed, or cancelled), with `progress` (0..1), the time left
(`eta_s`) and the stage in words. The recording is kept under recordings/lessons/<id>/; after the
analysis the kept copy has every other voice silenced (audio_state 'voices-silenced') unless the
school turned that off ('original'), and "delete the audio, keep the figures" leaves the row and its
analysis with no file at all ('deleted').

What is kept of pupils: nothing of what they said. The analysis holds the teacher's words, the
times at which *another voice* spoke, and the roster names the teacher said.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path
from typing import Any, Mapping

from ..errors import RehearseError
from .comments import checked_moment, checked_text
from .database import Store, inside, new_uid, now
from .records import Lesson, LessonComment

STATUSES = ("recording", "queued", "analysing", "done", "failed", "cancelled")
LESSON_SQL = ("SELECT l.*, t.name AS teacher_name, a.step_id, a.title AS step_title FROM lessons l"
              " JOIN teachers t ON t.id = l.teacher_id JOIN action_steps a ON a.id = l.action_step_id")


def lesson_of(row: sqlite3.Row) -> Lesson:
    result = json.loads(row["result"]) if row["result"] else None
    return Lesson(
        id=row["id"], teacher_id=row["teacher_id"], teacher_name=row["teacher_name"], step_id=row["step_id"],
        step_title=row["step_title"], roster=tuple(p for p in row["roster"].splitlines() if p.strip()),
        source=row["source"], audio_path=row["audio_path"], audio_state=row["audio_state"], status=row["status"],
        progress=row["progress"], eta_s=row["eta_s"], stage=row["stage"], cancel_requested=bool(row["cancel_requested"]),
        error=row["error"], duration_s=row["duration_s"], result=result, median_wait_s=row["median_wait_s"],
        created_at=row["created_at"], analysed_at=row["analysed_at"])


def new_lesson(store: Store, teacher: str, step_id: str, step_title: str, roster: list[str], source: str,
               suffix: str = ".wav") -> Lesson:
    """Keep a new lesson (the teacher and the step added if new) and reserve its recording's path
    (the file is not made here). A browser recording starts as 'recording'; anything else as 'queued'."""
    if source not in ("browser", "upload", "cli"):
        raise ValueError(f"unknown lesson source {source!r}")
    if not suffix.startswith(".") or not suffix[1:].isalnum():
        raise RehearseError(f"a recording's name cannot end in {suffix!r}")
    with store.connect() as db:
        teacher_id = store.teacher_id_in(db, teacher)
        step_row = store.step_row_in(db, step_id, step_title)
        cur = db.execute(
            "INSERT INTO lessons(uid, teacher_id, action_step_id, roster, source, audio_state, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'recording', ?, ?)",
            (new_uid(), teacher_id, step_row, "\n".join(roster), source,
             "recording" if source == "browser" else "queued", now()))
        lesson_id = int(cur.lastrowid)
        db.execute("UPDATE lessons SET audio_path = ? WHERE id = ?",
                   (f"recordings/lessons/{lesson_id}/recording{suffix.lower()}", lesson_id))
    made = lesson(store, lesson_id)
    assert made is not None
    lesson_file(store, made).parent.mkdir(parents=True, exist_ok=True)
    return made


def lesson(store: Store, lesson_id: int) -> Lesson | None:
    row = store.query_one(LESSON_SQL + " WHERE l.id = ?", lesson_id)
    return None if row is None else lesson_of(row)


def lessons_of(store: Store, teacher_id: int | None = None, step_id: str | None = None,
               status: str | None = None) -> list[Lesson]:
    """Lessons, newest first: a teacher's, a step's, in a state, or all."""
    where, args = [], []
    for column, value in (("l.teacher_id", teacher_id), ("a.step_id", step_id), ("l.status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    sql = LESSON_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY l.created_at DESC, l.id DESC"
    return [lesson_of(r) for r in store.query_all(sql, *args)]


def lesson_file(store: Store, lesson: Lesson) -> Path | None:
    """The lesson's recording as kept (None once deleted); refused outside recordings/ (a tampered row)."""
    return None if lesson.audio_path is None else store.recording_at(lesson.audio_path)


def lesson_folder(store: Store, lesson_id: int) -> Path:
    return inside(store.instance, f"recordings/lessons/{int(lesson_id)}", store.recordings)


def recorded(store: Store, lesson_id: int, duration_s: float | None = None) -> None:
    """The recording is whole on disk (a browser's stopped or dropped, an upload saved): queue it."""
    with store.connect() as db:
        db.execute("UPDATE lessons SET audio_state = 'original', status = 'queued', progress = 0, stage = '',"
                   " error = NULL, cancel_requested = 0, duration_s = COALESCE(?, duration_s) WHERE id = ?",
                   (duration_s, lesson_id))


def claim(store: Store, lesson_id: int) -> str | None:
    """Take a queued lesson for analysis (queued -> analysing, in one write) and return the claim that
    the job's later writes name; None if it is not queued (done, cancelled, or taken by another copy of
    its job). A lesson put back on the queue after a restart gets a new claim, so a job still running
    elsewhere on an old one writes nothing more (set_progress says so, and it stops)."""
    token = new_uid()
    with store.connect() as db:
        taken = db.execute("UPDATE lessons SET status = 'analysing', progress = 0, eta_s = NULL, stage = 'starting',"
                           " cancel_requested = 0, claim = ? WHERE id = ? AND status = 'queued'",
                           (token, lesson_id)).rowcount > 0
    return token if taken else None


def unclaim(store: Store, lesson_id: int) -> None:
    """Put back on the queue a lesson whose analysis was cut off (a stopped server), from the start."""
    with store.connect() as db:
        db.execute("UPDATE lessons SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,"
                   " error = CASE WHEN cancel_requested THEN 'cancelled by the coach' ELSE error END,"
                   " progress = 0, eta_s = NULL, stage = '', cancel_requested = 0, claim = NULL"
                   " WHERE id = ? AND status = 'analysing'", (lesson_id,))


def set_progress(store: Store, lesson_id: int, progress: float, eta_s: float | None, stage: str,
                 claim: str | None = None) -> bool:
    """The analysis has reached `progress` (0..1) with about `eta_s` seconds left, doing `stage`.
    False if the lesson is no longer this claim's (another copy of the job took it over)."""
    eta = None if eta_s is None or not math.isfinite(eta_s) else round(max(eta_s, 0.0), 1)
    with store.connect() as db:
        return db.execute("UPDATE lessons SET progress = ?, eta_s = ?, stage = ?"
                          " WHERE id = ? AND status = 'analysing' AND (? IS NULL OR claim = ?)",
                          (round(min(max(progress, 0.0), 1.0), 4), eta, stage, lesson_id, claim, claim)).rowcount > 0


def save_analysis(store: Store, lesson_id: int, result: Mapping[str, Any], audio_path: str | None,
                  audio_state: str, median_wait_s: float | None, claim: str | None = None) -> bool:
    """The analysis is done: keep its JSON, the kept recording (its path and state) and the median wait.
    False (nothing written) if the lesson is no longer this claim's."""
    with store.connect() as db:
        return db.execute(
            "UPDATE lessons SET status = 'done', progress = 1, eta_s = 0, stage = '', error = NULL,"
            " cancel_requested = 0, claim = NULL, result = ?, duration_s = ?, audio_path = ?, audio_state = ?,"
            " median_wait_s = ?, analysed_at = ? WHERE id = ? AND (? IS NULL OR (status = 'analysing' AND claim = ?))",
            (json.dumps(result), result.get("duration_s"), audio_path, audio_state, median_wait_s, now(), lesson_id,
             claim, claim)).rowcount > 0


def save_failure(store: Store, lesson_id: int, error: str, status: str = "failed", claim: str | None = None) -> None:
    """The analysis stopped: failed (with why, in words) or cancelled. The recording stays. With a
    claim, only if the lesson is still that job's."""
    if status not in ("failed", "cancelled"):
        raise ValueError(status)
    with store.connect() as db:
        db.execute("UPDATE lessons SET status = ?, error = ?, eta_s = NULL, cancel_requested = 0, claim = NULL"
                   " WHERE id = ? AND (? IS NULL OR (status = 'analysing' AND claim = ?))",
                   (status, error, lesson_id, claim, claim))


def request_cancel(store: Store, lesson_id: int) -> bool:
    """Ask the analysis to stop (the job looks at this between its pieces); a lesson not yet started
    is cancelled at once. False if there is nothing to cancel."""
    with store.connect() as db:
        if db.execute("UPDATE lessons SET status = 'cancelled', error = 'cancelled before it started'"
                      " WHERE id = ? AND status = 'queued'", (lesson_id,)).rowcount:
            return True
        return db.execute("UPDATE lessons SET cancel_requested = 1 WHERE id = ? AND status = 'analysing'",
                          (lesson_id,)).rowcount > 0


def cancel_requested(store: Store, lesson_id: int) -> bool:
    row = store.query_one("SELECT cancel_requested, status FROM lessons WHERE id = ?", lesson_id)
    return row is None or bool(row["cancel_requested"]) or row["status"] == "cancelled"


def requeue(store: Store, lesson_id: int) -> bool:
    """Analyse again a lesson that failed or was cancelled (its recording kept); False if it cannot be."""
    with store.connect() as db:
        return db.execute("UPDATE lessons SET status = 'queued', progress = 0, eta_s = NULL, stage = '',"
                          " error = NULL, cancel_requested = 0, claim = NULL WHERE id = ? AND status IN ('failed', 'cancelled')"
                          " AND audio_path IS NOT NULL", (lesson_id,)).rowcount > 0


def interrupted(store: Store) -> list[Lesson]:
    """Lessons a stopped server left mid-analysis or mid-recording: the job runner's to pick up again."""
    return [lesson_of(r) for r in store.query_all(
        LESSON_SQL + " WHERE l.status IN ('analysing', 'queued', 'recording') ORDER BY l.id")]


def marks(store: Store, lesson_id: int) -> dict[tuple[int, str], bool]:
    """The coach's overrules: (question index, criterion) -> passed."""
    return {(r["question"], r["criterion"]): bool(r["passed"]) for r in store.query_all(
        "SELECT question, criterion, passed FROM lesson_marks WHERE lesson_id = ?", lesson_id)}


def mark(store: Store, lesson_id: int, question: int, criterion: str, passed: bool | None) -> None:
    """Overrule a question's verdict on one criterion; None takes the overrule back."""
    with store.connect() as db:
        if passed is None:
            db.execute("DELETE FROM lesson_marks WHERE lesson_id = ? AND question = ? AND criterion = ?",
                       (lesson_id, question, criterion))
        else:
            db.execute("INSERT INTO lesson_marks(lesson_id, question, criterion, passed, marked_at)"
                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT(lesson_id, question, criterion)"
                       " DO UPDATE SET passed = excluded.passed, marked_at = excluded.marked_at",
                       (lesson_id, question, criterion, int(passed), now()))


def comments(store: Store, lesson_id: int) -> list[LessonComment]:
    return [LessonComment(r["id"], r["at_s"], r["text"], r["created_at"]) for r in store.query_all(
        "SELECT * FROM lesson_comments WHERE lesson_id = ? ORDER BY at_s, id", lesson_id)]


def add_comment(store: Store, lesson_id: int, at_s: Any, text: Any, duration_s: float) -> int:
    """Keep a coach's comment at `at_s` seconds of the lesson's recording (checked as a rep's)."""
    at, words = checked_moment(at_s, duration_s), checked_text(text)
    with store.connect() as db:
        return int(db.execute("INSERT INTO lesson_comments(lesson_id, at_s, text, created_at) VALUES (?, ?, ?, ?)",
                              (lesson_id, at, words, now())).lastrowid)


def remove_comment(store: Store, lesson_id: int, comment_id: int) -> bool:
    with store.connect() as db:
        return db.execute("DELETE FROM lesson_comments WHERE id = ? AND lesson_id = ?",
                          (comment_id, lesson_id)).rowcount > 0


def delete_audio(store: Store, lesson_id: int) -> bool:
    """Delete the lesson's recording, keep its figures ("delete the audio, keep the figures").
    Refused while it is being recorded or analysed (the job reads the file). False: no such lesson."""
    found = lesson(store, lesson_id)
    if found is None:
        return False
    if found.status in ("recording", "queued", "analysing"):
        raise RehearseError(f"lesson {lesson_id} is still being {'recorded' if found.status == 'recording' else 'analysed'}; "
                            "cancel its analysis first, or wait until it is done")
    with store.connect() as db:
        db.execute("UPDATE lessons SET audio_path = NULL, audio_state = 'deleted' WHERE id = ?", (lesson_id,))
    shutil.rmtree(lesson_folder(store, lesson_id), ignore_errors=True)
    return True


def delete_lesson(store: Store, lesson_id: int) -> bool:
    """Delete a lesson: its row, marks, comments and recording."""
    with store.connect() as db:
        gone = db.execute("DELETE FROM lessons WHERE id = ?", (lesson_id,)).rowcount > 0
    shutil.rmtree(lesson_folder(store, lesson_id), ignore_errors=True)
    return gone

