"""Werkzeug's threaded server, as `rehearse serve` runs it on loopback (and where Gunicorn cannot run),
so that no client can tie it up by sending slowly (serving.py says how both servers do it).

The loop that accepts connections only accepts them: each goes to the reception (reception.py),
which does its TLS handshake and waits for its request on one thread, under the request's pace,
and hands it, once arrived, to one of at most MAX_CONNECTIONS threads (`_Workers`); more wait
their turn there, never in the accepting loop. Beyond loopback one address holds at most
`per_address` connections (more are closed). Werkzeug closes every connection after its response
(no keep-alive), so a thread serves exactly one request.

After a WebSocket, nothing is written: Werkzeug writes the app's response once the app returns, and
flask-sock, under Werkzeug, returns an empty 200 after the WebSocket has closed. Those bytes, after
the close frame, are what Chromium reports as "Invalid frame header" on every rep
(`_nothing_after_websockets`). The access log shows such a request as 101.

The access log shows each request's path without its query string: the archive link carries the
browser's CSRF token there (review.archive), and a log must not keep a secret.
"""

from __future__ import annotations

import threading
from queue import SimpleQueue

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.urls import uri_to_iri

from ..errors import RehearseError
from .connections import MAX_CONNECTIONS, WEBSOCKET_OPENED, Pace, PerAddress, address_of
from .reception import Reception, paced, tls_context


class _WebSocketEnded(ConnectionAbortedError):
    """The request was a WebSocket, now over: Werkzeug takes this as a connection its client closed,
    and writes nothing more on it."""


def _nothing_after_websockets(app):
    """`app`, raising _WebSocketEnded in place of the response to a request that became a WebSocket
    (stream.py marks it), whose connection carries WebSocket frames, never an HTTP response."""
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        if not environ.get(WEBSOCKET_OPENED):
            return body
        if hasattr(body, "close"):
            body.close()
        raise _WebSocketEnded()
    return wsgi


class _Handler(WSGIRequestHandler):
    """Serves one request, its socket paced by the reception (timeout: the longest wait per read)."""

    def connection_dropped(self, error, environ=None) -> None:
        if isinstance(error, _WebSocketEnded):
            self.log_request(101)  # the WebSocket's handshake, its only HTTP response

    def log_request(self, code="-", size="-") -> None:
        """The request line without its query's values, and plain: no colour codes (Werkzeug's own
        colours the line by status, writing ESC sequences into a log file and around the very text
        one searches it for)."""
        try:
            path, query = uri_to_iri(self.path).partition("?")[::2]
            line = f"{self.command} {path}{'?…' if query else ''} {self.request_version}"
        except AttributeError:  # a request line too bad to have a path
            line = self.requestline
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)


class _Workers:
    """At most `count` daemon threads, started as needed, each serving one request after another;
    a request submitted while all are busy waits in the queue. A thread is started whenever the
    queue holds more than the idle threads can take: a request must never wait behind a long one
    (a WebSocket) while a thread could still be started."""

    def __init__(self, count: int, serve):
        self.count, self.serve = count, serve
        self._queue: SimpleQueue = SimpleQueue()
        self._lock = threading.Lock()
        self._started = self._idle = self._queued = 0

    def submit(self, *args) -> None:
        with self._lock:
            self._queued += 1
            if self._queued > self._idle and self._started < self.count:
                self._started += 1
                threading.Thread(target=self._work, daemon=True, name="rehearse-request").start()
        self._queue.put(args)

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            args = self._queue.get()
            with self._lock:
                self._idle -= 1
                self._queued -= 1
            self.serve(*args)


def make(app, host: str, port: int, cert: str | None, key: str | None, pace: Pace,
         per_address: int | None) -> ThreadedWSGIServer:
    """The server, bound and listening; `serve_forever()` runs it."""

    class Handler(_Handler):
        timeout = pace.read_timeout

    class Server(ThreadedWSGIServer):
        def __init__(self):
            self.addresses = PerAddress(per_address)
            tls = tls_context(cert, key) if cert else None
            super().__init__(host, port, _nothing_after_websockets(app), Handler, ssl_context=None)
            self.ssl_context = tls  # werkzeug reads it for wsgi.url_scheme; the reception does the TLS
            self.workers = _Workers(MAX_CONNECTIONS, self._serve)
            self.reception = Reception(pace, ready=self.workers.submit, dropped=self._close, tls=tls)

        def process_request(self, connection, client_address):
            """In the accepting loop: pass the connection to the reception, never wait."""
            if not self.addresses.admit(address_of(client_address)):
                self.shutdown_request(connection)  # this address holds enough connections already
                return
            self.reception.add(paced(connection, pace.read_timeout), client_address)

        def _serve(self, sock, client_address):
            try:
                self.finish_request(sock, client_address)
            except Exception:  # noqa: BLE001 - as socketserver does: log it, close, serve the next
                self.handle_error(sock, client_address)
            finally:
                self._close(sock, client_address)

        def _close(self, sock, client_address):
            self.shutdown_request(sock)
            self.addresses.leave(address_of(client_address))

    try:
        return Server()
    except SystemExit:  # werkzeug exits when it cannot bind; check() has said why in most cases
        raise RehearseError(f"cannot serve on {host}:{port}; choose another --port or --host") from None
