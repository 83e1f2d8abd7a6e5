"""How long a 30-minute lesson takes to observe, and how much memory: issue 31's targets are a
30-minute lesson in at most 5 minutes, in at most 500 MB.

    python benchmarks/observe_speed.py [--minutes 30] [--out DIR] [--formats m4a,wav] [--chunk-s 60]

1. A lesson-like recording is built once (kept in --out, default /tmp/rehearse-observe-speed): the
   teacher's speech (the labelled clips of tests/clips, at full level) and another voice (the
   recording of ../shared/audio, sped up 1.2x to sound younger, 12 dB quieter, as a pupil further
   from the phone) take turns with pauses of 0.4-3 s, now and then 5-20 s of working silence, over a
   room's noise (-50 dBFS, never digital silence). As a 16 kHz WAV and as the 48 kHz AAC (M4A) a
   phone gives.
2. Each format is observed in a fresh process (so that its memory is its own): LessonAudio.open
   (decoding to disk), .speech() (Silero VAD a window at a time), when rehearse.observe.lesson
   exists the Scorer's load (the speech model) and analyse_lesson (pose-pause-name, the clips'
   roster, no enrolled voice), and privacy.silence_spans (the kept FLAC with the other voice
   silenced: the analysis's, else the spans the recording was built with). The total counts the
   stages as the job runs them (analyse_lesson finds the speech itself). Seconds for each stage (and the CPU
   seconds the process used in it: on a machine shared with other work, the wall time stretches),
   and the process's resident memory: after the imports, and its peak (VmHWM) after each stage.
3. How far the windows move the speech's edges: the segments of .speech() with --chunk-s against
   those with windows four times as long, matched by overlap: the median and the 95th percentile of
   the edges' differences (each window measures the room's background around its own speech).
4. When benchmarks/lesson_set.py --long has made its 25-minute lesson (--lesson-set, default
   /work/lessons), the same stages on it (its pupils' labelled speech silenced), and how far the
   edges found lie from its labelled speech's (a rough figure: segments matched to the first
   labelled utterance they overlap; one segment may hold several utterances).

A CPU reference figure (float32 1000x1000 matmul, GFLOP/s) is printed before and after, because this
shared machine's speed varies with its neighbours.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.score_clips import cpu_reference  # noqa: E402
from rehearse.scoring.audio import SAMPLE_RATE, load_audio  # noqa: E402

TARGET_S, TARGET_MB = 5 * 60, 500
ROSTER = json.loads((ROOT / "tests" / "clips" / "labels.json").read_text())["roster"]  # the clips' class
PUPIL_SPEED = 1.2
PUPIL_DB = -12.0
ROOM_DBFS = -50.0


def build_lesson(minutes: float, out: Path, seed: int = 31) -> tuple[Path, list[tuple[float, float]]]:
    """The lesson-like 16 kHz WAV (made once) and where the other voice speaks in it."""
    wav, spans_file = out / f"lesson-{minutes:g}min.wav", out / f"lesson-{minutes:g}min.other.json"
    if wav.exists() and spans_file.exists():
        return wav, [tuple(s) for s in json.loads(spans_file.read_text())]
    rng = np.random.default_rng(seed)
    teacher = [load_audio(p) for p in sorted((ROOT / "tests" / "clips").glob("*.flac")) if "silent" not in p.name]
    voice = load_audio(ROOT.parent / "shared" / "audio" / "jfk.flac")
    pupil = np.interp(np.arange(0, len(voice), PUPIL_SPEED), np.arange(len(voice)), voice).astype(np.float32)
    pupil *= np.float32(10 ** (PUPIL_DB / 20))
    total = int(minutes * 60 * SAMPLE_RATE)
    other: list[tuple[float, float]] = []
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        at = 0

        def put(samples: np.ndarray) -> None:
            nonlocal at
            samples = samples[: total - at]
            noise = rng.normal(0, 10 ** (ROOM_DBFS / 20), len(samples)).astype(np.float32)
            w.writeframes((np.clip(samples + noise, -1, 1) * 32767).astype("<i2").tobytes())
            at += len(samples)

        def pause(low: float, high: float) -> None:
            put(np.zeros(int(rng.uniform(low, high) * SAMPLE_RATE), dtype=np.float32))

        while at < total:
            put(teacher[rng.integers(len(teacher))])
            pause(0.4, 3.0)
            if rng.random() < 0.6:
                length = int(rng.uniform(1.0, 4.0) * SAMPLE_RATE)
                begin = int(rng.integers(0, len(pupil) - length))
                start = at / SAMPLE_RATE
                put(pupil[begin: begin + length])
                other.append((start, min(at, total) / SAMPLE_RATE))
                pause(0.4, 2.0)
            if rng.random() < 0.1:
                pause(5.0, 20.0)
    spans_file.write_text(json.dumps(other))
    return wav, other


def encode_m4a(wav: Path) -> Path:
    """The lesson as a phone records it: AAC at 48 kHz in an M4A (made once)."""
    import av

    m4a = wav.with_suffix(".m4a")
    if m4a.exists():
        return m4a
    with av.open(str(wav)) as source, av.open(str(m4a), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=48000, layout="mono")
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=48000)
        for frame in source.decode(audio=0):
            frame.pts = None
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return m4a


MEASURE = r"""
import json, resource, sys, time
from pathlib import Path

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

