"""The queue of lessons waiting to be analysed, on Huey: embedded on a laptop, a broker on a server.

A lesson's analysis takes minutes, so it is a job: the page that asked for it returns at once and
reads the lesson's progress from the store (store/lessons.py keeps the job's state; the queue only
carries the lesson's id). Huey runs the same task code on

- SQLite (`SqliteHuey`, the default): the queue is a file in the instance folder, jobs.sqlite, and
  `rehearse serve` runs the worker on a thread of its own: nothing else to start.
- Redis (`RedisHuey`), when REHEARSE_JOBS_URL is redis://host:port/db: a school's server runs
  `rehearse serve --no-analysis-worker` for the pages and `rehearse analysis-worker` for the jobs
  (each with the same instance folder), or leaves the embedded worker on.

A job claims its lesson before it starts (queued -> analysing, in one write), so a lesson queued
twice (a restart re-queues what it finds unfinished) is analysed once. Jobs queued in SQLite
survive a restart; a job that was running when the server stopped is queued again by `recover`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Callable

from ..errors import RehearseError
from ..scoring.pipeline import Scorer
from ..store import lessons
from ..store.database import Store
from .analysis import analyse_stored

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0  # how often an idle worker looks at the queue (a submit from this process wakes it at once)
TASK_NAME = "rehearse.analyse_lesson"


def jobs_url() -> str | None:
    """REHEARSE_JOBS_URL: the Redis a school's server queues lessons on; unset: the instance folder's SQLite."""
    return os.environ.get("REHEARSE_JOBS_URL", "").strip() or None


def keep_other_voices() -> bool:
    """REHEARSE_KEEP_OTHER_VOICES=1: a school that keeps lesson recordings whole (by default every
    stretch of another voice is silenced in the kept copy once analysed)."""
    return os.environ.get("REHEARSE_KEEP_OTHER_VOICES", "").strip().lower() in ("1", "yes", "true", "on")


def make_huey(instance: Path, url: str | None = None):
    """The queue: SQLite in the instance folder, or Redis at `url` (redis://host:port/db)."""
    import huey

    if not url:
        return huey.SqliteHuey("rehearse", filename=str(instance / "jobs.sqlite"), results=False)
    check_jobs_url(url)
    return huey.RedisHuey("rehearse", url=url, results=False)


def check_jobs_url(url: str | None) -> None:
    """RehearseError with one line if `url` is set but is not a Redis this process can use."""
    if not url:
        return
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise RehearseError(f"REHEARSE_JOBS_URL {url!r} is not a Redis address (redis://host:6379/0); "
                            "leave it unset to keep the queue in the instance folder")
    try:
        import redis  # noqa: F401 - RedisHuey needs it; it is not installed by default
    except ImportError:
        raise RehearseError("REHEARSE_JOBS_URL names Redis, but the redis package is not installed: "
                            "pip install redis, or leave REHEARSE_JOBS_URL unset") from None


class LessonJobs:
    """Queues lessons for analysis and, with `start_worker`, analyses them on a thread of this process."""

    def __init__(self, store: Store, scorer: Scorer | Callable[[], Scorer], url: str | None = None,
                 keep_other_voices: bool = False, embedded: bool = False):
        """`embedded`: analyse on a thread of this process, started with the first lesson queued."""
        self.store = store
        self.embedded = embedded
        self._scorer = scorer
        self.keep_other_voices = keep_other_voices
        self._url = url
        check_jobs_url(url)  # a bad REHEARSE_JOBS_URL: one line now, not at the first lesson
        self._huey = None
        self._task = None
        self._made = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def scorer(self) -> Scorer:
        if callable(self._scorer) and not isinstance(self._scorer, Scorer):
            self._scorer = self._scorer()
        return self._scorer

    @property
    def huey(self):
        """The queue, made on first use: a folder where no lesson was ever observed has no jobs.sqlite."""
        with self._made:
            if self._huey is None:
                self._huey = make_huey(self.store.instance, self._url)
                self._task = self._huey.task(name=TASK_NAME)(self._analyse)
            return self._huey

    def submit(self, lesson_id: int) -> None:
        """Queue a lesson whose recording is whole on disk (status 'queued')."""
        self.huey  # noqa: B018 - made (with its task) on first use
        self._task(int(lesson_id))
        if self.embedded:
            self.start_worker()
        self._wake.set()

    def cancel(self, lesson_id: int) -> bool:
        """Stop a lesson's analysis (at its next piece) or take it off the queue; False if it was not
        queued or being analysed."""
        return lessons.request_cancel(self.store, lesson_id)

    def again(self, lesson_id: int) -> bool:
        """Analyse again a lesson that failed or was cancelled; False if it cannot be (no recording)."""
        if not lessons.requeue(self.store, lesson_id):
            return False
        self.submit(lesson_id)
        return True

    def recover(self) -> list[int]:
        """Queue again what a stopped server left unfinished: a lesson analysed when it stopped (its
        job was taken off the queue) and, to be sure, every lesson still queued (claiming makes a
        second copy of a job do nothing). A browser recording cut off by the stop is left to
        web/lessons.py, which knows how to close its file. Returns the lessons queued."""
        queued = []
        for found in lessons.interrupted(self.store):
            if found.status == "analysing":
                lessons.unclaim(self.store, found.id)
            if found.status in ("analysing", "queued"):
                self.submit(found.id)
                queued.append(found.id)
        return queued

    def start_worker(self) -> None:
        """Analyse queued lessons on a daemon thread of this process, one at a time (a lesson's
        analysis takes the speech model, and gives way to reps at every piece)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, daemon=True, name="rehearse-lesson-jobs")
            self._thread.start()

    def stop_worker(self, timeout: float | None = None) -> None:
        """Ask the worker to stop after the job in hand (a lesson mid-analysis is queued again at the
        next start: `recover`)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_worker(self) -> None:
        """Analyse queued lessons on this thread until stopped (`rehearse analysis-worker`)."""
        self._work()

    def _work(self) -> None:
        self.huey  # noqa: B018 - made on first use
        while not self._stop.is_set():
            try:
                task = self.huey.dequeue()
            except Exception:  # noqa: BLE001 - a broker gone for a moment: try again, say why in the log
                log.exception("could not read the queue of lessons; trying again")
                task = None
            if task is None:
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()
                continue
            try:
                self.huey.execute(task)
            except Exception:  # noqa: BLE001 - the queue itself failed (a broker gone): the worker goes on
                log.exception("a lesson's job could not be run; it stays as the store has it")

    def _analyse(self, lesson_id: int) -> None:
        analyse_stored(self.store, self.scorer, lesson_id, self.keep_other_voices)
