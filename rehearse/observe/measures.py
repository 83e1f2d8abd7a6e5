"""The action step measured in a lesson: each posed question judged by the step's own success criteria,
the counts a coach reads (waits, pupils named, call-outs), the talk shares, and a summary in plain words.

Everything here is worked out from a lesson's analysis JSON (lesson.py's LessonAnalysis.to_json()): no
model runs, so the page can measure again when the coach overrules a verdict. Each question is judged by
the same rules as a rep (scoring/criteria.py), on a Timeline built for that question: the question, the
first speech after it (the wait runs to it, whoever spoke) and the utterance that named a pupil. A rule
that cannot be judged from a lesson (the length of a rep, its fillers, the steps of an instruction) is
listed as "not measurable from a lesson recording", with why.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..scoring.criteria import RULES, Verdict
from ..scoring.name_belief import REPORT
from ..scoring.name_sounds import NameMatch, find_name, parse_roster
from ..scoring.name_evidence import vocative
from ..scoring.steps import ActionStep, Criterion
from ..scoring.timeline import NamedPupil, Pause, Timeline, Utterance
from ..scoring.words.base import Word

# Rules judged on each question posed to the class.
PER_QUESTION = ("asks_question", "wait_time", "names_pupil", "no_name_before_question")
# Rules judged on the teacher's speech over the whole stretch.
WHOLE_LESSON = ("uses_key_words",)
# Rules that cannot be judged from a lesson, and why, in words a coach reads.
NOT_MEASURABLE = {
    "max_steps": "the steps of one set of instructions cannot be told apart in a whole lesson's talk",
    "checks_understanding": "which question ends a set of instructions is not known in a lesson",
    "max_fillers": "the speech model drops most fillers (um, er) in long speech",
    "max_words": "a limit on one rep's words has no counterpart in a lesson",
    "max_seconds": "a limit on one rep's length has no counterpart in a lesson",
}
NOT_MEASURABLE_SAID = "not measurable from a lesson recording"
CONTEXT_S = 10.0  # the teacher's speech this long before a question is its context ("Everyone, think ...")


@dataclass
class LessonMeasures:
    """A lesson measured against a step: see the module's docstring. `to_json()` is what the page and
    the report read."""

    step: str
    questions: list[dict]  # per posed question: index, start, end, text, wait_s, verdicts
    lesson_verdicts: list[dict]  # criteria judged on the whole stretch (key words)
    criteria: list[dict]  # each criterion of the step: how it is measured in a lesson, and how often met
    counts: dict
    talk: dict  # shares of the stretch (0..1): teacher, pupils (other voices), silence
    summary: str
    not_measurable: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"step": self.step, "questions": self.questions, "lesson_verdicts": self.lesson_verdicts,
                "criteria": self.criteria, "counts": self.counts, "talk": self.talk, "summary": self.summary,
                "not_measurable": self.not_measurable}


def measure(step: ActionStep, analysis_json: dict, roster: Sequence[str],
            marks: Mapping[tuple[int, str], bool] = {}) -> LessonMeasures:
    """The lesson (its analysis JSON) measured against `step`; `roster`: the class's names; `marks`:
    the coach's verdicts, (question index, criterion id) -> passed, which overrule the app's (index -1:
    a criterion judged on the whole lesson). The index counts the analysis's questions, all kinds."""
    pupils = parse_roster(roster) if roster else []
    asked = analysis_json.get("questions", [])
    posed = [(k, q) for k, q in enumerate(asked) if q.get("kind", "posed") == "posed"]
    per_question = [c for c in step.criteria if c.rule in PER_QUESTION + ("says_phrases",)
                    and _measurable(c, pupils) is None and (c.rule != "says_phrases" or _questioning(step))]
    whole = [c for c in step.criteria if c not in per_question and _measurable(c, pupils) is None]
    judged = []
    for k, q in posed:
        timeline = question_timeline(q, analysis_json, pupils)
        around = question_timeline(q, analysis_json, pupils, context=True)  # phrases: "Everyone, ..." before it
        verdicts = [_marked(c.judge(around if c.rule == "says_phrases" else timeline), marks.get((k, c.id)), q)
                    for c in per_question]
        judged.append({"index": k, "start": q["start"], "end": q["end"], "text": q["text"], "wait_s": q.get("wait_s"),
                       "verdicts": verdicts})
    speech = lesson_timeline(analysis_json)
    lesson_verdicts = [_marked(c.judge(speech), marks.get((-1, c.id)), None) for c in whole]
    criteria = [_criterion_row(c, pupils, judged, lesson_verdicts, per_question, whole) for c in step.criteria]
    counts = counts_of(step, analysis_json, [q for _, q in posed], pupils)
    talk = talk_shares(analysis_json)
    not_measurable = [{"id": c.id, "description": c.description, "why": r["why"]} for c, r in zip(step.criteria, criteria)
                      if not r["measured"]]
    return LessonMeasures(step.id, judged, lesson_verdicts, criteria, counts, talk,
                          summary_of(step, counts, lesson_verdicts, not_measurable), not_measurable)


