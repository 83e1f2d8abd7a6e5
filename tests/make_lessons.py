"""Make tests/clips/lessons/: two short lesson-like files for the tests that run the real model.

Each (~60-75 s, 16 kHz mono FLAC) has one teacher (piper's joe; espeak-ng en-gb+f2) and two pupil
voices made younger, farther and quieter, in a calm classroom (benchmarks/lesson_room.py), and says
four questions in a fixed script: one posed and named after a wait of more than 5 s, one answered by a
call-out before the teacher names a pupil, one followed by a hands-up ("Yes, Freya.") or a rephrase,
one procedural ("Can everyone see the board?"), plus a tag question with no pause ("..., right?")
and a name in an instruction. Each teacher also has an enrolment file (~30 s of rehearsal-like
reps in the same voice). labels.json has the format of benchmarks/lesson_set.py (its docstring).

Run (needs what benchmarks/lesson_set.py needs: the `clips` extra, espeak-ng, flite):

    .venv/bin/python tests/make_lessons.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.labelled_set import BABBLE, VOICES, said, seed_of, synthesize_all  # noqa: E402
from benchmarks.lesson_plan import LessonPlan, Utt  # noqa: E402
from benchmarks.lesson_room import murmur_pool  # noqa: E402
from benchmarks.lesson_set import needs_of, render_lesson  # noqa: E402

OUT = ROOT / "tests" / "clips" / "lessons"
ROSTER = ["Priya", "Callum", "Zainab", "Oliver", "Freya", "Kofi"]
VOICE = {v.id: v for v in VOICES}

# (who, kind, text with {n} for the name, pause before in s, name); pupils' lines are never labelled.
SCRIPTS = {
    "lesson-a.flac": ("piper-joe", ["espeak-en-gb-scotland-f3", "flite-slt"], [
        ("T", "statement", "Today we are going to look at how heat moves from one thing to another.", 0.0, None),
        ("T", "procedural", "Can everyone see the board?", 0.7, None),
        ("T", "statement", "Heat always flows from the warmer object to the cooler one.", 1.6, None),
        ("T", "tag", "Metals let heat travel through them very quickly, right?", 0.6, None),
        ("T", "statement", "Wood and plastic are much slower, so we call them insulators.", 0.3, None),
        ("T", "question", "Why does a metal spoon get hot in a cup of tea?", 0.8, None),
        ("T", "name", "{n}, what do you think?", 6.6, "Priya"),
        ("P", "answer", "Because the metal takes the heat away faster.", 0.8, "Priya"),
        ("T", "response", "Good, thank you.", 0.6, None),
        ("T", "instruction", "{n}, sit down please.", 0.9, "Oliver"),
        ("T", "question", "What makes a good insulator?", 0.8, None),
        ("P", "call-out", "Ooh, I know! It's the heat!", 1.9, "Kofi"),
        ("T", "call-out-reply", "Hands up, please. {n}?", 0.6, "Callum"),
        ("P", "answer", "I think it's the second one.", 0.9, "Callum"),
        ("T", "response", "Nice thinking.", 0.6, None),
        ("T", "question", "How would you work out the area of this triangle?", 1.0, None),
        ("T", "hands-up", "Yes, {n}.", 3.4, "Freya"),
        ("P", "answer", "You keep everything else the same.", 0.8, "Freya"),
        ("T", "response", "That's a good start.", 0.7, None),
        ("T", "statement", "We will come back to this idea at the end of the lesson.", 0.8, None),
    ]),
    "lesson-b.flac": ("espeak-en-gb-f2", ["flite-kal", "espeak-en-gb-x-rp-m3"], [
        ("T", "statement", "Earthquakes happen where the plates of the crust meet.", 0.0, None),
        ("T", "statement", "The plates move only a few centimetres every year.", 0.6, None),
        ("T", "question", "Where would you expect an earthquake to happen?", 0.8, None),
        ("P", "call-out", "The plates!", 2.3, "Kofi"),
        ("T", "carry-on", "Yes, that's right.", 0.7, None),
        ("T", "tag", "Weather is what happens on a single day, OK?", 0.8, None),
        ("T", "statement", "Climate is the pattern we see over thirty years or more.", 0.35, None),
        ("T", "question", "What is the difference between weather and climate?", 0.7, None),
        ("T", "rephrase", "How is today's weather different from our climate?", 2.8, None),
        ("T", "name", "Let's hear from {n}.", 7.2, "Zainab"),
        ("P", "answer", "Maybe it's to do with the sun.", 0.8, "Zainab"),
        ("T", "response", "Yes, exactly.", 0.6, None),
        ("T", "procedural", "Has everyone got a pencil?", 0.9, None),
        ("T", "statement", "Copy the diagram into your book and label the arrows.", 1.8, None),
        ("T", "question", "How does a river bend get bigger over time?", 0.9, None),
        ("T", "no-name", "Anyone?", 4.2, None),
        ("T", "self-answer", "Right, here's the answer.", 3.0, None),
        ("T", "statement", "On the outside of a bend the water flows faster.", 0.5, None),
    ]),
}
ENROL = [("What do you notice about the shape of this leaf?", "{n}.", "Aarav", 5.6),
         ("How would you sort these animals into groups?", "{n}, what do you think?", "Isla", 6.2),
         ("What does this map tell us about the coast?", "{n}.", "Deepika", 5.9)]


def plan(file: str, teacher: str, pupils: list[str], script: list) -> LessonPlan:
    rng = np.random.default_rng(seed_of("test-lesson", file))
    pupil_of = {n: pupils[i % 2] for i, n in enumerate(ROSTER)}
    shift = {p: {"semitones": round(float(rng.uniform(3, 6)), 2), "below_db": round(float(rng.uniform(8, 14)), 1),
                 "lowpass_hz": round(float(rng.uniform(3000, 4000))), "rt60_s": 0.4} for p in pupils}
    utts = []
    for who, kind, text, pause, name in script:
        if who == "T":
            shown, spoken = (text.format(n=name), text.format(n=said(name))) if name else (text, text)
            utts.append(Utt("teacher", teacher, kind, shown, spoken, pause, name, outcome=None))
        else:
            utts.append(Utt("pupil", pupil_of[name], kind, "", text, pause))
    enrol = []
    for q, form, n, wait in ENROL:
        enrol.append(Utt("teacher", teacher, "question", q, q, 0.8))
        enrol.append(Utt("teacher", teacher, "name", form.format(n=n), form.format(n=said(n)), wait, n))
    return LessonPlan(file, "tests", seed_of("test-lesson", file), VOICE[teacher], [VOICE[p] for p in pupils],
                      pupil_of, shift, "calm", list(ROSTER), utts, [enrol])


def outcomes(plan: LessonPlan) -> None:
    """The outcome of each posed question, read from what follows it (as lesson_plan sets it)."""
    kinds = {"name": "named", "call-out": "call-out", "hands-up": "hands-up", "no-name": "no-name",
             "self-answer": "no-name", "rephrase": "rephrase"}
    for i, u in enumerate(plan.utts):
        if u.kind in ("question", "rephrase"):
            u.outcome = kinds.get(plan.utts[i + 1].kind)


def main() -> None:
    plans = [plan(f, t, p, sc) for f, (t, p, sc) in SCRIPTS.items()]
    for p in plans:
        outcomes(p)
    voices = [VOICE[v] for v in sorted({p.teacher.id for p in plans} | {v.id for p in plans for v in p.pupils})]
    needs = needs_of(plans, voices)
    speech = synthesize_all(needs)
    pool = murmur_pool([speech[(v.id, t)] for t in BABBLE[:8] for v in voices if (v.id, t) in speech],
                       np.random.default_rng(seed_of("test-lesson", "murmur")))
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    lessons = [render_lesson(p, speech, pool, OUT) for p in plans]
    (OUT / "labels.json").write_text(json.dumps({"version": 1, "split": "tests", "lessons": lessons},
                                                indent=1, ensure_ascii=False) + "\n")
    for lesson in lessons:
        print(lesson["file"], f"{lesson['duration_s']:.1f} s,", len(lesson["questions"]), "questions,",
              len(lesson["tags"]), "tag; enrolment", lesson["enrolment"])


if __name__ == "__main__":
    main()
