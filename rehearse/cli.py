"""The `rehearse` command: parse options, build the engine, and turn engine errors into one line.

Exit status: 0 when scoring ran (whatever the verdicts), 2 for bad input (a missing, corrupt or
silent file, an unknown scenario, a bad roster, a malformed scenario file, no model).
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

    serve = commands.add_parser("serve", help="the rehearsal app in the browser (http://127.0.0.1:5000)")
    serve.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    serve.add_argument("--instance", metavar="DIR",
                       help="where the database and recordings go (default: REHEARSE_INSTANCE, "
                            "else ~/.local/share/rehearse)")
    serve.add_argument("--model", metavar="PATH", help="a faster-whisper model folder (default: bundled tiny.en)")

    listing = commands.add_parser("scenarios", help="list the action steps")
    listing.add_argument("--check", action="store_true", help="validate every scenario file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "score":
            return score_files(args)
        if args.command == "serve":
            return serve(args)
        return list_scenarios(args.check)
    except RehearseError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        return 130


def score_files(args: argparse.Namespace) -> int:
    from .engine import Scorer
    from .names import parse_roster
    from .scenarios import get_scenario

    scenario = get_scenario(args.scenario)
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
    met = sum(v.passed for v in result.criteria)
    lines = [f"{result.file}: {title}: {'PASSED' if result.passed else 'NOT YET'} "
             f"({met} of {len(result.criteria)} criteria met)",
             f'  said: "{result.transcript}"']
    for v in result.criteria:
        lines.append(f"  {'✓' if v.passed else '✗'} {v.id}: {v.detail}")
    m = result.metrics
    if m["wait_time_s"] is not None:
        lines.append(f"  wait time {m['wait_time_s']:.2f} s (question ended at {m['question_end_s']:.2f} s, "
                     f"{m['named_pupil']} named at {m['name_start_s']:.2f} s)")
    return "\n".join(lines)


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


def list_scenarios(check: bool) -> int:
    from .scenarios import check_all

    good, bad = check_all()
    for s in good:
        print(f"{s.id:22} {s.title}")
        if check:
            for c in s.criteria:
                print(f"{'':22}   - {c.description}")
    for line in bad:
        print(f"rehearse: {line}", file=sys.stderr)
    if check:
        print(f"{len(good)} scenario files valid, {len(bad)} invalid", file=sys.stderr if bad else sys.stdout)
    return BAD_INPUT if bad else 0


if __name__ == "__main__":
    sys.exit(main())
