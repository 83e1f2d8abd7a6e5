"""How an archive's rows and recordings join this store (archive.py checks the archive first): teachers
matched by name (typed_text.name_key), action steps by id, sessions, reps and their marks, taps
and comments by the unique id each was given when it was made, so that importing an archive twice
adds nothing twice; lessons observed the same way (lesson_archive.py). One transaction holds the
database while the recordings are copied into the import's staging folder (`RecordingsStaged`); they
are moved into place only once every row is written, and everything is undone if anything fails."""

from __future__ import annotations

import os
import re
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from ..errors import RehearseError
from ..typed_text import name_key
from . import comments, learnt, lesson_archive
from .database import Store, inside
from .plans import NOTE_COLUMNS, merge_note
from .rows import refresh_progress
from .untrusted_zip import NOTHING, copy_member

MAX_RECORDING_BYTES = 256 << 20  # over two hours of the app's own WAV; past MAX_DECODE_S anyway


def recording_limit(name: str) -> int:
    """The most an archive's recording `name` may inflate to: a rep's, or a lesson's (lesson_archive.py)."""
    return lesson_archive.MAX_RECORDING_BYTES if name.startswith(lesson_archive.FOLDER) else MAX_RECORDING_BYTES


def merge(store: Store, incoming: sqlite3.Connection, archive: zipfile.ZipFile, src: Path,
           staged: Path) -> dict[str, int]:
    counts = dict.fromkeys(("teachers", "sessions", "attempts", "recordings", "marks", "taps", "comments",
                            "learnt_names", "sessions_already_here", "attempts_already_here", "recordings_missing"), 0)

    def rows(table: str):
        return (dict(r) for r in incoming.execute(f"SELECT * FROM {table} ORDER BY rowid"))  # id, where there is one

    files = RecordingsStaged(store, archive, src, staged)
    db = store.connect()
    try:
        try:
            db.execute("BEGIN IMMEDIATE")  # one transaction, holding the database while recordings are copied
        except sqlite3.OperationalError as exc:
            raise RehearseError(f"{store.path} is busy ({exc}); import when no one is rehearsing "
                                "(stop `rehearse serve` if it is scoring)") from None
        teacher_ids = {t["id"]: _local_teacher(db, t, counts) for t in rows("teachers")}
        step_rows = {a["id"]: _local_step(db, a) for a in rows("action_steps")}
        session_ids = {s["id"]: _local_session(db, s, teacher_ids, step_rows, counts) for s in rows("sessions")}
        rep_ids = {}
        for rep in rows("attempts"):
            rep_ids[rep["id"]] = _local_rep(store, db, rep, session_ids[rep["session_id"]],
                                                        files, counts)
        for mark in rows("coach_marks"):
            _merge_mark(db, mark, rep_ids[mark["attempt_id"]], counts)
        for tapped in rows("taps"):
            _merge_taps(db, tapped, rep_ids[tapped["attempt_id"]], counts)
        for comment in rows("comments"):
            counts["comments"] += comments.merge(db, comment, rep_ids[comment["attempt_id"]])
        counts["learnt_names"] = learnt.merge(db, rows("learnt_names"), teacher_ids)
        lesson_archive.merge(db, rows, teacher_ids, step_rows, lambda member, relative: stage_recording(
            files, member, relative), lambda relative: not store.recording_at(relative).exists(), counts)
        for session_id in set(session_ids.values()):
            refresh_progress(db, session_id, store.progress)
        files.place()
        db.commit()
    except BaseException:
        db.rollback()
        files.undo()
        raise
    finally:
        db.close()
    return counts


class RecordingsStaged:
    """The recordings an import copies: streamed out of the zip into the import's staging folder
    (in the instance), moved into place (a rename on the same disk) only once every row is written,
    and all undone — files, folders made for them, any stray file they replaced — if the import fails."""

    def __init__(self, store: Store, archive: zipfile.ZipFile, src: Path, folder: Path):
        self.store, self.archive, self.label = store, archive, str(src)
        self.folder = folder / "recordings"
        self.folder.mkdir()
        self.waiting: list[tuple[Path, Path]] = []  # (staged, final)
        self.placed: list[tuple[Path, Path | None]] = []  # (final, the stray file set aside there)
        self.made: list[Path] = []

    def add(self, info: zipfile.ZipInfo, relative: str) -> None:
        final = inside(self.store.instance, relative, self.store.recordings)
        staged = self.folder / f"{len(self.waiting)}"
        copy_member(self.archive, info, staged, recording_limit(info.filename), self.label)
        self.waiting.append((staged, final))

    def place(self) -> None:
        for staged, final in self.waiting:
            missing = [f for f in [final.parent, *final.parent.parents] if not f.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                self.made.append(folder)
            aside = self.folder / f"aside-{len(self.placed)}" if final.exists() else None
            self.placed.append((final, aside))
            if aside is not None:  # a file no row names (a rep deleted by hand): put back on failure
                os.replace(final, aside)
            os.replace(staged, final)

    def undo(self) -> None:
        for final, aside in reversed(self.placed):
            final.unlink(missing_ok=True)
            if aside is not None and aside.exists():
                os.replace(aside, final)
        for folder in reversed(self.made):
            try:
                folder.rmdir()
            except OSError:
                pass
        self.placed, self.made = [], []


def _local_teacher(db: sqlite3.Connection, teacher: dict[str, Any], counts: dict[str, int]) -> int:
    """The archive's teacher here (by name_key; a name of nothing visible by itself), added if new."""
    key = name_key(teacher["name"]) or None
    counts["teachers"] += db.execute("INSERT OR IGNORE INTO teachers(name, name_key, created_at) VALUES (?, ?, ?)",
                                     (teacher["name"], key, teacher["created_at"])).rowcount
    found = ("name_key = ?", key) if key else ("name = ?", teacher["name"])
    return db.execute(f"SELECT id FROM teachers WHERE {found[0]} ORDER BY id", (found[1],)).fetchone()[0]


def _local_step(db: sqlite3.Connection, step: dict[str, Any]) -> int:
    db.execute("INSERT OR IGNORE INTO action_steps(step_id, title, created_at) VALUES (?, ?, ?)",
               (step["step_id"], step["title"], step["created_at"]))
    return db.execute("SELECT id FROM action_steps WHERE step_id = ?",
                      (step["step_id"],)).fetchone()[0]


def _local_session(db: sqlite3.Connection, session: dict[str, Any], teacher_ids: dict[int, int],
                   step_rows: dict[int, int], counts: dict[str, int]) -> int:
    here = db.execute("SELECT id FROM sessions WHERE uid = ?", (session["uid"],)).fetchone()
    if here is not None:
        counts["sessions_already_here"] += 1
        db.execute("UPDATE sessions SET finished_at = COALESCE(finished_at, ?), summary = COALESCE(summary, ?)"
                   " WHERE id = ?", (session["finished_at"], session["summary"], here[0]))
        merge_note(db, here[0], session)  # the coach's note at the meeting's end, if edited later there
        return here[0]
    counts["sessions"] += 1
    cur = db.execute(
        "INSERT INTO sessions(uid, teacher_id, action_step_id, roster, reps_target, fluent_after, mode,"
        " started_at, finished_at, summary, went_well, next_step_id, next_observation, planned_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session["uid"], teacher_ids[session["teacher_id"]], step_rows[session["action_step_id"]],
         session["roster"], session["reps_target"], session["fluent_after"], session["mode"],
         session["started_at"], session["finished_at"], session["summary"],
         *(session[c] for c in NOTE_COLUMNS)))  # an older archive's are NULL: the migration added them
    return int(cur.lastrowid)


