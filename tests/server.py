"""A real `rehearse serve` process on a free loopback port, for the WebSocket and browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT_S = 180  # the model loads at start; this machine can be very slow at times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(instance: Path):
    """Start `python -m rehearse serve` on a free port; yield its base URL; stop it after."""
    port = free_port()
    log = open(instance.parent / f"server-{port}.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "rehearse", "serve", "--port", str(port),
                                "--instance", str(instance)], stdout=log, stderr=subprocess.STDOUT,
                               env=os.environ | {"PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("rehearse serve did not start:\n"
                                       + Path(log.name).read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def new_session(url: str, teacher: str = "Ms Okafor", scenario: str = "pose-pause-name") -> int:
    """Start a session through the real start form; return its id."""
    data = urllib.parse.urlencode({"teacher": teacher, "scenario": scenario, "roster": "", "reps": "10"})
    with urllib.request.urlopen(url + "/sessions", data=data.encode()) as response:  # follows the redirect
        return int(response.url.rstrip("/").rsplit("/", 1)[1])
