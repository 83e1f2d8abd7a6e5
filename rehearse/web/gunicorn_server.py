"""Gunicorn, run in-process, serving the app beyond loopback (see serving.py for why and how).

One worker process with the gthread worker: the app is built once in the parent (so `serve` can
report a bad instance folder in one line before forking) and the speech model is warmed up in the
worker, after the fork (a thread or a half-loaded speech model does not survive a fork). The worker here
adds what gthread lacks: a connection goes to the reception (reception.py), which does its TLS
handshake and waits for its request under the request's pace, and only then to a thread (gthread
gives a thread a connection as soon as its first byte arrives, and that thread waits for the rest:
one byte every few seconds held it for ever); connections in the reception do not count against
gthread's worker_connections, so they cannot stop it accepting. There is no keep-alive: each
connection serves one request and is closed (as Werkzeug's are), because gthread hands a kept-alive
connection whose next request has begun to arrive straight to a thread, bypassing the reception (a
pipelined half request held a thread for the whole head start), and drains an unread body in the
thread. One address holds at most MAX_PER_ADDRESS connections, waiting or served. Gunicorn keeps
no access log here.
"""

from __future__ import annotations

import errno
import select
import ssl
import sys
import threading

from gunicorn import http
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn, ThreadWorker

from .connections import MAX_CONNECTIONS, MAX_PER_ADDRESS, THREADS, WORKER_HEARTBEAT_S, Pace, PerAddress, address_of
from .reception import Reception, paced, tls_context


def run(app, host: str, port: int, cert: str | None, key: str | None, pace: Pace, warm_up) -> None:
    bind = f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": [bind],
        "workers": 1,  # the engine (and its model) is per process
        "worker_class": _worker(pace),
        "logger_class": _Logger,
        "threads": THREADS,
        "worker_connections": MAX_CONNECTIONS,
        "keepalive": 0,  # a connection per request: each arrives through the reception (see above)
        "timeout": WORKER_HEARTBEAT_S,
        "graceful_timeout": 5,
        "preload_app": True,
        "post_worker_init": lambda worker: threading.Thread(
            target=warm_up, args=(worker.wsgi,), daemon=True, name="rehearse-warm-up").start(),
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "forwarded_allow_ips": "",  # no proxy in front: no client may claim a scheme or address for itself
        "control_socket_disable": True,  # Gunicorn 24+: no management socket in the home folder
    }
    if cert:
        options.update(certfile=cert, keyfile=key)
    _Application(app, options).run()


class _Application(BaseApplication):
    """Gunicorn with these settings and this app, instead of a command line and an import string."""

    def __init__(self, app, options: dict):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            if name in self.cfg.settings:  # an older Gunicorn lacks control_socket_disable
                self.cfg.set(name, value)

    def load(self):
        return self.application


def _worker(pace: Pace) -> type:
    """A gthread worker whose requests arrive through the reception, bounded per address."""
    addresses = PerAddress(MAX_PER_ADDRESS)

    class PacedConn(TConn):
        peer = "?"
        left = False

        def init(self):
            """As gthread's, but a TLS connection has had its handshake in the reception."""
            if self.initialized or not isinstance(self.sock, ssl.SSLSocket):
                return super().init()
            self.initialized = True
            self.sock.setblocking(True)
            self.parser = http.get_parser(self.cfg, self.sock, self.client)
            return None

        def close(self, graceful=False):
            """gthread closes in its one accepting thread, and a graceful close waits up to 2 s for
            the client to hang up: a slow client would stop everyone's requests that long. So a
            connection with nothing left unread closes at once, and one with unread bytes (a body
            the app refused) drains in a thread of its own."""
            if graceful and _unread(self.sock):
                threading.Thread(target=self._close, args=(True,), daemon=True).start()
            else:
                self._close(False)

        def _close(self, graceful):
            try:
                super().close(graceful)
            finally:
                if not self.left:
                    self.left = True
                    addresses.leave(self.peer)

    class Worker(ThreadWorker):
        def init_process(self):
            tls = tls_context(self.cfg.certfile, self.cfg.keyfile) if self.cfg.is_ssl else None
            self.reception = Reception(pace, ready=self._ready, dropped=self._dropped, tls=tls)
            super().init_process()  # runs the worker's loop

        def accept(self, listener):
            try:
                client, client_address = listener.accept()
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                    raise
                return
            peer = address_of(client_address)
            if not addresses.admit(peer):
                client.close()  # this address holds enough connections already
                return
            conn = PacedConn(self.cfg, paced(client, pace.read_timeout), client_address, listener.getsockname())
            conn.peer = peer
            self.reception.add(conn.sock, conn)

        def _ready(self, sock, conn):  # on the reception's thread
            self.method_queue.defer(self._serve, conn, sock)

        def _serve(self, conn, sock):  # on the worker's loop, as gthread's own bookkeeping is
            conn.sock, conn.data_ready = sock, True
            self.nr_conns += 1
            self.enqueue_req(conn)

        @staticmethod
        def _dropped(sock, conn):  # on the reception's thread
            conn.sock = sock
            conn.close()

    return Worker


def _unread(sock) -> bool:
    """Has the client sent bytes not read yet (or hung up)? Never waits."""
    try:
        if getattr(sock, "pending", None) and sock.pending():
            return True
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return False


class _Logger(Logger):
    """Gunicorn's log, with a connection that timed out as one line, not as a traceback."""

    def exception(self, msg, *args, **kwargs):
        if isinstance(sys.exc_info()[1], TimeoutError):
            self.debug("closed a connection that sent nothing (or took nothing) in time")
            return
        super().exception(msg, *args, **kwargs)
