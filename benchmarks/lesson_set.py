"""Make a labelled set of lesson stretches, split into `dev` and `test`, for observing a lesson (issue 31).

Why: the app finds, in a recording of a real lesson, the questions the teacher posed to the class,
the wait after each, the pupil named, call-outs and the teacher's talk time. To know how accurate
that is, score it on lessons whose truth is exact to the sample: each lesson is built from
separately spoken utterances (labelled_set's voices: piper, espeak-ng, flite, festival) joined by
silences of known length, in a classroom made of known sounds.

Each lesson (2-4 minutes): one teacher voice; 3-6 pupil voices (the split's other voices) made
younger (pitch up 3-6 semitones), farther (low-pass 3-4 kHz, reverberation) and quieter (8-20 dB
below the teacher); a room ("calm", "busy", "lively": a murmur of several distant children's voices
24-40 dB down, chair scrapes, knocks, room tone; lesson_room.py); a roster of 20-30 names from
labelled_set's pool of the split, said as the teacher would (labelled_set.SAID); the teacher
explaining, with tag questions ("..., right?") and no pause after them, procedural questions
("Can everyone see the board?") and a name in an instruction ("Tom, sit down please"); 6-12
questions posed to the class, each followed by a named pupil after a wait, a call-out, a rephrase,
a hands-up or no name (lesson_plan.py). Texts: lesson_texts.py. The splits share no teacher voice,
pupil voice, roster name, question text or phrasing. Enrolment: the SAME teacher voice saying 60-90 s
of rehearsal-like reps (a question, a wait, a name) in 2-4 files, as the teacher's reps would be.

Run (the same command makes the same bytes; a few minutes on 2 cores; needs what labelled_set needs):

    .venv/bin/python benchmarks/lesson_set.py [--out DIR] [--only dev|test] [--limit N] [--count N] [--long]

writes DIR/dev/, DIR/test/ (default DIR /work/lessons; --long: one 30-minute lesson in DIR/long/
for the speed benchmark), each with lesson-NN.flac, lesson-NN-enrol-K.flac (16 kHz mono) and
labels.json: {"version": 1, "split": ..., "lessons": [label, ...]}. A label (times in s, to the sample):

    file, duration_s, split, teacher_voice, pupil_voices [{voice, semitones, below_db, lowpass_hz, rt60_s}],
    room, room_detail, roster, step "pose-pause-name", enrolment [files], seed,
    speech    [{start, end, who "teacher"|"pupil", text (teacher only), kind}]   in order, never overlapping
    questions [{start, end, text, kind "posed"|"procedural", next_speech, next_speaker, named_pupil,
                name_at, call_out, call_out_at, wait_s, outcome, rephrased, named_after_call_out}]
    tags      [{start, end, text}]          statements ending in a tag question, the teacher going straight on
    talk      {teacher_s, pupils_s}         the union of the speech spans by who

next_speech is the start of the first speech by anyone after the question's end, next_speaker who said
it, wait_s = next_speech - end. named_pupil is the roster pupil the teacher named after the question
before any pupil spoke and before she moved on (a naming form, "Yes, Amira.", the name after
"Anyone?"); a question asked again differently (rephrased: true) hands its name to the rephrase, so
its named_pupil is null. name_at is the start of the utterance holding the name. call_out: a pupil
spoke first (call_out_at its start); named_after_call_out the pupil she then named ("Hands up,
please. Jo?"), if any. Pupils' words are never in a label.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.labelled_set import (BABBLE, SPLITS, VOICES, Voice, room_noise, s, seed_of,  # noqa: E402
                                     synthesize_all, working_voices)
from benchmarks.lesson_plan import NAMING_KINDS, LessonPlan, make_lesson_rosters, plan_lesson  # noqa: E402
from benchmarks.lesson_room import ROOMS, apply_classroom, murmur_pool, pupil_voice, rms  # noqa: E402
from tests.make_clips import write_flac  # noqa: E402

SR = 16000
DEFAULT_OUT = Path("/work/lessons")
QUESTION_KINDS = {"question": "posed", "rephrase": "posed", "procedural": "procedural"}


def plan_split(split: str, voices: list[Voice], count: int, long: bool = False) -> list[LessonPlan]:
    """`count` lessons of the split (or the one long lesson), their teachers, pupils, rooms and rosters."""
    rng = np.random.default_rng(seed_of("lessons", split, "long" if long else "short"))
    rosters = make_lesson_rosters(split, count, rng)
    rooms = list(ROOMS)
    plans = []
    for i in range(count):
        teacher = voices[i % len(voices)]
        others = [v for v in voices if v.id != teacher.id]
        k = int(min(rng.integers(3, 7), len(others)))
        pupils = [others[j] for j in sorted(rng.choice(len(others), k, replace=False))]
        if long:
            target, n_q, file = 2150.0, 75, "lesson-long.flac"  # the estimate runs short: ~30 min
        else:
            target, n_q, file = float(rng.uniform(135, 225)), int(6 + (i * 7 + 3) % 7), f"lesson-{i:02d}.flac"
        plans.append(plan_lesson(split, i, teacher, pupils, rosters[i], target, n_q,
                                 rooms[(i + int(long)) % len(rooms)], file))
    return plans


def needs_of(plans: list[LessonPlan], voices: list[Voice]) -> dict[Voice, set[str]]:
    by_id = {v.id: v for v in voices}
    needs: dict[Voice, set[str]] = {}
    for plan in plans:
        for u in plan.utts + [u for f in plan.enrol for u in f]:
            needs.setdefault(by_id[u.voice], set()).add(u.spoken)
    for i, sentence in enumerate(BABBLE):  # the murmur: each sentence by two voices of the split
        for j in (0, 1):
            needs.setdefault(voices[(i + j * 3) % len(voices)], set()).add(sentence)
    return needs


def place(plan: LessonPlan, speech: dict, rng) -> tuple[np.ndarray, list[tuple[int, int]], float, float]:
    """The dry lesson: every utterance at its place. Returns audio, (start, end) samples per utterance,
    and the teacher's speech RMS and peak (the room is set against them)."""
    level = float(rng.uniform(0.35, 0.6))
    teacher = {i: speech[(u.voice, u.spoken)] * (level * u.gain) for i, u in enumerate(plan.utts)
               if u.who == "teacher"}
    t_rms = float(np.sqrt(np.mean(np.concatenate(list(teacher.values())) ** 2)))
    t_peak = max(float(np.abs(a).max()) for a in teacher.values())
    pieces, spans = [], []
    pos = int(round(rng.uniform(0.6, 1.2) * SR))
    for i, u in enumerate(plan.utts):
        pos += int(round(u.pause * SR))
        if u.who == "teacher":
            audio, dry_len = teacher[i], len(teacher[i])
        else:
            shift = plan.pupil_shift[u.voice]
            audio, dry_len = pupil_voice(speech[(u.voice, u.spoken)], shift,
                                         t_rms * 10 ** (-shift["below_db"] / 20), rng)
        pieces.append((pos, audio))
        spans.append((pos, pos + dry_len))
        pos += dry_len
    total = pos + int(round(rng.uniform(0.8, 1.5) * SR))
    dry = np.zeros(total + SR, np.float32)
    for start, audio in pieces:
        dry[start: start + len(audio)] += audio
    return dry[:total], spans, t_rms, t_peak


