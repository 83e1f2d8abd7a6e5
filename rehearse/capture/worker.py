"""The speech model's work for reps being recorded, off the threads that receive their audio: a
stopped rep's scoring first, work ahead after.

Someone is waiting for a stopped rep's feedback; nobody waits for the words worked out ahead while
a rep is recorded (`live.py`). With several reps streaming at once (meetings side by side on one
laptop), that work ahead would otherwise hold up the feedback of the rep that has just stopped. So
there are two lanes, one thread each:

- URGENT: a stopped rep's scoring. It starts at once, unless another stopped rep is being scored.
- AHEAD: work ahead, one job at a time, in order of priority then of arrival, and only while no
  urgent job is in hand. A running job stops at its next interrupt.point() once an urgent job
  comes (between its calls into the model: Whisper cannot stop halfway); the model takes one call
  at a time anyway (CTranslate2 queues them), so an urgent job waits for one such call at most,
  never for a queue of them.

One lane each because, on a 2-core laptop, two transcriptions at once are no faster than one after
the other: the model already uses both cores.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from concurrent.futures import Future
from typing import Callable, TypeVar

from ..scoring.interrupt import interruptible

T = TypeVar("T")

URGENT = 0  # a stopped rep's scoring
AHEAD = 1  # work ahead on speech that is likely the rep's last
LATER = 2  # work ahead that is likely to be overtaken (the wait after the question is still on)


class Worker:
    """Runs jobs on two threads: URGENT jobs one after another as they come, and AHEAD (or LATER)
    jobs one at a time while no urgent job is queued or running."""

    def __init__(self, name: str = "rehearse-model"):
        self._name = name
        self._urgent: list[tuple[int, Future, Callable]] = []
        self._ahead: list[tuple[int, int, Future, Callable]] = []
        self._order = itertools.count()
        self._urgent_running = False
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []

    def submit(self, job: Callable[[], T], priority: int = AHEAD) -> "Future[T]":
        """Queue `job`; its Future holds what it returns or raises. A queued job can be cancelled."""
        future: Future = Future()
        with self._changed:
            if priority == URGENT:
                self._urgent.append((next(self._order), future, job))
            else:
                heapq.heappush(self._ahead, (priority, next(self._order), future, job))
            if not self._threads:  # started on first use, never at import
                self._threads = [threading.Thread(target=self._serve, args=(urgent,), daemon=True,
                                                  name=f"{self._name}-{'urgent' if urgent else 'ahead'}")
                                 for urgent in (True, False)]
                for thread in self._threads:
                    thread.start()
            self._changed.notify_all()
        return future

    def urgent_waiting(self) -> bool:
        """Is a stopped rep's scoring queued or running? (Work ahead then gives way: interrupt.py.)"""
        return bool(self._urgent) or self._urgent_running

    def _serve(self, urgent: bool) -> None:
        while True:
            with self._changed:
                if urgent:
                    while not self._urgent:
                        self._changed.wait()
                    _, future, job = self._urgent.pop(0)
                    self._urgent_running = True
                else:
                    while not self._ahead or self._urgent or self._urgent_running:
                        self._changed.wait()
                    _, _, future, job = heapq.heappop(self._ahead)
            try:
                if future.set_running_or_notify_cancel():  # False: cancelled while it waited
                    try:
                        if urgent:
                            result = job()
                        else:  # work ahead stops at its next interrupt.point() if urgent work comes
                            with interruptible(self.urgent_waiting):
                                result = job()
                    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for it
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                if urgent:
                    with self._changed:
                        self._urgent_running = False
                        self._changed.notify_all()
