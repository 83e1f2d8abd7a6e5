"""Attacks on what rehearse leaves on disk (issue 29, items 2 and 7), against real processes.

- kill -9 mid-way: `rehearse import` (its staged recordings), `rehearse export --archive` and the
  History page's archive (a half-written zip of the database and every recording, and the
  database's snapshot), a step save (its `.saving-*` folder in the scenarios folder). Each process
  is started for real and killed with SIGKILL while it stages (polled until the staged file is
  there); rehearse is then started again, and nothing staged may be left — while nothing recorded
  is lost, and an import still running beside a starting server keeps its staging.
- a full disk: a real tmpfs of a few MB, filled to the last byte (skipped where mounting is not
  allowed). The pages that only read still work; a write, and `serve`, name the real cause.
- `rehearse report -o NEWDIR/`, and reports and archives readable by their owner only.

A step save stages for a few microseconds only: to kill it there, the server runs under strace,
which delays each rename (the save's last step) by a minute — the server's code is not changed.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from rehearse.reps import open_store
from rehearse.store import archive
from rehearse.store.private_files import owner_only

from .server import Visitor, server_process
from .test_cli import rehearse
from .test_hostile_archive import a_laptop

STAGED = (".import-", ".archive-", ".saving-")
REPS, REP_BYTES = 48, 4 << 20  # ~200 MB of recordings: an import or an archive takes long enough to catch
FORM = {"title": "Think time for everyone", "goal": "So that every pupil has time to think",
        "strategy": "Ask the whole class, pause, then name one pupil", "prompt": "Check recall of the water cycle.",
        "roster": "Xavier\nSiobhan (Shivawn)\nPriya", "wait_time.min_s": "4", "wait_time.max_s": "10",
        "rule": ["asks_question", "wait_time", "names_pupil"]}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """An instance folder with one session of REPS reps, each with a recording of REP_BYTES."""
    store = open_store(tmp_path_factory.mktemp("big") / "instance")
    session_id = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan"])
    block = (b"\x01\x00" * 512) * (REP_BYTES // 1024)
    for _ in range(REPS):
        attempt = store.new_rep(session_id, "upload", ".wav")
        path = store.audio_file(attempt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(block)
        store.save_failure(attempt.id, "not scored yet")  # kept, as an upload is: not 'recording'
    return store.instance


@pytest.fixture(scope="module")
def big_archive(big, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archives") / "big.zip"
    archive.write_archive(open_store(big), path)
    return path


@pytest.fixture()
def laptop(tmp_path) -> Path:
    """The coach's laptop (test_hostile_archive's), its one rep stored as failed (no speech)."""
    store = a_laptop(tmp_path / "laptop", "Mr Byrne")
    store.save_failure(1, "no speech")
    return store.instance


@pytest.fixture()
def system_temp(tmp_path) -> Path:
    """The system's temporary folder (TMPDIR) of the processes started: nothing may be left there."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    return folder


def state(folder: Path) -> tuple[dict[str, str], list[str]]:
    """Every recorded file of an instance folder (with its content's hash) and every database row."""
    files = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(STAGED)
             and not any(part.startswith(STAGED) for part in p.relative_to(folder).parts)
             and p.name not in ("rehearse.lock", "secret_key") and not p.name.startswith("rehearse.sqlite")}
    db = sqlite3.connect(folder / "rehearse.sqlite")
    rows = list(db.iterdump())
    db.close()
    return files, rows


def staged(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(STAGED)) if folder.is_dir() else []


