"""Reps as records for a spreadsheet or another tool: one per rep, as CSV or JSON.

A record says who practised what and when (teacher, action step, session, rep, time), what was
measured (every metric of the result), the coach's note at the session's end (what went well, the
next step agreed, the day of the next observation), and each criterion's verdict: the app's, the coach's
overrule if any, the one that counts, the evidence and the coach's comment; and, where the coach
tapped along, the tapped times, the wait they give, its difference from the app's and whether the
two agree on the verdict (calibration.py); and the coach's comments on the recording, each with its
moment (comments.py: in the CSV one cell, a line each). The figures are the rep's with the coach's marks
applied (progress.marked_metrics: the pupil the coach picked, the wait kept), as the progress page
charts them.

The JSON is for other tools: machine names, the verdicts and the passes of taps as lists, times
as stored (ISO 8601, UTC). The CSV is for a spreadsheet: it opens cleanly in Excel (a UTF-8
byte-order mark, headers in words such as "Wait (s)", times in this computer's time zone written
"2026-11-30 14:05"), and spreads the verdicts over columns named after the criterion, so a
filtered export of one action step reads as a plain table. Any cell, headers included, that a
spreadsheet would take for a formula (starting with = + - @, a tab or a carriage return: a coach's
comment, a teacher's name, a criterion's id in a hand-written step) gets a leading apostrophe, so
opening the CSV runs nothing; and no cell holds a raw control character (an ESC or a NUL kept before
typed text had a rule is shown as "�", typed_text.printable), nor does the JSON (escaped), so
either can be printed to a terminal.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any, Iterable

from ..coaching.calibration import rep_agreement
from ..coaching.progress import marked_metrics, rep_passed, verdicts_of
from ..scoring.steps import wait_bands
from ..typed_text import BIDI_CONTROLS, printable
from ..store.database import Store
from ..store.history import Filters, reps_in
from ..store.records import Rep

FIELDS = ["teacher", "action_step", "action_step_title", "session_id", "session_started_at", "mode",
          "went_well", "next_step", "next_observation", "rep", "recorded_at", "source", "status", "error", "duration_s", "passed", "app_passed",
          "coach_overruled", "transcript", "recording", "tap_passes", "tapped", "coach_question_end_s",
          "coach_name_s", "coach_wait_s", "wait_difference_ms", "wait_verdicts_agree", "comments"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What to_json escapes beyond JSON's own (C0): DEL, C1 and the bidirectional controls (typed_text).
ESCAPED_IN_JSON = re.compile("[\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")
BOM = "\ufeff"  # tells Excel the file is UTF-8 (else it reads "Siobhán" as "SiobhÃ¡n")
TIMES = ("session_started_at", "recorded_at")  # stored in UTC; the CSV shows them in local time
HEADERS = {
    "teacher": "Teacher", "action_step": "Action step", "action_step_title": "Action step title",
    "session_id": "Session", "session_started_at": "Session started", "mode": "Mode",
    "went_well": "Went well (coach's note)", "next_step": "Next step agreed", "next_observation": "Next observation",
    "rep": "Rep",
    "recorded_at": "Recorded", "source": "Source", "status": "Status", "error": "Error",
    "duration_s": "Duration (s)", "passed": "Passed", "app_passed": "Passed (app)",
    "coach_overruled": "Coach overruled", "transcript": "Transcript", "recording": "Recording",
    "tap_passes": "Passes of taps", "tapped": "Taps used", "coach_question_end_s": "Coach: question end (s)",
    "coach_name_s": "Coach: name (s)", "coach_wait_s": "Coach: wait (s)",
    "wait_difference_ms": "Wait difference, coach minus app (ms)", "wait_verdicts_agree": "Wait verdicts agree",
    "comments": "Comments on the recording",
    # the measured figures (result.metrics_of, progress.marked_metrics)
    "wait_time_s": "Wait (s)", "named_pupil": "Pupil named", "name_confidence": "Name confidence",
    "name_heard": "Name heard", "name_unclear_likely": "Likely pupils (name unclear)", "question": "Question",
    "question_start_s": "Question start (s)", "question_end_s": "Question end (s)", "name_start_s": "Name start (s)",
    "pause_after_question_s": "Pause after question (s)", "named_before_question": "Named before question",
    "speaking_s": "Speaking (s)", "word_count": "Words", "filler_count": "Fillers",
    "room_snr_db": "Room signal-to-noise (dB)", "name_chosen_by_coach": "Pupil chosen by coach",
    "wait_kept_s": "Wait kept from the pause (s)",
}


def rep_records(store: Store, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """Every rep of the sessions the filters select, oldest session first, rep by rep."""
    band = wait_bands(store.instance)
    return [record_of(r, band(r.session.step_id)) for r in reps_in(store, filters)]


def record_of(rep: Rep, band: tuple[float, float | None] | None = None) -> dict[str, Any]:
    """One rep, read with its session (history.reps_in), as a record; `band` is its action step's
    wait band, for the tapped verdict."""
    result, session = rep.result, rep.session
    metrics = marked_metrics(rep) or {}
    verdicts = verdicts_of(rep)
    agreement = rep_agreement(result, [t.to_json() for t in rep.taps], band) or {}
    coach = agreement.get("coach") or {}
    difference = agreement.get("difference_s")
    return {
        "teacher": session.teacher, "action_step": session.step_id,
        "action_step_title": session.title, "session_id": rep.session_id,
        "session_started_at": session.started_at, "mode": session.mode,
        # the coach's note at the session's end, on each of its reps (plans.py); the day as YYYY-MM-DD
        "went_well": session.went_well, "next_step": session.next_step_id,
        "next_observation": session.next_observation,
        "rep": rep.number, "recorded_at": rep.created_at, "source": rep.source,
        "status": rep.status, "error": rep.error, "duration_s": rep.duration_s,
        "passed": rep_passed(rep), "app_passed": rep.app_passed,
        "coach_overruled": any(v["coach"] is not None and v["coach"] != v["app"] for v in verdicts),
        "transcript": result.transcript if result is not None else None, "recording": rep.audio_path,
        "tap_passes": len(rep.taps), "tapped": agreement.get("source"),
        "coach_question_end_s": coach.get("question_end_s"), "coach_name_s": coach.get("name_s"),
        "coach_wait_s": coach.get("wait_s"),
        "wait_difference_ms": None if difference is None else round(difference * 1000),
        "wait_verdicts_agree": agreement.get("verdicts_agree"),
        "metrics": metrics,
        "verdicts": [{"criterion": v["id"], "passed": v["passed"], "app": v["app"], "coach": v["coach"],
                      "evidence": v["detail"], "comment": v["comment"]} for v in verdicts],
        "taps": [{"source": t.source, "question_end_s": t.question_end_s, "name_s": t.name_s, "tapped_at": t.tapped_at}
                 for t in rep.taps],
        "comments": [{"at_s": c.at_s, "text": c.text, "created_at": c.created_at, "edited_at": c.edited_at}
                     for c in rep.comments],
    }


def to_json(records: list[dict[str, Any]]) -> str:
    """The records as JSON, each control character and bidirectional control escaped (\\u001b):
    JSON escapes C0 itself, not DEL, C1 or the bidi controls, which a terminal would act on."""
    return ESCAPED_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}",
                               json.dumps({"attempts": records}, ensure_ascii=False, indent=1))


def to_csv(records: list[dict[str, Any]]) -> str:
    """The records as CSV for a spreadsheet: fixed fields, then every metric, then four columns per
    criterion; a byte-order mark first, headers in words, local times."""
    metrics = _union(r["metrics"] for r in records)
    criteria = _union((v["criterion"] for v in r["verdicts"]) for r in records)
    columns = [header(f) for f in FIELDS + metrics] + [f"{c}: {part}" for c in criteria
                                                       for part in ("verdict", "app", "coach", "comment")]
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([_cell(c) for c in columns])
    for r in records:
        by_id = {v["criterion"]: v for v in r["verdicts"]}
        row = [_cell(local_time(r[f]) if f in TIMES else _said(r[f]) if f == "comments" else r[f]) for f in FIELDS]
        row += [_cell(r["metrics"].get(m)) for m in metrics]
        for c in criteria:
            v = by_id.get(c)
            row += ["", "", "", ""] if v is None else [
                _met(v["passed"]), _met(v["app"]), _met(v["coach"]), _cell(v["comment"])]
        writer.writerow(row)
    return out.getvalue()


def header(name: str) -> str:
    """A column's header in words: "Wait (s)" for wait_time_s; a figure not named in HEADERS
    gets its name with spaces and its unit in brackets."""
    if name in HEADERS:
        return HEADERS[name]
    for suffix, unit in (("_ms", " (ms)"), ("_s", " (s)"), ("_db", " (dB)")):
        if name.endswith(suffix):
            return header(name[: -len(suffix)]) + unit
    return name.replace("_", " ").capitalize()


def local_time(stamp: str | None) -> str | None:
    """A stored time (ISO 8601 with its offset) in this computer's time zone, as "2026-11-30 14:05"
    (a spreadsheet reads it as a date and time; a T or a Z it would not)."""
    if not stamp:
        return stamp
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _said(comments: list[dict[str, Any]]) -> str:
    """A rep's comments in one cell, a line each in the order they are heard: "at 3.412 s: ..."."""
    return "\n".join(f"at {c['at_s']} s: {c['text']}" for c in comments)


def _union(groups: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return list(seen)


def _met(value: bool | None) -> str:
    return "" if value is None else "met" if value else "not met"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str):
        value = printable(value)  # no raw ESC, BEL or NUL for a terminal or a spreadsheet to act on
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
