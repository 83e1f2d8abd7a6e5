"""How `rehearse serve` runs the app, so that no client can tie the server up by sending slowly.

A client that opens a connection and sends half a request, then nothing, or one byte of it every
few seconds, holds a thread (and a file descriptor) for as long as the server waits; a few hundred
of them, and no one else is served. So, whatever serves:

- **Each request keeps a pace** (connections.Pace): every read waits at most REQUEST_TIMEOUT_S
  (REHEARSE_REQUEST_TIMEOUT_S overrides it), the head (request line and headers) must be in within
  REQUEST_DEADLINE_S (REHEARSE_REQUEST_DEADLINE_S), and the body must then keep up MIN_UPLOAD_RATE
  on average, so that a 64 MB recording on a slow school network goes through but a trickle is
  closed; a TLS handshake counts as part of the request.
- **No thread waits for a request to arrive**: the reception (reception.py) takes every connection
  in on one thread, and a thread of the server gets a request only once it has arrived (its head,
  and its body if small; a large body is read in the thread, still under the pace). Connections
  still arriving are bounded (MAX_WAITING; one more closes the longest waiting), and do not count
  against the threads, so trickling clients, even all from 127.0.0.1, leave the server free to
  serve everyone else.
- **On the network** (--host other than loopback) Gunicorn serves (gunicorn_server.py), with its
  threaded worker (gthread, which flask-sock supports): one worker process, since the speech model
  lives in the process, with THREADS threads for several rehearsals at once (a WebSocket holds a
  thread while its rep is recorded). One address holds at most MAX_PER_ADDRESS connections, more
  refused, so one computer cannot take every thread from the others.
- **On loopback** (the default), and where Gunicorn cannot run (Windows), Werkzeug's threaded
  server serves (werkzeug_server.py), with at most MAX_CONNECTIONS threads; beyond loopback it too
  refuses more than MAX_PER_ADDRESS from one address.

A WebSocket, once the app has let it in (signed in, from its own page), is a rep being recorded:
the page may send nothing while the rep is scored, so its socket is freed of the pace and waits up
to WEBSOCKET_IDLE_S instead (`_websocket_waits_longer`); the rep's own receive timeout still ends
a silent page.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading

from flask import Flask, request

from ..errors import RehearseError
from .connections import MAX_PER_ADDRESS, REQUEST_DEADLINE_S, REQUEST_TIMEOUT_S, WEBSOCKET_IDLE_S, Pace


def request_pace() -> Pace:
    """The pace a request must keep: REQUEST_TIMEOUT_S and REQUEST_DEADLINE_S, or
    REHEARSE_REQUEST_TIMEOUT_S and REHEARSE_REQUEST_DEADLINE_S if set (the tests set short ones)."""
    return Pace(read_timeout=_seconds("REHEARSE_REQUEST_TIMEOUT_S", REQUEST_TIMEOUT_S),
                head_start=_seconds("REHEARSE_REQUEST_DEADLINE_S", REQUEST_DEADLINE_S))


def _seconds(variable: str, default: float) -> float:
    text = os.environ.get(variable)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise RehearseError(f"{variable} must be a number of seconds above 0, not {text!r}")
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
    pace = request_pace()
    app.before_request(_websocket_waits_longer)
    app.after_request(_read_no_more)
    if not loopback and gunicorn_available():
        from . import gunicorn_server

        gunicorn_server.run(app, host, port, cert, key, pace, warm_up)
        return "gunicorn"
    from . import werkzeug_server

    threading.Thread(target=warm_up, args=(app,), daemon=True, name="rehearse-warm-up").start()
    werkzeug_server.make(app, host, port, cert, key, pace, None if loopback else MAX_PER_ADDRESS).serve_forever()
    return "werkzeug"


def _read_no_more(response):
    """Once the app has answered, the rest of a body it did not read is not read (reception.py's
    stop_reading): refused, it costs the client's bytes, not a thread."""
    raw = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if hasattr(raw, "stop_reading"):
        raw.stop_reading()
    return response


def _websocket_waits_longer():
    """A WebSocket the app accepted (this runs after the security checks) may stay silent longer."""
    if request.url_rule is not None and getattr(request.url_rule, "websocket", False):
        raw = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
        if hasattr(raw, "lift_pace"):
            raw.lift_pace(WEBSOCKET_IDLE_S)
        elif raw is not None:
            raw.settimeout(WEBSOCKET_IDLE_S)
    return None
