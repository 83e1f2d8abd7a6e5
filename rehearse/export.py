"""Attempts as records for a spreadsheet or another tool: one per attempt, as CSV or JSON.

A record says who practised what and when (teacher, action step, session, rep, time), what was
measured (every metric of the result), and each criterion's verdict: the app's, the coach's
overrule if any, the one that counts, the evidence and the coach's comment; and, where the coach
tapped along, the tapped times, the wait they give, its difference from the app's and whether the
two agree on the verdict (calibration.py). The JSON keeps the verdicts and the passes of taps as
lists; the CSV spreads the verdicts over columns named after the criterion, so a filtered export of
one action step reads as a plain table. A text cell that a spreadsheet would take for a
formula (starting with = + - @, a tab or a carriage return: a coach's comment, a teacher's name)
gets a leading apostrophe, so opening the CSV runs nothing.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from .calibration import attempt_agreement
from .history import Filters, attempts_of
from .progress import attempt_passed, verdicts_of
from .scenarios import wait_bands
from .store import Store

FIELDS = ["teacher", "action_step", "action_step_title", "session_id", "session_started_at", "mode",
          "rep", "recorded_at", "source", "status", "error", "duration_s", "passed", "app_passed",
          "coach_overruled", "transcript", "recording", "tap_passes", "tapped", "coach_question_end_s",
          "coach_name_s", "coach_wait_s", "wait_difference_ms", "wait_verdicts_agree"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def attempt_records(store: Store, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """Every attempt of the sessions the filters select, oldest session first, rep by rep."""
    band = wait_bands(store.instance)
    return [record_of(a, band(a["scenario_id"])) for a in attempts_of(store, filters)]


def record_of(attempt: dict[str, Any], band: tuple[float, float | None] | None = None) -> dict[str, Any]:
    """One attempt as a record; `band` is its action step's wait band, for the tapped verdict."""
    result = attempt["result"] or {}
    verdicts = verdicts_of(attempt)
    agreement = attempt_agreement(attempt["result"], attempt["taps"], band) or {}
    coach = agreement.get("coach") or {}
    difference = agreement.get("difference_s")
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
        "tap_passes": len(attempt["taps"]), "tapped": agreement.get("source"),
        "coach_question_end_s": coach.get("question_end_s"), "coach_name_s": coach.get("name_s"),
        "coach_wait_s": coach.get("wait_s"),
        "wait_difference_ms": None if difference is None else round(difference * 1000),
        "wait_verdicts_agree": agreement.get("verdicts_agree"),
        "metrics": result.get("metrics", {}),
        "verdicts": [{"criterion": v["id"], "passed": v["passed"], "app": v["app"], "coach": v["coach"],
                      "evidence": v["detail"], "comment": v["comment"]} for v in verdicts],
        "taps": [{k: t[k] for k in ("source", "question_end_s", "name_s", "tapped_at")} for t in attempt["taps"]],
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