def label_questions(plan: LessonPlan, spans: list[tuple[int, int]]) -> list[dict]:
    utts, out = plan.utts, []
    for i, u in enumerate(utts):
        if u.kind not in QUESTION_KINDS:
            continue
        end = spans[i][1]
        nxt = i + 1 if i + 1 < len(utts) else None
        named, name_at, after_call = None, None, None
        for j in range(i + 1, len(utts)):
            v = utts[j]
            if v.who == "pupil" or v.kind not in NAMING_KINDS + ("no-name",):
                break
            if v.kind in NAMING_KINDS:
                named, name_at = v.name, s(spans[j][0])
                break
        call_out = nxt is not None and utts[nxt].kind == "call-out"
        if call_out and nxt + 1 < len(utts) and utts[nxt + 1].kind == "call-out-reply":
            after_call = utts[nxt + 1].name
        out.append({
            "start": s(spans[i][0]), "end": s(end), "text": u.text, "kind": QUESTION_KINDS[u.kind],
            "next_speech": s(spans[nxt][0]) if nxt is not None else None,
            "next_speaker": utts[nxt].who if nxt is not None else None,
            "named_pupil": named, "name_at": name_at,
            "call_out": call_out, "call_out_at": s(spans[nxt][0]) if call_out else None,
            "wait_s": s(spans[nxt][0] - end) if nxt is not None else None,
            "outcome": u.outcome if u.kind != "procedural" else None,
            "rephrased": nxt is not None and utts[nxt].kind == "rephrase",
            "named_after_call_out": after_call})
    return out


def render_lesson(plan: LessonPlan, speech: dict, pool: list[np.ndarray], folder: Path) -> dict:
    rng = np.random.default_rng(plan.seed + 1)
    dry, spans, t_rms, t_peak = place(plan, speech, rng)
    audio, detail = apply_classroom(dry, plan.room, t_rms, t_peak, pool, rng)
    write_flac(folder / plan.file, audio)
    enrol_files = render_enrolment(plan, speech, folder, rng, t_rms)
    speech_l = [{"start": s(a), "end": s(b), "who": u.who, **({"text": u.text} if u.who == "teacher" else {}),
                 "kind": u.kind} for u, (a, b) in zip(plan.utts, spans)]
    talk = {who: s(sum(b - a for u, (a, b) in zip(plan.utts, spans) if u.who == who)) for who in ("teacher", "pupil")}
    return {
        "file": plan.file, "duration_s": s(len(audio)), "split": plan.split, "teacher_voice": plan.teacher.id,
        "teacher_sex": plan.teacher.sex,
        "pupil_voices": [{"voice": v.id, **plan.pupil_shift[v.id]} for v in plan.pupils],
        "room": plan.room, "room_detail": detail, "roster": plan.roster, "step": "pose-pause-name",
        "enrolment": enrol_files, "seed": plan.seed, "speech": speech_l,
        "questions": label_questions(plan, spans),
        "tags": [{"start": s(a), "end": s(b), "text": u.text} for u, (a, b) in zip(plan.utts, spans) if u.kind == "tag"],
        "talk": {"teacher_s": talk["teacher"], "pupils_s": talk["pupil"]},
    }


