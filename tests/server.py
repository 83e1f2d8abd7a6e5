"""A real `rehearse serve` process on a free loopback port, for the WebSocket and browser tests."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Sequence

STARTUP_TIMEOUT_S = 180  # the model loads at start; this machine can be very slow at times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(instance: Path, *options: str):
    """Start `python -m rehearse serve` (with `options`) on a free port; yield its base URL; stop it after."""
    with server_process(instance, *options) as (url, _process):
        yield url


@contextlib.contextmanager
def server_process(instance: Path, *options: str, tls: ssl.SSLContext | None = None, address: str = "127.0.0.1",
                   command: Sequence[str] = (sys.executable, "-m", "rehearse"), cwd: Path | None = None,
                   env: dict[str, str] | None = None):
    """As running_server, but yield (base URL, the server's Popen), for a test that kills it; stop
    it after if it is still running. `options` go to `rehearse serve` (e.g. --host, --cert, --key);
    `tls`: the client context to reach a server started with --cert; `address`: where to reach it;
    `command`, `cwd`, `env`: how to run rehearse (the installed wheel's, from another folder)."""
    port = free_port()
    log = open(instance.parent / f"server-{port}.log", "w")
    process = subprocess.Popen([*command, "serve", "--port", str(port),
                                "--instance", str(instance), *options], stdout=log, stderr=subprocess.STDOUT,
                               cwd=cwd, env=(os.environ if env is None else env) | {"PYTHONUNBUFFERED": "1"})
    url = f"{'https' if tls else 'http'}://{address}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=5, context=tls).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("rehearse serve did not start:\n"
                                       + Path(log.name).read_text()) from None
                time.sleep(0.3)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Visitor:
    """A browser without the browser: keeps the session cookie and posts with the CSRF token that
    the app's pages carry (<meta name="csrf-token">), as the real pages do."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = None

    def get(self, path: str):
        return self.opener.open(self.url + path, timeout=60)

    def post(self, path: str, fields: dict | None = None):
        """POST a form (following the redirect), or an empty body to a JSON endpoint."""
        if self.token is None:
            html = self.get("/steps/new").read().decode()
            self.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
        data = urllib.parse.urlencode({"csrf_token": self.token, **(fields or {})}).encode()
        return self.opener.open(urllib.request.Request(self.url + path, data=data), timeout=300)


def new_session(url: str, teacher: str = "Ms Okafor", step: str = "pose-pause-name") -> int:
    """Start a session through the real start form; return its id."""
    fields = {"teacher": teacher, "step": step, "roster": "", "reps": "10"}
    with Visitor(url).post("/sessions", fields) as response:  # follows the redirect
        return int(response.url.rstrip("/").rsplit("/", 1)[1])
