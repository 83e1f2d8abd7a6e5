"""Score a labelled set and print accuracy and speed figures (benchmarks/RESULTS.md's figures come from here).

    python benchmarks/score_clips.py [--set benchmarks/.labelled | --clips tests/clips]
                                     [--split dev|test|all] [--baseline REV] [--engine faster-whisper]
                                     [--speech-model PATH] [--figures FILE.json] [--show-misses]

The labelled set (benchmarks/labelled_set.py; made here if missing) is split into `dev`, to tune
on, and `test`, to report on and never tune on: other voices, names, questions and phrasings.
For each split, overall and per room (quiet, room tone, white noise at 20 and 10 dB, babble,
knocks, a distant microphone), it prints: wait-time error (median, p95, max, ms), the share of
attempts with a wait that got one, named-pupil accuracy, verdict accuracy, question found, seconds
per clip after the model is loaded, and peak memory. `--baseline REV` scores the same clips with
the engine as it was at git revision REV (in a worktree, in a process of its own) and prints its
figures beside. A CPU reference figure is printed too: this machine's speed varies with its
neighbours, so read every time against it. `--figures` writes the figures as JSON
(benchmarks/engines.py runs this once per engine and sets them side by side).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# `--rows` runs the scoring of another revision of rehearse: its root comes first on the path.
CODE_ROOT = Path(os.environ.get("REHEARSE_CODE_ROOT", ROOT))
sys.path.insert(0, str(CODE_ROOT))

try:
    from rehearse.scoring.audio import SAMPLE_RATE, load_audio  # noqa: E402
    from rehearse.scoring.pipeline import Scorer  # noqa: E402
    from rehearse.scoring.steps import get_step  # noqa: E402
    try:
        from rehearse.scoring.name_sounds import parse_roster  # noqa: E402
    except ImportError:  # a --baseline revision from before stage 4's modules were named for what they hold
        from rehearse.scoring.names import parse_roster  # noqa: E402
except ImportError:  # a --baseline revision from before the layer folders (issue 20)
    from rehearse.audio import SAMPLE_RATE, load_audio  # noqa: E402
    from rehearse.engine import Scorer  # noqa: E402
    from rehearse.names import parse_roster  # noqa: E402
    from rehearse.steps import get_step  # noqa: E402

LABELLED = ROOT / "benchmarks" / ".labelled"
SHIPPED = ROOT / "tests" / "clips"
QUIET_ROOMS = ("quiet", "room-tone", "clean")


def cpu_reference() -> float:
    """GFLOP/s of a float32 1000x1000 matrix product: how fast this machine is right now."""
    a = np.random.default_rng(0).random((1000, 1000), dtype=np.float32)
    start = time.perf_counter()
    for _ in range(10):
        a @ a
    return 10 * 2e9 / (time.perf_counter() - start) / 1e9


def load_set(args) -> tuple[Path, dict]:
    """The clips' folder and their labels, as {split: {"rosters": {...}, "clips": {...}}}."""
    if args.clips:  # the shipped clips (one voice, one roster): the old format, one split
        folder = Path(args.clips)
        old = json.loads((folder / "labels.json").read_text())
        clips = {name: {**label, "roster": "shipped", "room": label.get("noise", "quiet")}
                 for name, label in old["clips"].items()}
        return folder, {"shipped": {"rosters": {"shipped": old["roster"]}, "clips": clips}}
    folder = Path(args.set)
    if not (folder / "labels.json").is_file():
        print(f"making the labelled set in {folder} (benchmarks/labelled_set.py) ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "labelled_set.py"), "--out", str(folder)],
                       check=True)
    return folder, json.loads((folder / "labels.json").read_text())["splits"]


def clip_order(clips: dict) -> list[str]:
    """The clips in the order they are scored: as listed, but each sequence of reps by one voice
    (labelled_set.py's `sequence`) in the order its reps were said, so that what a rep teaches
    reaches the later ones."""
    return sorted(clips, key=lambda k: (clips[k].get("sequence") or "", clips[k].get("sequence_index") or 0, k))


