"""Attacks on a running `rehearse serve` (issue 29): slow clients, and secrets in its access log.

Slow clients: hundreds of connections that each send a request one byte a second, just inside the
server's per-read timeout (REHEARSE_REQUEST_TIMEOUT_S, 2 s here), its head or its body, over HTTP
and HTTPS (the TLS handshake too), each opened again as soon as the server closes it, as an
attacker would. The server must close every one of them within its request's deadline
(REHEARSE_REQUEST_DEADLINE_S, 3 s here; the test allows far longer) and serve pages meanwhile:
Werkzeug on loopback, where every client is 127.0.0.1, and Gunicorn on the network, from several
addresses (127.0.0.2, .3, … are loopback addresses a client socket can bind to). An upload that
keeps a slow network's pace for longer than the deadline must still go through.

The access log: the archive link carries the browser's CSRF token in its query string; the log
the server writes (its stdout and stderr, which server_process keeps in a file) must not.
"""

from __future__ import annotations

import html
import itertools
import re
import select
import socket
import ssl
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from rehearse.store import passcode

from .server import Visitor, server_process
from .test_security import self_signed
from .test_serving import get

READ_TIMEOUT_S = "2"
DEADLINE_S = 3
CLOSED_WITHIN_S = 12  # generous: the server's deadline is DEADLINE_S
HOLD_S = 20  # how long the attack goes on: longer than CLOSED_WITHIN_S, so a connection never closed fails
PAGE_WITHIN_S = 20  # generous: a page answers in well under a second when nothing holds the server
DRIP_S = 1.0  # one byte a second: inside the read timeout, so only a deadline per request ends it
SECRET = "a long passcode 42"
SLOW_RATE = 64 * 1024  # bytes a second: twice the pace a body must keep (MIN_UPLOAD_RATE)

