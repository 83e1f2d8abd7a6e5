"""The sign-ins this server has granted, kept on the server so that signing out really ends one.

A browser's sign-in cookie is signed, so no one can forge it; but a signed cookie alone stays valid
for as long as it says, so a copy taken before "Sign out" would still work after it. So each
sign-in gets a random token: the cookie carries the token, and the instance folder keeps only its
SHA-256 with the time it ends (the file `sign-ins`, readable by its owner only). A request is
signed in only while its token is listed and not past its end; signing out removes the token.
Kept in a file, not in memory, so sign-ins survive a restart of the server (or of Gunicorn's
worker) and a sign-out is never forgotten by one.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from pathlib import Path

FILE_NAME = "sign-ins"


class SignIns:
    """The live sign-ins of one instance folder: token digest -> the time (epoch s) it ends."""

    def __init__(self, instance: Path, lifetime_s: float):
        self.path = Path(instance) / FILE_NAME
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()

    def start(self) -> str:
        """A new sign-in, valid for lifetime_s; returns the token to keep in the browser's cookie."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            live = self._read()
            live[_digest(token)] = time.time() + self.lifetime_s
            self._write(live)
        return token

    def valid(self, token: str | None) -> bool:
        """Is this a sign-in that has neither ended nor been signed out?"""
        if not token or not isinstance(token, str):
            return False
        with self._lock:
            ends = self._read().get(_digest(token))
        return ends is not None and time.time() < ends

    def end(self, token: str | None) -> None:
        """Sign out: this token is no longer accepted, whoever holds a copy of the cookie."""
        if not token or not isinstance(token, str):
            return
        with self._lock:
            live = self._read()
            if live.pop(_digest(token), None) is not None:
                self._write(live)

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}  # none yet, or a damaged file: nobody is signed in, everyone signs in again
        if not isinstance(data, dict):
            return {}
        now = time.time()
        return {k: v for k, v in data.items() if isinstance(v, (int, float)) and v > now}

    def _write(self, live: dict[str, float]) -> None:
        part = self.path.with_name(self.path.name + ".part")
        descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(live, file)
        os.replace(part, self.path)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
