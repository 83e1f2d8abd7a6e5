"""The reception: where each request arrives, on one thread for all connections, before a thread of
the server is given to it. Shared by both servers (werkzeug_server.py, gunicorn_server.py).

Why: a thread per connection lets a client that sends one byte every few seconds hold a thread
for as long as it likes, and a few hundred of them hold them all, so no page loads. Here the
connections wait for their requests in one selector, each costing a socket and a buffer, not a
thread: only a request whose head (request line and headers), and whose body if it is small
(BUFFERED_BODY), has arrived is handed to a thread. Meanwhile each request must keep its `Pace`
(connections.py): silent for `read_timeout`, or behind its pace, it is closed. The pace still holds
in the thread, for a large body read there (`PacedSocket`), until the app lifts it from a WebSocket
it accepted (a rep being recorded may be silent while it is scored). A server over TLS does its
handshakes here too, under the same pace. At most MAX_WAITING connections wait at once: one more
closes the one that has waited longest, which a real browser's never does (its request arrives in
a moment), so a flood of connections cannot stop the reception taking new ones.
"""

from __future__ import annotations

import logging
import selectors
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import Any, Callable

from .connections import BUFFERED_BODY, MAX_HEAD_BYTES, MAX_WAITING, Pace

log = logging.getLogger(__name__)

TICK_S = 0.25  # how often the waiting connections are checked against their pace
CHUNK = 64 * 1024
TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 44\r\n\r\nthe request's headers are too long; resend\r\n")


class _Paced:
    """A socket that keeps a request to its pace: each read waits at most what is left of it, and
    a read when none is left fails (TimeoutError, which both servers take as a dropped client).
    The bytes the reception read already (`prefix`) are read first. `setblocking(True)` (how
    Gunicorn's gthread asks for a blocking socket) leaves the read timeout, not no timeout."""

    prefix = b""
    pace: Pace | None = None  # None: no request arriving (waiting in the reception, or a WebSocket)
    read_timeout: float | None = None
    started = 0.0
    received = 0
    done = False  # the response is made: read nothing more (stop_reading)

    def begin(self, pace: Pace, started: float, received: bytes) -> None:
        """The request began at `started`; `received` (its bytes so far) is read first."""
        self.prefix, self.started, self.received, self.done = bytes(received), started, len(received), False
        self.read_timeout, self.pace = pace.read_timeout, pace
        self.settimeout(pace.read_timeout)

    def lift_pace(self, idle_timeout: float) -> None:
        """No more request to arrive (a WebSocket the app accepted): each read waits `idle_timeout`."""
        self.pace, self.read_timeout = None, idle_timeout
        self.settimeout(idle_timeout)

    def stop_reading(self) -> None:
        """The response is made: what the client still sends is not read (the next read is the end).
        Werkzeug drains an unread body after answering (up to 10 GB, 10 MB a read, under the pace):
        a body sent at the pace, whose request was refused (413), would hold the thread for as long
        as the client kept sending."""
        self.done = True

    def setblocking(self, flag: bool) -> None:
        self.settimeout(self.read_timeout if flag else 0.0)

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self.done:
            return b""
        if self.prefix:
            chunk, self.prefix = self.prefix[:size], self.prefix[size:]
            return chunk
        self._keep_pace()
        data = super().recv(size, flags)
        self.received += len(data)
        return data

    def recv_into(self, buffer, nbytes=None, flags: int = 0) -> int:
        if self.done:
            return 0
        if self.prefix:
            count = min(len(self.prefix), nbytes or len(buffer))
            buffer[:count] = self.prefix[:count]
            self.prefix = self.prefix[count:]
            return count
        self._keep_pace()
        count = super().recv_into(buffer, nbytes, flags) if nbytes else super().recv_into(buffer)
        self.received += count
        return count

    def _keep_pace(self) -> None:
        if self.pace is None:
            return
        left = self.pace.deadline(self.started, self.received) - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        super().settimeout(min(self.pace.read_timeout, left))


class PacedSocket(_Paced, socket.socket):
    """A plain connection, paced."""


class PacedSSLSocket(_Paced, ssl.SSLSocket):
    """A TLS connection, paced (what `tls_context`'s wrap_socket makes)."""


