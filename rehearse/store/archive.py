"""An archive of everything — the database and every recording — to move to another laptop.

`write_archive` makes a zip: a consistent snapshot of the SQLite file (SQLite's backup API, so a
rep being recorded meanwhile cannot tear it), each recording under its stored path, and a
manifest. `import_archive` merges one into a store: teachers are matched by name and action steps
by id; sessions, attempts (their taps and comments) and learnt names (learnt.py) by the unique id
each was given when it was made, so importing the same archive twice, or an archive of data that
is already here, adds nothing twice. Imported attempts get this store's numbering and recording paths.
Lessons observed travel the same way with their kept recordings only (lesson_archive.py).

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
import shutil
import sqlite3
import zipfile
import zlib
from contextlib import closing
from pathlib import Path

from .. import staging
from ..errors import RehearseError
from . import comments, learnt, lesson_archive
from .database import Store, now
from .private_files import owner_only, private
from .plans import NOTE_PROBLEMS
from .rows import Progress
from .archive_merge import merge, recording_limit
from .schema import SCHEMA_VERSION
from .untrusted_zip import NOTHING, check_members, copy_member, open_untrusted, read_small

FORMAT = "rehearse-archive"
DATABASE = "rehearse.sqlite"
MANIFEST = "manifest.json"
# Every table the merge reads. An older archive's database is migrated first, so it has them all
# (an archive from before comments, schema < 6, gets an empty table of them).
TABLES = ("teachers", "action_steps", "sessions", "attempts", "coach_marks", "taps", "comments", "learnt_names",
          "lessons", "lesson_marks", "lesson_comments")
MAX_DATABASE_BYTES = 1 << 30  # ~100 000 reps' results
MAX_MANIFEST_BYTES = 1 << 20
# What a damaged or made-up archive raises from zipfile, zlib, SQLite or the merge's reading of rows.
DAMAGED = (sqlite3.Error, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
           LookupError, TypeError, ValueError, ArithmeticError)


def write_archive(store: Store, dest: str | Path) -> dict[str, int]:
    """Write everything in the store to a zip at `dest`, readable by its owner only like the instance
    folder; return what it holds. The database's snapshot is staged in the instance folder and the zip
    as `dest`.part: what a kill -9 leaves of them, the next start removes (staging.py)."""
    dest = Path(dest)
    counts = {"teachers": 0, "sessions": 0, "attempts": 0, "recordings": 0, "recordings_missing": 0,
              "lessons": 0, "lesson_recordings": 0, "lesson_recordings_missing": 0}
    with staging.stage(store.instance, "archive") as stage:
        part = stage.outside(dest.with_name(dest.name + ".part"))
        snapshot = stage.folder / DATABASE
        with closing(store.connect()) as source, closing(sqlite3.connect(snapshot)) as copy:
            source.backup(copy)
        with closing(sqlite3.connect(snapshot)) as db:
            # Without the pages left free by deleted rows (zeros: secure_delete), which would
            # make the database inflate from the zip like a bomb does (untrusted_zip.MAX_RATIO).
            db.execute("VACUUM")
            for table in ("teachers", "sessions", "attempts", "lessons"):
                counts[table] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            paths = [r[0] for r in db.execute("SELECT audio_path FROM attempts ORDER BY id")]
            kept = lesson_archive.kept_recordings(db)  # a lesson's kept file, never the rest of its folder
        with owner_only(part) as file, zipfile.ZipFile(file, "w") as archive:
            archive.write(snapshot, DATABASE, compress_type=zipfile.ZIP_DEFLATED)
            for kind, relatives in (("recordings", paths), ("lesson_recordings", kept)):
                for relative in relatives:
                    path = _recording(store, relative)
                    if path is not None and path.is_file():
                        archive.write(path, relative)  # audio: stored, not compressed
                        counts[kind] += 1
                    else:
                        counts[f"{kind}_missing"] += 1
            manifest = {"format": FORMAT, "schema": SCHEMA_VERSION, "made_at": now()} | counts
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        os.replace(part, dest)  # a half-written archive never has the name asked for
    return counts


def _recording(store: Store, relative: str) -> Path | None:
    """A stored recording's file; None for a path a tampered row leads outside recordings/."""
    try:
        return store.recording_at(relative)
    except RehearseError:
        return None


def import_archive(instance: str | Path, src: str | Path, progress: Progress) -> dict[str, int]:
    """Merge the archive at `src` into the store in the folder `instance` (made if there is none;
    sessions' progress judged by `progress`, as Store.open's);
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
            incoming = _read_database(archive, stage.folder / "incoming", src, progress)
            try:
                return merge(Store.open(instance, progress), incoming, archive, src, stage.folder)
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
    return {DATABASE: MAX_DATABASE_BYTES, MANIFEST: MAX_MANIFEST_BYTES}.get(name) or recording_limit(name)


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


def _read_database(archive: zipfile.ZipFile, tmp: Path, src: Path,
                   progress: Progress) -> sqlite3.Connection:
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
    db = Store.open(tmp, progress).connect()  # brings an older archive's schema up to date
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
    *lesson_archive.ARCHIVE_CHECKS,
]