def _local_rep(store: Store, db: sqlite3.Connection, rep: dict[str, Any], session_id: int,
                   files: RecordingsStaged, counts: dict[str, int]) -> int:
    here = db.execute("SELECT id, audio_path FROM attempts WHERE uid = ?", (rep["uid"],)).fetchone()
    if here is not None:
        counts["attempts_already_here"] += 1
        if not store.recording_at(here["audio_path"]).exists():  # lost here: the archive has it
            _copy_recording(files, rep["audio_path"], here["audio_path"], counts)
        return here["id"]
    number = rep["rep"]
    if db.execute("SELECT 1 FROM attempts WHERE session_id = ? AND rep = ?", (session_id, number)).fetchone():
        # The same session was continued on two laptops: keep both, this one as the next rep.
        number = db.execute("SELECT MAX(rep) + 1 FROM attempts WHERE session_id = ?", (session_id,)).fetchone()[0]
    suffix = Path(rep["audio_path"]).suffix
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        raise RehearseError(f"{files.label}: the archive is damaged (attempt {rep['id']}'s recording "
                            f"{rep['audio_path'][:100]!r} is not named as a recording); {NOTHING}")
    relative = f"recordings/session-{session_id}/rep-{number:02d}{suffix}"
    _copy_recording(files, rep["audio_path"], relative, counts)
    counts["attempts"] += 1
    cur = db.execute(
        "INSERT INTO attempts(uid, session_id, rep, source, audio_path, status, error, duration_s, result,"
        " passed, wait_time_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rep["uid"], session_id, number, rep["source"], relative, rep["status"], rep["error"],
         rep["duration_s"], rep["result"], rep["passed"], rep["wait_time_s"],
         rep["created_at"]))
    return int(cur.lastrowid)


def _copy_recording(files: RecordingsStaged, member: str, relative: str, counts: dict[str, int]) -> None:
    """A rep's recording staged (stage_recording), counted as copied or as missing."""
    copied = stage_recording(files, member, relative)
    counts["recordings" if copied else "recordings_missing"] += 1


def stage_recording(files: RecordingsStaged, member: str, relative: str) -> bool:
    """Stage the archive's recording `member` to be placed at `relative`; False if the archive does
    not have it (or not under recordings/)."""
    try:
        info = files.archive.getinfo(member)
    except KeyError:
        return False
    if info.is_dir() or not member.startswith("recordings/"):
        return False
    files.add(info, relative)
    return True


def _merge_mark(db: sqlite3.Connection, mark: dict[str, Any], rep_id: int, counts: dict[str, int]) -> None:
    """A coach's mark: added if new here, or if it was made later than the one here."""
    cur = db.execute(
        "INSERT INTO coach_marks(attempt_id, criterion, passed, comment, pupil, marked_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(attempt_id, criterion) DO UPDATE SET passed = excluded.passed,"
        " comment = excluded.comment, pupil = excluded.pupil, marked_at = excluded.marked_at"
        " WHERE excluded.marked_at > coach_marks.marked_at",
        (rep_id, mark["criterion"], mark["passed"], mark["comment"], mark.get("pupil"), mark["marked_at"]))
    counts["marks"] += cur.rowcount


def _merge_taps(db: sqlite3.Connection, tapped: dict[str, Any], rep_id: int, counts: dict[str, int]) -> None:
    """A coach's pass of taps along a rep: added unless it is here already (by its uid)."""
    cur = db.execute(
        "INSERT OR IGNORE INTO taps(uid, attempt_id, source, question_end_s, name_s, clock, tapped_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tapped["uid"], rep_id, tapped["source"], tapped["question_end_s"], tapped["name_s"],
         tapped["clock"], tapped["tapped_at"]))
    counts["taps"] += cur.rowcount
