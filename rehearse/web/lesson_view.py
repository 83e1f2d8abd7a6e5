"""What an observed lesson's page, its report and its CSV show, from the lesson's record (the analysis
JSON of rehearse/observe/lesson.py, as the store keeps it in `Lesson.result`) and the coach's marks.

The figures are plain counts over that JSON, said the way a coach says them: how many questions were
posed to the class, on how many the teacher waited the step's wait (its wait band's least, else
DEFAULT_WAIT_S) or more before naming a pupil, the median wait, how many of the roster were named
and who never was, how many call-outs, and the shares of the lesson's time that were the teacher's
speech, other voices and silence. A posed question's wait is `wait_s` (the end of the question to
the next speech, whoever speaks), as the rehearsal's wait is the end of the question to the name:
the same measure where the teacher names a pupil after silence. Procedural questions ("have you all
got a pen?") are listed apart and in no figure.

Pupils' speech is only "another voice" here: nothing of it is shown as text (there is none).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Iterable, Mapping

from ..scoring.steps import ActionStep

DEFAULT_WAIT_S = 3.0  # a step that sets no wait band: the wait research calls "wait time" (Rowe)
LEAD_S = 0.5  # a question plays from this long before it starts, as a comment plays

# What a lesson recording measures, step by step (the criteria's rules), and what it cannot.
MEASURED = {
    "asks_question": "the questions the teacher posed to the whole class (procedural ones apart)",
    "wait_time": "the silence after each question until the next speech, and whether a pupil called out first",
    "names_pupil": "which pupil of the class list the teacher named after each question",
    "no_name_before_question": "whether the teacher named a pupil before or inside the question",
}
NOT_MEASURABLE = ("what the pupils said, or whether their answers were right (their speech is only "
                  "'another voice', never transcribed); who put a hand up; where the teacher looked; "
                  "anything written on the board")


def posed(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [q for q in result.get("questions") or [] if q.get("kind", "posed") == "posed"]


def wait_goal(step: ActionStep | None) -> float:
    band = step.wait_band if step else None
    return float(band[0]) if band else DEFAULT_WAIT_S


def median_wait(waits: Iterable[float | None]) -> float | None:
    """The median of the waits measured (None for none): a lesson's and a session's, alike."""
    known = [w for w in waits if w is not None]
    return round(statistics.median(known), 2) if known else None


def lesson_figures(result: Mapping[str, Any], roster: Iterable[str], step: ActionStep | None) -> dict[str, Any]:
    """The lesson's figures: posed, waited (at least the goal, then a pupil named), median wait, the
    roster's counts, never named, call-outs and the talk's shares, with the summary in words."""
    questions = posed(result)
    goal = wait_goal(step)
    waited = sum(1 for q in questions if q.get("wait_s") is not None and q["wait_s"] >= goal and q.get("named_pupil"))
    named = Counter(q["named_pupil"] for q in questions if q.get("named_pupil"))
    roster = list(dict.fromkeys(roster))
    counts = [{"pupil": p, "count": named.get(p, 0)} for p in roster]
    counts += [{"pupil": p, "count": n} for p, n in named.items() if p not in roster]
    never = [p for p in roster if not named.get(p)]
    call_outs = sum(1 for q in questions if q.get("call_out"))
    figures = {"posed": len(questions), "goal_s": goal, "waited": waited,
               "waited_share": waited / len(questions) if questions else None,
               "median_wait_s": median_wait(q.get("wait_s") for q in questions),
               "named": sum(1 for c in counts if c["count"]), "counts": counts, "never": never,
               "call_outs": call_outs, "procedural": len(result.get("questions") or []) - len(questions),
               "shares": talk_shares(result)}
    return figures | {"summary": summary_words(figures)}


def talk_shares(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The teacher's speech, other voices and silence as seconds and shares of the lesson."""
    talk = result.get("talk") or {}
    parts = [("teacher", "the teacher", talk.get("teacher_s")), ("other", "other voices", talk.get("pupils_s")),
             ("silence", "silence", talk.get("silence_s"))]
    total = sum(s or 0.0 for _, _, s in parts) or float(result.get("duration_s") or 0) or 1.0
    return [{"id": key, "label": label, "seconds": round(s or 0.0, 1), "share": (s or 0.0) / total}
            for key, label, s in parts]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary_words(f: Mapping[str, Any]) -> str:
    """'14 questions posed to the class; waited 5 s or more before naming a pupil on 4 (29%); median
    wait 2.1 s; 9 pupils named, 21 never; 3 call-outs'."""
    if not f["posed"]:
        return "No question posed to the class was heard in this recording"
    parts = [f"{_plural(f['posed'], 'question', 'questions')} posed to the class",
             f"waited {f['goal_s']:g} s or more before naming a pupil on {f['waited']} ({f['waited_share']:.0%})",
             f"median wait {f['median_wait_s']:.1f} s" if f["median_wait_s"] is not None else "no wait measured",
             f"{_plural(f['named'], 'pupil', 'pupils')} named, {len(f['never'])} never",
             _plural(f["call_outs"], "call-out", "call-outs")]
    return "; ".join(parts)


def who_answered(q: Mapping[str, Any]) -> str:
    """The pupil named after a question, "unclear" when a name was said but not one of the roster's,
    else who spoke next."""
    if q.get("named_pupil"):
        return q["named_pupil"]
    if q.get("name_at") is not None or q.get("offered_pupil"):
        return "unclear"
    return "no one named" if q.get("next_speaker") != "pupil" else "no one named (a pupil spoke)"


def question_rows(result: Mapping[str, Any], marks: Mapping[tuple[int, str], bool] | None = None,
                  verdicts: Mapping[int, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """Every question of the lesson, in order, numbered as the store's marks number them (its place
    in the analysis's list, from 0), with what the pages show of it and the step's verdicts (the
    coach's marks applied)."""
    rows = []
    for index, q in enumerate(result.get("questions") or []):
        shown = []
        for v in (verdicts or {}).get(index, []):
            coach = (marks or {}).get((index, v["id"]))
            shown.append(v | {"coach": coach, "passed": v["app"] if coach is None else coach})
        rows.append({"index": index, "start": q["start"], "end": q["end"], "text": q.get("text") or "",
                     "kind": q.get("kind", "posed"), "wait_s": q.get("wait_s"), "pupil": who_answered(q),
                     "named": q.get("named_pupil"), "name_at": q.get("name_at"),
                     "call_out": bool(q.get("call_out")), "call_out_at": q.get("call_out_at"),
                     "from_s": max(0.0, float(q["start"]) - LEAD_S), "verdicts": shown})
    return rows


def step_measures(step: ActionStep | None) -> dict[str, Any]:
    """What the step's criteria are measured by in a lesson, and what is not measurable from one."""
    measured, not_here = [], []
    for c in step.criteria if step else ():
        words = MEASURED.get(c.rule)
        (measured if words else not_here).append({"rule": c.rule, "words": words or c.rule.replace("_", " ")})
    return {"measured": measured, "not_here": not_here, "never": NOT_MEASURABLE}


def drawing_data(result: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What static/lesson_timeline.js draws: the speech stretches, the questions and the length."""
    return {"duration_s": float(result.get("duration_s") or 0.0), "timeline": list(result.get("timeline") or []),
            "questions": [{k: r[k] for k in ("index", "start", "end", "kind", "wait_s", "pupil", "call_out",
                                             "call_out_at", "name_at")} for r in rows]}