def wait_for(found, what: str, process: subprocess.Popen | None = None, timeout_s: float = 120):
    """Poll (every 2 ms) until `found()` gives something; return it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := found():
            return result
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended before {what}: {process.returncode}")
        time.sleep(0.002)
    pytest.fail(f"no {what} within {timeout_s} s")


def a_staged_recording(instance: Path) -> list[Path]:
    """A recording an import has staged (named by its number, in `.import-*` or a folder of it)."""
    return [p for p in instance.glob(".import-*/**/*") if p.is_file() and p.name.isdigit()]


def killed(process: subprocess.Popen) -> None:
    process.kill()  # SIGKILL
    process.wait(timeout=60)


def start(*args: str, env=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rehearse", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


# --- item 2: kill -9 mid-way ------------------------------------------------------------------------

@pytest.mark.slow
def test_an_import_killed_midway_leaves_no_recording_once_rehearse_starts_again(big_archive, laptop, system_temp):
    before = state(laptop)
    importing = start("import", str(big_archive), "--instance", str(laptop), env=os.environ | {"TMPDIR": str(system_temp)})
    wait_for(lambda: a_staged_recording(laptop), "recording staged by the import", importing)
    killed(importing)
    assert staged(laptop), "the attack: the import was killed while its copies were staged"
    with server_process(laptop):
        assert staged(laptop) == []  # the voices it had copied are gone ...
        files, rows = state(laptop)
        assert before[0].items() <= files.items() and rows == before[1]  # ... and nothing recorded here is
    assert list(system_temp.iterdir()) == []  # nor is the archive's database left in the system's temp folder


@pytest.mark.slow
def test_an_import_running_beside_a_starting_server_keeps_its_staging_and_completes(big_archive, laptop):
    """Not an attack on today's code (which removes nothing): the sweep must never take a live import's files."""
    importing = start("import", str(big_archive), "--instance", str(laptop))
    wait_for(lambda: a_staged_recording(laptop), "recording staged by the import", importing)
    importing.send_signal(signal.SIGSTOP)  # held mid-staging while a server starts on the same folder
    try:
        live = staged(laptop)
        with server_process(laptop) as (url, _server):
            urllib.request.urlopen(url + "/history", timeout=60).read()
            assert staged(laptop) == live
    finally:
        importing.send_signal(signal.SIGCONT)
    out, err = importing.communicate(timeout=600)
    assert importing.returncode == 0, err
    assert f"{REPS} attempts, {REPS} recordings" in out
    assert staged(laptop) == [] and len(list((laptop / "recordings").rglob("*.wav"))) == REPS


@pytest.mark.slow
def test_an_archive_killed_midway_in_the_terminal_leaves_nothing_once_rehearse_starts_again(big, tmp_path, system_temp):
    instance = tmp_path / "instance"
    shutil.copytree(big, instance)
    before = state(instance)
    dest = tmp_path / "usb-stick" / "everything.zip"
    dest.parent.mkdir()
    part = dest.with_name(dest.name + ".part")
    exporting = start("export", "--archive", str(dest), "--instance", str(instance),
                      env=os.environ | {"TMPDIR": str(system_temp)})
    wait_for(lambda: part.is_file() and part.stat().st_size > REP_BYTES, "half-written archive", exporting)
    killed(exporting)
    assert part.exists(), "the attack: the archive was killed half-written"
    with server_process(instance):
        assert not part.exists() and not dest.exists()
        assert staged(instance) == [] and state(instance) == before
    assert list(system_temp.iterdir()) == []  # the database's snapshot was not left in the system's temp folder


@pytest.mark.slow
def test_the_history_pages_archive_killed_midway_leaves_nothing_once_the_server_starts_again(big, tmp_path, system_temp):
    instance = tmp_path / "instance"
    shutil.copytree(big, instance)
    before = state(instance)
    env = os.environ | {"TMPDIR": str(system_temp)}
    with server_process(instance, env=env) as (url, server):
        visitor = Visitor(url)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">',
                          visitor.get("/history").read().decode()).group(1)
        download = threading.Thread(target=lambda: _ignore_errors(
            lambda: visitor.get(f"/archive.zip?csrf_token={urllib.parse.quote(token)}").read()), daemon=True)
        download.start()
        wait_for(lambda: [p for p in instance.glob(".archive-*/*.part") if p.stat().st_size > REP_BYTES],
                 "half-written archive", server)
        killed(server)
    assert staged(instance), "the attack: the server was killed with the archive half-written"
    with server_process(instance, env=env):
        assert staged(instance) == [] and state(instance) == before
    assert list(system_temp.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to hold the step save at its rename")
def test_a_step_save_killed_midway_leaves_no_saving_folder_once_the_server_starts_again(tmp_path):
    school = tmp_path / "school-steps"  # REHEARSE_SCENARIOS: a folder several servers may share
    school.mkdir()
    env = os.environ | {"REHEARSE_SCENARIOS": str(school)}
    delayed = ("strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=rename,renameat,renameat2",
               "-e", "inject=rename,renameat,renameat2:delay_enter=60000000", sys.executable, "-m", "rehearse")
    with server_process(tmp_path / "instance", command=delayed, env=env) as (url, tracer):
        visitor = Visitor(url)
        visitor.get("/steps/new").read()
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">',
                          visitor.get("/steps/new").read().decode()).group(1)
        body = urllib.parse.urlencode(FORM | {"csrf_token": token}, doseq=True).encode()
        threading.Thread(target=lambda: _ignore_errors(
            lambda: visitor.opener.open(urllib.request.Request(url + "/steps", data=body), timeout=120).read()),
            daemon=True).start()
        wait_for(lambda: list(school.glob(".saving-*/*.toml")), "step file staged by the save", tracer)
        server = int(Path(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read_text().split()[0])
        os.kill(server, signal.SIGKILL)  # the server itself (strace's child), held in its rename
        killed(tracer)  # strace may sleep out its delay before it sees its child gone
        wait_for(lambda: not Path(f"/proc/{server}").exists(), "end of the killed server")
    assert staged(school), "the attack: the server was killed while the step was staged"
    with server_process(tmp_path / "instance", env=env):
        assert staged(school) == []
    assert list(school.iterdir()) == []  # and no half-saved step either


def _ignore_errors(call) -> None:
    try:
        call()
    except (OSError, urllib.error.URLError):
        pass  # the server was killed under it


# --- item 7: a full disk ----------------------------------------------------------------------------

@pytest.fixture()
def small_disk(tmp_path) -> Path:
    """A real disk of 4 MB (a tmpfs mounted here), unmounted after. Its mount point is the instance
    folder, so that the server's log (written beside it by server_process) is not on it."""
    mount = tmp_path / "instance"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small disk here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> None:
    """Write to the disk until it is full, to the last byte (again: what SQLite gave back when it failed)."""
    with open(disk / "filler", "ab", buffering=0) as filler:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while filler.write(b"\0" * size):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    assert shutil.disk_usage(disk).free == 0


