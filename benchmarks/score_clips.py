"""Score the labelled clips and print accuracy and speed figures (the README's figures come from here).

    python benchmarks/score_clips.py [--clips tests/clips] [--engine faster-whisper] [--model PATH]
                                     [--repeat 1] [--figures FILE.json]

Prints, over the pose-pause-name clips (clean and 20 dB noise, 25-name roster): wait-time error
(median, p95, max, ms) of the app and, side by side, of the naive method (the gap between Whisper
word timestamps); named-pupil accuracy; verdict accuracy; seconds per clip and real-time factor
after the model is loaded; model load time; peak memory. Also a CPU reference figure, because this
machine's speed varies with its neighbours: read the timings against it. `--figures` also writes
the figures as JSON (benchmarks/engines.py runs this once per engine and sets them side by side).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearse.audio import SAMPLE_RATE, load_audio  # noqa: E402
from rehearse.engine import Scorer  # noqa: E402
from rehearse.names import parse_roster  # noqa: E402
from rehearse.scenarios import get_scenario  # noqa: E402
from rehearse.transcribe import ENGINES  # noqa: E402


def cpu_reference() -> float:
    """GFLOP/s of a float32 1000x1000 matrix product: how fast this machine is right now."""
    a = np.random.default_rng(0).random((1000, 1000), dtype=np.float32)
    start = time.perf_counter()
    for _ in range(10):
        a @ a
    return 10 * 2e9 / (time.perf_counter() - start) / 1e9


def naive_wait(result) -> float | None:
    """The pause as word timestamps tell it: from the question's last word to the name's first."""
    m = result.metrics
    if m["question_end_s"] is None or m["name_start_s"] is None:
        return None
    before = [w for w in result.words if w.end <= m["question_end_s"] + 0.6]
    after = [w for w in result.words if w.start >= m["name_start_s"] - 0.6]
    if not before or not after:
        return None
    return after[0].start - before[-1].end


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default=str(ROOT / "tests" / "clips"))
    parser.add_argument("--engine", default="faster-whisper", choices=ENGINES)
    parser.add_argument("--model")
    parser.add_argument("--figures", metavar="FILE.json", help="also write the figures here")
    parser.add_argument("--repeat", type=int, default=1, help="score every clip this many times (speed)")
    args = parser.parse_args()

    clips = Path(args.clips)
    labels = json.loads((clips / "labels.json").read_text())
    roster = parse_roster(labels["roster"])
    with tempfile.TemporaryDirectory(prefix="rehearse-bench-models-") as models:
        convert_s = time.perf_counter()
        scorer = Scorer(args.model, engine=args.engine, models_dir=models)  # openai-whisper: converts here
        convert_s = time.perf_counter() - convert_s
        return measure(args, clips, labels, roster, scorer, convert_s)


def measure(args, clips: Path, labels: dict, roster, scorer: Scorer, convert_s: float) -> None:
    gflops = cpu_reference()

    start = time.perf_counter()
    scorer.transcriber.model  # load now, to time it apart from scoring
    load_s = time.perf_counter() - start

    rows = []
    for name, label in labels["clips"].items():
        scenario = get_scenario(label["scenario"])
        audio = load_audio(clips / name)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            c0 = time.process_time()
            result = scorer.score(audio, scenario, roster if label["scenario"] == "pose-pause-name" else None)
            times.append((time.perf_counter() - t0, time.process_time() - c0))
        rows.append((name, label, result, len(audio) / SAMPLE_RATE, times))

    ppn = [r for r in rows if r[1]["scenario"] == "pose-pause-name"]
    app_err, naive_err, wrong = [], [], []
    for name, label, result, _, _ in ppn:
        got = result.metrics["wait_time_s"]
        if label["wait_time"] is not None and got is not None:
            app_err.append(abs(got - label["wait_time"]) * 1000)
            naive = naive_wait(result)
            if naive is not None:
                naive_err.append(abs(naive - label["wait_time"]) * 1000)
        if result.metrics["named_pupil"] != label["pupil"]:
            wrong.append(f"{name}: named {result.metrics['named_pupil']!r}, truth {label['pupil']!r} "
                         f"(heard {result.metrics['name_heard']!r}; said {result.transcript!r})")
        if (label["wait_time"] is None) != (got is None):
            wrong.append(f"{name}: wait time {got}, truth {label['wait_time']}")
    verdict_wrong = [f"{n}: passed={r.passed}, truth {l['passed']}: "
                     + "; ".join(f"{v.id}={v.passed}" for v in r.criteria)
                     for n, l, r, _, _ in rows if r.passed != l["passed"]]
    named_right = sum(r.metrics["named_pupil"] == l["pupil"] for _, l, r, _, _ in ppn)

    walls = [t[0] for *_, times in rows for t in times]
    cpus = [t[1] for *_, times in rows for t in times]
    seconds = [d for *_, d, times in rows for _ in times]
    per10 = [w / d * 10 for w, d in zip(walls, seconds)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"engine: {args.engine}; clips: {len(rows)} ({len(ppn)} pose-pause-name, clean and 20 dB noise), "
          f"roster {len(roster)} names")
    print(f"CPU reference now: {gflops:.0f} GFLOP/s (float32 matmul; higher is faster)")
    print(f"wait-time error, app (VAD edges)    : median {pct(app_err, 50):5.0f} ms  p95 {pct(app_err, 95):5.0f} ms"
          f"  max {max(app_err, default=float('nan')):5.0f} ms  (n={len(app_err)})")
    print(f"wait-time error, naive (word times) : median {pct(naive_err, 50):5.0f} ms  p95 {pct(naive_err, 95):5.0f} ms"
          f"  max {max(naive_err, default=float('nan')):5.0f} ms  (n={len(naive_err)})")
    print(f"named pupil right: {named_right}/{len(ppn)} = {named_right / len(ppn):.0%}")
    print(f"verdict right    : {len(rows) - len(verdict_wrong)}/{len(rows)} = {1 - len(verdict_wrong) / len(rows):.0%}")
    print(f"model load: {load_s:.2f} s" + (f" (after {convert_s:.1f} s finding and converting the checkpoint)"
                                            if convert_s >= 0.5 else ""))
    print(f"scoring, per clip (mean {statistics.mean(seconds):.1f} s of audio): median {pct(walls, 50):.2f} s wall, "
          f"{pct(cpus, 50):.2f} s CPU; p95 {pct(walls, 95):.2f} s wall")
    print(f"per 10 s of audio: median {pct(per10, 50):.2f} s; real-time factor {pct(walls, 50) / statistics.mean(seconds):.3f}")
    if args.repeat > 1:  # the best run of each clip: the machine's speed when its neighbours are quiet
        best10 = [min(t[0] for t in times) / d * 10 for *_, d, times in rows]
        print(f"best of {args.repeat} runs per clip, per 10 s of audio: median {pct(best10, 50):.2f} s, "
              f"p95 {pct(best10, 95):.2f} s")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    for line in wrong + verdict_wrong:
        print("  miss:", line)
    if args.figures:
        Path(args.figures).write_text(json.dumps({
            "engine": args.engine, "clips": len(rows), "ppn": len(ppn), "gflops": gflops,
            "load_s": load_s, "convert_s": convert_s, "per_clip_s": pct(walls, 50), "per_clip_p95_s": pct(walls, 95),
            "per_10s_s": pct(per10, 50), "peak_mb": peak_mb,
            "wait_error_ms": {"median": pct(app_err, 50), "p95": pct(app_err, 95), "max": max(app_err, default=None),
                              "n": len(app_err)},
            "named_right": named_right, "verdict_right": len(rows) - len(verdict_wrong), "misses": wrong + verdict_wrong,
        }))


if __name__ == "__main__":
    main()
