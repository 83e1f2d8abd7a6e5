"""An observed lesson as one self-contained HTML file (as a session's report, report.py) and as CSV,
one row per question.

The report holds the lesson's figures in words, the timeline (drawn by the pages' own
static/lesson_timeline.js and draw.js, inlined by report_script.py with static/lesson_report.js as
the entry), the questions with their waits, who was named and the step's verdicts (the coach's marks
applied), who got asked, the talk's shares and the coach's comments; and a clip of each question
with its wait where the kept recording has the pupils' voices silenced (lesson_clips.py), never the
whole lesson. Its policy (a meta tag) lets it load nothing but its own data: clips.

The CSV is for a spreadsheet, as the reps' export (reps/export.py): a byte-order mark, headers in
words, and no cell a spreadsheet would take for a formula.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .. import shipped
from ..reps.export import BOM, FORMULA_STARTS
from ..scoring.steps import ActionStep
from ..store.records import Lesson
from ..typed_text import printable
from .lesson_clips import question_clips
from .lesson_view import NEVER_MEASURABLE
from .report import _environment
from .report_script import report_script, script_hash

ENTRY = "lesson_report.js"
CSP = ("default-src 'none'; media-src data:; img-src data:; style-src 'unsafe-inline'; script-src {script}; "
       "base-uri 'none'; form-action 'none'")
COLUMNS = [("number", "Question"), ("kind", "Kind"), ("start", "Start (s)"), ("end", "End (s)"),
           ("text", "Question asked"), ("wait_s", "Wait (s)"), ("pupil", "Pupil named"),
           ("call_out", "Call-out"), ("verdicts", "Step's criteria"), ("overruled", "Coach overruled")]


def lesson_report(lesson: Lesson, step: ActionStep | None, problem: str | None, figures: dict[str, Any] | None,
                  data: dict[str, Any], recording: Path | None) -> str:
    """The report's HTML, from what the lesson's page shows (lesson_page.lesson_view), with a clip
    of each question cut from the kept `recording` (lesson_clips.py) where it may travel."""
    clips, clips_note = question_clips(recording, lesson.audio_state, (lesson.result or {}).get("questions") or [])
    script = report_script(entry=ENTRY)
    css = (shipped.folder("static") / "rehearse.css").read_text(encoding="utf-8")
    island = {"drawing": data["drawing"] | {"comments": data["comments"]}, "goal_s": figures and figures["goal_s"]}
    return _environment().get_template("lesson_report.html").render(
        csp=CSP.format(script=script_hash(script)), script=Markup(script), css=Markup(css), data=island,
        lesson=lesson, step=step, problem=problem, figures=figures, never_measurable=NEVER_MEASURABLE,
        questions=data["questions"], whole=data["whole"], comments=data["comments"], clips=clips,
        clips_note=clips_note,
        made_at=datetime.now().astimezone().isoformat())


def report_name(lesson: Lesson, suffix: str) -> str:
    """'Ms-Okafor_Pose-pause-name_lesson-3_2026-12-07.html': who, which step, which lesson, which day."""
    day = datetime.fromisoformat(lesson.created_at).astimezone().strftime("%Y-%m-%d")
    parts = [_slug(lesson.teacher_name) or "teacher", _slug(lesson.step_title) or "step", f"lesson-{lesson.id}", day]
    return "_".join(parts) + "." + suffix


def _slug(text: str, limit: int = 40) -> str:
    return "-".join(re.findall(r"\w+", unicodedata.normalize("NFC", text or "")))[:limit].strip("-")


def question_record(row: dict[str, Any]) -> dict[str, Any]:
    """One question as the CSV's row: the verdicts in one cell, "criterion: met" a line each."""
    said = "\n".join(f"{v['id']}: {'met' if v['passed'] else 'not met'}" for v in row["verdicts"])
    return {"number": row["index"] + 1, "kind": row["kind"], "start": row["start"], "end": row["end"],
            "text": row["text"], "wait_s": row["wait_s"], "pupil": row["pupil"], "call_out": row["call_out"],
            "verdicts": said, "overruled": any(v["coach"] is not None and v["coach"] != v["app"] for v in row["verdicts"])}


def lesson_csv(lesson: Lesson, rows: list[dict[str, Any]]) -> str:
    """The lesson's questions as CSV, one a row, oldest first."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        record = question_record(row)
        writer.writerow([_cell(record[key]) for key, _ in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        value = printable(value)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value
