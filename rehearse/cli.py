"""The `rehearse` command: parse options, build the engine, and turn engine errors into one line.

Exit status: 0 when scoring ran (whatever the verdicts), 2 for bad input (a missing, corrupt or
silent file, an unknown scenario, a bad roster, a malformed scenario file, no model, an unknown
teacher or date to export, a file that is not an archive; for `practice` and `devices`: no PortAudio,
no microphone, an unknown, busy or silent one). `practice` stopped with Ctrl+C: 130.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .errors import RehearseError

BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rehearse", description="Rehearse a teaching action step by voice.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser("score", help="score recordings against an action step")
    score.add_argument("files", nargs="+", metavar="FILE", help="recordings (WAV, FLAC, MP3, OGG, WebM)")
    score.add_argument("--scenario", required=True, metavar="ID", help="the action step, e.g. pose-pause-name")
    score.add_argument("--roster", metavar="NAMES", help='class list replacing the scenario\'s: "Name,Name,..."')
    score.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    score.add_argument("--model", metavar="PATH", help="a faster-whisper model folder (default: bundled tiny.en)")
    add_instance(score, "whose own action steps (scenarios/) are looked in too")

    serve = commands.add_parser("serve", help="the rehearsal app in the browser (http://127.0.0.1:5000)")
    serve.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    add_instance(serve)
    serve.add_argument("--model", metavar="PATH", help="a faster-whisper model folder (default: bundled tiny.en)")

    practice = commands.add_parser("practice", help="rehearse alone in the terminal, with the microphone")
    practice.add_argument("scenario", nargs="?", metavar="SCENARIO",
                          help="the action step, e.g. pose-pause-name (default: the one you practised last)")
    practice.add_argument("--reps", type=int, metavar="N", help="reps to aim for (default 5; 3 for --warm-up)")
    practice.add_argument("--device", metavar="ID", help="input device: its number or part of its name "
                          "(rehearse devices lists them; default: the system's)")
    practice.add_argument("--teacher", metavar="NAME", help="who is practising (default: asked)")
    practice.add_argument("--roster", metavar="NAMES", help='class list: "Name,Name,..." '
                          "(default: your last one for this step, else the step's)")
    practice.add_argument("--warm-up", action="store_true",
                          help="3 quick reps of your current action step (the last one you practised)")
    add_instance(practice)
    practice.add_argument("--model", metavar="PATH", help="a faster-whisper model folder (default: bundled tiny.en)")

    commands.add_parser("devices", help="list the microphones (input devices) rehearse can record from")

    export = commands.add_parser("export", help="attempts as CSV or JSON, or an archive of everything")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    export.add_argument("--teacher", metavar="NAME", help="only this teacher's attempts")
    export.add_argument("--step", metavar="ID", help="only this action step, e.g. pose-pause-name")
    export.add_argument("--from", dest="since", metavar="YYYY-MM-DD", help="sessions from this day")
    export.add_argument("--to", dest="until", metavar="YYYY-MM-DD", help="sessions up to this day")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of to the screen")
    export.add_argument("--archive", metavar="FILE.zip",
                        help="instead: the database and every recording in one zip, for `rehearse import`")
    add_instance(export)

    restore = commands.add_parser("import", help="add an archive from `rehearse export --archive`")
    restore.add_argument("archive", metavar="FILE.zip")
    add_instance(restore)

    listing = commands.add_parser("scenarios", help="list the action steps")
    listing.add_argument("--check", action="store_true", help="validate every scenario file")
    add_instance(listing, "whose own action steps (scenarios/) are listed too")
    return parser


def add_instance(command: argparse.ArgumentParser, what: str = "where the database and recordings are") -> None:
    command.add_argument("--instance", metavar="DIR",
                         help=f"the instance folder, {what} (default: REHEARSE_INSTANCE, "
                              "else ~/.local/share/rehearse)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "score":
            return score_files(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "practice":
            return practice(args)
        if args.command == "devices":
            return list_devices()
        if args.command == "export":
            return export(args)
        if args.command == "import":
            return import_archive(args)
        return list_scenarios(args.check, instance_folder(args.instance))
    except RehearseError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:  # a file to write or read: say which, and why
        print(f"rehearse: {exc.filename or 'file'}: {exc.strerror or exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        return 130


def score_files(args: argparse.Namespace) -> int:
    from .engine import Scorer
    from .names import parse_roster
    from .scenarios import get_scenario

    scenario = get_scenario(args.scenario, instance_folder(args.instance))
    roster = parse_roster(args.roster) if args.roster is not None else None
    scorer = Scorer(args.model)
    status = 0
    for path in args.files:
        try:
            result = scorer.score_file(path, scenario, roster)
        except RehearseError as exc:  # report this file, go on with the rest
            print(f"rehearse: {exc}", file=sys.stderr)
            status = BAD_INPUT
            continue
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(format_report(result, scenario.title), flush=True)
    return status


def format_report(result, title: str) -> str:
    """A short readable report: verdict, transcript, one line per criterion, the key figures."""
    from .report import evidence_lines, verdict_line

    return "\n".join([f"{result.file}: {title}: {verdict_line(result)}"] + evidence_lines(result))


def serve(args: argparse.Namespace) -> int:
    """Run the app on 127.0.0.1 only: recordings of teachers' voices stay on this laptop."""
    from werkzeug.serving import run_simple

    from .transcribe import find_model
    from .web import create_app

    find_model(args.model)  # no model: say so now, in one line, not on the first rep
    try:
        app = create_app({"INSTANCE": args.instance, "MODEL": args.model})
    except OSError as exc:
        raise RehearseError(f"cannot use the instance folder: {exc}") from None
    print(f"rehearse: data in {app.instance_path}", flush=True)
    print(f"rehearse: open http://127.0.0.1:{args.port} in your browser (Ctrl+C to stop)", flush=True)
    try:
        run_simple("127.0.0.1", args.port, app, threaded=True)
    except OSError as exc:  # the port is taken
        raise RehearseError(f"cannot serve on 127.0.0.1:{args.port} ({exc.strerror or exc}); "
                            "stop the other server or choose another --port") from None
    return 0


