"""When the disk or the database cannot be written — full, read-only — and when something nobody
foresaw goes wrong: the page, the API and the WebSocket say what happened and what to do, the log
has it with its traceback, the rep is stored as unscored with that reason (never left
'recording'), and whatever audio reached the disk stays.

The disk cannot be filled safely in a test, so a full disk is a file that takes only so many bytes
and then fails as a full disk does (OSError ENOSPC) — the recording's own `open` is replaced, in
this process, for the app served here on a real socket (werkzeug's server in a thread) to a real
WebSocket client. A read-only folder is the same `open` failing with EACCES. The tests run as root
here, where chmod stops no write, so a read-only database is a read-only SQLite connection
(mode=ro): SQLite refuses writes through it exactly as it does for a read-only file.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import json
import logging
import os
import sqlite3
import threading
import wave

import pytest
import simple_websocket
from werkzeug.datastructures import FileStorage
from werkzeug.serving import make_server

from rehearse.capture import recording
from rehearse.store.database import Store
from rehearse.web import create_app

from .page_client import page_client

BLOCK = b"\x01\x00" * 1600  # 100 ms of near-silence, as the page sends it
START = {"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "", "reps": "10"}


class SmallDisk:
    """A file on a disk with `free` bytes left: a write past them writes what fits and then fails
    as a full disk does. Unbuffered, so what "reached the disk" is exact."""

    def __init__(self, path, mode: str, free: int):
        self._file = builtins.open(path, mode, buffering=0)
        self._free = free

    def write(self, data: bytes) -> int:
        at = self._file.tell()
        if at + len(data) > self._free:
            self._file.write(data[:max(0, self._free - at)])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._file.name)
        return self._file.write(data)

    def flush(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._file, name)


@pytest.fixture()
def app(tmp_path):
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False})
    assert page_client(app).post("/sessions", data=START).status_code == 302  # session 1
    return app


@contextlib.contextmanager
def serving(app):
    """The app on a free loopback port, in this process (so a test can make its disk fail)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def messages_until_closed(ws) -> list[dict]:
    found = []
    with contextlib.suppress(simple_websocket.ConnectionClosed):
        while (m := ws.receive(timeout=30)) is not None:
            found.append(json.loads(m))
    ws.close() if ws.connected else None
    return found


def record(url: str, blocks: int, session_id: int = 1) -> list[dict]:
    """Start a rep, send `blocks` of audio (until the server answers), stop; every message back."""
    ws = simple_websocket.Client.connect(f"{url}/ws/sessions/{session_id}")
    ws.send(json.dumps({"type": "start"}))
    with contextlib.suppress(simple_websocket.ConnectionClosed):
        for _ in range(blocks):
            ws.send(BLOCK)
        ws.send(json.dumps({"type": "stop"}))
    return messages_until_closed(ws)


def row(app, attempt_id: int = 1) -> dict:
    with sqlite3.connect(os.path.join(app.instance_path, "rehearse.sqlite")) as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone())


def read_only_database(monkeypatch, when=lambda: True):
    """Every connection the app opens from now on (while `when()`) is read-only (see the docstring)."""
    real = Store.connect

    def connect(self):
        if not when():
            return real(self)
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    monkeypatch.setattr(Store, "connect", connect)


def test_a_disk_filling_up_mid_rep_is_said_stored_and_the_audio_kept(app, monkeypatch, caplog):
    free = 44 + 3 * len(BLOCK) + 1000  # the header, three blocks and a part of the fourth
    monkeypatch.setattr(recording, "open", lambda path, mode: SmallDisk(path, mode, free), raising=False)
    with serving(app) as url:
        replies = record(url, blocks=10)
    assert replies[0]["type"] == "started"
    error = replies[-1]
    assert error["type"] == "error"
    said = ("could not save the recording at 0.3 s: the disk is full (No space left on device) — "
            "free some space, then score it again; the 0.3 s saved before it are kept")
    assert error["message"] == said
    assert error["attempt"]["status"] == "unscored" and error["attempt"]["error"] == said
    stored = row(app)
    assert stored["status"] == "unscored" and stored["error"] == said
    with wave.open(os.path.join(app.instance_path, stored["audio_path"])) as w:  # the header counts what is there
        assert w.getnframes() == (3 * len(BLOCK) + 1000) // 2
    assert said in caplog.text

    monkeypatch.undo()  # space freed: scoring it again works at once (no 409, no restart)
    rescored = page_client(app).post("/api/attempts/1/score")
    assert rescored.status_code == 200 and "no speech" in rescored.json["error"]


