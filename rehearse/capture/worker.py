"""The speech model's work for reps being recorded, off the threads that receive their audio: a
stopped rep's scoring first, work ahead after.

Someone is waiting for a stopped rep's feedback; nobody waits for the words worked out ahead while
a rep is recorded (`live.py`). With several reps streaming at once (meetings side by side on one
laptop), that work ahead would otherwise hold up the feedback of the rep that has just stopped.

The speech model takes `calls` calls at once (the speech engine's `parallel_calls`: one on both engines
today; faster.py's PARALLEL_CALLS says why); the worker keeps within that:

- URGENT: a stopped rep's scoring. It starts at once on one of `calls` threads; only more stopped
  reps than that wait, each for the one before it.
- AHEAD: work ahead, one job at a time, in order of priority then of arrival, and only while the
  urgent work in hand leaves the speech model a call free. A running job stops at its next
  interrupt.point() once urgent work needs that call (between its calls into the speech model: Whisper
  cannot stop halfway), so an urgent job waits for one such call at most, never for a queue of them.

With one call that is: work ahead only while no rep is being scored. With two, work ahead for one
rep would go on beside another rep's scoring.
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
    """Runs URGENT jobs on up to `calls` threads as they come, and AHEAD (or LATER) jobs one at a
    time on another thread while the urgent jobs in hand leave the speech model a call free."""

    def __init__(self, name: str = "rehearse-speech-model", calls: int = 1):
        self._name = name
        self._calls = max(1, calls)
        self._urgent: list[tuple[int, Future, Callable]] = []
        self._ahead: list[tuple[int, int, Future, Callable]] = []
        self._order = itertools.count()
        self._urgent_running = 0
        self._ahead_running = 0
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []

    def allow_calls(self, calls: int) -> None:
        """Say how many calls the speech model takes at once (the engine in use: its `parallel_calls`)."""
        with self._changed:
            self._calls = max(1, calls)
            self._start_threads()
            self._changed.notify_all()

    def submit(self, job: Callable[[], T], priority: int = AHEAD) -> "Future[T]":
        """Queue `job`; its Future holds what it returns or raises. A queued job can be cancelled."""
        future: Future = Future()
        with self._changed:
            if priority == URGENT:
                self._urgent.append((next(self._order), future, job))
            else:
                heapq.heappush(self._ahead, (priority, next(self._order), future, job))
            self._start_threads()
            self._changed.notify_all()
        return future

    def urgent_waiting(self) -> bool:
        """Does urgent work need every call the speech model takes? (Work ahead then gives way:
        interrupt.py.)"""
        return len(self._urgent) + self._urgent_running >= self._calls

    def busy(self) -> bool:
        """Is any rep's work queued or running here (a stopped rep's scoring, or work ahead on one
        being recorded)? A lesson's analysis gives way meanwhile (interrupt.giving_way)."""
        with self._changed:
            return bool(self._urgent or self._ahead or self._urgent_running or self._ahead_running)

    def _start_threads(self) -> None:
        """Threads for `calls` urgent jobs and one job ahead, started on first use, never at import."""
        if not self._threads:
            self._threads.append(threading.Thread(target=self._serve_ahead, daemon=True, name=f"{self._name}-ahead"))
            self._threads[-1].start()
        while len(self._threads) < 1 + self._calls:
            number = len(self._threads)
            self._threads.append(threading.Thread(target=self._serve_urgent, daemon=True,
                                                  name=f"{self._name}-urgent-{number}"))
            self._threads[-1].start()

    def _serve_urgent(self) -> None:
        while True:
            with self._changed:
                while not self._urgent or self._urgent_running >= self._calls:
                    self._changed.wait()
                _, future, job = self._urgent.pop(0)
                self._urgent_running += 1
            try:
                _run(future, job)
            finally:
                with self._changed:
                    self._urgent_running -= 1
                    self._changed.notify_all()

    def _serve_ahead(self) -> None:
        while True:
            with self._changed:
                while not self._ahead or self.urgent_waiting():
                    self._changed.wait()
                _, _, future, job = heapq.heappop(self._ahead)
                self._ahead_running += 1
            try:
                with interruptible(self.urgent_waiting):  # stops at its next interrupt.point() if urgent work needs the call
                    _run(future, job)
            finally:
                with self._changed:
                    self._ahead_running -= 1


def _run(future: Future, job: Callable) -> None:
    """Run `job` into `future`, unless it was cancelled while it waited."""
    if future.set_running_or_notify_cancel():
        try:
            result = job()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for it
            future.set_exception(exc)
        else:
            future.set_result(result)
