"""The speech model's worker: a stopped rep's scoring goes before work ahead, work ahead waits
while urgent work needs every call the model takes, and work ahead dropped while it waited never
runs. With a model that takes two calls at once, two stopped reps are scored side by side, and work
ahead goes on beside one rep's scoring but gives way to a second."""

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


def test_with_two_calls_work_ahead_goes_on_beside_one_scoring_and_gives_way_to_a_second():
    worker, gates = Worker("test", calls=2), [threading.Event(), threading.Event()]
    started = [threading.Event(), threading.Event()]

    def urgent(i):
        def job():
            started[i].set()
            gates[i].wait(TIMEOUT_S)
            return f"scored {i}"
        return job

    first = worker.submit(urgent(0), URGENT)
    assert started[0].wait(TIMEOUT_S)
    # One rep is being scored: the model has a second call, and work ahead takes it.
    assert worker.submit(lambda: "ahead", AHEAD).result(TIMEOUT_S) == "ahead"

    ahead_started, calls = threading.Event(), []

    def long_ahead():
        for _ in range(3000):
            point()
            calls.append("ahead")
            ahead_started.set()
            time.sleep(0.01)
        return "finished"

    job = worker.submit(long_ahead, AHEAD)
    assert ahead_started.wait(TIMEOUT_S)
    # A second stopped rep: it starts at once, beside the first, and the work ahead gives way.
    second = worker.submit(urgent(1), URGENT)
    assert started[1].wait(TIMEOUT_S) and not first.done()
    assert isinstance(job.exception(TIMEOUT_S), Interrupted) and len(calls) < 3000
    waiting = worker.submit(lambda: "after", AHEAD)
    time.sleep(0.2)
    assert not waiting.done()  # both calls are taken by scoring
    gates[1].set()
    assert second.result(TIMEOUT_S) == "scored 1"
    assert waiting.result(TIMEOUT_S) == "after"  # one call free again
    gates[0].set()
    assert first.result(TIMEOUT_S) == "scored 0"


def test_more_stopped_reps_than_calls_wait_their_turn():
    worker, gate, running = Worker("test", calls=2), threading.Event(), []
    lock = threading.Lock()

    def job(i):
        def run():
            with lock:
                running.append(i)
            gate.wait(TIMEOUT_S)
            return i
        return run

    futures = [worker.submit(job(i), URGENT) for i in range(3)]
    deadline = time.monotonic() + TIMEOUT_S
    while len(running) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert sorted(running) == [0, 1]  # the third waits for a call
    gate.set()
    assert [f.result(TIMEOUT_S) for f in futures] == [0, 1, 2]
