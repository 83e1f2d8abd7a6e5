"""Attacks with JSON bodies on a real `rehearse serve` (issue 29, item 6): the JSON routes (a coach's
mark, a pass of taps, a comment on the recording, added or edited) read a body up to the upload
limit (64 MB, for recordings) — 24 bodies of 60 MB sent at once took the server to 2 GB — and a 60 MB
overrule comment was kept, silently cut to 2000 characters.

Now each route reads at most its own small limit: a body declared larger is a 413 with one line
before the app reads any of it (the test sends the headers and the first FIRST_BYTES of the body,
as much as the server's reception takes in before the app sees a request, and no more), and one
sent in chunks, with no length given, once it passes the limit. A comment over 2000 characters, on the recording or on a criterion,
is refused with one line, and nothing is kept.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import select
import shutil
import socket
import sqlite3
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from rehearse.web.connections import BUFFERED_BODY

from .server import server_process

DECLARED = 60 * 2**20  # what the attack declared: 60 MB, under the 64 MB upload limit
# The start of the body a client sends before it waits for the answer: more than the reception holds
# back before handing a request to the app (web/connections.py BUFFERED_BODY), far less than DECLARED.
FIRST_BYTES = BUFFERED_BODY + 64 * 1024
ANSWER_S = 60  # generous: a refusal comes at once; without it the server waits for the 60 MB for ever


@pytest.fixture(scope="module")
def served(history_template, tmp_path_factory):
    """A server over a copy of the seeded store of real scored reps: (url, instance folder, ids)."""
    folder, ids = history_template
    copy = tmp_path_factory.mktemp("bodies") / "instance"
    shutil.copytree(folder, copy)
    with server_process(copy) as (url, _process):
        yield url, copy, ids


class Page:
    """A page of the app as a browser holds it: its cookie and its CSRF token, for the requests its
    scripts send (static/api.js adds the token to each)."""

    def __init__(self, url: str, path: str):
        self.url, self.jar = url, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        html = self.opener.open(url + path, timeout=60).read().decode()
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
        self.headers = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in self.jar), "X-CSRF-Token": self.token,
                        "Content-Type": "application/json"}

    def send(self, method: str, path: str, body) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method=method,
                                         headers={"Content-Type": "application/json", "X-CSRF-Token": self.token})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def connection(self, method: str, path: str, first_bytes: int = 0, **headers: str) -> http.client.HTTPConnection:
        """A connection that has sent the request's headers and the first `first_bytes` of its body."""
        connection = http.client.HTTPConnection(self.url.removeprefix("http://"), timeout=ANSWER_S)
        connection.putrequest(method, path)
        for name, value in (self.headers | headers).items():
            connection.putheader(name, value)
        connection.endheaders()
        if first_bytes:
            connection.send(b" " * first_bytes)
        return connection

    def declared_60_mb(self, method: str, path: str) -> http.client.HTTPConnection:
        """The attack: a body declared 60 MB, of which only the first FIRST_BYTES are sent."""
        return self.connection(method, path, FIRST_BYTES, **{"Content-Length": str(DECLARED)})


def json_routes(page: Page, attempt_id: int) -> list[tuple[str, str]]:
    """Every route that reads a JSON body, on a rep with one comment (to edit)."""
    status, _ = page.send("POST", f"/api/attempts/{attempt_id}/comments", {"at_s": 1.0, "text": "to edit"})
    assert status == 201
    comment_id = marks_and_comments(page, attempt_id)[1][-1]["id"]
    return [("POST", f"/api/attempts/{attempt_id}/marks"), ("POST", f"/api/attempts/{attempt_id}/taps"),
            ("POST", f"/api/attempts/{attempt_id}/comments"),
            ("PATCH", f"/api/attempts/{attempt_id}/comments/{comment_id}")]


