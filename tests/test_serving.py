"""Held-open connections against real `rehearse serve` processes: hundreds of half-sent requests
(and stalled TLS handshakes) must not stop anyone else being served, and the server must close them
after its timeout (REHEARSE_REQUEST_TIMEOUT_S, set short here); a rep recorded over the WebSocket,
silent for longer than that timeout, must still come through. Werkzeug serves on loopback,
Gunicorn on the network. Also `serve --host 127.0.0.2`, which is loopback, answers."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import socket
import ssl
import time
import urllib.parse
import urllib.request

import pytest
import simple_websocket

from rehearse.store import passcode
from rehearse.scoring.audio import load_audio

from .conftest import CLIPS
from .page_client import page_token
from .server import server_process
from .test_cli import rehearse
from .test_security import START, self_signed
from .test_stream import stop, stream

SECRET = "a long passcode 42"
HALF_SENT = 300
TIMEOUT_S = "2"  # the server's; every wait of the test's is far longer
CLIENT_WAIT_S = 90
REP = "ppn-00-correct-siobhan-clean.flac"


@pytest.fixture()
def short_timeout(monkeypatch):
    monkeypatch.setenv("REHEARSE_REQUEST_TIMEOUT_S", TIMEOUT_S)  # server_process passes os.environ on


def half_sent(port: int, count: int, request: bytes = b"GET / HTTP/1.1\r\nHost: x\r\n") -> list[socket.socket]:
    """`count` connections that send the start of `request` and then nothing."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_WAIT_S)
        try:
            sock.sendall(request)
        except OSError:
            pass  # closed by the server already (beyond its bounds): as good
        held.append(sock)
    return held


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(CLIENT_WAIT_S)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


def get(url: str, path: str = "/sign-in", source: str | None = None, tls: ssl.SSLContext | None = None,
        timeout: float = CLIENT_WAIT_S):
    """GET with http.client, from `source` (another loopback address: another computer), waiting at
    most `timeout` for each read: (status, Server header, body)."""
    parts = urllib.parse.urlsplit(url)
    kind = http.client.HTTPSConnection if tls else http.client.HTTPConnection
    options = {"context": tls} if tls else {}
    connection = kind(parts.hostname, parts.port, timeout=timeout,
                      source_address=(source, 0) if source else None, **options)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Server", ""), response.read()
    finally:
        connection.close()


def record_a_silent_rep(ws_url: str, headers: dict | None = None, tls=None) -> dict:
    """Start a rep, stay silent longer than the server's timeout, then stream it and stop."""
    ws = simple_websocket.Client.connect(ws_url, headers=headers, ssl_context=tls)
    ws.send(json.dumps({"type": "start"}))
    assert json.loads(ws.receive(timeout=60))["type"] == "started"
    time.sleep(3 * float(TIMEOUT_S))  # a teacher gathering her thoughts
    audio = load_audio(CLIPS / REP)
    stream(ws, audio, real_time=False)
    result = stop(ws)
    ws.close()
    return result


