"""`rehearse observe`: a lesson recording analysed from the terminal, for people and for scripts;
and `rehearse analysis-worker`, the queue's worker on its own (a school's server, with Redis).

    rehearse observe FILE [FILE ...] --step ID [--roster NAMES] [--teacher NAME] [--instance DIR] [--json]

prints one JSON object per file with --json (the contract others' scripts read: file, duration_s,
questions [start, end, text, next_speech, next_speaker, named_pupil, name_at, ...], talk
{teacher_s, pupils_s, ...}), else a short plain summary. With --teacher the lesson is kept in the
instance folder's history beside that teacher's reps (whose voice, from those reps, tells their
speech from other voices), its kept recording with other voices silenced, or none with
--delete-audio; without --teacher nothing is kept. A file that cannot be analysed gets one line on
stderr and exit status 2; the other files are still analysed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from ..errors import RehearseError
from .common import BAD_INPUT, instance_folder, make_scorer


def add_observe(commands, add_speech_model: Callable, add_instance: Callable) -> None:
    from ..scoring.formats import labels

    observe = commands.add_parser("observe", help="analyse a recording of a stretch of a real lesson")
    observe.add_argument("files", nargs="+", metavar="FILE", help=f"lesson recordings ({labels()})")
    observe.add_argument("--step", "--scenario", required=True, metavar="ID", help="the action step, e.g. pose-pause-name")
    observe.add_argument("--roster", metavar="NAMES", help='the class list: "Name,Name,..." (default: the step\'s)')
    observe.add_argument("--teacher", metavar="NAME",
                         help="keep the lesson in this teacher's history (--instance's), and know their voice "
                              "from their reps; without it nothing is kept")
    observe.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    observe.add_argument("--delete-audio", action="store_true",
                         help="with --teacher: keep the figures, delete the lesson's recording")
    observe.add_argument("--keep-other-voices", action="store_true",
                         help="with --teacher: keep the recording as it was (by default other voices are silenced)")
    add_speech_model(observe)
    add_instance(observe, "where lessons are kept with --teacher, and whose own action steps are looked in too")

    worker = commands.add_parser("analysis-worker",
                                 help="analyse queued lessons (a server's worker, beside `serve --no-analysis-worker`)")
    add_speech_model(worker)
    add_instance(worker)


def observe(args: argparse.Namespace) -> int:
    from ..scoring.name_sounds import parse_roster
    from ..scoring.steps import get_step

    instance = instance_folder(args.instance)
    step = get_step(args.step, instance)  # an unknown step: one line now, before the speech model loads
    roster = parse_roster(args.roster) if args.roster is not None else list(step.roster)
    if args.teacher is None and (args.delete_audio or args.keep_other_voices):
        raise RehearseError("--delete-audio and --keep-other-voices are about the kept recording: give --teacher "
                            "to keep the lesson (without it nothing is kept)")
    store = _store_for(args.teacher, instance)
    scorer = make_scorer(args)
    status = 0
    for name in args.files:
        try:
            if store is None:
                result = _analyse_unkept(name, step, roster, scorer)
            else:
                result = _analyse_kept(store, scorer, name, args, step, roster)
        except RehearseError as exc:  # report this file, go on with the rest
            print(f"rehearse: {exc}", file=sys.stderr)
            status = BAD_INPUT
            continue
        result = dict(result) | {"file": name}
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print(plain_summary(result, step, [p.name for p in roster]), flush=True)
    return status


def _store_for(teacher: str | None, instance: Path):
    if teacher is None:
        return None
    from ..reps import open_store
    from ..store.database import checked_name

    checked_name(teacher)
    return open_store(instance)


def _analyse_unkept(name: str, step, roster, scorer) -> dict[str, Any]:
    """Analyse a file with nothing kept: decoded into a temporary folder, removed after."""
    from ..observe.lesson import analyse_lesson
    from ..observe.lesson_audio import LessonAudio

    with tempfile.TemporaryDirectory(prefix="rehearse-observe-") as work, \
            LessonAudio.open(name, work_dir=Path(work)) as audio:
        return analyse_lesson(audio, step, roster, scorer, voice=None, progress=_progress_line(name)).to_json()


def _analyse_kept(store, scorer, name: str, args: argparse.Namespace, step, roster) -> dict[str, Any]:
    """Keep the lesson in the teacher's history, analyse it as the app's job does, and return its result."""
    from ..lessons.analysis import analyse_stored
    from ..store import lessons

    source = Path(name)
    if not source.is_file():
        raise RehearseError(f"{name}: no such file; give the path of a lesson recording")
    lesson = lessons.new_lesson(store, args.teacher, step.id, step.title, [p.name for p in roster], "cli",
                                suffix=source.suffix or ".audio")
    try:
        shutil.copyfile(source, lessons.lesson_file(store, lesson))
    except OSError:
        lessons.delete_lesson(store, lesson.id)
        raise
    lessons.recorded(store, lesson.id)
    outcome = analyse_stored(store, scorer, lesson.id, args.keep_other_voices, _progress_line(name))
    if outcome.status != "done":
        raise RehearseError(f"{name}: {outcome.error} (kept as lesson {lesson.id})")
    if args.delete_audio:
        lessons.delete_audio(store, lesson.id)
    return dict(outcome.result) | {"lesson_id": lesson.id}


def _progress_line(name: str) -> Callable[[float, str], None] | None:
    """At a terminal, the part done on one line of stderr (redrawn); elsewhere nothing."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float, stage: str) -> None:
        end = "\n" if fraction >= 1 else ""
        print(f"\r{name}: {fraction:4.0%} {stage[:50]:50}", end=end, file=sys.stderr, flush=True)
    return show


def plain_summary(result: dict[str, Any], step, roster: list[str]) -> str:
    """A few lines for a person: how long, the step's figures in words, the talk shares, what was kept."""
    from ..observe.measures import measure

    measures = measure(step, result, roster)
    minutes, seconds = divmod(round(result.get("duration_s") or 0), 60)
    lines = [f"{result['file']}: {step.title}: {minutes} min {seconds:02d} s observed", f"  {measures.summary}"]
    talk = result.get("talk") or {}
    total = sum(talk.get(k) or 0 for k in ("teacher_s", "pupils_s", "silence_s")) or 1
    lines.append(f"  the teacher spoke {talk.get('teacher_s', 0) / total:.0%} of the time, other voices "
                 f"{talk.get('pupils_s', 0) / total:.0%}, silence {talk.get('silence_s', 0) / total:.0%}")
    if "lesson_id" in result:
        lines.append(f"  kept as lesson {result['lesson_id']} (open it in `rehearse serve`)")
    else:
        lines.append("  nothing kept (give --teacher to keep it in a teacher's history)")
    return "\n".join(lines)


def analysis_worker(args: argparse.Namespace) -> int:
    """Analyse queued lessons until stopped (Ctrl+C): the queue named by REHEARSE_JOBS_URL (Redis), or
    the instance folder's."""
    from ..lessons.jobs import LessonJobs, jobs_url, keep_other_voices
    from ..reps import open_store

    instance = instance_folder(args.instance)
    jobs = LessonJobs(open_store(instance), make_scorer(args), jobs_url(),
                      keep_other_voices=keep_other_voices())
    print(f"rehearse: analysing queued lessons of {instance} (Ctrl+C to stop)", flush=True)
    jobs.recover()
    jobs.run_worker()
    return 0

