"""How accurately the app observes a lesson: analyse the labelled lesson stretches and compare with the truth.

    python benchmarks/observe_accuracy.py --split dev|test|long [--set DIR] [--limit N] [--modes reps dominant]
                                          [--figures FILE.json] [--show-misses]

The set is benchmarks/lesson_set.py's (default /work/lessons; DIR/dev/labels.json, DIR/test/labels.json).
Each lesson is analysed by rehearse.observe.lesson.analyse_lesson twice: with the teacher's voice
enrolled from the lesson's enrolment files (rehearse.observe.voices.enrol; "reps", as when the teacher
has rehearsed) and without ("dominant": the dominant near voice is taken for the teacher). Printed per
mode, against the labels, with the targets of issue 31:

    questions posed   recall and precision (a found posed question matches a labelled one when its end
                      is within +-1 s; one to one, nearest first)                     target >= 90% each
    confusions        procedural questions found as posed, posed found as procedural, tags found as posed,
                      "Anyone?"-type follow-ups found as posed (counted in precision too)
    wait error        found wait - true wait on matched questions whose label has a next_speech: median
                      and p95 of its size, ms (a matched question with no wait found is counted apart)
                                                                          target median <= 100, p95 <= 300
    named pupil       right: of matched questions whose label names a pupil, the same pupil found  >= 90%
                      wrong: of matched questions, another pupil than the label's (a null label and a
                      found name counts, except the pupil named after a call-out or after the rephrase
                      of a question asked again)                                               <= 2%
    call-outs         of matched questions with a call-out, found as a call-out                   >= 90%
    talk              |teacher talk found - true| / duration, points, per lesson: the max           <= 3
    time              seconds of analysis per lesson, x real time, with the CPU reference (GFLOP/s)

Tune only on dev. Run on test only to report: once you look at why a test lesson fails and change the
engine for it, test is just another dev set.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.score_clips import cpu_reference  # noqa: E402

DEFAULT_SET = Path("/work/lessons")
MATCH_S = 1.0
FOLLOW_UPS = ("no-name",)  # the teacher's own follow-up ("Anyone?") after a posed question


def match(truth: list[float], found: list[float], within: float = MATCH_S) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, found index) whose ends are within `within` s, nearest first."""
    pairs = sorted((abs(t - f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found) if abs(t - f) <= within)
    used_t, used_f, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((i, j))
    return sorted(out)


def also_right(posed: list[dict], i: int) -> set:
    """Names not wrong for a question whose label names none: the pupil named after a call-out ("Hands up,
    please. Jo?"), and for a question asked again, the pupil named after the rephrase."""
    q = posed[i]
    names = {q.get("named_after_call_out")}
    if q["rephrased"] and i + 1 < len(posed):
        names |= {posed[i + 1]["named_pupil"], posed[i + 1].get("named_after_call_out")}
    return names - {None}


def compare(label: dict, found: dict) -> dict:
    """What one lesson's analysis (LessonAnalysis.to_json()) got right and wrong against its label."""
    posed = [q for q in label["questions"] if q["kind"] == "posed"]
    procedural = [q for q in label["questions"] if q["kind"] == "procedural"]
    f_posed = [q for q in found["questions"] if q.get("kind", "posed") == "posed"]
    f_proc = [q for q in found["questions"] if q.get("kind") == "procedural"]
    pairs = match([q["end"] for q in posed], [q["end"] for q in f_posed])
    matched_f = {j for _, j in pairs}
    unmatched = [q["end"] for j, q in enumerate(f_posed) if j not in matched_f]
    follow_ups = [s["end"] for s in label["speech"] if s["kind"] in FOLLOW_UPS]
    row = {"file": label["file"], "posed": len(posed), "found": len(f_posed), "matched": len(pairs),
           "procedural_as_posed": len(match([q["end"] for q in procedural], unmatched)),
           "tag_as_posed": len(match([t["end"] for t in label["tags"]], unmatched)),
           "follow_up_as_posed": len(match(follow_ups, unmatched)),
           "posed_as_procedural": len(match([q["end"] for q in posed], [q["end"] for q in f_proc])),
           "procedural": len(procedural),
           "procedural_found": len(match([q["end"] for q in procedural], [q["end"] for q in f_proc])),
           "wait_errors": [], "no_wait_found": 0, "named": 0, "named_right": 0, "wrong_pupil": 0,
           "names_given": 0, "call_outs": 0, "call_outs_found": 0, "false_call_outs": 0, "misses": []}
    for i, j in pairs:
        t, f = posed[i], f_posed[j]
        if t["next_speech"] is not None:
            if f.get("next_speech") is None:
                row["no_wait_found"] += 1
            else:
                row["wait_errors"].append((f["next_speech"] - f["end"]) - t["wait_s"])
        got = f.get("named_pupil")
        row["names_given"] += got is not None
        if t["named_pupil"] is not None:
            row["named"] += 1
            row["named_right"] += got == t["named_pupil"]
        if got is not None and got != t["named_pupil"] and got not in also_right(posed, i):
            row["wrong_pupil"] += 1
            row["misses"].append(f"wrong pupil {got!r} for {t['named_pupil']!r} at {t['end']:.2f} s")
        if t["call_out"]:
            row["call_outs"] += 1
            row["call_outs_found"] += bool(f.get("call_out"))
        elif f.get("call_out"):
            row["false_call_outs"] += 1
    got_i = {i for i, _ in pairs}
    for i, q in enumerate(posed):  # found / labelled, by what followed the question and by room
        for key in (f"outcome {q['outcome']}", f"room {label['room']}"):
            row.setdefault("by", {}).setdefault(key, [0, 0])
            row["by"][key][0] += i in got_i
            row["by"][key][1] += 1
    row["misses"] += [f"missed {q['text']!r} ending {q['end']:.2f} s" for i, q in enumerate(posed) if i not in got_i]
    row["misses"] += [f"extra {q.get('text', '')!r} ending {q['end']:.2f} s" for j, q in enumerate(f_posed)
                      if j not in matched_f]
    duration = label["duration_s"]
    row["talk_points"] = abs(found["talk"]["teacher_s"] - label["talk"]["teacher_s"]) / duration * 100
    row["pupil_talk_points"] = abs(found["talk"]["pupils_s"] - label["talk"]["pupils_s"]) / duration * 100
    return row


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}% ({a}/{b})" if b else "   -  (0/0)"


