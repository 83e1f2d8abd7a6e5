"""The step's verdicts on each question of a lesson, as the lesson's page lists them for the coach to
overrule: {question index: [{"id", "description", "app", "detail"}]}.

They are the analysis's (rehearse.observe.measures.measure, the analysis helper's per-step
measures of a lesson); until that module is in this tree, no question carries a verdict and the page
shows the figures alone (lesson_view.py) — it says so rather than inventing verdicts.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..scoring.steps import ActionStep

try:  # the analysis helper's module (issue 31); the page works without it, with no verdicts
    from ..observe.measures import measure
except ImportError:  # pragma: no cover - only before the analysis lands
    measure = None


def available() -> bool:
    return measure is not None


def verdicts_of(step: ActionStep | None, result: Mapping[str, Any] | None,
                roster: Iterable[str]) -> dict[int, list[dict[str, Any]]]:
    """Each question's verdicts on the step's criteria, the app's (the coach's marks are applied by
    lesson_view.question_rows)."""
    if measure is None or step is None or not result:
        return {}
    measures = measure(step, dict(result), list(roster), {})
    found: dict[int, list[dict[str, Any]]] = {}
    for verdict in getattr(measures, "verdicts", None) or []:
        found.setdefault(verdict.question, []).append(
            {"id": verdict.criterion, "description": _description(step, verdict.criterion),
             "app": bool(verdict.passed), "detail": getattr(verdict, "detail", "") or ""})
    return found


def _description(step: ActionStep, criterion: str) -> str:
    return next((c.description for c in step.criteria if c.id == criterion), criterion)
