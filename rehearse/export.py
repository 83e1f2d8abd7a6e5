"""Attempts as records for a spreadsheet or another tool: one per attempt, as CSV or JSON.

A record says who practised what and when (teacher, action step, session, rep, time), what was
measured (every metric of the result), and each criterion's verdict: the app's, the coach's
overrule if any, the one that counts, the evidence and the coach's comment. The JSON keeps the
verdicts as a list; the CSV spreads them over columns named after the criterion, so a filtered
export of one action step reads as a plain table. A text cell that a spreadsheet would take for a
formula (starting with = + - @, a tab or a carriage return: a coach's comment, a teacher's name)
gets a leading apostrophe, so opening the CSV runs nothing.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from .history import Filters
from .progress import attempt_passed, verdicts_of
from .store import Store, with_marks

FIELDS = ["teacher", "action_step", "action_step_title", "session_id", "session_started_at", "mode",
          "rep", "recorded_at", "source", "status", "error", "duration_s", "passed", "app_passed",
          "coach_overruled", "transcript", "recording"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def attempt_records(store: Store, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """Every attempt of the sessions the filters select, oldest session first, rep by rep."""
    where, args = filters.where()
    with store.connect() as db:
        rows = [dict(r) for r in db.execute(
            f"SELECT x.*, t.name AS teacher, a.scenario_id, a.title, s.started_at AS session_started_at,"
            f" s.mode FROM attempts x JOIN sessions s ON s.id = x.session_id"
            f" JOIN teachers t ON t.id = s.teacher_id JOIN action_steps a ON a.id = s.action_step_id"
            f" WHERE {where} ORDER BY s.started_at, s.id, x.rep", args)]
        attempts = with_marks(db, rows)
    return [record_of(a) for a in attempts]


def record_of(attempt: dict[str, Any]) -> dict[str, Any]:
    result = attempt["result"] or {}
    verdicts = verdicts_of(attempt)
    return {
        "teacher": attempt["teacher"], "action_step": attempt["scenario_id"],
        "action_step_title": attempt["title"], "session_id": attempt["session_id"],
        "session_started_at": attempt["session_started_at"], "mode": attempt["mode"],
        "rep": attempt["rep"], "recorded_at": attempt["created_at"], "source": attempt["source"],
        "status": attempt["status"], "error": attempt["error"], "duration_s": attempt["duration_s"],
        "passed": attempt_passed(attempt),
        "app_passed": None if attempt["passed"] is None else bool(attempt["passed"]),
        "coach_overruled": any(v["coach"] is not None and v["coach"] != v["app"] for v in verdicts),
        "transcript": result.get("transcript"), "recording": attempt["audio_path"],
        "metrics": result.get("metrics", {}),
        "verdicts": [{"criterion": v["id"], "passed": v["passed"], "app": v["app"], "coach": v["coach"],
                      "evidence": v["detail"], "comment": v["comment"]} for v in verdicts],
    }


def to_json(records: list[dict[str, Any]]) -> str:
    return json.dumps({"attempts": records}, ensure_ascii=False, indent=1)


def to_csv(records: list[dict[str, Any]]) -> str:
    """The records as CSV: fixed fields, then every metric, then four columns per criterion."""
    metrics = _union(r["metrics"] for r in records)
    criteria = _union((v["criterion"] for v in r["verdicts"]) for r in records)
    columns = FIELDS + metrics + [f"{c}: {part}" for c in criteria
                                  for part in ("verdict", "app", "coach", "comment")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in records:
        by_id = {v["criterion"]: v for v in r["verdicts"]}
        row = [_cell(r[f]) for f in FIELDS] + [_cell(r["metrics"].get(m)) for m in metrics]
        for c in criteria:
            v = by_id.get(c)
            row += ["", "", "", ""] if v is None else [
                _met(v["passed"]), _met(v["app"]), _met(v["coach"]), _cell(v["comment"])]
        writer.writerow(row)
    return out.getvalue()


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
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