def figures(rows: list[dict]) -> dict:
    total = {k: sum(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], int)}
    errors = np.abs([e for r in rows for e in r["wait_errors"]]) * 1000
    return {"lessons": len(rows), **total,
            "recall": total["matched"] / max(total["posed"], 1), "precision": total["matched"] / max(total["found"], 1),
            "wait_error_median_ms": float(np.median(errors)) if len(errors) else None,
            "wait_error_p95_ms": float(np.percentile(errors, 95)) if len(errors) else None,
            "wait_error_max_ms": float(errors.max()) if len(errors) else None, "waits_measured": len(errors),
            "named_right_share": total["named_right"] / max(total["named"], 1),
            "wrong_pupil_share": total["wrong_pupil"] / max(total["matched"], 1),
            "call_outs_found_share": total["call_outs_found"] / max(total["call_outs"], 1),
            "talk_points_max": max(r["talk_points"] for r in rows),
            "talk_points_mean": float(np.mean([r["talk_points"] for r in rows])),
            "pupil_talk_points_max": max(r["pupil_talk_points"] for r in rows)}


def report(mode: str, rows: list[dict], seconds: list[float], audio_s: float) -> dict:
    f = figures(rows)
    med, p95 = f["wait_error_median_ms"], f["wait_error_p95_ms"]
    print(f"\n== {mode}: {f['lessons']} lessons, {audio_s / 60:.1f} min of audio")
    print(f"questions posed   recall {pct(f['matched'], f['posed'])}  precision {pct(f['matched'], f['found'])}"
          f"   target >= 90% each")
    print(f"confusions        procedural as posed {f['procedural_as_posed']}/{f['procedural']}, posed as procedural "
          f"{f['posed_as_procedural']}, tags as posed {f['tag_as_posed']}, 'Anyone?' as posed {f['follow_up_as_posed']}; "
          f"procedural found {pct(f['procedural_found'], f['procedural'])}")
    print(f"wait error        median {med if med is None else round(med)} ms, p95 {p95 if p95 is None else round(p95)} ms"
          f" over {f['waits_measured']} waits ({f['no_wait_found']} with no wait found)   target <= 100 / <= 300")
    print(f"named pupil       right {pct(f['named_right'], f['named'])}   wrong {pct(f['wrong_pupil'], f['matched'])}"
          f"   target >= 90% / <= 2%")
    print(f"call-outs found   {pct(f['call_outs_found'], f['call_outs'])} (and {f['false_call_outs']} false)"
          f"   target >= 90%")
    print(f"teacher talk      error max {f['talk_points_max']:.1f} points, mean {f['talk_points_mean']:.1f} "
          f"(pupils' max {f['pupil_talk_points_max']:.1f})   target <= 3 in every lesson")
    by: dict[str, list[int]] = {}
    for r in rows:
        for key, (a, b) in r.get("by", {}).items():
            by[key] = [by.get(key, [0, 0])[0] + a, by.get(key, [0, 0])[1] + b]
    print("recall by         " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(by.items())))
    print(f"time              {np.mean(seconds):.1f} s a lesson, {audio_s / sum(seconds):.1f}x real time")
    f.update({"mode": mode, "seconds": seconds, "audio_s": audio_s, "recall_by": by})
    return f


