"""Points at which background work may stop early, so that urgent work gets the speech model sooner.

On a 2-core laptop one transcription holds both cores, and the speech model takes one call at a
time. When a rep stops, its teacher waits for the verdict; the words another rep is having worked
out ahead (live.py) can wait. A call into the speech model cannot be stopped halfway, but background work
is several calls (find the speech, transcribe, score each batch of names), so between them it asks
`point()`: the thread running it (the worker's lane for work ahead, worker.py) has said, with
`interruptible`, how to tell that urgent work is waiting, and then `point()` raises `Interrupted`.
Work done before the interruption is kept where it is kept anyway (the attempt's word cache);
nothing half done is. On any other thread `point()` does nothing.

Long background work that must not start again (a lesson's analysis: minutes of it) runs instead
`giving_way`: at each point() it waits while urgent work waits, then goes on where it was.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

_local = threading.local()


GIVE_WAY_POLL_S = 0.05


class Interrupted(Exception):
    """Background work stopped at a point() because urgent work is waiting for the speech model."""


def point() -> None:
    """Stop here (raise Interrupted) if this thread's work is interruptible and urgent work waits."""
    urgent_waiting = getattr(_local, "urgent_waiting", None)
    if urgent_waiting is not None and urgent_waiting():
        raise Interrupted("urgent work is waiting for the speech model")
    model_wanted = getattr(_local, "model_wanted", None)
    while model_wanted is not None and model_wanted():
        time.sleep(GIVE_WAY_POLL_S)


@contextmanager
def interruptible(urgent_waiting: Callable[[], bool]) -> Iterator[None]:
    """Run the block on this thread as work that point() may stop when `urgent_waiting()`."""
    with _on_this_thread("urgent_waiting", urgent_waiting):
        yield


@contextmanager
def giving_way(model_wanted: Callable[[], bool]) -> Iterator[None]:
    """Run the block on this thread as long background work that, at each point(), waits while
    `model_wanted()` (reps need the speech model) and then carries on where it was."""
    with _on_this_thread("model_wanted", model_wanted):
        yield


@contextmanager
def _on_this_thread(name: str, test: Callable[[], bool]) -> Iterator[None]:
    """Set this thread's `name` test for point() for the block, then put back what was there."""
    before = getattr(_local, name, None)
    setattr(_local, name, test)
    try:
        yield
    finally:
        setattr(_local, name, before)
