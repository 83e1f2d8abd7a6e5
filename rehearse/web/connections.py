"""The limits both servers put on connections (serving.py says why), and `PerAddress`, which counts
the connections each address holds. Shared by the Werkzeug server (serving.py) and Gunicorn's
worker (gunicorn_server.py)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

REQUEST_TIMEOUT_S = 30.0  # the longest wait for a client to send (or take) the next bytes
WEBSOCKET_IDLE_S = 600.0  # the longest a WebSocket may be silent both ways (a rep being scored)
MAX_CONNECTIONS = 128  # at once; more wait to be accepted
MAX_PER_ADDRESS = 24  # at once from one address beyond loopback: a browser opens about 6 per site
THREADS = 64  # Gunicorn's threads: more than MAX_PER_ADDRESS, so one address cannot take them all
KEEPALIVE_S = 5  # an idle kept-alive connection (or one that sent nothing yet) is closed after this
WORKER_HEARTBEAT_S = 120  # Gunicorn restarts a worker silent for this long (it never should be)


class PerAddress:
    """How many connections each address holds, refusing one beyond `limit` (None: no limit)."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def admit(self, address: str) -> bool:
        with self._lock:
            if self.limit is not None and self._open[address] >= self.limit:
                return False
            self._open[address] += 1
            return True

    def leave(self, address: str) -> None:
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]


def address_of(client_address: Any) -> str:
    return client_address[0] if isinstance(client_address, tuple) else str(client_address)