def paced(sock: socket.socket, read_timeout: float) -> PacedSocket:
    """The accepted connection `sock` as a PacedSocket (the same file descriptor)."""
    paced_sock = PacedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    paced_sock.read_timeout = read_timeout
    return paced_sock


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """The servers' TLS context: its sockets are PacedSSLSockets."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sslsocket_class = PacedSSLSocket
    return context


@dataclass(eq=False)
class _Guest:
    sock: Any
    owner: Any  # what the server gave with the connection, handed back with it
    started: float
    last_read: float
    handshaking: bool
    buffer: bytearray = field(default_factory=bytearray)
    head_end: int | None = None
    wanted: int | None = None  # bytes to have in before the request is handed over
    chunked: bool = False
    gone: bool = False


class Reception:
    """Takes connections in (`add`, from any thread) and hands each back once its request has
    arrived, `ready(sock, owner)`, in blocking mode under its pace, or, if it did not in time or
    the client left, `dropped(sock, owner)` for the server to close. Both are called on the
    reception's thread and must not wait. `tls`: do the TLS handshake of new connections here."""

    def __init__(self, pace: Pace, ready: Callable[[Any, Any], None], dropped: Callable[[Any, Any], None],
                 tls: ssl.SSLContext | None = None, max_waiting: int = MAX_WAITING):
        self.pace, self.ready, self.dropped, self.tls, self.max_waiting = pace, ready, dropped, tls, max_waiting
        self._arrivals: SimpleQueue = SimpleQueue()
        self._guests: set[_Guest] = set()
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        threading.Thread(target=self._run, daemon=True, name="rehearse-reception").start()

    def add(self, sock, owner) -> None:
        """Wait for the request of the new connection `sock`."""
        self._arrivals.put((sock, owner, time.monotonic()))
        try:
            self._wake_writer.send(b"\0")
        except OSError:  # the wake-up pipe is full: the reception is awake anyway
            pass

    # --- on the reception's thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                self._turn()
            except Exception:  # noqa: BLE001 - a bug here must not stop the server taking requests
                log.exception("the reception failed on a turn; it goes on")
                time.sleep(TICK_S)

    def _turn(self) -> None:
        for key, _ in self._selector.select(TICK_S):
            if key.data is None:
                self._take_arrivals()
            elif not key.data.gone:
                self._serve(key.data)
        self._close_the_late(time.monotonic())

    def _take_arrivals(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except OSError:
            pass
        while True:
            try:
                sock, owner, started = self._arrivals.get_nowait()
            except Empty:
                return
            self._welcome(sock, owner, started)

    def _welcome(self, sock, owner, started: float) -> None:
        if len(self._guests) >= self.max_waiting:
            self._drop(min(self._guests, key=lambda guest: guest.started))
        sock.pace = None
        sock.setblocking(False)
        handshaking = False
        if self.tls is not None and not isinstance(sock, ssl.SSLSocket):
            try:
                sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            except (OSError, ValueError):  # gone already
                self._hand_back(self.dropped, sock, owner)
                return
            handshaking = True
        guest = _Guest(sock, owner, started, started, handshaking)
        self._guests.add(guest)
        try:
            self._selector.register(sock, selectors.EVENT_READ, guest)
        except (OSError, ValueError):
            self._drop(guest)

    def _serve(self, guest: _Guest) -> None:
        """Take what the client sent (its TLS handshake first); hand the request over once it is in."""
        sock = guest.sock
        try:
            if guest.handshaking:
                sock.do_handshake()
                guest.handshaking = False
                guest.last_read = time.monotonic()
                self._selector.modify(sock, selectors.EVENT_READ, guest)
            while True:
                data = sock.recv(CHUNK)
                if not data:
                    self._drop(guest)  # the client left
                    return
                guest.buffer += data
                guest.last_read = time.monotonic()
                if self._arrived(guest):
                    self._hand_over(guest)
                    return
                if guest.head_end is None and len(guest.buffer) > MAX_HEAD_BYTES:
                    self._refuse(guest)
                    return
        except ssl.SSLWantReadError:
            self._selector.modify(sock, selectors.EVENT_READ, guest)
        except ssl.SSLWantWriteError:
            self._selector.modify(sock, selectors.EVENT_WRITE, guest)
        except BlockingIOError:
            pass
        except (OSError, ValueError):  # reset, or not TLS at all
            self._drop(guest)

    def _arrived(self, guest: _Guest) -> bool:
        """Is the head in, and the body too if it is small (or all it needs to have sent)?"""
        buffer = guest.buffer
        if guest.head_end is None:
            blank = len(buffer) - len(buffer.lstrip(b"\r\n"))  # empty lines before a request are allowed
            end = buffer.find(b"\r\n\r\n", blank)
            if end < 0:
                return False
            guest.head_end = end + 4
            guest.wanted, guest.chunked = _body_to_wait_for(bytes(buffer[blank:end]))
            guest.wanted += guest.head_end
        if guest.chunked and buffer.endswith(b"0\r\n\r\n"):
            return True
        return len(buffer) >= guest.wanted

    def _close_the_late(self, now: float) -> None:
        for guest in list(self._guests):
            if (now - guest.last_read > self.pace.read_timeout
                    or now > self.pace.deadline(guest.started, len(guest.buffer))):
                self._drop(guest)

    def _hand_over(self, guest: _Guest) -> None:
        self._leave(guest)
        try:
            guest.sock.begin(self.pace, guest.started, guest.buffer)
        except OSError:
            self._hand_back(self.dropped, guest.sock, guest.owner)
            return
        self._hand_back(self.ready, guest.sock, guest.owner)

    def _refuse(self, guest: _Guest) -> None:
        try:
            guest.sock.send(TOO_LARGE)
        except (OSError, ValueError):
            pass
        self._drop(guest)

    def _drop(self, guest: _Guest) -> None:
        self._leave(guest)
        self._hand_back(self.dropped, guest.sock, guest.owner)

    def _leave(self, guest: _Guest) -> None:
        guest.gone = True
        self._guests.discard(guest)
        try:
            self._selector.unregister(guest.sock)
        except (KeyError, OSError, ValueError):
            pass

    @staticmethod
    def _hand_back(to: Callable[[Any, Any], None], sock, owner) -> None:
        try:
            to(sock, owner)
        except Exception:  # noqa: BLE001 - one connection's trouble must not stop the reception
            try:
                sock.close()
            except OSError:
                pass


def _body_to_wait_for(head: bytes) -> tuple[int, bool]:
    """How much of the body to wait for here, from the request's head, and whether it is chunked.
    A large body is read in a thread, under the pace; one announced with "Expect: 100-continue" is
    not sent until the server answers, which it does in the thread. The server's own parser judges
    the head: a malformed one is handed over at once, for it to refuse."""
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"expect" and value == b"100-continue":
            return 0, False
        if name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"content-length" and value.isdigit():
            length = int(value)
    if chunked:
        return BUFFERED_BODY, True
    return min(length, BUFFERED_BODY), False
