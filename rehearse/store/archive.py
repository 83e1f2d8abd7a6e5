"""An archive of everything — the database and every recording — to move to another laptop.

`write_archive` makes a zip: a consistent snapshot of the SQLite file (SQLite's backup API, so a
rep being recorded meanwhile cannot tear it), each recording under its stored path, and a
manifest. `import_archive` merges one into a store: teachers are matched by name and action steps
by id; sessions and attempts by the unique id each was given when it was made, so importing the
same archive twice, or an archive of data that is already here, adds nothing twice. Imported
attempts get this store's numbering and recording paths. The merge is one transaction: if it
fails, nothing is added and the recordings it had copied are removed again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ..errors import RehearseError
from .database import Store, now
from .rows import refresh_progress
from .schema import SCHEMA_VERSION

FORMAT = "rehearse-archive"
DATABASE = "rehearse.sqlite"
MANIFEST = "manifest.json"


def write_archive(store: Store, dest: str | Path) -> dict[str, int]:
    """Write everything in the store to a zip at `dest`; return what it holds."""
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    counts = {"teachers": 0, "sessions": 0, "attempts": 0, "recordings": 0, "recordings_missing": 0}
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / DATABASE
        with store.connect() as source, sqlite3.connect(snapshot) as copy:
            source.backup(copy)
        with sqlite3.connect(snapshot) as db:
            for table in ("teachers", "sessions", "attempts"):
                counts[table] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            paths = [r[0] for r in db.execute("SELECT audio_path FROM attempts ORDER BY id")]
        try:
            with zipfile.ZipFile(part, "w") as archive:
                archive.write(snapshot, DATABASE, compress_type=zipfile.ZIP_DEFLATED)
                for relative in paths:
                    path = store.path.parent / relative
                    if path.is_file():
                        archive.write(path, relative)  # audio: stored, not compressed
                        counts["recordings"] += 1
                    else:
                        counts["recordings_missing"] += 1
                manifest = {"format": FORMAT, "schema": SCHEMA_VERSION, "made_at": now()} | counts
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, dest)  # a half-written archive never has the name asked for
    return counts


def import_archive(store: Store, src: str | Path) -> dict[str, int]:
    """Merge an archive into the store; return what was added and what was already here."""
    src = Path(src)
    try:
        archive = zipfile.ZipFile(src)
    except (OSError, zipfile.BadZipFile) as exc:
        raise RehearseError(f"{src}: not a rehearse archive ({exc}); "
                            "make one with `rehearse export --archive FILE.zip`") from None
    with archive, tempfile.TemporaryDirectory() as tmp:
        _check_manifest(archive, src)
        (Path(tmp) / DATABASE).write_bytes(archive.read(DATABASE))
        incoming = Store.open(tmp)  # brings an older archive's schema up to date
        with incoming.connect() as db:
            data = {table: [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]
                    for table in ("teachers", "action_steps", "sessions", "attempts", "coach_marks", "taps")}
        return _merge(store, data, archive)


def _check_manifest(archive: zipfile.ZipFile, src: Path) -> None:
    try:
        manifest = json.loads(archive.read(MANIFEST))
        archive.getinfo(DATABASE)
    except (KeyError, ValueError) as exc:
        raise RehearseError(f"{src}: not a rehearse archive (no readable {MANIFEST} and "
                            f"{DATABASE}: {exc})") from None
    if manifest.get("format") != FORMAT:
        raise RehearseError(f"{src}: not a rehearse archive (format {manifest.get('format')!r})")
    if int(manifest.get("schema", 0)) > SCHEMA_VERSION:
        raise RehearseError(f"{src} was made by a newer rehearse (schema {manifest['schema']}); "
                            "update rehearse on this laptop first")


def _merge(store: Store, data: dict[str, list[dict[str, Any]]], archive: zipfile.ZipFile) -> dict[str, int]:
    counts = dict.fromkeys(("teachers", "sessions", "attempts", "recordings", "marks", "taps",
                            "sessions_already_here", "attempts_already_here", "recordings_missing"), 0)
    written: list[Path] = []
    db = store.connect()
    try:
        with db:  # one transaction
            teacher_ids = {t["id"]: _local_teacher(db, t, counts) for t in data["teachers"]}
            step_ids = {a["id"]: _local_step(db, a) for a in data["action_steps"]}
            session_ids = {s["id"]: _local_session(db, s, teacher_ids, step_ids, counts)
                           for s in data["sessions"]}
            attempt_ids = {}
            for attempt in data["attempts"]:
                attempt_ids[attempt["id"]] = _local_attempt(
                    store, db, attempt, session_ids[attempt["session_id"]], archive, written, counts)
            for mark in data["coach_marks"]:
                _merge_mark(db, mark, attempt_ids[mark["attempt_id"]], counts)
            for tapped in data["taps"]:
                _merge_taps(db, tapped, attempt_ids[tapped["attempt_id"]], counts)
            for session_id in set(session_ids.values()):
                refresh_progress(db, session_id)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        db.close()
    return counts


def _local_teacher(db: sqlite3.Connection, teacher: dict[str, Any], counts: dict[str, int]) -> int:
    cur = db.execute("INSERT OR IGNORE INTO teachers(name, created_at) VALUES (?, ?)",
                     (teacher["name"], teacher["created_at"]))
    counts["teachers"] += cur.rowcount
    return db.execute("SELECT id FROM teachers WHERE name = ?", (teacher["name"],)).fetchone()[0]


def _local_step(db: sqlite3.Connection, step: dict[str, Any]) -> int:
    db.execute("INSERT OR IGNORE INTO action_steps(scenario_id, title, created_at) VALUES (?, ?, ?)",
               (step["scenario_id"], step["title"], step["created_at"]))
    return db.execute("SELECT id FROM action_steps WHERE scenario_id = ?",
                      (step["scenario_id"],)).fetchone()[0]


def _local_session(db: sqlite3.Connection, session: dict[str, Any], teacher_ids: dict[int, int],
                   step_ids: dict[int, int], counts: dict[str, int]) -> int:
    here = db.execute("SELECT id FROM sessions WHERE uid = ?", (session["uid"],)).fetchone()
    if here is not None:
        counts["sessions_already_here"] += 1
        db.execute("UPDATE sessions SET finished_at = COALESCE(finished_at, ?), summary = COALESCE(summary, ?)"
                   " WHERE id = ?", (session["finished_at"], session["summary"], here[0]))
        return here[0]
    counts["sessions"] += 1
    cur = db.execute(
        "INSERT INTO sessions(uid, teacher_id, action_step_id, roster, reps_target, fluent_after, mode,"
        " started_at, finished_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session["uid"], teacher_ids[session["teacher_id"]], step_ids[session["action_step_id"]],
         session["roster"], session["reps_target"], session["fluent_after"], session["mode"],
         session["started_at"], session["finished_at"], session["summary"]))
    return int(cur.lastrowid)


def _local_attempt(store: Store, db: sqlite3.Connection, attempt: dict[str, Any], session_id: int,
                   archive: zipfile.ZipFile, written: list[Path], counts: dict[str, int]) -> int:
    here = db.execute("SELECT id, audio_path FROM attempts WHERE uid = ?", (attempt["uid"],)).fetchone()
    if here is not None:
        counts["attempts_already_here"] += 1
        if not (store.path.parent / here["audio_path"]).exists():  # lost here: the archive has it
            _copy_recording(store, archive, attempt["audio_path"], here["audio_path"], written, counts)
        return here["id"]
    rep = attempt["rep"]
    if db.execute("SELECT 1 FROM attempts WHERE session_id = ? AND rep = ?", (session_id, rep)).fetchone():
        # The same session was continued on two laptops: keep both, this one as the next rep.
        rep = db.execute("SELECT MAX(rep) + 1 FROM attempts WHERE session_id = ?", (session_id,)).fetchone()[0]
    relative = f"recordings/session-{session_id}/rep-{rep:02d}{Path(attempt['audio_path']).suffix}"
    _copy_recording(store, archive, attempt["audio_path"], relative, written, counts)
    counts["attempts"] += 1
    cur = db.execute(
        "INSERT INTO attempts(uid, session_id, rep, source, audio_path, status, error, duration_s, result,"
        " passed, wait_time_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (attempt["uid"], session_id, rep, attempt["source"], relative, attempt["status"], attempt["error"],
         attempt["duration_s"], attempt["result"], attempt["passed"], attempt["wait_time_s"],
         attempt["created_at"]))
    return int(cur.lastrowid)


def _copy_recording(store: Store, archive: zipfile.ZipFile, member: str, relative: str,
                    written: list[Path], counts: dict[str, int]) -> None:
    try:
        info = archive.getinfo(member)
    except KeyError:
        counts["recordings_missing"] += 1
        return
    path = store.path.parent / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as source, open(path, "wb") as target:
        written.append(path)
        while chunk := source.read(1 << 20):
            target.write(chunk)
    counts["recordings"] += 1


def _merge_mark(db: sqlite3.Connection, mark: dict[str, Any], attempt_id: int, counts: dict[str, int]) -> None:
    """A coach's mark: added if new here, or if it was made later than the one here."""
    cur = db.execute(
        "INSERT INTO coach_marks(attempt_id, criterion, passed, comment, pupil, marked_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(attempt_id, criterion) DO UPDATE SET passed = excluded.passed,"
        " comment = excluded.comment, pupil = excluded.pupil, marked_at = excluded.marked_at"
        " WHERE excluded.marked_at > coach_marks.marked_at",
        (attempt_id, mark["criterion"], mark["passed"], mark["comment"], mark.get("pupil"), mark["marked_at"]))
    counts["marks"] += cur.rowcount


def _merge_taps(db: sqlite3.Connection, tapped: dict[str, Any], attempt_id: int, counts: dict[str, int]) -> None:
    """A coach's pass of taps along a rep: added unless it is here already (by its uid)."""
    cur = db.execute(
        "INSERT OR IGNORE INTO taps(uid, attempt_id, source, question_end_s, name_s, clock, tapped_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tapped["uid"], attempt_id, tapped["source"], tapped["question_end_s"], tapped["name_s"],
         tapped["clock"], tapped["tapped_at"]))
    counts["taps"] += cur.rowcount
