"""An archive of everything — the database and every recording — to move to another laptop.

`write_archive` makes a zip: a consistent snapshot of the SQLite file (SQLite's backup API, so a
rep being recorded meanwhile cannot tear it), each recording under its stored path, and a
manifest. `import_archive` merges one into a store: teachers are matched by name and action steps
by id; sessions, attempts (their taps and comments) and learnt names (learnt.py) by the unique id
each was given when it was made, so importing the same archive twice, or an archive of data that
is already here, adds nothing twice. Imported attempts get this store's numbering and recording paths.

An archive to import may come from anyone, so it is not trusted: the zip is checked before
anything is extracted (untrusted_zip.py), its database is read from a temporary copy and checked
for what the merge relies on, and anything wrong is one line (RehearseError). The merge is one
transaction, and the recordings it copies wait in a staging folder until every row is written:
if anything fails, nothing is added, no file or folder is left, and a data folder the import
would have made is not made. Both sides stage in the instance folder (staging.py), so a process
killed outright leaves nothing that the next start does not remove.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import zipfile
import zlib
from contextlib import closing
from pathlib import Path
from typing import Any

from .. import staging
from ..errors import RehearseError
from . import comments, learnt
from .database import Store, inside, now, owner_only, private
from .plans import NOTE_COLUMNS, NOTE_PROBLEMS, merge_note
from .rows import refresh_progress
from .schema import SCHEMA_VERSION
from .untrusted_zip import NOTHING, check_members, copy_member, open_untrusted, read_small

FORMAT = "rehearse-archive"
DATABASE = "rehearse.sqlite"
MANIFEST = "manifest.json"
# Every table the merge reads. An older archive's database is migrated first, so it has them all
# (an archive from before comments, schema < 6, gets an empty table of them).
TABLES = ("teachers", "action_steps", "sessions", "attempts", "coach_marks", "taps", "comments", "learnt_names")
MAX_DATABASE_BYTES = 1 << 30  # ~100 000 reps' results
MAX_RECORDING_BYTES = 256 << 20  # over two hours of the app's own WAV; past MAX_DECODE_S anyway
MAX_MANIFEST_BYTES = 1 << 20
# What a damaged or made-up archive raises from zipfile, zlib, SQLite or the merge's reading of rows.
DAMAGED = (sqlite3.Error, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
           LookupError, TypeError, ValueError, ArithmeticError)


def write_archive(store: Store, dest: str | Path) -> dict[str, int]:
    """Write everything in the store to a zip at `dest`, readable by its owner only like the instance
    folder; return what it holds. The database's snapshot is staged in the instance folder and the zip
    as `dest`.part: what a kill -9 leaves of them, the next start removes (staging.py)."""
    dest = Path(dest)
    counts = {"teachers": 0, "sessions": 0, "attempts": 0, "recordings": 0, "recordings_missing": 0}
    with staging.stage(store.instance, "archive") as stage:
        part = stage.outside(dest.with_name(dest.name + ".part"))
        snapshot = stage.folder / DATABASE
        with closing(store.connect()) as source, closing(sqlite3.connect(snapshot)) as copy:
            source.backup(copy)
        with closing(sqlite3.connect(snapshot)) as db:
            # Without the pages left free by deleted rows (zeros: secure_delete), which would
            # make the database inflate from the zip like a bomb does (untrusted_zip.MAX_RATIO).
            db.execute("VACUUM")
            for table in ("teachers", "sessions", "attempts"):
                counts[table] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            paths = [r[0] for r in db.execute("SELECT audio_path FROM attempts ORDER BY id")]
        with owner_only(part) as file, zipfile.ZipFile(file, "w") as archive:
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
        os.replace(part, dest)  # a half-written archive never has the name asked for
    return counts


def import_archive(instance: str | Path, src: str | Path) -> dict[str, int]:
    """Merge the archive at `src` into the store in the folder `instance` (made if there is none);
    return what was added and what was already here. RehearseError, and nothing changed, for
    anything wrong with the archive."""
    src, instance = Path(src), Path(instance)
    try:
        archive = open_untrusted(src)
    except (OSError, zipfile.BadZipFile) as exc:
        raise RehearseError(f"{src}: not a rehearse archive ({exc}); "
                            "make one with `rehearse export --archive FILE.zip`") from None
    made = next((f for f in reversed([instance, *instance.parents]) if not f.exists()), None)  # and its parents
    try:
        instance.mkdir(parents=True, exist_ok=True)
        private(instance)
        # Staged in the instance folder, not the system's temporary one: swept at the next start after a kill.
        with archive, staging.stage(instance, "import") as stage:
            check_members(archive, str(src), _max_size)
            _check_manifest(archive, src)
            (stage.folder / "incoming").mkdir()
            incoming = _read_database(archive, stage.folder / "incoming", src)
            try:
                return _merge(Store.open(instance), incoming, archive, src, stage.folder)
            finally:
                incoming.close()
    except BaseException as exc:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        if isinstance(exc, DAMAGED) and not isinstance(exc, RehearseError):
            raise RehearseError(f"{src}: the archive is damaged ({_one_line(exc)}); {NOTHING}") from None
        if isinstance(exc, OSError):  # the disk: full, or not writable
            raise RehearseError(f"{src}: cannot import ({exc.strerror or exc}: {exc.filename}); "
                                "nothing was imported") from None
        raise


def _max_size(name: str) -> int:
    return {DATABASE: MAX_DATABASE_BYTES, MANIFEST: MAX_MANIFEST_BYTES}.get(name, MAX_RECORDING_BYTES)


def _one_line(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {' '.join(str(exc).split())}"[:300]


def _check_manifest(archive: zipfile.ZipFile, src: Path) -> None:
    try:
        manifest = json.loads(read_small(archive, MANIFEST, MAX_MANIFEST_BYTES, str(src)))
        archive.getinfo(DATABASE)
    except (KeyError, ValueError) as exc:
        raise RehearseError(f"{src}: not a rehearse archive (no readable {MANIFEST} and "
                            f"{DATABASE}: {exc})") from None
    if not isinstance(manifest, dict):
        raise RehearseError(f"{src}: not a rehearse archive ({MANIFEST} holds a {type(manifest).__name__}, "
                            "not the archive's description)")
    if manifest.get("format") != FORMAT:
        raise RehearseError(f"{src}: not a rehearse archive (format {manifest.get('format')!r})")
    schema = manifest.get("schema", 0)
    if type(schema) is not int or schema < 0:
        raise RehearseError(f"{src}: not a rehearse archive ({MANIFEST} gives the schema as {schema!r}, "
                            f"not a version number); make it again with `rehearse export --archive FILE.zip`")
    if schema > SCHEMA_VERSION:
        raise RehearseError(f"{src} was made by a newer rehearse (schema {schema}); "
                            "update rehearse on this laptop first")


def _read_database(archive: zipfile.ZipFile, tmp: Path, src: Path) -> sqlite3.Connection:
    """The archive's database, copied to `tmp`, brought up to this schema, and checked for what
    the merge relies on; a connection to it."""
    copy_member(archive, archive.getinfo(DATABASE), tmp / DATABASE, MAX_DATABASE_BYTES, str(src))
    with sqlite3.connect(tmp / DATABASE) as raw:
        check = raw.execute("PRAGMA quick_check").fetchone()[0]  # a file SQLite finds corrupt goes no further
        kinds = raw.execute("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall()
        version = raw.execute("PRAGMA user_version").fetchone()[0]
    raw.close()
    if check != "ok":
        raise RehearseError(f"{src}: the archive is damaged (its database: {' '.join(check.split())[:200]}); {NOTHING}")
    if kinds:  # rehearse makes neither; a trigger would run during the migration, a view on reading
        raise RehearseError(f"{src}: refused, its database holds a {kinds[0][0]} ({kinds[0][1][:100]!r}), "
                            f"which rehearse never makes; {NOTHING}")
    if version > SCHEMA_VERSION:
        raise RehearseError(f"{src} was made by a newer rehearse (database schema {version}); "
                            "update rehearse on this laptop first")
    db = Store.open(tmp).connect()  # brings an older archive's schema up to date
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in TABLES:
            if table not in tables:
                raise RehearseError(f"{src}: the archive is damaged (its database has no table {table}); "
                                    f"{NOTHING}")
        for query, problem in ROW_CHECKS:
            row = db.execute(query + " LIMIT 1").fetchone()
            if row is not None:
                raise RehearseError(f"{src}: the archive is damaged ({problem.format(row[0])}); "
                                    f"{NOTHING}")
    except BaseException:
        db.close()
        raise
    return db


# What the merge relies on in the archive's rows: each check finds the first row that breaks it.
ROW_CHECKS = [
    ("SELECT s.id FROM sessions s LEFT JOIN teachers t ON t.id = s.teacher_id WHERE t.id IS NULL",
     "session {} has no teacher in the archive"),
    ("SELECT s.id FROM sessions s LEFT JOIN action_steps a ON a.id = s.action_step_id WHERE a.id IS NULL",
     "session {} has no action step in the archive"),
    ("SELECT a.id FROM attempts a LEFT JOIN sessions s ON s.id = a.session_id WHERE s.id IS NULL",
     "attempt {} belongs to a session that is not in the archive"),
    ("SELECT m.id FROM coach_marks m LEFT JOIN attempts a ON a.id = m.attempt_id WHERE a.id IS NULL",
     "coach's mark {} is on an attempt that is not in the archive"),
    ("SELECT t.id FROM taps t LEFT JOIN attempts a ON a.id = t.attempt_id WHERE a.id IS NULL",
     "pass of taps {} is on an attempt that is not in the archive"),
    ("SELECT id FROM teachers WHERE typeof(name) != 'text'", "teacher {} has no name"),
    ("SELECT id FROM action_steps WHERE typeof(step_id) != 'text'", "action step {} has no id"),
    ("SELECT id FROM sessions WHERE typeof(uid) != 'text'", "session {} has no unique id"),
    ("SELECT id FROM attempts WHERE typeof(uid) != 'text' OR typeof(rep) != 'integer' OR rep < 1"
     " OR typeof(audio_path) != 'text'", "attempt {} has no unique id, rep number or recording"),
    ("SELECT id FROM taps WHERE typeof(uid) != 'text'", "pass of taps {} has no unique id"),
    ("SELECT id FROM attempts WHERE result IS NOT NULL"
     " AND CASE WHEN json_valid(result) THEN json_type(result) != 'object' ELSE 1 END",
     "attempt {}'s result is not readable JSON"),
    ("SELECT id FROM sessions WHERE summary IS NOT NULL AND NOT json_valid(summary)",
     "session {}'s summary is not readable JSON"),
    ("SELECT id FROM sessions WHERE " + NOTE_PROBLEMS, "session {}'s note (went well, next step, next observation) "
     "is not what rehearse writes"),
    *comments.ARCHIVE_CHECKS,
    *learnt.ARCHIVE_CHECKS,
]


def _merge(store: Store, incoming: sqlite3.Connection, archive: zipfile.ZipFile, src: Path,
           staged: Path) -> dict[str, int]:
    counts = dict.fromkeys(("teachers", "sessions", "attempts", "recordings", "marks", "taps", "comments",
                            "learnt_names", "sessions_already_here", "attempts_already_here", "recordings_missing"), 0)

    def rows(table: str):
        return (dict(r) for r in incoming.execute(f"SELECT * FROM {table} ORDER BY id"))

    files = _Staging(store, archive, src, staged)
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
        attempt_ids = {}
        for attempt in rows("attempts"):
            attempt_ids[attempt["id"]] = _local_attempt(store, db, attempt, session_ids[attempt["session_id"]],
                                                        files, counts)
        for mark in rows("coach_marks"):
            _merge_mark(db, mark, attempt_ids[mark["attempt_id"]], counts)
        for tapped in rows("taps"):
            _merge_taps(db, tapped, attempt_ids[tapped["attempt_id"]], counts)
        for comment in rows("comments"):
            counts["comments"] += comments.merge(db, comment, attempt_ids[comment["attempt_id"]])
        counts["learnt_names"] = learnt.merge(db, rows("learnt_names"), teacher_ids)
        for session_id in set(session_ids.values()):
            refresh_progress(db, session_id)
        files.place()
        db.commit()
    except BaseException:
        db.rollback()
        files.undo()
        raise
    finally:
        db.close()
    return counts


class _Staging:
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
        copy_member(self.archive, info, staged, MAX_RECORDING_BYTES, self.label)
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
    cur = db.execute("INSERT OR IGNORE INTO teachers(name, created_at) VALUES (?, ?)",
                     (teacher["name"], teacher["created_at"]))
    counts["teachers"] += cur.rowcount
    return db.execute("SELECT id FROM teachers WHERE name = ?", (teacher["name"],)).fetchone()[0]


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


def _local_attempt(store: Store, db: sqlite3.Connection, attempt: dict[str, Any], session_id: int,
                   files: _Staging, counts: dict[str, int]) -> int:
    here = db.execute("SELECT id, audio_path FROM attempts WHERE uid = ?", (attempt["uid"],)).fetchone()
    if here is not None:
        counts["attempts_already_here"] += 1
        if not store.audio_file(dict(here)).exists():  # lost here: the archive has it
            _copy_recording(files, attempt["audio_path"], here["audio_path"], counts)
        return here["id"]
    rep = attempt["rep"]
    if db.execute("SELECT 1 FROM attempts WHERE session_id = ? AND rep = ?", (session_id, rep)).fetchone():
        # The same session was continued on two laptops: keep both, this one as the next rep.
        rep = db.execute("SELECT MAX(rep) + 1 FROM attempts WHERE session_id = ?", (session_id,)).fetchone()[0]
    suffix = Path(attempt["audio_path"]).suffix
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        raise RehearseError(f"{files.label}: the archive is damaged (attempt {attempt['id']}'s recording "
                            f"{attempt['audio_path'][:100]!r} is not named as a recording); {NOTHING}")
    relative = f"recordings/session-{session_id}/rep-{rep:02d}{suffix}"
    _copy_recording(files, attempt["audio_path"], relative, counts)
    counts["attempts"] += 1
    cur = db.execute(
        "INSERT INTO attempts(uid, session_id, rep, source, audio_path, status, error, duration_s, result,"
        " passed, wait_time_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (attempt["uid"], session_id, rep, attempt["source"], relative, attempt["status"], attempt["error"],
         attempt["duration_s"], attempt["result"], attempt["passed"], attempt["wait_time_s"],
         attempt["created_at"]))
    return int(cur.lastrowid)


def _copy_recording(files: _Staging, member: str, relative: str, counts: dict[str, int]) -> None:
    """Stage the archive's recording `member` to be placed at `relative`; a recording the archive
    does not have (or not under recordings/) is counted as missing."""
    try:
        info = files.archive.getinfo(member)
    except KeyError:
        info = None
    if info is None or info.is_dir() or not member.startswith("recordings/"):
        counts["recordings_missing"] += 1
        return
    files.add(info, relative)
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