def test_on_loopback_half_sent_requests_are_closed_and_others_served(tmp_path, short_timeout):
    cert, key = self_signed(tmp_path)
    with server_process(tmp_path / "instance") as (url, _):
        port = urllib.parse.urlsplit(url).port
        held = half_sent(port, HALF_SENT)
        status, server, _ = get(url, "/")
        assert status == 200 and server.startswith("Werkzeug")
        session_id = new_session(url)
        result = record_a_silent_rep(url.replace("http", "ws") + f"/ws/sessions/{session_id}")
        assert result["type"] == "result" and result["attempt"]["status"] == "scored"
        assert all(closed_by_server(sock) for sock in held)
        assert get(url, "/")[0] == 200

    # over HTTPS: a handshake begun and never finished holds nothing up (it did the accepting loop)
    tls = ssl.create_default_context(cafile=str(cert))
    with server_process(tmp_path / "tls", "--cert", str(cert), "--key", str(key), tls=tls) as (url, _):
        port = urllib.parse.urlsplit(url).port
        held = half_sent(port, 20, request=b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello
        held += [tls.wrap_socket(sock, server_hostname="127.0.0.1") for sock in
                 [socket.create_connection(("127.0.0.1", port), timeout=CLIENT_WAIT_S) for _ in range(5)]]
        for sock in held[-5:]:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        assert get(url, "/", tls=tls)[0] == 200
        assert all(closed_by_server(sock) for sock in held)


def test_on_the_network_half_sent_requests_are_closed_and_other_computers_served(tmp_path, short_timeout):
    instance = tmp_path / "instance"
    passcode.set_passcode(instance, SECRET)
    with server_process(instance, "--host", "0.0.0.0") as (url, _):
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = page_token(browser.open(url + "/sign-in", timeout=CLIENT_WAIT_S).read().decode())
        browser.open(url + "/sign-in", data=urllib.parse.urlencode(
            {"csrf_token": token, "passcode": SECRET}).encode(), timeout=CLIENT_WAIT_S)
        token = page_token(browser.open(url + "/steps/new", timeout=CLIENT_WAIT_S).read().decode())
        form = urllib.parse.urlencode({"csrf_token": token, **START}).encode()
        session_id = int(browser.open(url + "/sessions", data=form, timeout=CLIENT_WAIT_S).url.rsplit("/", 1)[1])
        cookie = next(iter(jar))
        result = record_a_silent_rep(url.replace("http", "ws") + f"/ws/sessions/{session_id}",
                                     headers={"Cookie": f"{cookie.name}={cookie.value}", "Origin": "http://127.0.0.1"})
        assert result["type"] == "result" and result["attempt"]["status"] == "scored"

        port = urllib.parse.urlsplit(url).port
        held = half_sent(port, HALF_SENT)  # all from 127.0.0.1
        status, server, _ = get(url, source="127.0.0.2")  # another computer, meanwhile
        assert status == 200 and server.startswith("gunicorn")
        assert all(closed_by_server(sock) for sock in held)
        assert get(url)[0] == 200  # and the address that held them may connect again


def test_a_network_server_over_https_times_out_stalled_handshakes(tmp_path, short_timeout):
    instance = tmp_path / "instance"
    passcode.set_passcode(instance, SECRET)
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    with server_process(instance, "--host", "0.0.0.0", "--cert", str(cert), "--key", str(key), tls=tls) as (url, _):
        port = urllib.parse.urlsplit(url).port
        held = half_sent(port, 20, request=b"\x16\x03\x01\x02\x00\x01")
        status, server, _ = get(url, source="127.0.0.2", tls=tls)
        assert status == 200 and server.startswith("gunicorn")
        assert all(closed_by_server(sock) for sock in held)


def test_serving_on_another_loopback_address_answers_there(tmp_path):
    with server_process(tmp_path / "instance", "--host", "127.0.0.2", address="127.0.0.2") as (url, _):
        assert url.startswith("http://127.0.0.2:")
        status, _, body = get(url, "/")
        assert status == 200 and b"answers only at" not in body


def test_what_cannot_be_served_is_said_in_one_line(tmp_path):
    instance = str(tmp_path / "instance")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = rehearse("serve", "--port", str(taken.getsockname()[1]), "--instance", instance)
    assert run.returncode == 2 and "Address already in use" in run.stderr and "another --port" in run.stderr
    run = rehearse("serve", "--cert", str(tmp_path / "none.pem"), "--key", str(tmp_path / "none.key"),
                   "--instance", instance)
    assert run.returncode == 2 and "cannot use the certificate" in run.stderr
    run = rehearse("serve", "--instance", instance, env=os.environ | {"REHEARSE_REQUEST_TIMEOUT_S": "soon"})
    assert run.returncode == 2 and "REHEARSE_REQUEST_TIMEOUT_S must be a number" in run.stderr


def new_session(url: str) -> int:
    from .server import new_session as start

    return start(url)
