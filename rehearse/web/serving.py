"""How `rehearse serve` runs the app, so that no client can tie the server up by sending slowly.

A client that opens a connection and sends half a request, then nothing, holds a thread (and a
file descriptor) for as long as the server waits; a thousand of them, and no one else is served.
So whatever serves, every connection waits at most REQUEST_TIMEOUT_S for each read or write
(REHEARSE_REQUEST_TIMEOUT_S overrides it), and the connections are bounded:

- **On the network** (--host other than loopback) Gunicorn serves, with its threaded worker
  (gthread, which flask-sock supports): one worker process, since the speech model lives in the
  process, with THREADS threads for several rehearsals at once (a WebSocket holds a thread while
  its rep is recorded). Its worker here (`_Worker`) also times out a half-sent request (gthread
  alone would wait for the rest for ever) and lets one address hold at most MAX_PER_ADDRESS
  connections, refusing more, so one computer cannot take every thread from the others.
  Gunicorn serves HTTPS with --cert/--key itself.
- **On loopback** (the default), and where Gunicorn cannot run (Windows), Werkzeug's threaded
  server serves, with the same timeout on each connection, its TLS handshake done in the
  connection's thread under that timeout (not in the loop that accepts connections), and at most
  MAX_CONNECTIONS connections at once: the next waits in the listen queue until one ends. Beyond
  loopback it too refuses more than MAX_PER_ADDRESS from one address.

A WebSocket, once the app has let it in (signed in, from its own page), is a rep being recorded:
the page may send nothing while the rep is scored, so its socket waits up to WEBSOCKET_IDLE_S
instead (`_websocket_waits_longer`); the rep's own receive timeout still ends a silent page.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading

from flask import Flask, request

from ..errors import RehearseError
from .connections import MAX_CONNECTIONS, MAX_PER_ADDRESS, REQUEST_TIMEOUT_S, WEBSOCKET_IDLE_S, PerAddress, address_of


def request_timeout() -> float:
    """REQUEST_TIMEOUT_S, or REHEARSE_REQUEST_TIMEOUT_S if set (the tests set a short one)."""
    text = os.environ.get("REHEARSE_REQUEST_TIMEOUT_S")
    if not text:
        return REQUEST_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise RehearseError(f"REHEARSE_REQUEST_TIMEOUT_S must be a number of seconds above 0, not {text!r}")
    return value


def gunicorn_available() -> bool:
    try:
        import gunicorn.workers.gthread  # noqa: F401 - needs fcntl: not on Windows
    except ImportError:
        return False
    return True


def check(host: str, port: int, cert: str | None, key: str | None) -> None:
    """Say now, in one line, if the address cannot be served or the certificate cannot be used."""
    if cert:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise RehearseError(f"cannot use the certificate {cert} with the key {key} ({exc}); "
                                "give PEM files of a certificate and its private key") from None
    try:
        info = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
        with socket.socket(info[0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(info[4])
    except OSError as exc:
        shown = f"[{host}]" if ":" in host else host
        raise RehearseError(f"cannot serve on {shown}:{port} ({exc.strerror or exc}); "
                            "stop the other server, or choose another --port or --host") from None


def run(app: Flask, host: str, port: int, cert: str | None, key: str | None, loopback: bool,
        warm_up) -> str:
    """Serve `app` until stopped; `warm_up(app)` is called (in a thread) in the process that serves.
    Returns the name of the server that served: "gunicorn" or "werkzeug"."""
    timeout = request_timeout()
    app.before_request(_websocket_waits_longer)
    if not loopback and gunicorn_available():
        from . import gunicorn_server

        gunicorn_server.run(app, host, port, cert, key, timeout, warm_up)
        return "gunicorn"
    threading.Thread(target=warm_up, args=(app,), daemon=True, name="rehearse-warm-up").start()
    server = _make_werkzeug(app, host, port, cert, key, timeout, None if loopback else MAX_PER_ADDRESS)
    server.serve_forever()
    return "werkzeug"


def _websocket_waits_longer():
    """A WebSocket the app accepted (this runs after the security checks) may stay silent longer."""
    if request.url_rule is not None and getattr(request.url_rule, "websocket", False):
        raw = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
        if raw is not None:
            raw.settimeout(WEBSOCKET_IDLE_S)
    return None


# --- Werkzeug: loopback, and wherever Gunicorn cannot run ----------------------------------------

def _make_werkzeug(app, host, port, cert, key, timeout, per_address):
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        """Each read and write of the connection waits at most `timeout` (StreamRequestHandler)."""

    Handler.timeout = timeout

    class Server(ThreadedWSGIServer):
        """At most MAX_CONNECTIONS at once (the rest wait to be accepted), `per_address` from one
        address (more are closed); TLS handshakes in the connection's thread, under the timeout."""

        def __init__(self):
            self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
            self.addresses = PerAddress(per_address)
            tls = None
            if cert:
                tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                tls.load_cert_chain(cert, key)
            super().__init__(host, port, app, Handler, ssl_context=None)
            self.ssl_context = tls  # werkzeug reads it for wsgi.url_scheme; the socket is wrapped below

        def process_request(self, connection, client_address):
            if not self.addresses.admit(address_of(client_address)):
                self.shutdown_request(connection)
                return
            self.slots.acquire()  # the accepting loop waits here: the next connection stays queued
            try:
                super().process_request(connection, client_address)
            except BaseException:
                self._leave(client_address)
                raise

        def process_request_thread(self, connection, client_address):
            try:
                if self.ssl_context is not None:
                    connection.settimeout(timeout)
                    try:
                        connection = self.ssl_context.wrap_socket(connection, server_side=True)
                    except (OSError, ValueError):  # no handshake in time, or not TLS at all
                        self.shutdown_request(connection)
                        return
                super().process_request_thread(connection, client_address)
            finally:
                self._leave(client_address)

        def _leave(self, client_address):
            self.addresses.leave(address_of(client_address))
            self.slots.release()

    try:
        return Server()
    except SystemExit:  # werkzeug exits when it cannot bind; check() has said why in most cases
        raise RehearseError(f"cannot serve on {host}:{port}; choose another --port or --host") from None