def render_enrolment(plan: LessonPlan, speech: dict, folder: Path, rng, t_rms: float) -> list[str]:
    """The teacher's rehearsal-like reps, at a laptop in a quiet room (faint room noise at -60 dBFS)."""
    files = []
    room = plan.extra.get("enrol_s", 1e9) * SR  # each file's length: the reps that fit (at least one)
    for k, utts in enumerate(plan.enrol, 1):
        parts, pos = [], 0
        for rep in zip(utts[::2], utts[1::2]):  # (question, name)
            placed, at = [], pos
            for u in rep:
                at += int(round(u.pause * SR))
                audio = speech[(u.voice, u.spoken)]
                placed.append((at, audio * (t_rms / rms(audio) * float(rng.uniform(0.85, 1.0)))))
                at += len(placed[-1][1])
            if parts and at - room > room - pos:  # nearer the length without this rep
                break
            parts += placed
            pos = at
        total = pos + int(0.8 * SR)
        out = room_noise(total, rng) * 10 ** (-60 / 20)
        for start, audio in parts:
            out[start: start + len(audio)] += audio
        name = plan.file.replace(".flac", f"-enrol-{k}.flac")
        write_flac(folder / name, np.clip(out, -1, 1).astype(np.float32))
        files.append(name)
    return files


def build(out: Path, splits: list[str], count: int, limit: int | None, long: bool) -> None:
    voices = working_voices([v for v in VOICES if v.split in splits])
    for split in splits:
        vs = [v for v in voices if v.split == split]
        if len(vs) < 4 or {v.sex for v in vs} != {"f", "m"}:
            raise SystemExit(f"{split} needs 4 working voices, both sexes; working: {[v.id for v in vs]}")
        plans = plan_split(split, vs, 1 if long else count, long)[: limit or None]
        started = time.perf_counter()
        speech = synthesize_all(needs_of(plans, vs))
        print(f"{split}: {len(speech)} utterances from {len(vs)} voices in {time.perf_counter() - started:.0f} s",
              flush=True)
        pool = murmur_pool([speech[(v.id, t)] for t in BABBLE for v in vs if (v.id, t) in speech],
                           np.random.default_rng(seed_of("murmur", split)))
        folder = out / ("long" if long else split)
        making = out / f".{folder.name}.making"  # written aside, then swapped in: readers never see half a set
        if making.exists():
            shutil.rmtree(making)
        making.mkdir(parents=True)
        with ThreadPoolExecutor(1 if long else 2) as ex:
            lessons = list(ex.map(lambda p: render_lesson(p, speech, pool, making), plans))
        for lesson in lessons:
            lesson["split"] = "long" if long else split
        (making / "labels.json").write_text(json.dumps(
            {"version": 1, "split": "long" if long else split, "lessons": lessons}, indent=1, ensure_ascii=False) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        making.rename(folder)
        summarise(folder.name, lessons)


def summarise(name: str, lessons: list[dict]) -> None:
    qs = [q for lesson in lessons for q in lesson["questions"]]
    posed = [q for q in qs if q["kind"] == "posed"]
    waits = [q["wait_s"] for q in posed if q["wait_s"] is not None]
    minutes = [lesson["duration_s"] / 60 for lesson in lessons]
    print(f"{name}: {len(lessons)} lessons, {min(minutes):.1f}-{max(minutes):.1f} min; {len(posed)} posed "
          f"({sum(q['named_pupil'] is not None for q in posed)} named, {sum(q['call_out'] for q in posed)} call-outs, "
          f"{sum(q['rephrased'] for q in posed)} rephrased), {len(qs) - len(posed)} procedural, "
          f"{sum(len(lesson['tags']) for lesson in lessons)} tags; waits {min(waits):.1f}-{max(waits):.1f} s, "
          f"{sum(w >= 5 for w in waits)} of {len(waits)} at 5 s or more", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", choices=SPLITS)
    ap.add_argument("--count", type=int, default=12, help="lessons per split (default 12)")
    ap.add_argument("--limit", type=int, help="make only the first N lessons of each split")
    ap.add_argument("--long", action="store_true", help="make only the one 30-minute lesson, in DIR/long/")
    args = ap.parse_args()
    splits = ["dev"] if args.long else ([args.only] if args.only else list(SPLITS))
    build(args.out, splits, args.count, args.limit, args.long)


if __name__ == "__main__":
    main()
