"""What an observed lesson's page, its report and its CSV show: the lesson's analysis (the JSON of
rehearse/observe/lesson.py, as the store keeps it in `Lesson.result`) measured against its action step
by rehearse.observe.measures.measure, with the coach's marks applied there.

The figures (the summary in words, the counts, who was never named, the talk's shares, each
criterion measured per question or over the whole lesson, or not measurable and why) are the
measures' own; this module only arranges them for the pages: every question of the analysis in order
(procedural ones too, listed apart and judged on nothing), with who was named said in words, the
moment to play it from, and its verdicts with the app's and the coach's side by side; and what the
timeline draws. Pupils' speech is only "another voice": nothing of it is shown as text (there is none).

A lesson whose action step cannot be loaded (its file gone or broken) is shown without verdicts or
figures, with the problem, as a rep's page is.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable, Mapping

from ..observe.measures import LessonMeasures, measure
from ..scoring.steps import ActionStep

LEAD_S = 0.5  # a question plays from this long before it starts, as a comment plays
WHOLE_LESSON = -1  # the question index of a mark on a criterion judged over the whole lesson (measures.py)
NEVER_MEASURABLE = ("what the pupils said, or whether their answers were right (their speech is only "
                    "'another voice', never transcribed); who put a hand up; where the teacher looked; "
                    "anything written on the board")
TALK = (("teacher", "the teacher"), ("pupils", "other voices"), ("silence", "silence"))


def measured(step: ActionStep | None, lesson_result: Mapping[str, Any] | None, roster: Iterable[str],
             marks: Mapping[tuple[int, str], bool]) -> LessonMeasures | None:
    """The lesson measured against its step; `roster`: the lesson's class list, else the step's own
    (as the analysis job took it, lessons/analysis.py)."""
    if step is None or not lesson_result:
        return None
    names = list(roster) or [p.name for p in step.roster]
    return measure(step, dict(lesson_result), names, dict(marks))


def median_wait(waits: Iterable[float | None]) -> float | None:
    """The median of the waits measured (None for none): a rehearsal session's, as the lesson's."""
    known = [w for w in waits if w is not None]
    return round(statistics.median(known), 2) if known else None


def figures_of(m: LessonMeasures | None) -> dict[str, Any] | None:
    """The lesson's figures as the page shows them: the summary, each pupil's count, the never
    named, the talk's shares and how each criterion is measured here."""
    if m is None:
        return None
    counts = m.counts
    talk = [{"id": key, "label": label, "share": m.talk.get(key)} for key, label in TALK if m.talk.get(key) is not None]
    return {"summary": m.summary, "posed": counts["posed"], "procedural": counts["procedural"],
            "goal_s": counts["min_wait_s"], "median_wait_s": counts["median_wait_s"],
            "counts": [{"pupil": p, "count": n} for p, n in counts["per_pupil"].items()],
            "never": list(counts["never_named"]), "talk": talk,
            "criteria": m.criteria, "not_measurable": m.not_measurable,
            "whole": _verdicts(m.lesson_verdicts, WHOLE_LESSON, m.criteria, {})}


def who_answered(q: Mapping[str, Any]) -> str:
    """The pupil named after a question; "unclear" when a name was said but not clearly one of the
    class list; else that no one was named."""
    if q.get("named_pupil"):
        return q["named_pupil"]
    if q.get("name_at") is not None or q.get("offered_pupil"):
        return "unclear"
    return "no one named (a pupil spoke)" if q.get("next_speaker") == "pupil" else "no one named"


def _verdicts(verdicts: Iterable[Mapping[str, Any]], index: int, criteria: Iterable[Mapping[str, Any]],
              marks: Mapping[tuple[int, str], bool]) -> list[dict[str, Any]]:
    """The measures' verdicts (the coach's marks applied) with the app's own and the coach's beside."""
    described = {c["id"]: c["description"] for c in criteria}
    shown = []
    for v in verdicts:
        app = (not v["passed"]) if v.get("overruled") else v["passed"]
        shown.append({"id": v["id"], "description": described.get(v["id"], v["id"]), "detail": v.get("detail", ""),
                      "app": app, "coach": marks.get((index, v["id"])), "passed": v["passed"], "question": index})
    return shown


def question_rows(lesson_result: Mapping[str, Any], m: LessonMeasures | None,
                  marks: Mapping[tuple[int, str], bool]) -> list[dict[str, Any]]:
    """Every question of the lesson, in order, numbered as the marks number them (its place in the
    analysis's list, from 0), with what the pages show of it and its verdicts on the step."""
    judged = {q["index"]: q["verdicts"] for q in (m.questions if m else [])}
    criteria = m.criteria if m else []
    rows = []
    for index, q in enumerate(lesson_result.get("questions") or []):
        rows.append({"index": index, "start": q["start"], "end": q["end"], "text": q.get("text") or "",
                     "kind": q.get("kind", "posed"), "wait_s": q.get("wait_s"), "pupil": who_answered(q),
                     "named": q.get("named_pupil"), "name_at": q.get("name_at"),
                     "call_out": bool(q.get("call_out")), "call_out_at": q.get("call_out_at"),
                     "from_s": max(0.0, float(q["start"]) - LEAD_S),
                     "verdicts": _verdicts(judged.get(index, []), index, criteria, marks)})
    return rows


def drawing_data(lesson_result: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What static/lesson_timeline.js draws: the speech stretches, the questions and the length."""
    return {"duration_s": float(lesson_result.get("duration_s") or 0.0),
            "timeline": list(lesson_result.get("timeline") or []),
            "questions": [{k: r[k] for k in ("index", "start", "end", "kind", "wait_s", "pupil", "call_out",
                                             "call_out_at", "name_at")} for r in rows]}
