"""The limits both servers put on connections (serving.py says why), the `Pace` a request must keep
while it arrives, and `PerAddress`, which counts the connections each address holds. Shared by the
Werkzeug server (werkzeug_server.py), Gunicorn's worker (gunicorn_server.py) and the reception that
takes each request in before either gives it a thread (reception.py)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

REQUEST_TIMEOUT_S = 30.0  # the longest wait for a client to send (or take) the next bytes
REQUEST_DEADLINE_S = 30.0  # a request's head start: its head (request line, headers) must be in by then
MIN_UPLOAD_RATE = 32 * 1024  # bytes a second a request's body must keep up, on average, after its head start
WEBSOCKET_IDLE_S = 600.0  # the longest a WebSocket may be silent both ways (a rep being scored)
MAX_CONNECTIONS = 128  # served at once (Werkzeug's threads; Gunicorn's connections); more wait their turn
MAX_WAITING = 512  # connections whose request has not all arrived yet; past this the oldest is closed
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers longer than this are refused (431)
# A body up to this size arrives whole in the reception before a thread is given to it; and every route
# but the two uploads of a recording refuses a larger one (security._bound_the_body), so only a
# recording's upload is ever read in a thread (under the pace). The largest form the pages send, the
# step editor's boxes of up to 4,000 characters each, percent-encoded, stays well under it.
BUFFERED_BODY = 256 * 1024
MAX_PER_ADDRESS = 24  # at once from one address beyond loopback: a browser opens about 6 per site
THREADS = 64  # Gunicorn's threads: more than MAX_PER_ADDRESS, so one address cannot take them all
WORKER_HEARTBEAT_S = 120  # Gunicorn restarts a worker silent for this long (it never should be)
WEBSOCKET_OPENED = "rehearse.websocket_opened"  # set in a request's environ once it is a WebSocket (stream.py)


@dataclass(frozen=True)
class Pace:
    """How fast a request must arrive: each read waits at most `read_timeout`, and by `t` seconds
    after the request began at least (t - head_start) * rate of its bytes must be in. So its head
    has `head_start` seconds in all, and its body as long as it keeps up `rate` on average: a
    64 MB recording at MIN_UPLOAD_RATE (256 kbit/s, a poor school network) takes about 35 minutes
    and goes through; one byte every few seconds is closed after about `head_start`. A pace
    rather than one fixed deadline, because a deadline long enough for the largest upload would let
    anyone who announces a large body trickle it for that long."""

    read_timeout: float = REQUEST_TIMEOUT_S
    head_start: float = REQUEST_DEADLINE_S
    rate: float = MIN_UPLOAD_RATE

    def deadline(self, started: float, received: int) -> float:
        """When a request begun at `started` (time.monotonic) with `received` bytes in is too late."""
        return started + self.head_start + received / self.rate


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