import av, numpy, faster_whisper.vad  # imported before the first reading: only the work is measured
from rehearse.observe.lesson_audio import LessonAudio
from rehearse.observe.privacy import silence_spans
source, work, spans, chunk_s = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4])
roster = json.loads(sys.argv[5])
out = {"imports_mb": rss("VmRSS"), "stages": []}

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def stage(name, run):
    start, cpu_start = time.perf_counter(), cpu()
    result = run()
    out["stages"].append({"stage": name, "s": time.perf_counter() - start, "cpu_s": cpu() - cpu_start,
                          "peak_mb": rss("VmHWM")})
    return result

audio = stage("LessonAudio.open (decode to disk)", lambda: LessonAudio.open(source, work_dir=work))
out["duration_s"] = audio.duration_s
segments = stage(f".speech() ({chunk_s:g} s windows)", lambda: audio.speech(chunk_s=chunk_s))
out["segments"] = [[s.start, s.end] for s in segments]
import importlib
try:  # by name: the module is the analysis helper's, and may not be on this branch yet
    analyse_lesson = importlib.import_module("rehearse.observe.lesson").analyse_lesson
except (ImportError, AttributeError):
    analyse_lesson = None
    out["analysis"] = "rehearse.observe.lesson.analyse_lesson is not on this branch yet"
if analyse_lesson is not None and roster is not None:
    from rehearse.observe.privacy import other_voice_spans
    from rehearse.scoring.name_sounds import parse_roster
    from rehearse.scoring.pipeline import Scorer
    from rehearse.scoring.steps import get_step
    scorer = stage("Scorer() (its model loads at first use)", Scorer)
    analysis = stage("analyse_lesson (its own .speech() too)",
                     lambda: analyse_lesson(audio, get_step("pose-pause-name"), parse_roster(roster), scorer)).to_json()
    out["analysis_found"] = {"questions": len(analysis["questions"]), "talk": analysis["talk"],
                             "other_turns": sum(t["who"] == "other" for t in analysis["timeline"])}
    spans = other_voice_spans(analysis)