def _questioning(step: ActionStep) -> bool:
    """Is this step about questions (it has a rule judged per question)? Its phrases are then looked for
    around each question ("Everyone, ..."); otherwise in the whole lesson's talk ("partner")."""
    return any(c.rule in PER_QUESTION for c in step.criteria)


def _measurable(c: Criterion, pupils: Sequence) -> str | None:
    """None when the criterion can be judged from a lesson; else why not."""
    if c.rule in NOT_MEASURABLE:
        return NOT_MEASURABLE[c.rule]
    if RULES[c.rule].needs_roster and not pupils:
        return "it needs the class list"
    return None


def _marked(v: Verdict, mark: bool | None, q: dict | None) -> dict:
    detail = v.detail
    if q is not None and q.get("call_out") and v.id.startswith("wait"):
        detail += " A pupil called out before anyone was named."
    out = {"id": v.id, "passed": v.passed, "detail": detail, "overruled": False}
    if mark is not None and bool(mark) != v.passed:
        out.update(passed=bool(mark), overruled=True)
    return out


def _criterion_row(c: Criterion, pupils, judged, lesson_verdicts, per_question, whole) -> dict:
    why = _measurable(c, pupils)
    row = {"id": c.id, "description": c.description, "measured": why is None,
           "how": "per question" if c in per_question else "whole lesson" if c in whole else None,
           "why": f"{NOT_MEASURABLE_SAID}: {why}" if why else None}
    verdicts = [v for q in judged for v in q["verdicts"] if v["id"] == c.id] if c in per_question else \
        [v for v in lesson_verdicts if v["id"] == c.id]
    row.update(met=sum(v["passed"] for v in verdicts), of=len(verdicts))
    return row


def _words(text: str, start: float, end: float) -> list[Word]:
    """Words of a text spread over its stretch: the rules read the words, never their times."""
    said = text.split()
    step = (end - start) / max(len(said), 1)
    return [Word(w, start + k * step, start + (k + 1) * step) for k, w in enumerate(said)]


def _said_between(analysis_json: dict, start: float, end: float) -> list[dict]:
    return [t for t in analysis_json.get("teacher_speech", []) if t["end"] > start and t["start"] < end]


def question_timeline(q: dict, analysis_json: dict, pupils: Sequence, context: bool = False) -> Timeline:
    """A Timeline for one question, as a rep's would be: the question, the first speech after it, and
    the utterance naming a pupil. The pause after the question is the wait (to the first speech by
    anyone). `context`: the question includes the teacher's speech leading up to it ("Everyone, think
    about this."), since the last other voice or question."""
    before = _context(q, analysis_json) if context else []
    utterances = [Utterance(t["start"], t["end"], _words(t["text"], t["start"], t["end"])) for t in before]
    utterances.append(Utterance(q["start"], q["end"], _words(q["text"], q["start"], q["end"])))
    asked = len(utterances) - 1
    if q.get("next_speech") is not None:
        nxt = _stretch_at(analysis_json, q["next_speech"])
        said = " ".join(t["text"] for t in _said_between(analysis_json, nxt[0], nxt[1])) if nxt[2] == "teacher" else ""
        utterances.append(Utterance(nxt[0], nxt[1], _words(said, nxt[0], nxt[1])))
    named = None
    who = q.get("named_pupil") or q.get("offered_pupil")
    if who and q.get("next_speech") is not None:
        at = q.get("name_at") if q.get("name_at") is not None else q["next_speech"]
        if at > utterances[-1].start + 0.01:
            nxt = _stretch_at(analysis_json, at)
            said = " ".join(t["text"] for t in _said_between(analysis_json, nxt[0], nxt[1]))
            utterances.append(Utterance(nxt[0], nxt[1], _words(said, nxt[0], nxt[1])))
        u = len(utterances) - 1
        clear = q.get("named_pupil") is not None
        match = NameMatch(who, who, REPORT if clear else 0.5, 0, 0, clear=clear, likely=(who,))
        named = NamedPupil(match, u)
    pauses = [Pause(a.end, b.start) for a, b in zip(utterances, utterances[1:])]
    t = Timeline(utterances, pauses, question=(0, asked), wait=asked if asked + 1 < len(utterances) else None)
    if named is not None:
        if named.match.clear:
            t.named = named
        else:
            t.unclear_name = named
    t.question_worded = q.get("kind", "posed") in ("posed", "procedural")
    t.named_early = _named_early(q["text"], pupils)
    return t


def _context(q: dict, analysis_json: dict) -> list[dict]:
    """The teacher's speech in the CONTEXT_S before a question, after the last other voice or question."""
    since = q["start"] - CONTEXT_S
    for s in analysis_json.get("timeline", []):
        if s["who"] != "teacher" and s["end"] <= q["start"]:
            since = max(since, s["end"])
    for other in analysis_json.get("questions", []):
        if other["end"] < q["start"]:
            since = max(since, other["end"], other.get("name_at") or 0.0)
    before = []
    for t in _said_between(analysis_json, since, q["start"]):
        if t["end"] <= q["start"] + 0.01:
            before.append(t)
        elif t["text"].endswith(q["text"]) and t["text"] != q["text"]:  # the stretch goes on into the question
            before.append({"start": t["start"], "end": q["start"], "text": t["text"][: -len(q["text"])].strip()})
    return before


