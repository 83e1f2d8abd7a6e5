"""Who is speaking, measured: teacher vs another voice per 0.5 s frame, for each voice method.

On the labelled lesson set (benchmarks/lesson_set.py's output, default /work/lessons/{dev,test}:
labels.json with each lesson's speech spans, who = teacher | pupil, and the teacher's enrolment
files, i.e. their rehearsal reps). The lessons' voices: piper, espeak-ng, flite and festival
voices as teachers and pupils; pupils made younger (pitch up), farther (low-pass, reverberation)
and quieter; a classroom's murmur, scrapes and knocks. No voice is in both dev and test (checked
here). Tune on dev; test is only reported.

For each method ("encoder": resemblyzer's speaker encoder in numpy; "gmm": the MFCC + Gaussian
mixture baseline) and each way of knowing the teacher ("reps": enrolled from the enrolment files;
"dominant": no enrolment, the lesson's dominant near voice), who_speaks labels the lesson's speech
segments (the true speech spans, joined where the gap is under 0.3 s as the VAD joins them, so a
call-out right after the teacher shares the teacher's segment). Each 0.5 s frame that is mostly
speech counts once: accuracy, and the recall of the teacher's frames and of the others' frames
(the pupils' speech is the smaller share, so its recall is printed apart). Speed: the lesson's
length over who_speaks's time (x real time), beside a CPU reference.

    .venv/bin/python benchmarks/voice_check.py [--split dev test] [--method encoder gmm]
        [--mode reps dominant] [--limit N] [--lessons /work/lessons]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.score_clips import cpu_reference  # noqa: E402
from rehearse.observe.voices import enrol, who_speaks  # noqa: E402
from rehearse.scoring.speech import Segment  # noqa: E402

SR = 16000
FRAME_S = 0.5
JOIN_GAP_S = 0.3  # the VAD's min_silence_s: speech closer than this is one segment


def decode(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio
    return decode_audio(str(path), sampling_rate=SR)


def segments_of(speech: list[dict]) -> list[Segment]:
    out: list[list[float]] = []
    for span in sorted(speech, key=lambda s: s["start"]):
        if out and span["start"] - out[-1][1] < JOIN_GAP_S:
            out[-1][1] = max(out[-1][1], span["end"])
        else:
            out.append([span["start"], span["end"]])
    return [Segment(a, b) for a, b in out]


def coverage(spans: list[tuple[float, float, str]], start: float, end: float) -> dict[str, float]:
    """Seconds of [start, end) covered by each label."""
    out: dict[str, float] = {}
    for a, b, who in spans:
        overlap = min(b, end) - max(a, start)
        if overlap > 0:
            out[who] = out.get(who, 0.0) + overlap
    return out


def frame_counts(truth: list[dict], stretches, duration: float) -> np.ndarray:
    """[[teacher frames right, teacher frames], [other frames right, other frames]]."""
    true_spans = [(s["start"], s["end"], "teacher" if s["who"] == "teacher" else "other") for s in truth]
    said = [(s.start, s.end, s.who) for s in stretches]
    counts = np.zeros((2, 2), dtype=int)
    for start in np.arange(0.0, duration, FRAME_S):
        end = start + FRAME_S
        true = coverage(true_spans, start, end)
        if sum(true.values()) < FRAME_S / 2:
            continue
        who = max(true, key=true.get)
        heard = coverage(said, start, end)
        guess = max(heard, key=heard.get) if heard else None
        row = 0 if who == "teacher" else 1
        counts[row, 1] += 1
        counts[row, 0] += guess == who
    return counts


def load_split(folder: Path) -> list[dict]:
    labels = json.loads((folder / "labels.json").read_text())
    return [dict(lesson, folder=str(folder)) for lesson in labels["lessons"]]


def voices_of(lessons: list[dict]) -> set[str]:
    return {l["teacher_voice"] for l in lessons} | {p["voice"] for l in lessons for p in l.get("pupil_voices", [])}


def run(lessons: list[dict], method: str, mode: str) -> dict:
    counts = np.zeros((2, 2), dtype=int)
    seconds = spent = enrol_spent = enrolled = 0.0
    per_lesson = []
    for lesson in lessons:
        folder = Path(lesson["folder"])
        audio = decode(folder / lesson["file"])
        profile = None
        if mode == "reps":
            pieces = [decode(folder / f) for f in lesson["enrolment"]]
            began = time.perf_counter()
            profile = enrol(pieces, method=method)
            enrol_spent += time.perf_counter() - began
            enrolled += sum(len(p) for p in pieces) / SR
        segments = segments_of(lesson["speech"])
        began = time.perf_counter()
        stretches, _ = who_speaks(lambda a, b: audio[int(a * SR): int(b * SR)], segments, profile, method=method)
        spent += time.perf_counter() - began
        seconds += len(audio) / SR
        c = frame_counts(lesson["speech"], stretches, len(audio) / SR)
        counts += c
        per_lesson.append((lesson["file"], c[:, 0].sum() / max(c[:, 1].sum(), 1)))
    return {"counts": counts, "x_real_time": seconds / max(spent, 1e-9), "lessons": len(lessons),
            "audio_s": seconds, "enrol_x": enrolled / max(enrol_spent, 1e-9) if enrolled else None,
            "worst": sorted(per_lesson, key=lambda x: x[1])[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", default="/work/lessons")
    parser.add_argument("--split", nargs="+", default=["dev", "test"])
    parser.add_argument("--method", nargs="+", default=["encoder", "gmm"])
    parser.add_argument("--mode", nargs="+", default=["reps", "dominant"])
    parser.add_argument("--limit", type=int, default=0, help="at most this many lessons per split")
    args = parser.parse_args()
    root = Path(args.lessons)
    splits = {s: load_split(root / s) for s in args.split if (root / s / "labels.json").exists()}
    if not splits:
        raise SystemExit(f"no labelled lessons under {root}: make them with benchmarks/lesson_set.py")
    if {"dev", "test"} <= splits.keys():
        shared = voices_of(splits["dev"]) & voices_of(splits["test"])
        print(f"voices in both dev and test: {sorted(shared) or 'none'}")
    print(f"CPU reference before: {cpu_reference():.0f} GFLOP/s (float32 1000x1000 matmul)")
    for split, lessons in splits.items():
        lessons = lessons[: args.limit] if args.limit else lessons
        print(f"\n{split}: {len(lessons)} lessons; teachers {sorted({l['teacher_voice'] for l in lessons})}")
        for method in args.method:
            for mode in args.mode:
                r = run(lessons, method, mode)
                (t_ok, t_all), (o_ok, o_all) = r["counts"]
                enrol_note = f", enrolment {r['enrol_x']:.0f}x" if r["enrol_x"] else ""
                print(f"  {method:8s} {mode:9s} accuracy {(t_ok + o_ok) / (t_all + o_all):.3f} "
                      f"(teacher {t_ok / max(t_all, 1):.3f} of {t_all}, others {o_ok / max(o_all, 1):.3f} of {o_all} "
                      f"frames); {r['x_real_time']:.0f}x real time{enrol_note}; "
                      f"worst {', '.join(f'{f} {a:.2f}' for f, a in r['worst'])}", flush=True)
    print(f"\nCPU reference after: {cpu_reference():.0f} GFLOP/s")


if __name__ == "__main__":
    main()
