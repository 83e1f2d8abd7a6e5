"""The `rehearse` command: parse options, build the engine, and turn engine errors into one line.

Exit status: 0 when scoring ran (whatever the verdicts), 2 for bad input (a missing, corrupt,
silent or too long file (`score --max-attempt-s`), an unknown action step, a bad roster, a malformed
step file, no speech model, an unknown teacher or date to export, a file that is not an archive or
one that is damaged, hostile or inconsistent (nothing is imported then); for `practice` and
`devices`: no PortAudio, no microphone, an unknown, busy or silent one; for `rescore`: an unknown
attempt id, or a recording that still cannot be scored; for `serve`: another --host without a
passcode, a port in use; for `passcode`: one under 8 characters; for `names` and `score --teacher`:
an unknown teacher, a pupil not on the class list, a recording with nothing said after the question).
`practice` stopped with Ctrl+C: 130.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from ..errors import RehearseError
from .common import BAD_INPUT, instance_folder, make_scorer, open_store
from .records import export, import_archive, rescore, save_report


def build_parser() -> argparse.ArgumentParser:
    from ..capture.live import MAX_ATTEMPT_S  # here, not at the top: importing the command stays light
    from ..scoring.audio import MAX_UPLOAD_MB
    from ..scoring.formats import labels

    parser = argparse.ArgumentParser(prog="rehearse", description="Rehearse a teaching action step by voice.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser("score", help="score recordings against an action step")
    score.add_argument("files", nargs="+", metavar="FILE", help=f"recordings ({labels()})")
    score.add_argument("--step", "--scenario", required=True, metavar="ID", help="the action step, e.g. pose-pause-name")
    score.add_argument("--roster", metavar="NAMES", help='class list replacing the step\'s: "Name,Name,..."')
    score.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    score.add_argument("--teacher", metavar="NAME", help="score as this teacher's reps are: with the names "
                       "their reps taught the app (`rehearse names list`), from --instance's data")
    score.add_argument("--max-attempt-s", type=positive, default=MAX_ATTEMPT_S, metavar="S",
                       help=f"longest recording scored: a longer one is refused (default {MAX_ATTEMPT_S})")
    add_speech_model(score)
    add_instance(score, "whose own action steps (scenarios/) are looked in too")

    serve = commands.add_parser("serve", help="the rehearsal app in the browser (http://127.0.0.1:5000)")
    serve.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to serve on (default 127.0.0.1: this laptop only); any other "
                            "address needs a passcode, set with `rehearse passcode`")
    serve.add_argument("--cert", metavar="FILE", help="TLS certificate (PEM): serve HTTPS, with --key")
    serve.add_argument("--key", metavar="FILE", help="the certificate's private key (PEM)")
    serve.add_argument("--max-upload-mb", type=positive, default=MAX_UPLOAD_MB, metavar="MB",
                       help=f"largest recording that can be uploaded (default {MAX_UPLOAD_MB})")
    serve.add_argument("--max-attempt-s", type=positive, default=MAX_ATTEMPT_S, metavar="S",
                       help=f"longest rep: a longer one is stopped and scored (default {MAX_ATTEMPT_S})")
    serve.add_argument("--no-analysis-worker", action="store_true",
                       help="queue lessons without analysing them here (a server's `rehearse analysis-worker` does)")
    add_instance(serve)
    add_speech_model(serve)

    secret = commands.add_parser("passcode", help="set the passcode that `serve --host` asks for on the network")
    secret.add_argument("--remove", action="store_true", help="forget the passcode")
    add_instance(secret)

    practice = commands.add_parser("practice", help="rehearse alone in the terminal, with the microphone")
    practice.add_argument("step", nargs="?", metavar="STEP",
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
    add_speech_model(practice)

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

    rescore = commands.add_parser("rescore", help="score again the attempts that could not be scored")
    rescore.add_argument("attempts", nargs="*", type=an_id, metavar="ATTEMPT_ID",
                         help="these attempts (the number in an attempt page's address, /attempts/ID); "
                              "default: every unscored attempt and step model or non-example")
    add_instance(rescore)
    add_speech_model(rescore)

    report = commands.add_parser("report", help="a rep or a session as one HTML file the teacher keeps "
                                 "(the recording inside; opens offline in any browser)")
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--attempt", type=an_id, metavar="ID", help="this rep (the number in /attempts/ID)")
    which.add_argument("--session", type=an_id, metavar="ID", help="every rep of this session")
    report.add_argument("-o", "--output", metavar="PATH",
                        help="the file to write, or a folder to write it in under its own name (default: here)")
    report.add_argument("--max-attempt-s", type=positive, default=MAX_ATTEMPT_S, metavar="S",
                        help="the most of each rep's recording put in the report, as `serve --max-attempt-s` "
                             f"allows a rep (default {MAX_ATTEMPT_S}); the rest of a longer one is left out")
    add_instance(report)

    names = commands.add_parser("names", help="the pupils' names the app has learnt, the way each teacher says them")
    learnt = names.add_subparsers(dest="names_command", required=True, metavar="ACTION")
    learn = learnt.add_parser("learn", help="learn how a teacher says a pupil's name from a recording of a rep")
    learn.add_argument("file", metavar="FILE",
                       help=f"a rep ({labels()}): the question, the wait, then the pupil's name")
    learn.add_argument("--pupil", required=True, metavar="NAME", help="the pupil named in it (on the class list)")
    learn.add_argument("--teacher", required=True, metavar="NAME", help="who is speaking")
    learn.add_argument("--step", "--scenario", required=True, metavar="ID", help="the action step, e.g. pose-pause-name")
    learn.add_argument("--roster", metavar="NAMES", help='class list replacing the step\'s: "Name,Name,..."')
    add_instance(learn)
    add_speech_model(learn)
    for action, what in (("list", "what the app has learnt of a teacher, and from which rep"),
                         ("forget", "forget what the app has learnt of a teacher (every name, or one pupil's)")):
        command = learnt.add_parser(action, help=what)
        command.add_argument("--teacher", required=True, metavar="NAME")
        if action == "forget":
            command.add_argument("--pupil", metavar="NAME", help="only this pupil's name (default: every one)")
        add_instance(command)

    from .observe import add_observe
    add_observe(commands, add_speech_model, add_instance)

    listing = commands.add_parser("steps", aliases=["scenarios"], help="list the action steps")
    listing.add_argument("--check", action="store_true", help="validate every step file")
    add_instance(listing, "whose own action steps (scenarios/) are listed too")
    return parser


def positive(text: str) -> float:
    """An argparse type: a number above 0 (a limit)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a number above 0")
    return value


