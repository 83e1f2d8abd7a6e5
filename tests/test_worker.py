"""The speech model's worker: a stopped rep's scoring goes before work ahead, work ahead waits
while urgent work is in hand, and work ahead dropped while it waited never runs."""

from __future__ import annotations

import threading
import time

import pytest

from rehearse.scoring.interrupt import Interrupted, point
from rehearse.capture.worker import AHEAD, LATER, URGENT, Worker

TIMEOUT_S = 30


def test_urgent_work_goes_first_and_work_ahead_waits_for_it():
    worker, ran, gate = Worker("test"), [], threading.Event()
    started = threading.Event()

    def blocker():
        started.set()
        gate.wait(TIMEOUT_S)
        ran.append("running ahead")

    first = worker.submit(blocker, AHEAD)
    assert started.wait(TIMEOUT_S)
    later = worker.submit(lambda: ran.append("later"), LATER)
    ahead = worker.submit(lambda: ran.append("ahead"), AHEAD)
    dropped = worker.submit(lambda: ran.append("dropped"), AHEAD)
    assert dropped.cancel()
    # Urgent work does not wait for the job ahead that is running, nor for those queued.
    assert worker.submit(lambda: ran.append("urgent") or 42, URGENT).result(TIMEOUT_S) == 42
    assert ran == ["urgent"]
    gate.set()
    later.result(TIMEOUT_S)
    assert ran == ["urgent", "running ahead", "ahead", "later"]
    assert first.done() and ahead.done() and dropped.cancelled()


def test_work_ahead_does_not_start_while_urgent_work_runs():
    worker, ran, gate = Worker("test"), [], threading.Event()
    started = threading.Event()

    def urgent():
        started.set()
        gate.wait(TIMEOUT_S)
        ran.append("urgent")

    done = worker.submit(urgent, URGENT)
    assert started.wait(TIMEOUT_S)
    ahead = worker.submit(lambda: ran.append("ahead"), AHEAD)
    assert not ahead.done() and ran == []
    gate.set()
    ahead.result(TIMEOUT_S)
    assert done.done() and ran == ["urgent", "ahead"]


def test_a_job_that_fails_hands_its_error_to_whoever_waits():
    worker = Worker("test")
    with pytest.raises(ZeroDivisionError):
        worker.submit(lambda: 1 / 0, URGENT).result(TIMEOUT_S)
    assert worker.submit(lambda: "still serving", AHEAD).result(TIMEOUT_S) == "still serving"


def test_work_ahead_gives_way_at_its_next_point_when_urgent_work_comes():
    """Work ahead made of several model calls stops between them (interrupt.point) once a stopped
    rep's scoring is queued; the same calls elsewhere (urgent work, any other thread) never stop."""
    worker, started, calls = Worker("test"), threading.Event(), []

    def ahead():
        for _ in range(3000):  # ~30 s of "model calls" if nothing interrupts it
            point()
            calls.append("ahead")
            started.set()
            time.sleep(0.01)
        return "finished"

    gate = threading.Event()

    def urgent():
        gate.wait(TIMEOUT_S)  # scoring, while the work ahead comes to its next point
        point()  # never raises here
        return "scored"

    job = worker.submit(ahead, AHEAD)
    assert started.wait(TIMEOUT_S)
    scored = worker.submit(urgent, URGENT)
    assert isinstance(job.exception(TIMEOUT_S), Interrupted) and len(calls) < 3000
    gate.set()
    assert scored.result(TIMEOUT_S) == "scored"
    point()  # this thread is not the worker's: nothing happens
