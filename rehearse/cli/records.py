"""The commands on what is stored: `export` (CSV, JSON or an archive), `import` (an archive),
`rescore` (what could not be scored) and `report` (a rep or a session as one HTML file)."""

from __future__ import annotations

import argparse
import sys

from .common import BAD_INPUT, instance_folder, make_scorer, open_store


def export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..store import archive
    from ..store.private_files import owner_only
    from ..reps.export import rep_records, to_csv, to_json
    from ..store.history import Filters, parse_day, step_with_id, teacher_named

    store = open_store(args.instance)
    if args.archive:  # written owner-only (archive.write_archive)
        counts = archive.write_archive(store, args.archive)
        print(f"rehearse: wrote {args.archive}: {counts['teachers']} teachers, {counts['sessions']} sessions, "
              f"{counts['attempts']} attempts, {counts['recordings']} recordings, {counts['lessons']} lessons observed "
              f"({counts['lesson_recordings']} with their kept recording)"
              + (f" ({counts['recordings_missing']} recordings were already missing)"
                 if counts["recordings_missing"] else ""), file=sys.stderr)
        return 0
    filters = Filters(teacher_named(store, args.teacher)["id"] if args.teacher else None,
                      step_with_id(store, args.step)["id"] if args.step else None,
                      parse_day(args.since, "--from"), parse_day(args.until, "--to"))
    records = rep_records(store, filters)
    text = to_json(records) if args.format == "json" else to_csv(records)
    if args.output:
        with owner_only(Path(args.output)) as file:  # teachers' names and what they said: as private as the folder
            file.write(text.encode("utf-8"))
        print(f"rehearse: wrote {len(records)} attempts to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def import_archive(args: argparse.Namespace) -> int:
    from .. import reps

    folder = instance_folder(args.instance)
    c = reps.import_archive(folder, args.archive)  # onto a new laptop it makes the folder
    print(f"rehearse: imported into {folder}: {c['teachers']} new teachers, {c['sessions']} sessions, "
          f"{c['attempts']} attempts, {c['recordings']} recordings, {c['marks']} coach marks, "
          f"{c['taps']} passes of taps, {c['comments']} comments on recordings, {c['learnt_names']} learnt names, "
          f"{c['lessons']} lessons observed ({c['lesson_recordings']} recordings, {c['lesson_marks']} overrules, "
          f"{c['lesson_comments']} comments); already here: {c['sessions_already_here']} sessions, "
          f"{c['attempts_already_here']} attempts, {c['lessons_already_here']} lessons"
          + (f"; {c['recordings_missing']} recordings were not in the archive" if c["recordings_missing"] else "")
          + (f"; {c['lesson_recordings_missing']} lessons' recordings were not in the archive"
             if c["lesson_recordings_missing"] else ""))
    return 0


def rescore(args: argparse.Namespace) -> int:
    """Score again what could not be scored (a rep cut off by a stopped server, a step mended
    since): one line per attempt, then the total. Status 2 if an id is unknown or anything named
    still cannot be scored."""
    from ..store import examples
    from ..reps.scoring import rescore_reps, rescore_examples, unscored_reps

    store = open_store(args.instance)
    ids = args.attempts or unscored_reps(store)
    scorer = make_scorer(args)
    to_score = [i for i in ids if (found := store.rep(i)) is not None and found.status != "recording"]
    if to_score or (not args.attempts and examples.unscored(store)):
        scorer.warm_up()  # a speech model that cannot load: one error line now, not a reason stored on each rep
    outcomes = list(_reported(rescore_reps(store, scorer, ids)))
    if not args.attempts:
        outcomes += _reported(rescore_examples(store, scorer))
    known = [o for o in outcomes if o.found]
    unknown = [str(o.id) for o in outcomes if not o.found]
    left = [o for o in known if not o.scored]
    if known:
        print(f"total: {len(known) - len(left)} scored, {len(left)} still unscored")
    elif not unknown:
        print(f"nothing to score: every attempt in {store.instance} is scored")
    if unknown:
        print(f"rehearse: no attempt {', '.join(unknown)} in {store.instance}; an attempt's id is the number "
              "in its page's address (/attempts/ID), or run `rehearse rescore` without ids for every unscored one",
              file=sys.stderr)
    if left:
        again = " ".join(str(o.id) for o in left if o.kind == "rep")
        print(f"rehearse: {len(left)} still cannot be scored (the reason is on its line above); mend that and run "
              f"`rehearse rescore{' ' + again if again else ''}` again, or record {'it' if len(left) == 1 else 'them'}"
              " again", file=sys.stderr)
    return BAD_INPUT if unknown or left else 0


def _reported(outcomes):
    """Print a line for each recording scored again (an unknown id is reported after them all)."""
    for outcome in outcomes:
        if outcome.found:
            print(f"{outcome.label}: {rescored_line(outcome)}", flush=True)
        yield outcome


def rescored_line(outcome) -> str:
    """The app's verdict on a recording scored again, or why it is still unscored."""
    if outcome.problem:
        return f"not scored: {outcome.problem}"
    if not outcome.scored:
        return f"still unscored: {outcome.why_not}"
    result = outcome.result
    met = sum(c.passed for c in result.criteria)
    return f"{'PASSED' if result.passed else 'NOT YET'} ({met} of {len(result.criteria)} criteria met)"


def save_report(args: argparse.Namespace) -> int:
    """Write the report the page's "Save as report" gives (web/report.py), to -o (a file, or a
    folder for the report's own name: teacher, step, rep, date), else into the current folder."""
    from ..errors import RehearseError
    from ..store.private_files import owner_only
    from ..web.report import rep_report, session_report

    store = open_store(args.instance)
    try:
        report = (rep_report(store, args.attempt, max_s=args.max_attempt_s) if args.attempt
                  else session_report(store, args.session, max_s=args.max_attempt_s))
    except LookupError as exc:
        raise RehearseError(f"{exc} in {store.instance}; the number is the one in its page's address") from None
    path = report_path(args.output or ".", report.filename)
    with owner_only(path) as file:  # the teacher's voice: readable by its owner only, as the instance folder
        file.write(report.html.encode("utf-8"))
    print(f"rehearse: wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


def report_path(output: str, filename: str):
    """Where -o asks for the report: a folder (one that exists, or any path ending in a separator,
    then made) gets it under its own name; anything else is the file's name, in a folder that exists."""
    import os
    from pathlib import Path

    from ..errors import RehearseError

    target = Path(output)
    if output.endswith(tuple(s for s in (os.sep, os.altsep) if s)) or target.is_dir():
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RehearseError(f"cannot make the folder {output} for the report ({exc.strerror or exc}); "
                                "give -o a folder that can be made, or a file name") from None
        return target / filename
    if not target.parent.is_dir():
        raise RehearseError(f"cannot write {output}: there is no folder {target.parent}; make it first, "
                            f"or end -o with {os.sep} to have the folder made and the report written in it")
    return target