HEAD = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n")  # what is sent at once, then drop by drop
BODY = (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 5000\r\n\r\na=", b"a")


@pytest.fixture()
def short_limits(monkeypatch):
    monkeypatch.setenv("REHEARSE_REQUEST_TIMEOUT_S", READ_TIMEOUT_S)  # server_process passes os.environ on
    monkeypatch.setenv("REHEARSE_REQUEST_DEADLINE_S", str(DEADLINE_S))


def client_hello() -> bytes:
    """The first bytes a TLS client sends (a ClientHello), to send one at a time."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


class Attackers:
    """Connections made over and over, a thread each (`_attack(source)`, until `_stop` is set), from
    `places` (one source address per connection): started and stopped by a `with` block."""

    def __init__(self, places):
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._attack, args=(source,), daemon=True) for source in places]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _attack(self, source: str) -> None:
        raise NotImplementedError


class Trickle(Attackers):
    """`count` connections from each of `sources`, each sending `opening` at once and then one byte
    of `drip` (over and over) every DRIP_S, and opened again as soon as the server closes it (or
    answers it): a thread each, so that no slow connect holds up the others' drops. With `tls`,
    each completes its handshake first. `lifetimes`: how long each one the server closed had lived;
    `refused`: how many could not be opened (or sent to); `left_open`: the ages of those still
    open when the attack stopped."""

    def __init__(self, port: int, opening: bytes, drip: bytes, count: int, sources=("127.0.0.1",),
                 tls: ssl.SSLContext | None = None):
        self.port, self.opening, self.drip, self.tls = port, opening, drip, tls
        self.places = [source for source in sources for _ in range(count)]
        self.lifetimes: list[float] = []
        self.left_open: list[float] = []
        self.refused = 0
        self._lock = threading.Lock()
        super().__init__(self.places)

    def _attack(self, source: str) -> None:
        while not self._stop.is_set():
            opened = time.monotonic()
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=10, source_address=(source, 0))
                if self.tls is not None:
                    sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
                sock.sendall(self.opening)
            except OSError:  # refused (this address holds enough), or not accepted in time
                with self._lock:
                    self.refused += 1
                self._stop.wait(DRIP_S)
                continue
            with sock:
                self._drip(sock, opened)

    def _drip(self, sock, opened: float) -> None:
        for sent in itertools.count():
            if self._stop.wait(DRIP_S):
                self.left_open.append(time.monotonic() - opened)
                return
            if self._ended(sock):
                break
            try:
                sock.send(self.drip[sent % len(self.drip):][:1])
            except OSError:
                break
        self.lifetimes.append(time.monotonic() - opened)

    @staticmethod
    def _ended(sock) -> bool:
        """Has the server closed (or answered) this connection? Over TLS, a readable socket may
        only have had a session ticket."""
        poll = select.poll()
        poll.register(sock, select.POLLIN)
        if not poll.poll(0):
            return False
        sock.setblocking(False)
        try:
            sock.recv(1024)  # nothing (closed), or an answer
            return True
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True
        finally:
            sock.settimeout(10)

    def check(self) -> None:
        """Every connection of the first wave was closed, none lived beyond the generous bound."""
        assert len(self.lifetimes) >= len(self.places), \
            f"only {len(self.lifetimes)} of {len(self.places)} slow connections were closed by the server"
        longest = max(self.lifetimes + self.left_open)
        assert longest <= CLOSED_WITHIN_S, f"a slow connection was held open {longest:.0f} s"


def page(url: str, path: str = "/", source: str | None = None, tls: ssl.SSLContext | None = None) -> int:
    """GET `path` from `source`, waiting at most PAGE_WITHIN_S; its status."""
    return get(url, path, source, tls, timeout=PAGE_WITHIN_S)[0]


def pages_load_while_held(url: str, **where) -> None:
    """Six pages load while the attack goes on (it has begun just before), then it goes on to HOLD_S."""
    begun = time.monotonic()
    time.sleep(2 * DEADLINE_S)  # the first wave closed, the next trickling
    for _ in range(6):
        assert page(url, **where) == 200
        time.sleep(0.5)
    time.sleep(max(0.0, HOLD_S - (time.monotonic() - begun)))


def port_of(url: str) -> int:
    return urllib.parse.urlsplit(url).port


# --- Werkzeug, on loopback: every client is 127.0.0.1 ----------------------------------------------

@pytest.mark.slow
def test_on_loopback_trickled_heads_are_closed_and_pages_load_meanwhile(tmp_path, short_limits):
    with server_process(tmp_path / "instance") as (url, _):
        with Trickle(port_of(url), *HEAD, count=200) as trickle:
            pages_load_while_held(url)
        trickle.check()


@pytest.mark.slow
def test_on_loopback_trickled_bodies_are_closed_and_a_slow_upload_at_pace_goes_through(tmp_path, short_limits):
    with server_process(tmp_path / "instance") as (url, _):
        opening = BODY[0].replace(b"%s", b"/sessions")  # the CSRF check reads the form: the body is read
        with Trickle(port_of(url), opening, BODY[1], count=200) as trickle:
            pages_load_while_held(url)
        trickle.check()

        # a real upload of a recording on a slow network (the only route that takes a body larger than
        # the reception holds): longer than the deadline, at twice the pace a body must keep
        length = 2 * DEADLINE_S * SLOW_RATE
        with socket.create_connection(("127.0.0.1", port_of(url)), timeout=60) as sock:
            sock.sendall(BODY[0].replace(b"%s", b"/api/sessions/1/uploads").replace(b"5000", str(length).encode()))
            sent = 2
            while sent < length:
                block = min(SLOW_RATE // 4, length - sent)
                sock.sendall(b"a" * block)
                sent += block
                time.sleep(0.25)
            answer = sock.makefile("rb").read().decode("latin-1")
        assert answer.startswith("HTTP/1.1 403") and "reload the page and try again" in answer


@pytest.mark.slow
def test_on_loopback_over_https_trickled_handshakes_and_heads_are_closed_and_pages_load(tmp_path, short_limits):
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    with server_process(tmp_path / "tls", "--cert", str(cert), "--key", str(key), tls=tls) as (url, _):
        with Trickle(port_of(url), b"", client_hello(), count=50) as handshakes, \
                Trickle(port_of(url), *HEAD, count=150, tls=tls) as heads:
            pages_load_while_held(url, tls=tls)
        handshakes.check()
        heads.check()


# --- Gunicorn, on the network: from several addresses ----------------------------------------------

ATTACKERS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")  # 24 connections each: as many as one address may hold


def network_server(tmp_path: Path, *options: str, tls=None):
    instance = tmp_path / "instance"
    passcode.set_passcode(instance, SECRET)
    return server_process(instance, "--host", "0.0.0.0", *options, tls=tls)


@pytest.mark.slow
def test_on_the_network_trickled_heads_and_bodies_from_several_addresses_are_closed(tmp_path, short_limits):
    with network_server(tmp_path) as (url, _):
        port = port_of(url)
        opening = BODY[0].replace(b"%s", b"/sign-in")  # open to all: the form (the passcode) is read
        with Trickle(port, *HEAD, count=12, sources=ATTACKERS) as heads, \
                Trickle(port, opening, BODY[1], count=12, sources=ATTACKERS) as bodies:
            pages_load_while_held(url, path="/sign-in", source="127.0.0.4")
        heads.check()
        bodies.check()


@pytest.mark.slow
def test_on_the_network_over_https_trickled_handshakes_and_heads_are_closed(tmp_path, short_limits):
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    with network_server(tmp_path, "--cert", str(cert), "--key", str(key), tls=tls) as (url, _):
        port = port_of(url)
        with Trickle(port, b"", client_hello(), count=12, sources=ATTACKERS) as handshakes, \
                Trickle(port, *HEAD, count=12, sources=ATTACKERS, tls=tls) as heads:
            pages_load_while_held(url, path="/sign-in", source="127.0.0.4", tls=tls)
        handshakes.check()
        heads.check()


# --- the access log --------------------------------------------------------------------------------

def test_the_access_log_keeps_no_token_of_the_archive_link(tmp_path):
    with server_process(tmp_path / "instance") as (url, _):
        browser = Visitor(url)
        history = browser.get("/history").read().decode()
        link = html.unescape(re.search(r'<a id="export-archive" href="([^"]+)"', history).group(1))
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["csrf_token"][0]
        with browser.get(link) as archive:
            assert archive.status == 200 and archive.read()[:2] == b"PK"
        log = (tmp_path / f"server-{port_of(url)}.log").read_text()
        assert "GET /archive.zip" in log  # the request was logged...
        assert token not in log  # ...without the token


# --- found in review: a half request behind a whole one, and a large body sent at the pace ------------

class Senders(Attackers):
    """`count` connections from each of `sources`, each sending `opening` at once and then
    `rate` bytes a second of `filler` (none if 0), reading whatever the server answers and keeping
    the connection open until the server closes it; then opened again, until the attack stops.
    `lifetimes`: how long each closed one lived."""

    def __init__(self, port: int, opening: bytes, count: int, sources=("127.0.0.1",), rate: int = 0):
        self.port, self.opening, self.rate = port, opening, rate
        self.lifetimes: list[float] = []
        super().__init__([source for source in sources for _ in range(count)])

    def _attack(self, source: str) -> None:
        while not self._stop.is_set():
            opened = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10,
                                              source_address=(source, 0)) as sock:
                    sock.sendall(self.opening)
                    self._hold(sock)
            except OSError:
                self._stop.wait(0.25)
                continue
            self.lifetimes.append(time.monotonic() - opened)

    def _hold(self, sock) -> None:
        """Send at the rate, read what comes, until the server closes the connection."""
        sock.setblocking(False)
        while not self._stop.wait(0.25):
            try:
                if sock.recv(65536) == b"":
                    return  # closed by the server
            except BlockingIOError:
                pass
            if self.rate:
                try:
                    sock.send(b"a" * (self.rate // 4))
                except BlockingIOError:
                    pass


@pytest.mark.slow
def test_on_the_network_a_half_request_behind_a_whole_one_holds_no_thread(tmp_path):
    """A whole request and the start of the next on one connection (a pipelined half request), 24
    such connections from each of three addresses, each kept open: Gunicorn's keep-alive handed the
    half request straight to a thread, which waited the whole head start (30 s) for the rest, so
    every page from a fourth address timed out. Now each connection serves one request and is
    closed. The server's own limits (30 s) here: the attack must outlast them to show."""
    opening = (b"GET /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               b"GET /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    with network_server(tmp_path) as (url, _):
        with Senders(port_of(url), opening, count=24, sources=ATTACKERS) as senders:
            time.sleep(5)  # every thread's connection has its first request answered
            for _ in range(6):
                assert get(url, "/sign-in", "127.0.0.4", timeout=PAGE_WITHIN_S)[0] == 200
                time.sleep(1)
        assert senders.lifetimes and max(senders.lifetimes) <= CLOSED_WITHIN_S, senders.lifetimes[-5:]


@pytest.mark.slow
def test_on_loopback_large_bodies_sent_at_the_pace_hold_no_thread(tmp_path, short_limits):
    """140 form posts that each declare 10 MB and send it at 40 KB/s, more than the pace asks: read
    whole in a thread each (up to the 64 MB upload limit, on any route, /sign-in too), they took
    every thread and no page loaded. Now a route that takes no recording refuses a body over
    FORM_BYTES (413) before it is read, and the rest is not read after the answer either."""
    head = (b"POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10000000\r\n\r\na=")
    with server_process(tmp_path / "instance") as (url, _):
        with Senders(port_of(url), head, count=140, rate=40 * 1024) as senders:
            time.sleep(2 * DEADLINE_S)
            for _ in range(6):
                assert page(url) == 200
                time.sleep(0.5)
        assert senders.lifetimes and max(senders.lifetimes) <= CLOSED_WITHIN_S, senders.lifetimes[-5:]
