"""Who may use the app, and what a request may reach: CSRF, the loopback host check, the passcode
sign-in, cookie and header settings, path traversal, upload limits — through Flask's test client —
and one real `rehearse serve --host 0.0.0.0` over HTTPS with a real WebSocket client."""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import sqlite3
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
import simple_websocket

from rehearse.store import passcode
from rehearse.web import create_app

from .conftest import CLIPS
from .page_client import page_client, page_token
from .server import server_process
from .test_cli import rehearse

CLIP = "ppn-00-correct-siobhan-clean.flac"
SECRET = "a long passcode 42"


def app_with(tmp_path, **config):
    return create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False, **config})


def count(app, table: str) -> int:
    with sqlite3.connect(os.path.join(app.instance_path, "rehearse.sqlite")) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


START = {"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "", "reps": "10"}


# --- CSRF ------------------------------------------------------------------------------------------

def test_a_change_without_the_pages_token_is_refused_and_changes_nothing(tmp_path):
    app = app_with(tmp_path)
    client = page_client(app)
    refused = client.post("/sessions", data=START, csrf=False)
    assert refused.status_code == 403 and b"reload the page and try again" in refused.data
    forged = client.post("/sessions", data=START, csrf=False, headers={"X-CSRF-Token": "guessed"})
    assert forged.status_code == 403
    api = client.post("/api/attempts/1/score", csrf=False)
    assert api.status_code == 403 and "reload the page" in api.json["error"]
    assert count(app, "sessions") == 0
    assert client.post("/sessions", data=START).status_code == 302  # the page's own token
    assert count(app, "sessions") == 1


def test_a_token_is_bound_to_its_own_browser(tmp_path):
    app = app_with(tmp_path)
    mine, theirs = page_client(app), page_client(app)
    response = theirs.post("/sessions", data=START, csrf=False, headers={"X-CSRF-Token": mine.csrf_token()})
    assert response.status_code == 403 and count(app, "sessions") == 0


def test_every_form_of_every_page_carries_the_token(tmp_path):
    app = app_with(tmp_path)
    client = page_client(app)
    client.post("/sessions", data=START)
    pages = ["/", "/sessions/1", "/steps", "/steps/pose-pause-name", "/steps/new", "/steps/pose-pause-name/edit",
             "/teachers/1/delete"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
        assert all('name="csrf_token"' in form for form in forms), path
        assert page_token(html) == client.csrf_token()


# --- host, cookies, headers -----------------------------------------------------------------------

def test_served_on_loopback_it_answers_only_to_loopback_names(tmp_path):
    client = page_client(app_with(tmp_path, LOOPBACK_ONLY=True))
    # every address `serve` counts as loopback (127.0.0.0/8, ::1), so `serve --host 127.0.0.2` answers
    for host in ["127.0.0.1:5000", "localhost:5000", "[::1]:5000", "127.0.0.2:5000", "127.1.2.3", "LOCALHOST"]:
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ["attacker.example:5000", "127.0.0.1.attacker.example", "10.0.0.2:5000", "[::2]:5000",
                 "localhost.attacker.example"]:
        rebound = client.get("/history", headers={"Host": host})
        assert rebound.status_code == 400 and b"answers only at 127.0.0.1" in rebound.data, host


def test_cookie_and_header_settings(tmp_path):
    app = app_with(tmp_path)
    client = page_client(app)
    page = client.get("/")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("rehearse=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/rehearse.css").headers.get("Cache-Control", "")
    assert oct(os.stat(os.path.join(app.instance_path, "secret_key")).st_mode & 0o777) == "0o600"

    https = page_client(create_app({"INSTANCE": tmp_path / "other", "WARM_UP": False, "HTTPS": True}))
    cookie = https.get("/", base_url="https://127.0.0.1").headers["Set-Cookie"]
    assert cookie.startswith("__Host-rehearse=") and "Secure" in cookie and "Path=/" in cookie


def test_no_other_site_can_embed_a_recording_or_a_page(tmp_path):
    """An <audio src="http://127.0.0.1:5000/attempts/1/audio"> on any other site's page would play
    a teacher's recording on a loopback server without a passcode, but for this header."""
    client = page_client(app_with(tmp_path))
    client.post("/sessions", data=START)
    client.post("/api/sessions/1/uploads", data={"recording": ((CLIPS / CLIP).open("rb"), CLIP)},
                content_type="multipart/form-data")
    for path in ["/attempts/1/audio", "/", "/api/sessions/1", "/export.csv", "/static/rehearse.css", "/nowhere"]:
        response = client.get(path, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "audio"})
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    assert client.get("/attempts/1/audio").status_code == 200


def test_the_pages_scripts_are_modules_carrying_the_requests_nonce(tmp_path):
    """No page has an inline script to run (static/*.js are ES modules); each module carries the nonce."""
    app = app_with(tmp_path)
    client = page_client(app)
    client.post("/sessions", data=START)
    client.post("/api/sessions/1/uploads", data={"recording": ((CLIPS / CLIP).open("rb"), CLIP)},
                content_type="multipart/form-data")
    for path in ["/attempts/1", "/sessions/1/summary", "/progress/1/1"]:
        response = client.get(path)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        scripts = re.findall(r"<script(?![^>]*application/json)([^>]*)>", response.get_data(as_text=True))
        assert scripts and all(f'nonce="{nonce}"' in s and 'type="module"' in s and " src=" in s for s in scripts), path


# --- the passcode ----------------------------------------------------------------------------------

def test_the_passcode_is_stored_only_as_a_salted_hash(tmp_path):
    path = passcode.set_passcode(tmp_path, SECRET)
    stored = path.read_text()
    assert SECRET not in stored and stored.startswith("scrypt$")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert passcode.matches(stored, SECRET) and not passcode.matches(stored, SECRET + " ")
    assert passcode.set_passcode(tmp_path, SECRET).read_text() != stored  # a new salt each time
    with pytest.raises(Exception, match="at least 8"):
        passcode.set_passcode(tmp_path, "short")
    assert not passcode.matches("scrypt$not$a$hash", SECRET)


def test_beyond_loopback_everything_but_the_sign_in_page_needs_the_passcode(tmp_path):
    app = app_with(tmp_path, REQUIRE_PASSCODE=True)
    passcode.set_passcode(app.instance_path, SECRET)
    client = page_client(app)
    for path in ["/", "/history", "/export.csv", "/attempts/1/audio", "/steps", "/sessions/1"]:
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"], path
    assert client.get("/api/sessions/1").status_code == 401
    assert client.get("/static/rehearse.css").status_code == 200

    sign_in = client.get("/sign-in?next=/history")
    token = page_token(sign_in.get_data(as_text=True))
    wrong = client.post("/sign-in", data={"passcode": "guess", "next": "/history"}, csrf=False,
                        headers={"X-CSRF-Token": token})
    assert wrong.status_code == 401 and b"not the passcode" in wrong.data
    right = client.post("/sign-in", data={"passcode": SECRET, "next": "/history"}, csrf=False,
                        headers={"X-CSRF-Token": token})
    assert right.status_code == 302 and right.headers["Location"] == "/history"
    assert client.get("/history").status_code == 200

    client.token = None  # signing in starts a new session, with a new token
    assert client.post("/sessions", data=START).status_code == 302

    passcode.set_passcode(app.instance_path, SECRET + "!")  # a new passcode ends every sign-in
    assert client.get("/history").status_code == 302


def test_guessing_is_slowed_and_sign_in_never_redirects_away(tmp_path):
    app = app_with(tmp_path, REQUIRE_PASSCODE=True)
    passcode.set_passcode(app.instance_path, SECRET)
    client = page_client(app)
    token = page_token(client.get("/sign-in").get_data(as_text=True))
    for _ in range(5):
        client.post("/sign-in", data={"passcode": "wrong guess"}, csrf=False, headers={"X-CSRF-Token": token})
    blocked = client.post("/sign-in", data={"passcode": SECRET}, csrf=False, headers={"X-CSRF-Token": token})
    assert blocked.status_code == 429 and b"wait a minute" in blocked.data

    other = page_client(app_with(tmp_path / "b", REQUIRE_PASSCODE=True))
    passcode.set_passcode(other.application.instance_path, SECRET)
    token = page_token(other.get("/sign-in").get_data(as_text=True))
    for target in ["//attacker.example/", "https://attacker.example/", "/\\attacker.example"]:
        response = other.post("/sign-in", data={"passcode": SECRET, "next": target}, csrf=False,
                              headers={"X-CSRF-Token": token})
        assert response.headers["Location"] == "/", target
        token = page_token(other.get("/steps/new").get_data(as_text=True))


def test_serving_beyond_loopback_without_a_passcode_is_refused(tmp_path):
    instance = tmp_path / "instance"
    run = rehearse("serve", "--host", "0.0.0.0", "--instance", str(instance))
    assert run.returncode == 2 and "needs a passcode" in run.stderr and "rehearse passcode" in run.stderr
    run = rehearse("serve", "--cert", "x.pem", "--instance", str(instance))
    assert run.returncode == 2 and "both --cert and --key" in run.stderr
    run = rehearse("serve", "--max-attempt-s", "0", "--instance", str(instance))
    assert run.returncode == 2 and "above 0" in run.stderr

    short = subprocess.run([sys.executable, "-m", "rehearse", "passcode", "--instance", str(instance)],
                           input="short\n", capture_output=True, text=True)
    assert short.returncode == 2 and "at least 8" in short.stderr
    done = subprocess.run([sys.executable, "-m", "rehearse", "passcode", "--instance", str(instance)],
                          input=SECRET + "\n", capture_output=True, text=True)
    assert done.returncode == 0 and passcode.matches(passcode.stored_hash(instance), SECRET)


# --- what a URL can reach ------------------------------------------------------------------------

TRAVERSALS = [
    "/static/../rehearse.sqlite", "/static/..%2frehearse.sqlite", "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/steps/..%2f..%2fpyproject", "/steps/../secret_key", "/steps/%2e%2e/examples/model/audio",
    "/steps/..%2Fsteps%2Fpose-pause-name/examples/model/audio", "/attempts/..%2f..%2fsecret_key/audio",
    "/attempts/1/..%2f..%2frehearse.sqlite", "/export.csv/../../secret_key", "//etc/passwd",
]


def test_no_url_reaches_a_file_outside_what_it_names(tmp_path):
    app = app_with(tmp_path)
    client = page_client(app)
    client.post("/sessions", data=START)
    client.post("/api/sessions/1/uploads", data={"recording": ((CLIPS / CLIP).open("rb"), CLIP)},
                content_type="multipart/form-data")
    secret = open(os.path.join(app.instance_path, "secret_key"), "rb").read()
    for path in TRAVERSALS:
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert b"SQLite format 3" not in response.data and secret not in response.data, path
        assert b"[project]" not in response.data and b"root:" not in response.data, path

    # A database row tampered with (or a bug) cannot make a recording's URL serve another file.
    with sqlite3.connect(os.path.join(app.instance_path, "rehearse.sqlite")) as db:
        for stored in ["../instance/secret_key", "/etc/passwd", "recordings/../secret_key"]:
            db.execute("UPDATE attempts SET audio_path = ? WHERE id = 1", (stored,))
            db.commit()
            response = client.get("/attempts/1/audio")
            assert response.status_code in (400, 404) and secret not in response.data, stored
            assert b"root:" not in response.data, stored
    assert b"leads outside" in client.get("/attempts/1/audio").data


# --- limits on uploads -------------------------------------------------------------------------------

def test_uploads_over_the_size_or_length_limits_are_refused_with_the_limit(tmp_path):
    app = app_with(tmp_path, MAX_CONTENT_LENGTH=200 * 1024, MAX_ATTEMPT_S=5)
    client = page_client(app)
    client.post("/sessions", data=START)
    big = client.post("/api/sessions/1/uploads", data={"recording": (io.BytesIO(b"RIFF" + b"\0" * 300_000), "a.wav")},
                      content_type="multipart/form-data")
    assert big.status_code == 413 and "over 0.195312 MB" in big.json["error"] and "--max-upload-mb" in big.json["error"]
    assert count(app, "attempts") == 0
    long = client.post("/api/sessions/1/uploads", data={"recording": ((CLIPS / CLIP).open("rb"), CLIP)},
                       content_type="multipart/form-data").json
    assert long["status"] == "unscored" and "a rep may be at most 5 s" in long["error"]  # kept, to be trimmed
    assert count(app, "attempts") == 1


# --- a real server on the network, over HTTPS ---------------------------------------------------------

def self_signed(folder):
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_a_network_server_over_https_signs_in_then_records(tmp_path):
    instance = tmp_path / "instance"
    passcode.set_passcode(instance, SECRET)
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    with server_process(instance, "--host", "0.0.0.0", "--cert", str(cert), "--key", str(key), tls=tls) as (url, _):
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                              urllib.request.HTTPSHandler(context=tls))
        page = browser.open(url + "/history")  # redirected to sign in
        assert "/sign-in" in page.url
        token = page_token(page.read().decode())
        with pytest.raises(urllib.error.HTTPError) as wrong:
            browser.open(url + "/sign-in", data=urllib.parse.urlencode(
                {"csrf_token": token, "passcode": "guess", "next": "/history"}).encode())
        assert wrong.value.code == 401
        page = browser.open(url + "/sign-in", data=urllib.parse.urlencode(
            {"csrf_token": token, "passcode": SECRET, "next": "/history"}).encode())
        assert page.url.endswith("/history")
        (cookie,) = list(jar)
        assert cookie.name == "__Host-rehearse" and cookie.secure and cookie.has_nonstandard_attr("HttpOnly")

        token = page_token(browser.open(url + "/steps/new").read().decode())
        form = urllib.parse.urlencode({"csrf_token": token, **START}).encode()
        session_id = int(browser.open(url + "/sessions", data=form).url.rsplit("/", 1)[1])
        ws_url = url.replace("https", "wss") + f"/ws/sessions/{session_id}"
        signed_in = {"Cookie": f"{cookie.name}={cookie.value}"}
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            simple_websocket.Client.connect(ws_url, ssl_context=tls)
        assert refused.value.status_code == 401
        with pytest.raises(simple_websocket.ConnectionError) as foreign:
            simple_websocket.Client.connect(ws_url, ssl_context=tls,
                                            headers=signed_in | {"Origin": "https://attacker.example"})
        assert foreign.value.status_code == 403
        # simple-websocket's Host header has no port (a browser's has), so its own page's Origin is this:
        ws = simple_websocket.Client.connect(ws_url, ssl_context=tls, headers=signed_in | {"Origin": "https://127.0.0.1"})
        ws.send(json.dumps({"type": "start"}))
        assert json.loads(ws.receive(timeout=60))["type"] == "started"
        ws.close()