def an_id(text: str) -> int:
    """An argparse type: an id as stored (ASCII digits, at most SQLite's largest integer)."""
    from ..store.history import MAX_ID, whole_number

    try:
        return whole_number(text, "id", 1, MAX_ID)
    except RehearseError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an attempt id (a whole number from 1 to {MAX_ID}); "
                                         "give the number in an attempt page's address") from None


def add_speech_model(command: argparse.ArgumentParser) -> None:
    """--engine and --speech-model, for every command that transcribes (--model, the option's old
    name, still works: scripts use it; --help leaves it out)."""
    from ..scoring.words import DEFAULT_ENGINE, ENGINES

    command.add_argument("--engine", choices=ENGINES, default=os.environ.get("REHEARSE_ENGINE") or DEFAULT_ENGINE,
                         help=f"what hears the words (default {DEFAULT_ENGINE}, or REHEARSE_ENGINE); "
                              "openai-whisper needs `pip install -e '.[openai]'`")
    command.add_argument("--speech-model", metavar="PATH",
                         help="the speech model that hears the words: faster-whisper: a CTranslate2 model folder; "
                              "openai-whisper: a checkpoint (.pt), a CTranslate2 folder to convert, or a model name "
                              "(default: REHEARSE_SPEECH_MODEL, else the bundled tiny.en; --model is its old name)")
    command.add_argument("--model", dest="speech_model", help=argparse.SUPPRESS)


