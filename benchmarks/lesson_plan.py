"""Plans of the labelled lesson stretches (benchmarks/lesson_set.py): who says what, in which order,
after which silence. No audio here; lesson_set.py synthesises, renders and labels the plans.

A lesson is a list of utterances said one after another (never overlapping: every speech span is
exact to the sample), the silence before each given. The teacher explains (statements, sometimes a
tag question with no pause after it, a procedural question, an instruction holding a pupil's name)
and poses 6-12 questions to the class; each question is followed by one outcome, cycled through a
shuffled list so that every lesson has a mix:

    named      a wait (1-10 s, both sides of 5 s), a naming form ("{n}?", "Let's hear from {n}."),
               the pupil's answer (that pupil's voice), the teacher's response
    call-out   a pupil's voice answers in the wait, then the teacher names one ("Hands up, please.
               {n}?") and that pupil answers, or she carries on ("Yes, that's right.")
    rephrase   after a pause the teacher asks it again differently (the rephrase is a posed question
               too), then named or call-out
    hands-up   a wait, then "Yes, {n}.", the pupil's answer, the response
    no-name    a wait, then "Anyone?" and another wait, or straight on; the teacher answers herself
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmarks.labelled_set import DEV_NAMES, NAME_FORMS, TEST_NAMES, Voice, said, seed_of
from benchmarks.lesson_texts import (CALL_OUT_REPLY, CALL_OUTS, CARRY_ON, ENROL_NAMING, ENROL_QUESTIONS,
                                     HANDS_UP, INSTRUCTIONS, NO_NAME, POSED, PROCEDURAL, PUPIL_ANSWERS,
                                     RESPONSES, SELF_ANSWER, STATEMENTS, TAGS)

OUTCOMES = ["named", "named", "call-out", "rephrase", "hands-up", "no-name"]
NAMING_KINDS = ("name", "hands-up", "call-out-reply")  # teacher utterances that name a pupil after a question
WORDS_PER_S = 2.6  # a rough speaking rate, only to aim a plan at its length


@dataclass
class Utt:
    who: str  # "teacher" | "pupil"
    voice: str  # voice id
    kind: str  # statement, question, rephrase, procedural, tag, name, hands-up, call-out-reply, carry-on,
    #            response, no-name, self-answer, instruction, answer, call-out
    text: str  # as labelled, names in roster spelling (pupils' lines are never labelled)
    spoken: str  # as given to the voice (names respelt)
    pause: float  # silence before, s
    name: str | None = None  # the roster name said in it
    gain: float = 1.0  # level jitter of the teacher's utterances
    outcome: str | None = None  # for a posed question: what followed it (OUTCOMES)


@dataclass
class LessonPlan:
    file: str
    split: str
    seed: int
    teacher: Voice
    pupils: list[Voice]
    pupil_of: dict[str, str]  # roster name -> pupil voice id
    pupil_shift: dict[str, dict]  # pupil voice id -> {"semitones", "below_db", "lowpass_hz", "rt60_s"}
    room: str
    roster: list[str]
    utts: list[Utt]
    enrol: list[list[Utt]]  # 2-4 files of rehearsal-like reps in the teacher's voice
    extra: dict = field(default_factory=dict)


def make_lesson_rosters(split: str, count: int, rng) -> list[list[str]]:
    """`count` rosters of 20-30 names from the split's pool (labelled_set), each shuffled."""
    pool = list(DEV_NAMES if split == "dev" else TEST_NAMES)
    out = []
    for _ in range(count):
        k = int(rng.integers(20, 31))
        out.append([pool[i] for i in rng.choice(len(pool), k, replace=False)])
    return out


class Cycle:
    """Items in a shuffled order, reshuffled each time round (deterministic from rng)."""

    def __init__(self, items, rng):
        self.items, self.rng, self.order = list(items), rng, []

    def next(self):
        if not self.order:
            self.order = list(self.rng.permutation(len(self.items)))
        return self.items[self.order.pop()]


def sample_wait(rng, lo: float = 1.0, hi: float = 10.0) -> float:
    """A wait in [lo, hi], kept 0.35 s away from 5 s (the step's limit) on either side, either side equally."""
    if rng.random() < 0.5:
        return float(rng.uniform(lo, 4.65))
    return float(rng.uniform(5.35, hi))


