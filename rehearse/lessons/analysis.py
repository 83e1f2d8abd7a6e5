"""One lesson's analysis as a job: its recording, the teacher's voice from their reps, the engine
(rehearse.observe), the privacy copy, and the outcome kept in the store — whatever happens.

The job claims its lesson first (a second copy of the job does nothing), writes its progress and
the time left about once a second, looks for a Cancel between the engine's pieces, gives way to reps
at each of them (interrupt.giving_way: a rep's scoring goes first), and ends with the lesson either
analysed, failed with one line saying why, or cancelled. The recording is never lost: the original
is removed only after the kept copy (other voices silenced) is whole on disk.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .. import staging
from ..capture.live import reps_need_the_model
from ..errors import RehearseError
from ..observe.lesson import analyse_lesson
from ..observe.lesson_audio import LessonAudio
from ..observe.measures import measure
from ..observe.privacy import other_voice_spans, silence_spans
from ..scoring.interrupt import giving_way
from ..scoring.name_sounds import parse_roster
from ..scoring.pipeline import Scorer
from ..scoring.steps import get_step
from ..store import learnt, lessons
from ..store.database import Store
from .teacher_voice import teacher_voice

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0  # the store is written at most this often while the analysis runs
CANCEL_EVERY_S = 0.25  # and read for a Cancel at most this often
KEPT_NAME = "kept.flac"  # the kept copy, other voices silenced


class Cancelled(Exception):
    """The coach cancelled the analysis; it stopped between two pieces."""


class Superseded(Exception):
    """Another copy of the job took the lesson over (it was queued again after a restart): this one stops."""


@dataclass
class Outcome:
    """How a lesson's analysis ended: its status and either the analysis or why not."""

    status: str
    result: Mapping[str, Any] | None = None
    error: str | None = None


def analyse_stored(store: Store, scorer: Scorer, lesson_id: int, keep_other_voices: bool = False,
                   on_progress: Callable[[float, str], None] | None = None) -> Outcome:
    """Analyse a queued lesson and keep the outcome. Returns it; a lesson that was not queued
    (done, cancelled, or claimed by another copy of this job) is left as it is (status 'skipped')."""
    claim = lessons.claim(store, lesson_id)
    if claim is None:
        return Outcome("skipped")
    try:
        return _analyse(store, scorer, lessons.lesson(store, lesson_id), claim, keep_other_voices, on_progress)
    except Superseded:
        return Outcome("skipped")
    except Cancelled:
        lessons.save_failure(store, lesson_id, "cancelled by the coach; the recording is kept: analyse it again "
                             "at any time", status="cancelled", claim=claim)
        return Outcome("cancelled", error="cancelled")
    except RehearseError as exc:
        lessons.save_failure(store, lesson_id, str(exc), claim=claim)
        return Outcome("failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug: the lesson says so, the recording stays, the log has the rest
        log.exception("lesson %s: the analysis failed", lesson_id)
        why = (f"the analysis stopped on an unexpected error ({type(exc).__name__}); the recording is kept: "
               "analyse it again, and if it fails again, send the log to whoever looks after rehearse")
        lessons.save_failure(store, lesson_id, why, claim=claim)
        return Outcome("failed", error=why)


def _analyse(store: Store, scorer: Scorer, lesson, claim: str, keep_other_voices: bool,
             on_progress: Callable[[float, str], None] | None) -> Outcome:
    step = get_step(lesson.step_id, store.instance)
    roster = parse_roster(list(lesson.roster)) if lesson.roster else list(step.roster)
    roster = learnt.roster_for(store, lesson.teacher_id, roster)
    source = lessons.lesson_file(store, lesson)
    if source is None or not source.exists():
        raise RehearseError(f"lesson {lesson.id}'s recording is not on disk any more; record or upload it again")
    report = _progress_writer(store, lesson.id, claim, on_progress)
    report(0.0, "reading the recording")
    voice = teacher_voice(store, lesson.teacher_id)
    folder = source.parent
    with staging.stage(folder, "decoding") as work, LessonAudio.open(source, work_dir=work.folder) as audio, \
            giving_way(reps_need_the_model):
        analysis = analyse_lesson(audio, step, roster, scorer, voice=voice, progress=report)
        result = analysis.to_json() | {"file": source.name}
        if keep_other_voices:
            kept, state = source, "original"
        else:
            report(0.99, "silencing other voices in the kept recording")
            kept = silence_spans(audio, other_voice_spans(result), folder / KEPT_NAME)
            state = "voices-silenced"
    median = measure(step, result, [p.name for p in roster]).counts.get("median_wait_s")
    relative = kept.resolve().relative_to(store.instance.resolve()).as_posix()
    if not lessons.save_analysis(store, lesson.id, result, relative, state, median, claim):
        return Outcome("skipped")  # taken over by another copy of the job (a restart): that one keeps it
    if kept != source:
        source.unlink(missing_ok=True)  # only now: the kept copy is whole on disk and the row names it
    return Outcome("done", result=result)


def _progress_writer(store: Store, lesson_id: int, claim: str,
                     on_progress: Callable[[float, str], None] | None) -> Callable[[float, str], None]:
    """The engine's progress hook: checks for a Cancel at every call, writes the part done, the time
    left (from the pace so far) and the stage to the store at most every PROGRESS_EVERY_S."""
    started = time.monotonic()
    last = [-PROGRESS_EVERY_S, -CANCEL_EVERY_S]  # when the store was last written, and last read for a Cancel

    def report(fraction: float, stage: str) -> None:
        now = time.monotonic()
        if now - last[1] >= CANCEL_EVERY_S:
            last[1] = now
            if lessons.cancel_requested(store, lesson_id):
                raise Cancelled()
        if on_progress is not None:
            on_progress(fraction, stage)
        if now - last[0] < PROGRESS_EVERY_S and fraction < 1:
            return
        last[0] = now
        spent = now - started
        eta = spent / fraction * (1 - fraction) if fraction >= 0.03 and spent > 2 else None
        if not lessons.set_progress(store, lesson_id, fraction, eta, stage, claim):
            raise Superseded()
    return report

