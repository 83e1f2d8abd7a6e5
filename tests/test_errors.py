"""Every kind of failure is answered in the one shape errors.py gives it: {"error": "one line"} to an
/api/ route (or a request asking for JSON), the app's own error page, with a heading fitting the
status, to a page route — through Flask's test client over a real instance folder and SQLite file.
And no module of web/ but errors.py renders error.html, builds an {"error": ...} body or registers
an error handler itself.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from rehearse.web import create_app

from .page_client import page_client
from .test_write_failures import START, read_only_database

WEB = Path(__file__).resolve().parent.parent / "rehearse" / "web"
UPLOAD_LIMIT = 1024 * 1024  # bytes of an upload: 1 MB, so that a too-large one is quick to send


@pytest.fixture()
def client(tmp_path):
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False, "MAX_CONTENT_LENGTH": UPLOAD_LIMIT})
    client = page_client(app)
    assert client.post("/sessions", data=START).status_code == 302  # session 1
    return client


def as_json(response, status: int) -> str:
    """The answer is {"error": "one line"} with `status`; its line."""
    assert response.status_code == status, response.text
    assert response.is_json, response.text
    assert list(response.json) == ["error"]
    line = response.json["error"]
    assert isinstance(line, str) and line.strip() and "\n" not in line
    return line


def as_page(response, status: int, heading: str) -> str:
    """The answer is the app's own error page with `status` and `heading`; its text."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    page = response.text
    assert f"<h1>{heading}</h1>" in page and 'class="error" role="alert"' in page
    assert "Back to the start page" in page
    return page


def recording(size: int) -> dict:
    return {"recording": (io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * size), "rep.wav")}


def test_400_refused_input(client):
    line = as_json(client.post("/api/sessions/1/uploads", data={}, content_type="multipart/form-data"), 400)
    assert line.startswith("no file was sent; choose a recording")
    page = as_page(client.get("/export.csv?from=tuesday"), 400, "Cannot show this")
    assert "from: &#39;tuesday&#39; is not a date; write it as YYYY-MM-DD" in page


def test_404_not_there(client):
    assert as_json(client.get("/api/sessions/99"), 404) == "there is no session 99; start one from the first page"
    page = as_page(client.get("/sessions/99"), 404, "Not here")
    assert "there is no session 99; start one from the first page" in page
    assert "requested URL was not found" in as_json(client.get("/api/no-such-thing"), 404)
    assert "requested URL was not found" in as_page(client.get("/no-such-page"), 404, "Not here")


def test_413_too_large(client):
    line = as_json(client.post("/api/sessions/1/uploads", data=recording(UPLOAD_LIMIT),
                               content_type="multipart/form-data"), 413)
    assert line.startswith("that file is over 1 MB, too large to be a recording of one rep")
    page = as_page(client.post("/sessions", data=START | {"roster": "x" * 300_000}), 413, "Too large")
    assert "the form is over 256 KB, more than the page ever sends" in page


def test_503_storage_cannot_be_written(client, monkeypatch, caplog):
    read_only_database(monkeypatch)
    line = as_json(client.post("/api/sessions/1/uploads", data=recording(100), content_type="multipart/form-data"), 503)
    assert line.startswith("could not save: the database cannot be written")
    page = as_page(client.post("/sessions", data=START), 503, "Could not save")
    assert "could not save: the database cannot be written" in page
    assert caplog.text.count("Traceback") >= 2  # each in the log, with its traceback


def test_403_405_and_a_page_asked_for_json(client):
    line = as_json(client.post("/api/attempts/1/score", csrf=False), 403)
    assert line.startswith("this form is out of date or came from another site")
    as_page(client.post("/sessions", data=START, csrf=False), 403, "Not allowed")
    refused = client.post("/api/sessions/1")
    as_json(refused, 405)
    assert "GET" in refused.headers["Allow"]  # werkzeug's own header is kept
    as_page(client.post("/history"), 405, "Cannot do this")
    asked = client.get("/sessions/99", headers={"Accept": "application/json"})
    assert as_json(asked, 404) == "there is no session 99; start one from the first page"


def test_an_upload_that_could_not_be_saved_keeps_its_rep_beside_the_line(client, monkeypatch):
    from werkzeug.datastructures import FileStorage

    def full(self, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(FileStorage, "save", full)
    response = client.post("/api/sessions/1/uploads", data=recording(100), content_type="multipart/form-data")
    assert response.status_code == 503 and set(response.json) == {"error", "attempt"}
    assert response.json["error"].startswith("could not save the upload: the disk is full")
    assert response.json["attempt"]["status"] == "unscored"


ERROR_PAGE = re.compile(r"error\.html")
ERROR_BODY = re.compile(r"""\{\s*["']error["']\s*:""")
HANDLER = re.compile(r"errorhandler|register_error_handler")


@pytest.mark.parametrize("path", sorted(p for p in WEB.glob("*.py") if p.name != "errors.py"), ids=lambda p: p.name)
def test_only_errors_py_answers_a_failure(path):
    """No other module of web/ renders error.html, builds {"error": ...} or registers a handler."""
    source = path.read_text(encoding="utf-8")
    code = re.sub(r'"""(?:.|\n)*?"""', "", source)  # docstrings may describe the shape
    for pattern in (ERROR_PAGE, ERROR_BODY, HANDLER):
        assert not pattern.search(code), f"{path.name}: {pattern.pattern} — raise Refused (web/errors.py) instead"