@pytest.mark.slow
def test_on_a_full_disk_the_pages_that_read_still_work_and_a_write_says_the_disk_is_full(small_disk):
    """The disk fills while a server runs (idle: no connection open, so SQLite's write-ahead log and its
    index are gone), then the server is started again on the full disk."""
    store = open_store(small_disk)
    session_id = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan"])
    del store
    gc.collect()  # every connection of this process closed: the write-ahead log is gone, as after a server stops
    with server_process(small_disk) as (url, _server):
        wait_for(lambda: not (small_disk / "rehearse.sqlite-wal").exists(), "idle server (its last connection closed)")
        fill(small_disk)
        assert_reads_work_and_a_write_says_full(url, session_id, small_disk)
    (small_disk / "filler").unlink()  # room to close the database cleanly (its log emptied and removed) ...
    open_store(small_disk)
    gc.collect()
    assert not (small_disk / "rehearse.sqlite-wal").exists()
    fill(small_disk)  # ... then full again before the next start
    with server_process(small_disk) as (url, _server):
        assert_reads_work_and_a_write_says_full(url, session_id, small_disk)
    assert [s.teacher for s in open_store(small_disk).recent_sessions()] == ["Ms Okafor"]


def assert_reads_work_and_a_write_says_full(url: str, session_id: int, disk: Path) -> None:
    for page in ("/", "/history", f"/sessions/{session_id}", f"/sessions/{session_id}/summary", "/steps",
                 "/steps/pose-pause-name", "/teachers/1", "/calibration", "/export.csv"):
        with urllib.request.urlopen(url + page, timeout=60) as response:
            assert response.status == 200
    with urllib.request.urlopen(url + "/history", timeout=60) as response:
        assert "Ms Okafor" in response.read().decode()
    fill(disk)  # again: whatever SQLite gave back when it failed
    with pytest.raises(urllib.error.HTTPError) as refused:
        Visitor(url).post("/sessions", {"teacher": "Mr Byrne", "step": "pose-pause-name", "roster": "", "reps": "10"})
    page = refused.value.read().decode()
    assert refused.value.code == 503 and "could not save: the disk is full" in page and "I/O" not in page