def _named_early(text: str, pupils: Sequence) -> NamedPupil | None:
    """A roster name said to someone inside the question ("Jamal, which ...", "What do you think, Priya?")."""
    said = text.split()
    match = find_name(said, pupils, strict=True) if pupils else None
    if match is not None and vocative(said, match.first_word, match.last_word):
        return NamedPupil(match, 0)
    return None


def _stretch_at(analysis_json: dict, at: float) -> tuple[float, float, str]:
    """The stretch of the timeline starting at `at` (start, end, who); a short one if none is."""
    for s in analysis_json.get("timeline", []):
        if abs(s["start"] - at) < 0.01 or s["start"] <= at < s["end"]:
            return s["start"], s["end"], s["who"]
    return at, at + 0.5, "teacher"


def lesson_timeline(analysis_json: dict) -> Timeline:
    """All the teacher's speech as one Timeline: for rules judged on the whole lesson's talk."""
    utterances = [Utterance(t["start"], t["end"], _words(t["text"], t["start"], t["end"]))
                  for t in analysis_json.get("teacher_speech", [])]
    return Timeline(utterances, [Pause(a.end, b.start) for a, b in zip(utterances, utterances[1:])])


def counts_of(step: ActionStep, analysis_json: dict, posed: Sequence[dict], pupils: Sequence) -> dict:
    """The figures of the summary: questions, waits, pupils named and their spread, call-outs."""
    band = step.wait_band
    min_s = band[0] if band else None
    waits = [q["wait_s"] for q in posed if q.get("wait_s") is not None]
    named = [q for q in posed if q.get("named_pupil")]
    waited = [q for q in named if min_s is not None and not q.get("call_out") and (q.get("wait_s") or 0) >= min_s]
    per_pupil = {p.name: 0 for p in pupils}
    for q in named:
        per_pupil[q["named_pupil"]] = per_pupil.get(q["named_pupil"], 0) + 1
    questions = analysis_json.get("questions", [])
    return {"posed": len(posed), "procedural": sum(q.get("kind") == "procedural" for q in questions),
            "min_wait_s": min_s, "waited": len(waited),
            "waited_pct": round(100 * len(waited) / len(posed)) if posed else None,
            "median_wait_s": round(statistics.median(waits), 2) if waits else None,
            "named": len(named), "unclear_names": sum(bool(q.get("offered_pupil")) and not q.get("named_pupil")
                                                     for q in posed),
            "per_pupil": per_pupil, "pupils_named": sum(n > 0 for n in per_pupil.values()),
            "never_named": [p for p, n in per_pupil.items() if n == 0],
            "most_named": max(per_pupil.values(), default=0),
            "call_outs": sum(bool(q.get("call_out")) for q in posed)}


def talk_shares(analysis_json: dict) -> dict:
    """The teacher's talk, other voices and silence as shares (0..1) of the stretch."""
    talk, total = analysis_json.get("talk", {}), analysis_json.get("duration_s") or 0.0
    if total <= 0:
        return {"teacher": None, "pupils": None, "silence": None}
    return {"teacher": round(talk.get("teacher_s", 0.0) / total, 3), "pupils": round(talk.get("pupils_s", 0.0) / total, 3),
            "silence": round(talk.get("silence_s", 0.0) / total, 3)}


def _n(count: int, thing: str, things: str | None = None) -> str:
    return f"{count} {thing if count == 1 else things or thing + 's'}"


def summary_of(step: ActionStep, counts: dict, lesson_verdicts: Sequence[dict], not_measurable: Sequence[dict]) -> str:
    """The lesson in one line of plain words, the figures the step decides."""
    parts = [f"{_n(counts['posed'], 'question')} posed to the class"]
    rules = {c.rule for c in step.criteria}
    if counts["min_wait_s"] is not None and counts["posed"]:
        parts.append(f"waited {counts['min_wait_s']:g} s or more before naming a pupil on {counts['waited']} "
                     f"({counts['waited_pct']}%)")
    if counts["median_wait_s"] is not None and "wait_time" in rules:
        parts.append(f"median wait {counts['median_wait_s']:.1f} s")
    if "names_pupil" in rules and counts["per_pupil"]:
        parts.append(f"{_n(counts['pupils_named'], 'pupil')} named, {len(counts['never_named'])} never")
    if "wait_time" in rules or "names_pupil" in rules:
        parts.append(_n(counts["call_outs"], "call-out"))
    for v in lesson_verdicts:
        parts.append(v["detail"].rstrip("."))
    line = "; ".join(parts)
    if not_measurable:
        line += ". Not measurable from a lesson recording: " + "; ".join(c["description"].lower() for c in not_measurable)
    return line