def as_typed(entries: list[str]) -> list[str]:
    """A roster as a teacher types it: without the "(how it is said)" hints the set gives some names."""
    return [entry.split("(")[0].strip() for entry in entries]


def coach_taps(taught: dict[str, list], audio, result, truth: str | None) -> None:
    """A rep of a sequence whose pupil the engine did not get exactly right is corrected as the
    coach's one tap does: its name piece, cut where it sounds like the pupil, is learnt into
    `taught` (pupil -> sounds, the latest store.learnt.KEEP, as the store keeps them). A baseline
    revision from before learning.learnt_sound took the pupil cuts the piece where it can."""
    import inspect

    from rehearse.scoring.name_learning import learnt_sound
    from rehearse.store.learnt import KEEP
    if not truth or result.metrics.get("named_pupil") == truth:
        return
    by_pupil = len(inspect.signature(learnt_sound).parameters) > 2
    sound = learnt_sound(audio, result.to_dict(), truth) if by_pupil else learnt_sound(audio, result.to_dict())
    if sound is not None:
        taught[truth] = (taught.get(truth, []) + [sound])[-KEEP:]


def score_rows(folder: Path, splits: dict, wanted: list[str], engine: str, speech_model: str | None,
               cache: str | None = None, hints: bool = False) -> dict:
    """Score every clip of the wanted splits; one row of what the engine said per clip. `cache`: keep
    the speech model's answers in this file and reuse them (model_cache.py: for tuning on dev, not for times).
    `hints`: keep the rosters' "(how it is said)" hints (by default the rosters are typed plainly).

    In a sequence of reps by one voice, a rep whose pupil the engine did not get exactly right is
    corrected as a coach would, in one tap: its name piece is learnt for that voice (name_learning.py)
    and the later reps are scored with it, as the app does for a teacher."""
    try:
        from rehearse.scoring.name_sounds import with_learnt
    except ImportError:
        try:  # a --baseline revision from before stage 4's modules were named for what they hold
            from rehearse.scoring.names import with_learnt
        except ImportError:  # ... or from before learnt names
            with_learnt = None
    with tempfile.TemporaryDirectory(prefix="rehearse-bench-models-") as models:
        started = time.perf_counter()
        try:
            scorer = Scorer(speech_model, engine=engine, speech_models_dir=models)
        except TypeError:
            try:  # a --baseline revision from before "speech model" was its name
                scorer = Scorer(speech_model, engine=engine, models_dir=models)
            except TypeError:  # ... or from before the second engine
                scorer = Scorer(speech_model)
        if cache:
            from benchmarks.model_cache import CachedTranscriber
            scorer.transcriber = CachedTranscriber(scorer.transcriber, cache)
        convert_s = time.perf_counter() - started
        started = time.perf_counter()
        # load now, to time it apart from scoring (`model` in a --baseline revision from before the rename)
        getattr(scorer.transcriber, "speech_model", None) or scorer.transcriber.model
        load_s = time.perf_counter() - started
        rows = []
        for split in wanted:
            rosters = {k: parse_roster(v if hints else as_typed(v)) for k, v in splits[split]["rosters"].items()}
            learnt: dict[str, dict[str, list]] = {}  # per sequence: pupil -> sounds the coach's taps taught
            for name in clip_order(splits[split]["clips"]):
                label = splits[split]["clips"][name]
                audio = load_audio(folder / name)
                step = get_step(label["scenario"])
                roster = rosters[label["roster"]] if label.get("roster") in rosters else None
                if roster is None or label["scenario"] != "pose-pause-name" and label.get("pupil") is None:
                    roster = None  # other steps use their own roster unless the clip names a pupil
                taught = learnt.setdefault(label["sequence"], {}) if label.get("sequence") and with_learnt else None
                if taught and roster is not None:
                    roster = with_learnt(roster, taught)
                truth = label.get("pupil")
                learnt_before = bool(taught and truth in taught)
                wall, cpu = time.perf_counter(), time.process_time()
                result = scorer.score(audio, step, roster)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                m = result.metrics
                if taught is not None:
                    coach_taps(taught, audio, result, truth)
                rows.append({"split": split, "clip": name, "seconds": len(audio) / SAMPLE_RATE,
                             "wall_s": wall, "cpu_s": cpu, "wait": m.get("wait_time_s"),
                             "pupil": m.get("named_pupil"), "heard": m.get("name_heard"),
                             "unclear": m.get("name_unclear_likely"), "confidence": m.get("name_confidence"),
                             "early": m.get("named_before_question"),
                             "question": m.get("question"), "passed": result.passed,
                             "criteria": {v.id: v.passed for v in result.criteria},
                             "transcript": result.transcript, "learnt_before": learnt_before})
    return {"rows": rows, "load_s": load_s, "convert_s": convert_s,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def baseline_rows(rev: str, args, wanted: list[str]) -> dict:
    """Score the same clips with rehearse as it was at `rev`, in a worktree and a process of its own."""
    with tempfile.TemporaryDirectory(prefix="rehearse-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                       check=True, capture_output=True)
        try:
            out = Path(tmp) / "rows.json"
            command = [sys.executable, __file__, "--rows", str(out), "--split", *wanted, "--engine", args.engine]
            command += ["--hints"] if args.hints else []
            command += ["--clips", args.clips] if args.clips else ["--set", args.set]
            subprocess.run(command, check=True, env={**os.environ, "REHEARSE_CODE_ROOT": str(tree)})
            return json.loads(out.read_text())
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def figures(rows: list[dict], labels: dict) -> dict:
    """The accuracy figures of some scored clips against their labels."""
    ppn = [r for r in rows if labels[r["clip"]]["scenario"] == "pose-pause-name"]
    errors, with_wait, got_wait, misses = [], 0, 0, []
    for r in ppn:
        truth = labels[r["clip"]]
        if truth.get("wait_time") is not None:
            with_wait += 1
            if r["wait"] is not None:
                got_wait += 1
                errors.append(abs(r["wait"] - truth["wait_time"]) * 1000)
        if r["pupil"] != truth.get("pupil"):
            misses.append(f"{r['clip']}: named {r['pupil']!r} (heard {r['heard']!r}), truth {truth.get('pupil')!r}")
        elif (truth.get("wait_time") is None) != (r["wait"] is None):
            misses.append(f"{r['clip']}: wait {r['wait']}, truth {truth.get('wait_time')}")
    wrong = [r for r in rows if r["passed"] != labels[r["clip"]]["passed"]]
    misses += [f"{r['clip']}: passed={r['passed']}, truth {labels[r['clip']]['passed']}: "
               + ", ".join(f"{k}={v}" for k, v in r["criteria"].items()) + f" | said {r['transcript']!r}"
               for r in wrong]
    return {
        "clips": len(rows), "ppn": len(ppn),
        "wait_error_ms": {"median": pct(errors, 50), "p95": pct(errors, 95),
                          "max": max(errors, default=float("nan")), "n": len(errors)},
        "with_wait": with_wait, "got_wait": got_wait,
        "named_right": sum(r["pupil"] == labels[r["clip"]].get("pupil") for r in ppn),
        "verdict_right": len(rows) - len(wrong),
        "question_found": sum(r["question"] is not None for r in ppn),
        "misses": misses,
    }


def names_told(rows: list[dict], labels: dict) -> str:
    """What the coach sees about the pupil named after the wait, against the truth: the figures of
    issue 28's target. Wrong: a pupil reported who was not the one named (another pupil, or one
    where none was named). Right or offered: exactly right, or "unclear" with the right pupil among
    those offered for the one tap. Exactly right: the pupil named (or, where none was, no pupil
    and no "unclear"). After learning: reps of a sequence whose pupil a coach's tap had taught the
    app before. Name first: attempts with a name said before the question where "no name before the
    question" failed, and where nothing else failed that should not have."""
    ppn = [r for r in rows if labels[r["clip"]]["scenario"] == "pose-pause-name"]
    if not ppn:
        return "no pose-pause-name attempts"
    truth = lambda r: labels[r["clip"]].get("pupil")  # noqa: E731
    wrong = [r for r in ppn if r["pupil"] is not None and r["pupil"] != truth(r)]
    exact = [r for r in ppn if r["pupil"] == truth(r) and (truth(r) or not r.get("unclear"))]
    offered = [r for r in ppn if r["pupil"] is None and truth(r) and truth(r) in (r.get("unclear") or ())]
    later = [r for r in ppn if r.get("learnt_before")]
    first = [r for r in ppn if labels[r["clip"]].get("name_before_question")]
    caught = [r for r in first if r["criteria"].get("no_name_before_question") is False]
    clean = [r for r in caught if all(r["criteria"].get(k) == v for k, v in labels[r["clip"]].get("criteria", {}).items()
                                      if k != "no_name_before_question")]
    named = [r for r in ppn if truth(r)]
    return (f"wrong pupil {share(len(wrong), len(ppn))} ({sum(truth(r) is None for r in wrong)} where none was named); "
            f"right or offered {share(len(exact) + len(offered), len(ppn))}; exactly right {share(len(exact), len(ppn))} "
            f"(of attempts naming a pupil: {share(sum(truth(r) is not None for r in exact), len(named))}); "
            f"after learning {share(sum(r['pupil'] == truth(r) for r in later), len(later))}; "
            f"name first caught {share(len(caught), len(first))} ({len(clean)} with nothing else failed wrongly); "
            f"unclear where no pupil was named {sum(not truth(r) and bool(r.get('unclear')) for r in ppn)}")


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.0%}" if whole else "-"


def table(title: str, groups: dict[str, list[dict]], labels: dict, base: dict[str, list[dict]] | None) -> None:
    """One table: a line per group of clips, and the baseline's figures beside when given."""
    print(f"\n{title}")
    head = f"{'group':<12}{'clips':>6}  {'wait error ms (med/p95/max)':>28}  {'wait got':>14}  {'pupil':>15}  "\
           f"{'verdict':>15}  {'question':>15}"
    print(head + ("  | baseline: wait err, wait got, pupil, verdict" if base else ""))
    for group, rows in groups.items():
        f = figures(rows, labels)
        e = f["wait_error_ms"]
        line = (f"{group:<12}{f['clips']:>6}  {e['median']:>8.0f} /{e['p95']:>6.0f} /{e['max']:>7.0f}     "
                f"  {share(f['got_wait'], f['with_wait']):>14}  {share(f['named_right'], f['ppn']):>15}  "
                f"{share(f['verdict_right'], f['clips']):>15}  {share(f['question_found'], f['ppn']):>15}")
        if base:
            b = figures(base[group], labels)
            be = b["wait_error_ms"]
            line += (f"  | {be['median']:.0f}/{be['p95']:.0f}/{be['max']:.0f} ms, {share(b['got_wait'], b['with_wait'])}, "
                     f"{share(b['named_right'], b['ppn'])}, {share(b['verdict_right'], b['clips'])}")
        print(line)


def grouped(rows: list[dict], labels: dict) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {"all": rows}
    for r in rows:
        groups.setdefault(labels[r["clip"]].get("room", "quiet"), []).append(r)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(LABELLED), help="the labelled set (made here if missing)")
    parser.add_argument("--clips", help="score the shipped clips instead (tests/clips: one voice, one roster)")
    parser.add_argument("--split", nargs="+", default=["all"], help="dev, test or all (default)")
    parser.add_argument("--baseline", metavar="REV", help="also score with rehearse at this git revision")
    parser.add_argument("--engine", default="faster-whisper")
    parser.add_argument("--speech-model", "--model", dest="speech_model", metavar="PATH")
    parser.add_argument("--figures", metavar="FILE.json", help="also write the figures here")
    parser.add_argument("--show-misses", action="store_true", help="list every clip got wrong")
    parser.add_argument("--hints", action="store_true",
                        help="keep the rosters' \"(how it is said)\" hints (default: rosters as a teacher types them)")
    parser.add_argument("--cache", metavar="FILE.sqlite",
                        help="keep the speech model's answers here and reuse them (tuning on dev; its times mean nothing)")
    parser.add_argument("--rows", metavar="FILE.json", help=argparse.SUPPRESS)  # baseline_rows' worker
    args = parser.parse_args()

    folder, splits = load_set(args)
    wanted = list(splits) if args.split == ["all"] else args.split
    if args.rows:
        Path(args.rows).write_text(json.dumps(score_rows(folder, splits, wanted, args.engine, args.speech_model, None, args.hints)))
        return
    labels = {name: label for s in wanted for name, label in splits[s]["clips"].items()}
    gflops = cpu_reference()
    scored = score_rows(folder, splits, wanted, args.engine, args.speech_model, args.cache, args.hints)
    base = baseline_rows(args.baseline, args, wanted) if args.baseline else None
    gflops_after = cpu_reference()

    rows = scored["rows"]
    print(f"engine: {args.engine}; set: {folder}; splits: {', '.join(wanted)}; {len(rows)} clips")
    print(f"CPU reference: {gflops:.0f} GFLOP/s before, {gflops_after:.0f} after (float32 matmul; higher is faster)")
    for split in wanted:
        mine = [r for r in rows if r["split"] == split]
        theirs = grouped([r for r in base["rows"] if r["split"] == split], labels) if base else None
        table(f"split {split}" + (f" (baseline: {args.baseline})" if base else ""), grouped(mine, labels), labels, theirs)
        quiet = [r for r in mine if labels[r["clip"]].get("room", "quiet") in QUIET_ROOMS]
        e = figures(quiet, labels)["wait_error_ms"]
        print(f"  quiet rooms: wait error median {e['median']:.0f} ms, p95 {e['p95']:.0f} ms (n={e['n']})")
        print(f"  {names_told(mine, labels)}")
        if base:
            print(f"  baseline: {names_told([r for r in base['rows'] if r['split'] == split], labels)}")
    walls = [r["wall_s"] for r in rows]
    per10 = [r["wall_s"] / r["seconds"] * 10 for r in rows]
    print(f"\nmodel load: {scored['load_s']:.2f} s; scoring per clip (mean {np.mean([r['seconds'] for r in rows]):.1f} s "
          f"of audio): median {pct(walls, 50):.2f} s, p95 {pct(walls, 95):.2f} s, max {max(walls):.2f} s wall; "
          f"per 10 s of audio: median {pct(per10, 50):.2f} s, p95 {pct(per10, 95):.2f} s")
    print(f"peak memory (RSS, whole process): {scored['peak_mb']:.0f} MB"
          + (f"; baseline {base['peak_mb']:.0f} MB, per clip median "
             f"{pct([r['wall_s'] for r in base['rows']], 50):.2f} s" if base else ""))
    overall = figures(rows, labels)
    if args.show_misses:
        for line in overall["misses"]:
            print("  miss:", line)
    if args.figures:
        Path(args.figures).write_text(json.dumps({
            "engine": args.engine, "splits": wanted, "gflops": gflops, "load_s": scored["load_s"],
            "convert_s": scored["convert_s"], "per_clip_s": pct(walls, 50), "per_clip_p95_s": pct(walls, 95),
            "per_10s_s": pct(per10, 50), "peak_mb": scored["peak_mb"], **overall, "rows": rows,
            "baseline_rows": base["rows"] if base else None,
        }))


if __name__ == "__main__":
    main()