def add_instance(command: argparse.ArgumentParser, what: str = "where the database and recordings are") -> None:
    command.add_argument("--instance", metavar="DIR",
                         help=f"the instance folder, {what} (default: REHEARSE_INSTANCE, "
                              "else ~/.local/share/rehearse)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; what it prints reaches the terminal without control characters (terminal.py)."""
    from .terminal import guarded_output  # here: `import rehearse.cli` stays light (tests/test_layout.py)

    with guarded_output():
        return command(argv)


def command(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "score":
            return score_files(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "passcode":
            return set_passcode(args)
        if args.command == "practice":
            return practice(args)
        if args.command == "devices":
            from .listing import list_devices
            return list_devices()
        if args.command == "export":
            return export(args)
        if args.command == "import":
            return import_archive(args)
        if args.command == "rescore":
            return rescore(args)
        if args.command == "report":
            return save_report(args)
        if args.command == "names":
            from .names import names
            return names(args)
        if args.command == "observe":
            from .observe import observe
            return observe(args)
        if args.command == "analysis-worker":
            from .observe import analysis_worker
            return analysis_worker(args)
        from .listing import list_steps
        return list_steps(args.check, instance_folder(args.instance))
    except RehearseError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:  # a file to write or read: say which, and why (a full disk as such)
        from ..store.faults import FULL, storage_problem

        why = storage_problem(exc) if exc.errno in FULL else exc.strerror or exc
        print(f"rehearse: {exc.filename or 'a file'}: {why}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        return 130


def score_files(args: argparse.Namespace) -> int:
    from ..scoring.name_sounds import parse_roster
    from ..scoring.steps import get_step

    step = get_step(args.step, instance_folder(args.instance))
    roster = parse_roster(args.roster) if args.roster is not None else None
    if args.teacher is not None:  # an unknown teacher (or no data): one line now, before the speech model loads
        from ..store import learnt
        from ..store.history import teacher_named

        store = open_store(args.instance)
        roster = learnt.roster_for(store, teacher_named(store, args.teacher)["id"], step.roster if roster is None else roster)
    scorer = make_scorer(args, max_file_s=args.max_attempt_s)
    status = 0
    for path in args.files:
        try:
            result = scorer.score_file(path, step, roster)
        except RehearseError as exc:  # report this file, go on with the rest
            print(f"rehearse: {exc}", file=sys.stderr)
            status = BAD_INPUT
            continue
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(format_report(result, step.title), flush=True)
    return status


def format_report(result, title: str) -> str:
    """A short readable report: verdict, transcript, one line per criterion, the key figures."""
    from .report import evidence_lines, verdict_line

    return "\n".join([f"{result.file}: {title}: {verdict_line(result)}"] + evidence_lines(result))


def serve(args: argparse.Namespace) -> int:
    """Run the app: on 127.0.0.1 by default, so recordings of teachers' voices stay on this laptop;
    on another --host only with a passcode set (and, with --cert and --key, over HTTPS). Once a
    passcode is set, it is asked for on 127.0.0.1 too (a laptop shared by several accounts).
    Gunicorn serves beyond loopback, Werkzeug on loopback; both time out slow clients (web/serving.py).
    One server per instance folder (instance_lock.py)."""
    from ..store import instance_lock
    from ..store.passcode import stored_hash
    from ..web import create_app, serving, warm_up

    make_scorer(args)  # no speech model (or no engine): say so now, in one line, not on the first rep
    loopback = is_loopback(args.host)
    if bool(args.cert) != bool(args.key):
        raise RehearseError("HTTPS needs both --cert and --key (PEM files); give both, or neither")
    instance = instance_folder(args.instance)
    if not loopback and not stored_hash(instance):
        raise RehearseError(f"serving on {args.host} lets other computers reach rehearse, so it needs a passcode: "
                            f"set one with `rehearse passcode --instance {instance}`, then start again")
    serving.request_pace()  # a bad REHEARSE_REQUEST_TIMEOUT_S (or _DEADLINE_S): say so before anything starts
    held = instance_lock.hold(instance, "serve")  # noqa: F841 - one server per folder, for as long as it runs
    serving.check(args.host, args.port, args.cert, args.key)  # the port taken, a PEM unusable
    try:
        app = create_app({"INSTANCE": instance, "SPEECH_MODEL": args.speech_model, "ENGINE": args.engine, "WARM_UP": False,
                          "REQUIRE_PASSCODE": not loopback or stored_hash(instance) is not None,
                          "LOOPBACK_ONLY": loopback, "HTTPS": bool(args.cert),
                          "MAX_CONTENT_LENGTH": int(args.max_upload_mb * 1024 * 1024),
                          "MAX_ATTEMPT_S": args.max_attempt_s, "ANALYSIS_WORKER": not args.no_analysis_worker})
    except OSError as exc:
        from ..store.faults import storage_problem

        raise RehearseError(f"cannot use the instance folder: {exc.filename or instance}: "
                            f"{storage_problem(exc, 'start again') or exc.strerror or exc}") from None
    scheme = "https" if args.cert else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"rehearse: data in {app.instance_path}", flush=True)
    if not loopback:
        print(f"rehearse: serving on {args.host}: other computers can reach it; each browser signs in "
              "with the passcode", flush=True)
        if not args.cert:
            print("rehearse: warning: plain HTTP on a network: the passcode and the recordings cross it "
                  "unencrypted; give --cert and --key to serve HTTPS", flush=True)
    print(f"rehearse: open {scheme}://{host}:{args.port} in your browser (Ctrl+C to stop)", flush=True)
    try:  # the speech model warms up in the process that serves (Gunicorn's worker, after it forks)
        serving.run(app, args.host, args.port, args.cert, args.key, loopback,
                    warm_up=lambda served: warm_up(served.extensions["rehearse"]["scorer"]))
    except OSError as exc:  # the address is not this computer's
        raise RehearseError(f"cannot serve on {host}:{args.port} ({exc.strerror or exc}); "
                            "stop the other server, or choose another --port or --host") from None
    return 0


def is_loopback(host: str) -> bool:
    """Is this address this computer only (127.0.0.0/8, ::1, localhost)? The same test as the web's
    host check, so that every address served as loopback is also answered at. A host name other
    than localhost is not: it may resolve to a network address."""
    from ..web.security import is_loopback_name

    return is_loopback_name(host)


def set_passcode(args: argparse.Namespace) -> int:
    """Set (or --remove) the passcode. Typed twice, unseen, at a terminal; else the first line of stdin."""
    import getpass

    from ..store import passcode

    instance = instance_folder(args.instance)
    if args.remove:
        removed = passcode.remove_passcode(instance)
        print(f"rehearse: {'passcode removed' if removed else 'there was no passcode'}; "
              "rehearse can be served on 127.0.0.1 only until a new one is set")
        return 0
    if sys.stdin.isatty():
        first = getpass.getpass("New passcode (at least 8 characters): ")
        if getpass.getpass("The same again: ") != first:
            raise RehearseError("the two passcodes differ; nothing was changed, run `rehearse passcode` again")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    path = passcode.set_passcode(instance, first)
    print(f"rehearse: passcode set (its hash is in {path}); browsers signed in with an earlier one must sign in again")
    return 0


def practice(args: argparse.Namespace) -> int:
    """Practise alone: the folder (not in use by a server), the microphone and the speech model are checked
    first, then who and what."""
    from ..capture.microphone import choose_device
    from ..store import instance_lock
    from ..reps import open_store
    from .practice import Keys, make_plan, practise

    held = instance_lock.hold(instance_folder(args.instance), "practice")  # noqa: F841 - while practising
    device = choose_device(args.device)
    scorer = make_scorer(args)
    store = open_store(instance_folder(args.instance))
    keys = Keys(sys.stdin)
    plan = make_plan(store, keys, sys.stdout, args.step, args.teacher, args.reps, args.roster, args.warm_up)
    return practise(store, scorer, device, plan, keys, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