def plan_lesson(split: str, index: int, teacher: Voice, pupils: list[Voice], roster: list[str],
                target_s: float, n_questions: int, room: str, file: str) -> LessonPlan:
    seed = seed_of("lesson", split, file)
    rng = np.random.default_rng(seed)
    pupil_of = {n: pupils[i % len(pupils)].id for i, n in enumerate(roster)}
    shift = {p.id: {"semitones": round(float(rng.uniform(3, 6)), 2), "below_db": round(float(rng.uniform(8, 20)), 1),
                    "lowpass_hz": round(float(rng.uniform(3000, 4000))), "rt60_s": round(float(rng.uniform(0.3, 0.7)), 2)}
             for p in pupils}
    t = teacher.id
    statements, posed = Cycle(STATEMENTS[split], rng), Cycle(POSED[split], rng)
    names = Cycle(roster, rng)
    pick = lambda items: items[int(rng.integers(len(items)))]  # noqa: E731
    utts: list[Utt] = []

    def teacher_says(kind, text, pause, name=None):  # text: a form holding "{n}" when name is given
        shown, spoken = (text.format(n=name), text.format(n=said(name))) if name else (text, text)
        utts.append(Utt("teacher", t, kind, shown, spoken, pause, name, float(rng.uniform(0.8, 1.0))))

    def pupil_says(kind, text, pause, name=None):
        voice = pupil_of[name] if name else pupils[int(rng.integers(len(pupils)))].id
        utts.append(Utt("pupil", voice, kind, "", text, pause))

    def named(form_list, kind, wait):
        n = names.next()
        teacher_says(kind, pick(form_list), wait, n)
        pupil_says("answer", pick(PUPIL_ANSWERS[split]), float(rng.uniform(0.5, 1.3)), n)
        teacher_says("response", pick(RESPONSES[split]), float(rng.uniform(0.4, 1.1)))

    def call_out():
        pupil_says("call-out", pick(CALL_OUTS[split]), float(rng.uniform(0.8, 4.0)))
        if rng.random() < 0.6:
            named(CALL_OUT_REPLY[split], "call-out-reply", float(rng.uniform(0.4, 1.2)))
        else:
            teacher_says("carry-on", pick(CARRY_ON[split]), float(rng.uniform(0.4, 1.2)))

    def question(outcome):
        q, again = posed.next()
        teacher_says("question", q, float(rng.uniform(0.5, 1.2)))
        utts[-1].outcome = outcome
        if outcome == "rephrase":
            teacher_says("rephrase", again, float(rng.uniform(1.5, 4.0)))
            outcome = "named" if rng.random() < 0.6 else "call-out"
            utts[-1].outcome = outcome
        if outcome == "named":
            named(NAME_FORMS[split], "name", sample_wait(rng))
        elif outcome == "call-out":
            call_out()
        elif outcome == "hands-up":
            named(HANDS_UP[split], "hands-up", sample_wait(rng))
        else:  # no-name
            if rng.random() < 0.5:
                teacher_says("no-name", pick(NO_NAME[split]), sample_wait(rng, 1.5, 8.0))
                teacher_says("self-answer", pick(SELF_ANSWER[split]), float(rng.uniform(2.0, 4.5)))
            else:
                teacher_says("self-answer", pick(SELF_ANSWER[split]), sample_wait(rng, 1.5, 10.0))
            teacher_says("statement", statements.next(), float(rng.uniform(0.3, 0.8)))

    def explain(count, extras):
        for i in range(count):
            s = statements.next()
            if "tag" in extras and i == count - 1:
                teacher_says("tag", pick(TAGS[split]).format(s=s.rstrip(".")), float(rng.uniform(0.4, 1.0)))
                teacher_says("statement", statements.next(), float(rng.uniform(0.15, 0.45)))  # no pause
            else:
                teacher_says("statement", s, float(rng.uniform(0.35, 1.1)))
        if "procedural" in extras:
            teacher_says("procedural", pick(PROCEDURAL[split]), float(rng.uniform(0.5, 1.0)))
            teacher_says("statement", statements.next(), float(rng.uniform(0.8, 2.5)))
        if "instruction" in extras:
            n = names.next()
            teacher_says("instruction", pick(INSTRUCTIONS[split]), float(rng.uniform(0.5, 1.2)), n)
            teacher_says("statement", statements.next(), float(rng.uniform(0.5, 1.2)))

    # Aim at the length: about 14 s per question block; the rest is explanation (~4 s a statement).
    outcomes = Cycle(OUTCOMES, rng)
    outs = [outcomes.next() for _ in range(n_questions)]
    explain_s = max(target_s - 14.0 * n_questions - 8.0 * (n_questions // 4), 10.0)
    per_gap = max(1, int(round(explain_s / 4.2 / (n_questions + 1))))
    extras_at: dict[int, set] = {}
    slots = rng.permutation(n_questions + 1)
    for i, what in enumerate(["tag", "procedural"] + ["tag", "procedural"] * (n_questions // 12)
                             + (["instruction"] if rng.random() < 0.7 else [])):
        extras_at.setdefault(int(slots[i % len(slots)]), set()).add(what)
    for i in range(n_questions + 1):
        explain(max(1, per_gap + int(rng.integers(-1, 2))), extras_at.get(i, set()))
        if i < n_questions:
            question(outs[i])
    utts[0].pause = 0.0
    enrol, enrol_s = plan_enrolment(split, teacher, roster, rng)
    return LessonPlan(file, split, seed, teacher, pupils, pupil_of, shift, room, roster, utts, enrol,
                      {"enrol_s": enrol_s})


def plan_enrolment(split: str, teacher: Voice, roster: list[str], rng) -> tuple[list[list[Utt]], float]:
    """2-4 files, 60-90 s in all, of the teacher saying rehearsal-like reps: a question, a wait, a name
    (names from the split's pool outside this roster; questions not said in any lesson). Returns the
    files' reps (more than enough) and each file's length: the render keeps the reps that fit in it."""
    pool = [n for n in (DEV_NAMES if split == "dev" else TEST_NAMES) if n not in roster]
    files = int(rng.integers(2, 5))
    total = float(rng.uniform(65, 85))
    out = []
    for _ in range(files):
        utts, length = [], 0.0
        while True:
            q = ENROL_QUESTIONS[split][int(rng.integers(len(ENROL_QUESTIONS[split])))]
            n = pool[int(rng.integers(len(pool)))]
            form = ENROL_NAMING[split][int(rng.integers(len(ENROL_NAMING[split])))]
            wait = float(rng.uniform(2.0, 7.0))
            rep_s = len(q.split()) / WORDS_PER_S + wait + 1.5  # a rep's length, roughly
            if length > 1.5 * total / files:  # more than enough: the render keeps what fits (enrol_s)
                break
            utts.append(Utt("teacher", teacher.id, "question", q, q, float(rng.uniform(0.6, 1.2))))
            utts.append(Utt("teacher", teacher.id, "name", form.format(n=n), form.format(n=said(n)), wait, n))
            length += rep_s
        utts[0].pause = 0.5
        out.append(utts)
    return out, round(total / files, 3)