def test_serve_on_a_full_disk_names_the_file_it_could_not_write_and_why(small_disk):
    fill(small_disk)
    new = small_disk / "new"
    run = rehearse("serve", "--port", "5999", "--instance", str(new))
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1, run.stderr
    assert re.match(rf"rehearse: .*{re.escape(str(new))}{re.escape(os.sep)}\S+: the disk is full", run.stderr), run.stderr
    assert "free some space" in run.stderr


# --- item 7: what the terminal writes -----------------------------------------------------------------

def test_report_to_a_folder_ending_in_a_separator_writes_the_report_inside_it(history_instance, tmp_path):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]
    instance = str(history_instance[0])
    new = tmp_path / "NEWDIR"
    done = rehearse("report", "--attempt", str(attempt_id), "-o", f"{new}{os.sep}", "--instance", instance)
    assert done.returncode == 0, done.stderr
    assert new.is_dir()
    (written,) = new.iterdir()
    assert written.name.startswith("Ms-Okafor_") and written.suffix == ".html" and str(written) in done.stdout
    deeper = tmp_path / "reports" / "2026" / ""
    assert rehearse("report", "--attempt", str(attempt_id), "-o", str(deeper) + os.sep, "--instance", instance).returncode == 0
    assert len(list(deeper.iterdir())) == 1
    nowhere = rehearse("report", "--attempt", str(attempt_id), "-o", str(tmp_path / "no-such" / "rep.html"),
                       "--instance", instance)
    assert nowhere.returncode == 2 and len(nowhere.stderr.splitlines()) == 1, nowhere.stderr
    assert "there is no folder" in nowhere.stderr and "end -o with" in nowhere.stderr
    on_a_file = rehearse("report", "--attempt", str(attempt_id), "-o", f"{written}{os.sep}", "--instance", instance)
    assert on_a_file.returncode == 2 and len(on_a_file.stderr.splitlines()) == 1, on_a_file.stderr
    assert "cannot make the folder" in on_a_file.stderr


def test_reports_archives_and_exports_written_in_the_terminal_are_readable_by_their_owner_only(history_instance,
                                                                                               tmp_path):
    instance = str(history_instance[0])
    session_id = history_instance[1]["sessions"][1]["id"]
    there_before = tmp_path / "old-export.csv"
    there_before.write_text("an older export, readable by all")
    there_before.chmod(0o644)
    written = {"report": tmp_path / "session.html", "archive": tmp_path / "all.zip", "export": there_before}
    for args in (("report", "--session", str(session_id), "-o", str(written["report"])),
                 ("export", "--archive", str(written["archive"])),
                 ("export", "-o", str(written["export"]))):
        done = subprocess.run([sys.executable, "-m", "rehearse", *args, "--instance", instance],
                              capture_output=True, text=True, timeout=600, umask=0o022)
        assert done.returncode == 0, done.stderr
    assert {name: oct(stat.S_IMODE(path.stat().st_mode)) for name, path in written.items()} == \
        dict.fromkeys(written, oct(0o600))
    assert "Ms Okafor" in written["export"].read_text()


def test_a_report_written_to_a_pipe_leaves_the_pipes_mode_alone(tmp_path):
    """Found in review: `-o /dev/stdout` made the terminal 0600 (and, as root, `-o /dev/null` made
    /dev/null so). Only a regular file is made owner-only; a pipe stands in for the devices here."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe, 0o644)
    got = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    with owner_only(pipe) as file:
        file.write(b"report")
    reader.join(10)
    assert got == [b"report"] and stat.S_IMODE(pipe.stat().st_mode) == 0o644