def practice(args: argparse.Namespace) -> int:
    """Practise alone: the microphone and the model are checked first, then who and what."""
    from .engine import Scorer
    from .microphone import choose_device
    from .practice import Keys, make_plan, practise
    from .store import Store
    from .transcribe import find_model

    device = choose_device(args.device)
    find_model(args.model)
    store = Store.open(instance_folder(args.instance))
    keys = Keys(sys.stdin)
    plan = make_plan(store, keys, sys.stdout, args.scenario, args.teacher, args.reps, args.roster, args.warm_up)
    return practise(store, Scorer(args.model), device, plan, keys, sys.stdout)


def list_devices() -> int:
    from .microphone import MicrophoneError, input_devices

    devices = input_devices()
    if not devices:
        raise MicrophoneError("no microphone found: no sound device can record; plug one in or switch it on "
                              "in the system's sound settings")
    print("Input devices (give the number or part of the name to rehearse practice --device):")
    for device in devices:
        print(device.describe())
    return 0


def instance_folder(instance: str | None):
    """The instance folder: --instance, else REHEARSE_INSTANCE, else the user's data folder."""
    from pathlib import Path

    from .store import default_instance

    return Path(instance).expanduser() if instance else default_instance()


def open_store(instance: str | None):
    """The store of an existing instance folder (export and import never make one by mistake)."""
    from .store import Store

    folder = instance_folder(instance)
    if not (folder / "rehearse.sqlite").is_file():
        raise RehearseError(f"no rehearse data in {folder}; give the folder with --instance "
                            "(it holds rehearse.sqlite and recordings/)")
    return Store.open(folder)


def export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import archive
    from .export import attempt_records, to_csv, to_json
    from .history import Filters, parse_day, step_with_id, teacher_named

    store = open_store(args.instance)
    if args.archive:
        counts = archive.write_archive(store, args.archive)
        print(f"rehearse: wrote {args.archive}: {counts['teachers']} teachers, {counts['sessions']} sessions, "
              f"{counts['attempts']} attempts, {counts['recordings']} recordings"
              + (f" ({counts['recordings_missing']} recordings were already missing)"
                 if counts["recordings_missing"] else ""), file=sys.stderr)
        return 0
    filters = Filters(teacher_named(store, args.teacher)["id"] if args.teacher else None,
                      step_with_id(store, args.step)["id"] if args.step else None,
                      parse_day(args.since, "--from"), parse_day(args.until, "--to"))
    records = attempt_records(store, filters)
    text = to_json(records) if args.format == "json" else to_csv(records)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"rehearse: wrote {len(records)} attempts to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def import_archive(args: argparse.Namespace) -> int:
    from . import archive
    from .store import Store

    folder = instance_folder(args.instance)
    store = Store.open(folder)  # importing onto a new laptop makes the folder
    c = archive.import_archive(store, args.archive)
    print(f"rehearse: imported into {folder}: {c['teachers']} new teachers, {c['sessions']} sessions, "
          f"{c['attempts']} attempts, {c['recordings']} recordings, {c['marks']} coach marks; "
          f"already here: {c['sessions_already_here']} sessions, {c['attempts_already_here']} attempts"
          + (f"; {c['recordings_missing']} recordings were not in the archive" if c["recordings_missing"] else ""))
    return 0


def list_scenarios(check: bool, instance) -> int:
    from .authoring import guidance
    from .scenarios import check_all

    good, bad = check_all(instance)
    for s in good:
        print(f"{s.id:22} {s.title}" + ("  (archived)" if s.archived else ""))
        if check:
            print(f"{'':22}   {s.path}")
            for c in s.criteria:
                print(f"{'':22}   - {c.description}")
            for warning in guidance(s):
                print(f"{'':22}   ! {warning}")
    for line in bad:
        print(f"rehearse: {line}", file=sys.stderr)
    if check:
        print(f"{len(good)} scenario files valid, {len(bad)} invalid", file=sys.stderr if bad else sys.stdout)
    return BAD_INPUT if bad else 0


if __name__ == "__main__":
    sys.exit(main())