def enrolment(folder: Path, label: dict):
    from rehearse.observe.voices import enrol
    from rehearse.scoring.audio import load_audio
    return enrol([load_audio(folder / name) for name in label["enrolment"]])


def run(folder: Path, lessons: list[dict], modes: list[str], show_misses: bool) -> list[dict]:
    from rehearse.errors import AudioError
    from rehearse.observe.lesson import analyse_lesson
    from rehearse.observe.lesson_audio import LessonAudio
    from rehearse.scoring.name_sounds import parse_roster
    from rehearse.scoring.pipeline import Scorer
    from rehearse.scoring.steps import get_step

    out = []
    with tempfile.TemporaryDirectory(prefix="rehearse-observe-bench-") as models:
        scorer = Scorer(None, speech_models_dir=models)
        started = time.perf_counter()
        getattr(scorer.transcriber, "speech_model", None)  # the model loads here, apart from the lessons' times
        print(f"speech model loaded in {time.perf_counter() - started:.1f} s", flush=True)
        for mode in modes:
            rows, seconds, audio_s = [], [], 0.0
            for label in lessons:
                step = get_step(label["step"])
                roster = parse_roster(label["roster"])
                started = time.perf_counter()
                voice = enrolment(folder, label) if mode == "reps" else None
                try:
                    with LessonAudio.open(folder / label["file"]) as audio:
                        found = analyse_lesson(audio, step, roster, scorer, voice=voice).to_json()
                except AudioError as e:
                    print(f"  {label['file']}: {e}", flush=True)
                    found = {"questions": [], "talk": {"teacher_s": 0.0, "pupils_s": 0.0}}
                seconds.append(time.perf_counter() - started)
                audio_s += label["duration_s"]
                row = compare(label, found)
                rows.append(row)
                print(f"  {mode} {label['file']}: {row['matched']}/{row['posed']} posed found, {row['found']} listed, "
                      f"talk off by {row['talk_points']:.1f} points, {seconds[-1]:.0f} s", flush=True)
                if show_misses:
                    for miss in row["misses"]:
                        print(f"      {miss}")
            out.append(report(mode, rows, seconds, audio_s))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", required=True, help="dev, test or long (a folder of --set; `--set tests/clips "
                    "--split lessons`: the test lessons)")
    ap.add_argument("--set", type=Path, default=DEFAULT_SET, help="the lesson set's folder (lesson_set.py --out)")
    ap.add_argument("--limit", type=int, help="only the first N lessons")
    ap.add_argument("--modes", nargs="+", choices=["reps", "dominant"], default=["reps", "dominant"])
    ap.add_argument("--figures", type=Path, help="write the figures as JSON here")
    ap.add_argument("--show-misses", action="store_true", help="list each miss (dev only: never tune on test)")
    args = ap.parse_args()
    folder = args.set / args.split
    if not (folder / "labels.json").exists():
        raise SystemExit(f"no {folder / 'labels.json'}: make the set first (benchmarks/lesson_set.py --out {args.set})")
    lessons = json.loads((folder / "labels.json").read_text())["lessons"][: args.limit or None]
    gflops = cpu_reference()
    print(f"{args.split}: {len(lessons)} lessons from {folder}; CPU reference {gflops:.0f} GFLOP/s", flush=True)
    results = run(folder, lessons, args.modes, args.show_misses and args.split != "test")
    after = cpu_reference()
    print(f"\nCPU reference: {gflops:.0f} GFLOP/s before, {after:.0f} after (float32 matmul; higher is faster); "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    if args.figures:
        args.figures.write_text(json.dumps({"split": args.split, "cpu_gflops": [gflops, after], "modes": results},
                                           indent=1) + "\n")


if __name__ == "__main__":
    main()