def marks_and_comments(page: Page, attempt_id: int) -> tuple[list, list]:
    """The rep's coach's marks and comments as stored (read from the SQLite file, not through the app)."""
    instance = page.instance
    with sqlite3.connect(f"file:{instance / 'rehearse.sqlite'}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        marks = [dict(r) for r in db.execute("SELECT * FROM coach_marks WHERE attempt_id = ?", (attempt_id,))]
        comments = [dict(r) for r in db.execute("SELECT * FROM comments WHERE attempt_id = ? ORDER BY id",
                                                (attempt_id,))]
    return marks, comments


@pytest.fixture()
def page(served):
    url, instance, ids = served
    attempt_id = ids["sessions"][0]["attempts"][1]
    page = Page(url, f"/attempts/{attempt_id}")
    page.instance, page.attempt_id = instance, attempt_id
    return page


def refused_413(response: http.client.HTTPResponse) -> str:
    assert response.status == 413, (response.status, response.read()[:300])
    error = json.loads(response.read())["error"]
    assert "\n" not in error and "more than the page ever sends" in error
    return error


def test_a_json_body_declared_over_its_routes_limit_is_refused_before_it_is_read(page):
    for method, path in json_routes(page, page.attempt_id):
        connection = page.declared_60_mb(method, path)
        try:
            error = refused_413(connection.getresponse())  # the rest of the 60 MB never sent
        finally:
            connection.close()
        assert "KB" in error, path


def test_24_bodies_of_60_mb_at_once_are_all_refused_before_they_are_read(page):
    """The attack as it was made: 24 at once (each would have been read whole, 2 GB in all)."""
    marks = f"/api/attempts/{page.attempt_id}/marks"

    def attack(_):
        connection = page.declared_60_mb("POST", marks)
        try:
            return refused_413(connection.getresponse())
        finally:
            connection.close()

    with ThreadPoolExecutor(24) as pool:
        assert len(list(pool.map(attack, range(24)))) == 24


def test_a_chunked_json_body_is_refused_once_it_passes_the_limit(page):
    """No Content-Length: the server cannot know the size before reading; it must stop at the limit.
    The body is sent 64 KB at a time, up to 60 MB; the refusal must come long before the end."""
    connection = page.connection("POST", f"/api/attempts/{page.attempt_id}/comments",
                                 **{"Transfer-Encoding": "chunked"})
    sock, block, sent = connection.sock, b" " * 65536, 0
    sock.settimeout(5)
    try:
        while sent < DECLARED and not select.select([sock], [], [], 0)[0]:
            sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            sent += len(block)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading (or closed): its answer is waiting
    sock.settimeout(ANSWER_S)
    response = http.client.HTTPResponse(sock, method="POST")
    response.begin()
    refused_413(response)
    assert sent < DECLARED / 4  # refused long before the end; read whole, it would never have been answered
    connection.close()


def test_an_over_long_comment_is_refused_not_cut_and_nothing_is_kept(page):
    before = marks_and_comments(page, page.attempt_id)
    long, longest = "x" * 2001, "y" * 2000
    status, body = page.send("POST", f"/api/attempts/{page.attempt_id}/marks",
                             {"criterion": "wait_time", "passed": False, "comment": long})
    assert status == 400 and body["error"] == "the comment: 2001 characters is too long to save; shorten it to at most 2000"
    status, body = page.send("POST", f"/api/attempts/{page.attempt_id}/comments", {"at_s": 2.0, "text": long})
    assert status == 400 and "2001 characters" in body["error"]
    assert marks_and_comments(page, page.attempt_id) == before  # nothing kept, nothing cut

    status, _ = page.send("POST", f"/api/attempts/{page.attempt_id}/marks",
                          {"criterion": "wait_time", "passed": False, "comment": longest})
    assert status == 200
    (mark,) = [m for m in marks_and_comments(page, page.attempt_id)[0] if m["criterion"] == "wait_time"]
    assert mark["comment"] == longest  # 2000 characters: kept whole

    # A 60 MB overrule comment, as it was sent: refused as a whole body, nothing kept or cut.
    connection = page.declared_60_mb("POST", f"/api/attempts/{page.attempt_id}/marks")
    try:
        refused_413(connection.getresponse())
    finally:
        connection.close()
    (mark,) = [m for m in marks_and_comments(page, page.attempt_id)[0] if m["criterion"] == "wait_time"]
    assert mark["comment"] == longest
