"""`rehearse import` of an archive someone made to do harm, or that was damaged on the way: each is
refused with one line and status 2, before anything is extracted where it can, and the laptop's
data folder is left exactly as it was (no row, no file, no folder added). Run as real processes
against a real store; the hostile archives are a genuine export (tests/seed.py's history) changed
in one place each."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from rehearse.reps import import_archive, open_store
from rehearse import staging
from rehearse.store import archive, archive_merge, untrusted_zip
from rehearse.errors import RehearseError
from rehearse.store.database import Store

from .conftest import CLIPS
from .test_cli import rehearse


@pytest.fixture(scope="module")
def genuine(history_template, tmp_path_factory) -> Path:
    """An archive of the seeded history (4 sessions, 9 attempts with their recordings)."""
    path = tmp_path_factory.mktemp("archives") / "genuine.zip"
    archive.write_archive(open_store(history_template[0]), path)
    return path


def a_laptop(folder: Path, teacher: str = "Ms Okafor") -> Store:
    """The coach's laptop, with a history of its own: one session, one rep and its recording."""
    store = open_store(folder)
    session_id = store.start_session(teacher, "pose-pause-name", "Pose, pause, name", ["Siobhan"])
    attempt = store.new_rep(session_id, "upload", ".flac")
    store.audio_file(attempt).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CLIPS / "silent.flac", store.audio_file(attempt))
    return store


@pytest.fixture()
def laptop(tmp_path) -> Path:
    return a_laptop(tmp_path / "laptop").instance


def state(folder: Path) -> tuple[dict[str, str], list[str]]:
    """Every file and folder of a data folder (with its content's hash) and every row of its database."""
    files = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
             for p in sorted(folder.rglob("*")) if not p.name.startswith("rehearse.sqlite")}
    db = sqlite3.connect(folder / "rehearse.sqlite")
    rows = list(db.iterdump())
    db.close()
    return files, rows


def refused(path: Path, instance: Path) -> str:
    """Import `path` into `instance`; assert it is refused in one line with status 2; return the line."""
    run = rehearse("import", str(path), "--instance", str(instance))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.splitlines()) == 1, run.stderr
    assert run.stderr.startswith(f"rehearse: {path}"), run.stderr
    return run.stderr