stage("privacy.silence_spans (kept FLAC)", lambda: silence_spans(audio, spans, work / "kept.flac"))
audio.close()
print(json.dumps(out))
"""


def measure(source: Path, spans: list, chunk_s: float, out: Path, roster: list[str] | None = ROSTER) -> dict:
    """Observe `source` in a fresh process: its stages' seconds and peak memory, and its segments.
    `spans`: the other voice's, silenced in the kept copy unless the analysis runs (then its own);
    `roster`: the class the analysis is given (None: no analysis)."""
    work = out / f"work-{source.suffix[1:]}"
    work.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(source), str(work), json.dumps(spans), str(chunk_s),
                           json.dumps(roster)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{source.name}: the measuring process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def edge_differences(ours: list, longer: list) -> list[float]:
    """For each segment of `ours` that overlaps one of `longer`, how far its two edges moved (s)."""
    diffs, j = [], 0
    for start, end in ours:
        while j < len(longer) and longer[j][1] <= start:
            j += 1
        if j < len(longer) and longer[j][0] < end:
            diffs += [abs(start - longer[j][0]), abs(end - longer[j][1])]
    return diffs


def lesson_set_long(folder: Path) -> tuple[Path, list, list, list] | None:
    """The lesson set's long lesson (benchmarks/lesson_set.py --long), its pupils' spans, all its
    labelled speech spans and its roster; None when it has not been made."""
    labels = folder / "long" / "labels.json"
    if not labels.exists():
        return None
    lesson = json.loads(labels.read_text())["lessons"][0]
    speech = [(s["start"], s["end"]) for s in lesson["speech"]]
    pupils = [(s["start"], s["end"]) for s in lesson["speech"] if s["who"] == "pupil"]
    return folder / "long" / lesson["file"], pupils, speech, lesson["roster"]


def report(name: str, source: Path, result: dict) -> None:
    # As the job runs it: the analysis finds the speech itself, so the stand-alone .speech() is not counted.
    counted = [s for s in result["stages"] if "analysis_found" not in result or not s["stage"].startswith(".speech()")]
    total, cpu_total = sum(s["s"] for s in counted), sum(s["cpu_s"] for s in counted)
    peak = max(s["peak_mb"] for s in result["stages"])
    print(f"\n{name} ({source.stat().st_size / 2**20:.0f} MB, {result['duration_s'] / 60:.1f} min): "
          f"after the imports {result['imports_mb']:.0f} MB resident")
    for s in result["stages"]:
        print(f"  {s['stage']:40} {s['s']:7.1f} s ({s['cpu_s']:6.1f} s of CPU)   peak so far {s['peak_mb']:5.0f} MB")
    if "analysis" in result:
        print(f"  ({result['analysis']})")
    if "analysis_found" in result:
        print(f"  the analysis found: {json.dumps(result['analysis_found'])}")
    print(f"  {'total':40} {total:7.1f} s ({cpu_total:6.1f} s of CPU)   peak {peak:.0f} MB  "
          f"(target: <= {TARGET_S} s, <= {TARGET_MB} MB; {len(result['segments'])} speech segments)")


def print_edges(label: str, diffs: list[float]) -> None:
    if diffs:
        print(f"{label}: median {np.median(diffs) * 1000:.0f} ms, p95 {np.percentile(diffs, 95) * 1000:.0f} ms, "
              f"{np.mean(np.array(diffs) <= 0.010) * 100:.0f}% within 10 ms, "
              f"{np.mean(np.array(diffs) <= 0.060) * 100:.0f}% within 60 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--out", type=Path, default=Path("/tmp/rehearse-observe-speed"))
    parser.add_argument("--formats", default="m4a,wav")
    parser.add_argument("--chunk-s", type=float, default=60.0)
    parser.add_argument("--lesson-set", type=Path, default=Path("/work/lessons"),
                        help="also the long lesson of benchmarks/lesson_set.py --long, when it is there")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    before = cpu_reference()
    started = time.perf_counter()
    wav, other = build_lesson(args.minutes, args.out)
    sources = {"wav": wav}
    if "m4a" in args.formats:
        sources["m4a"] = encode_m4a(wav)
    print(f"lesson-like recording: {args.minutes:g} min, {len(other)} turns of the other voice "
          f"(built or found in {time.perf_counter() - started:.0f} s: {args.out})")
    results = {}
    for kind in args.formats.split(","):
        results[kind] = measure(sources[kind], other, args.chunk_s, args.out)
        report(kind.upper(), sources[kind], results[kind])
    first = args.formats.split(",")[0]
    longer = measure(sources[first], other, args.chunk_s * 4, args.out, roster=None)
    print()
    print_edges(f"edges with {args.chunk_s:g} s windows against {args.chunk_s * 4:g} s "
                f"({len(results[first]['segments'])} and {len(longer['segments'])} segments)",
                edge_differences(results[first]["segments"], longer["segments"]))
    found = lesson_set_long(args.lesson_set)
    if found:
        source, pupils, speech, roster = found
        result = measure(source, pupils, args.chunk_s, args.out, roster)
        report(f"the lesson set's long lesson, {source.name}", source, result)
        print_edges(f"  edges against its labelled speech ({len(result['segments'])} segments found, "
                    f"{len(speech)} labelled, matched by overlap)", edge_differences(result["segments"], speech))
    print(f"\nCPU reference: {before:.0f} GFLOP/s before, {cpu_reference():.0f} GFLOP/s after (float32 1000x1000 matmul)")


if __name__ == "__main__":
    main()