def test_a_rep_whose_failure_cannot_be_stored_either_is_settled_when_scored_again(app, monkeypatch, caplog):
    broken = threading.Event()  # set once the rep's row is written: from then on the database is read-only too

    def full_disk(path, mode):
        broken.set()
        return SmallDisk(path, mode, 44 + len(BLOCK))

    monkeypatch.setattr(recording, "open", full_disk, raising=False)
    read_only_database(monkeypatch, when=broken.is_set)
    with serving(app) as url:
        replies = record(url, blocks=5)
    assert replies[0]["type"] == "started"
    message = replies[-1]["message"]
    assert message.startswith("could not save the recording at 0.1 s: the disk is full")
    assert "it could not be marked in the database either: the database cannot be written" in message
    assert row(app)["status"] == "recording"  # nothing could change it: the server knows it is not live

    monkeypatch.undo()
    rescored = page_client(app).post("/api/attempts/1/score")
    assert rescored.status_code == 200 and rescored.json["status"] == "unscored"
    assert "no speech" in rescored.json["error"]
    assert row(app)["duration_s"] == pytest.approx(0.1)


def test_a_read_only_recordings_folder_is_said_and_the_rep_stored_as_failed(app, monkeypatch):
    def refused(path, mode):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(recording, "open", refused, raising=False)
    with serving(app) as url:
        replies = record(url, blocks=1)
    error = replies[0]
    assert error["type"] == "error"
    assert error["message"].startswith("could not save the recording: ")
    assert "rep-01.wav cannot be written (Permission denied) — make it writable" in error["message"]
    assert error["message"].endswith("then record it again")
    assert row(app)["status"] == "unscored" and row(app)["error"] == error["message"]


def test_a_read_only_database_is_said_on_pages_the_api_and_the_websocket(app, monkeypatch, caplog):
    client = page_client(app)
    client.csrf_token()
    read_only_database(monkeypatch)
    page = client.post("/sessions", data=START)
    assert page.status_code == 503
    assert "could not save: the database cannot be written (attempt to write a readonly database)" in page.text
    assert "<h1>Could not save</h1>" in page.text
    api = client.post("/api/sessions/1/uploads", data={"recording": (io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEfmt "), "rep.wav")},
                      content_type="multipart/form-data")
    assert api.status_code == 503 and api.json["error"].startswith("could not save: the database cannot be written")
    assert "Traceback" in caplog.text and "attempt to write a readonly database" in caplog.text
    with serving(app) as url:
        replies = record(url, blocks=1)
    assert replies == [{"type": "error", "message": replies[0]["message"]}]
    assert replies[0]["message"].startswith("could not record: the database cannot be written")


def test_a_disk_full_during_an_upload_is_said_and_the_rep_stored_as_failed(app, monkeypatch):
    def save(self, path):
        with builtins.open(path, "wb") as file:
            file.write(self.stream.read(100))  # what fitted
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(FileStorage, "save", save)
    client = page_client(app)
    response = client.post("/api/sessions/1/uploads", content_type="multipart/form-data",
                           data={"recording": (io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 4000), "rep.wav")})
    said = "could not save the upload: the disk is full (No space left on device) — free some space, then upload it again"
    assert response.status_code == 503 and response.json["error"] == said
    assert response.json["attempt"]["status"] == "unscored"
    stored = row(app)
    assert stored["status"] == "unscored" and stored["error"] == said
    assert os.path.getsize(os.path.join(app.instance_path, stored["audio_path"])) == 100  # what was written stays


def test_an_unforeseen_error_is_the_apps_own_page_json_or_message_and_is_logged(app, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("rehearse.web.review.history.sessions_page", boom)
    monkeypatch.setattr("rehearse.web.api.session_view", boom)
    monkeypatch.setattr("rehearse.web.stream.session_step", boom)
    client = page_client(app)
    page = client.get("/history")
    assert page.status_code == 500 and "<h1>Something went wrong</h1>" in page.text
    assert "(RuntimeError); its details are in the server&#39;s log" in page.text
    assert "Internal Server Error" not in page.text
    api = client.get("/api/sessions/1")
    assert api.status_code == 500 and "RuntimeError" in api.json["error"]
    with serving(app) as url:
        ws = simple_websocket.Client.connect(f"{url}/ws/sessions/1")
        replies = messages_until_closed(ws)
    assert replies and replies[0]["type"] == "error" and "(RuntimeError)" in replies[0]["message"]
    assert caplog.text.count("RuntimeError: a bug") >= 3 and "Traceback" in caplog.text


def test_an_unforeseen_error_mid_rep_keeps_the_rep_and_tells_the_page(app, monkeypatch, caplog):
    from rehearse.capture.live import LiveRep

    real_add = LiveRep.add

    def add(self, pcm):
        if self.duration_s >= 0.2:
            raise RuntimeError("a bug mid-rep")
        return real_add(self, pcm)

    monkeypatch.setattr(LiveRep, "add", add)
    with serving(app) as url:
        replies = record(url, blocks=5)
    assert replies[0]["type"] == "started"
    assert replies[-1]["type"] == "error" and "(RuntimeError)" in replies[-1]["message"]
    stored = row(app)
    assert stored["status"] == "unscored" and "(RuntimeError)" in stored["error"]
    assert stored["error"].endswith("what was recorded is kept") and stored["duration_s"] == pytest.approx(0.2)
    with wave.open(os.path.join(app.instance_path, stored["audio_path"])) as w:
        assert w.getnframes() == 2 * len(BLOCK) // 2
    assert "RuntimeError: a bug mid-rep" in caplog.text