def rebuilt(genuine: Path, dest: Path, manifest=None, sql: tuple[str, ...] = (), extra: tuple = ()) -> Path:
    """The genuine archive written again with another manifest, its database changed by `sql`, and
    `extra` members ((ZipInfo or name, bytes), ...) added at the end."""
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(dest, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == archive.MANIFEST and manifest is not None:
                data = json.dumps(manifest).encode()
            if info.filename == archive.DATABASE and sql:
                work = dest.with_suffix(".sqlite")
                work.write_bytes(data)
                with sqlite3.connect(work) as db:
                    for statement in sql:
                        db.execute(statement)
                db.close()
                data = work.read_bytes()
                work.unlink()
            out.writestr(info, data)
        for member, data in extra:
            out.writestr(member, data)
    return dest


def patched(genuine: Path, dest: Path, patch) -> Path:
    """The genuine archive's bytes changed by `patch(bytes, the last recording's ZipInfo)`."""
    data = bytearray(genuine.read_bytes())
    with zipfile.ZipFile(genuine) as z:
        last = [i for i in z.infolist() if i.filename.startswith("recordings/")][-1]
    patch(data, last)
    dest.write_bytes(bytes(data))
    return dest


def flip_a_byte(data: bytearray, info: zipfile.ZipInfo) -> None:
    """A bit flipped in the middle of the member's data: its CRC no longer matches."""
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x40


def mark_encrypted(data: bytearray, info: zipfile.ZipInfo) -> None:
    """The member's "encrypted" flag set, in its local header and in the central directory."""
    data[info.header_offset + 6] |= 0x1
    central = bytes(data).rindex(info.filename.encode()) - 46
    assert data[central:central + 4] == b"PK\x01\x02"
    data[central + 8] |= 0x1


LAST_ATTEMPT = "(SELECT MAX(id) FROM attempts)"
NO_SESSION = f"UPDATE attempts SET session_id = 999 WHERE id = {LAST_ATTEMPT}"
NOT_JSON = f"UPDATE attempts SET result = '{{\"passed\": tru' WHERE id = {LAST_ATTEMPT}"


def _replace_database(path: Path, data: bytes) -> Path:
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for info, content in members:
            out.writestr(info, data if info.filename == archive.DATABASE else content)
    return path

# Item 6 of issue 19: each of these printed a traceback (status 1) and left recordings/session-N/.
DAMAGED = {
    "a schema that is not a number": (
        lambda g, d: rebuilt(g, d, manifest={"format": "rehearse-archive", "schema": "five"}),
        "gives the schema as 'five', not a version number"),
    "a manifest that is a list": (
        lambda g, d: rebuilt(g, d, manifest=["rehearse-archive", 5]),
        "manifest.json holds a list"),
    "an attempt of a session not in it": (
        lambda g, d: rebuilt(g, d, sql=(NO_SESSION,)),
        "belongs to a session that is not in the archive"),
    "a table missing": (
        lambda g, d: rebuilt(g, d, sql=("DROP TABLE coach_marks",)),
        "its database has no table coach_marks"),
    "a result that is not JSON": (
        lambda g, d: rebuilt(g, d, sql=(NOT_JSON,)),
        "result is not readable JSON"),
    "a recording with a CRC error": (
        lambda g, d: patched(g, d, flip_a_byte),
        "the archive is damaged (BadZipFile: Bad CRC-32"),
    "a database that is not SQLite": (  # (not among the seven; SQLite's own check reads it first)
        lambda g, d: _replace_database(Path(shutil.copy(g, d)), b"SQLite format 3\0" + bytes(4000)),
        "the archive is damaged (DatabaseError: file is not a database)"),
    "an encrypted member": (
        lambda g, d: patched(g, d, mark_encrypted),
        "is encrypted"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_archive_is_one_line_and_changes_nothing(case, genuine, laptop, tmp_path):
    make, message = DAMAGED[case]
    before = state(laptop)
    line = refused(make(genuine, tmp_path / "damaged.zip"), laptop)
    assert message in line
    assert state(laptop) == before


def test_a_damaged_archive_makes_no_data_folder(genuine, tmp_path):
    damaged = rebuilt(genuine, tmp_path / "damaged.zip", sql=(NO_SESSION,))
    refused(damaged, tmp_path / "new" / "laptop")
    assert not (tmp_path / "new").exists()
    # The genuine one still imports whole after all that.
    run = rehearse("import", str(genuine), "--instance", str(tmp_path / "new-laptop"))
    assert run.returncode == 0 and "4 sessions, 9 attempts, 9 recordings" in run.stdout, run.stderr
    assert not list((tmp_path / "new-laptop").glob(".import-*"))  # the staging folder is gone


# --- item 5: a hostile archive --------------------------------------------------------------------

def zero_bomb(path: Path, member: str, mib: int) -> None:
    """Beside a genuine manifest, a member that is `mib` MiB of zeros deflated (~1/1000 of that)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(archive.MANIFEST, json.dumps({"format": "rehearse-archive", "schema": 5}))
        with z.open(member, "w", force_zip64=True) as out:
            for _ in range(mib):
                out.write(bytes(1 << 20))


def test_a_database_that_inflates_a_thousand_times_is_refused_before_it_is_read(laptop, tmp_path):
    """The attack: a 1 MB zip whose database inflates to 1 GiB took 2 GB of memory. Here 256 MiB
    (as quick to make, and already 300 MB of memory read whole), imported by a small parent that
    reports the import's peak memory."""
    bomb = tmp_path / "bomb.zip"
    zero_bomb(bomb, archive.DATABASE, 256)
    assert bomb.stat().st_size < 1_000_000
    code = textwrap.dedent(f"""
        import json, resource, subprocess, sys
        done = subprocess.run([sys.executable, "-m", "rehearse", "import", {str(bomb)!r},
                               "--instance", {str(laptop)!r}], capture_output=True, text=True)
        print(json.dumps({{"status": done.returncode, "stderr": done.stderr,
                          "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
    """)
    before = state(laptop)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    run = json.loads(done.stdout)
    assert run["peak_mb"] < 150  # Python and rehearse's modules: ~60 MB; the database is never held
    assert run["status"] == 2 and len(run["stderr"].splitlines()) == 1, run["stderr"]
    assert "'rehearse.sqlite' would inflate 1" in run["stderr"] and "as a zip bomb does" in run["stderr"]
    assert state(laptop) == before


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "recordings/../../evil.txt", "C:/evil.txt",
                                  "recordings\\..\\..\\evil.txt"])
def test_a_member_named_to_leave_the_folder_is_refused(name, genuine, laptop, tmp_path):
    before = state(laptop)
    line = refused(rebuilt(genuine, tmp_path / "traversal.zip", extra=((name, b"owned"),)), laptop)
    assert "would be written outside the folder it is extracted to" in line
    assert state(laptop) == before and not (tmp_path / "evil.txt").exists()


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns as it writes the second one
def test_a_symlink_a_bzip2_member_and_a_view_are_refused(genuine, laptop, tmp_path):
    before = state(laptop)
    link = zipfile.ZipInfo("recordings/session-1/link.wav")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    line = refused(rebuilt(genuine, tmp_path / "link.zip", extra=((link, b"/etc/passwd"),)), laptop)
    assert "is a symbolic link" in line

    squeezed = zipfile.ZipInfo("recordings/session-1/rep-09.wav")
    squeezed.compress_type = zipfile.ZIP_BZIP2
    line = refused(rebuilt(genuine, tmp_path / "bz2.zip", extra=((squeezed, bytes(1000)),)), laptop)
    assert "is compressed with method 12" in line

    twice = rebuilt(genuine, tmp_path / "twice.zip", extra=((archive.DATABASE, b"another"),))
    assert "appears twice" in refused(twice, laptop)

    viewed = rebuilt(genuine, tmp_path / "view.zip", sql=("CREATE VIEW slow AS SELECT * FROM attempts",))
    assert "its database holds a view ('slow')" in refused(viewed, laptop)
    assert state(laptop) == before


def test_members_over_the_limits_are_refused_before_anything_is_copied(genuine, laptop, tmp_path, monkeypatch):
    """The limits in force, made small so that a genuine archive is over them: a recording larger
    than a recording may be (the attack: an 18 MB zip wrote a 1.1 GB one), and too many members."""
    before = state(laptop)
    monkeypatch.setattr(archive_merge, "MAX_RECORDING_BYTES", 100_000)
    with pytest.raises(RehearseError, match=r"member 'recordings/session-\d+/rep-\d+.flac' would inflate to "
                                            r"0.\d MB, more than 0.1 MB; nothing was imported"):
        import_archive(laptop, genuine)
    monkeypatch.undo()
    monkeypatch.setattr(untrusted_zip, "MAX_MEMBERS", 5)
    with pytest.raises(RehearseError, match="it claims 11 members, more than a rehearse archive has"):
        import_archive(laptop, genuine)
    assert state(laptop) == before


def test_a_member_that_inflates_past_what_it_may_is_stopped_while_streaming(tmp_path):
    """A declared size is a claim: the copy counts what comes out and stops at the limit."""
    with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("recordings/big.wav", bytes(3 << 20))
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        with pytest.raises(untrusted_zip.UnsafeArchive, match="inflates to more than the 1.0 MB it declared or may"):
            untrusted_zip.copy_member(z, z.getinfo("recordings/big.wav"), tmp_path / "out", 1 << 20, "a.zip")
    assert (tmp_path / "out").stat().st_size <= 1 << 20


def test_recordings_placed_then_undone_leave_the_folder_as_it_was(genuine, laptop):
    """The last step before the commit moves the staged recordings into place; if the commit then
    fails, they go, the folders made for them go, and a stray file one replaced comes back."""
    store = open_store(laptop)
    stray = store.recordings / "session-1" / "rep-02.flac"
    stray.write_bytes(b"a file no row names")
    before = state(laptop)
    with zipfile.ZipFile(genuine) as z, staging.stage(laptop, "import") as stage:
        members = [i for i in z.infolist() if i.filename.startswith("recordings/")][:2]
        files = archive_merge.RecordingsStaged(store, z, genuine, stage.folder)
        files.add(members[0], "recordings/session-1/rep-02.flac")
        files.add(members[1], "recordings/session-7/rep-01.flac")
        files.place()
        assert stray.read_bytes() == z.read(members[0]) and (store.recordings / "session-7").is_dir()
        files.undo()
    assert state(laptop) == before
