"""The meeting's end: the coach's note on a session (the coaching cycle's "Plan" stage).

The note says what went well, the next step agreed — the same action step again, or another of the
library's — and the day of the next observation. `read_note` reads it from the summary page's form
and says, per field, what is wrong in one line (too long or holding a control character, in the
step editor's own words: typed_text.text_problem; not a date; a step not in the library or
archived), so nothing half-read is stored. `agreement_view` and `current_step` turn stored notes
into what the teacher's page shows: what was agreed last time, and the step the teacher is on now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping, Protocol

from ..errors import RehearseError
from ..typed_text import text_problem
from .authoring import MAX_TEXT

SAME = "same"  # the form's value for "the same step again"
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)  # as the history's day filters take


@dataclass
class Note:
    """The note as typed, ready to store (None where a field was left empty), and what is wrong with
    it, per form field."""

    went_well: str | None = None
    next_step_id: str | None = None
    next_observation: str | None = None  # YYYY-MM-DD
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_note(form: Mapping[str, str], session_step: str, offered: Mapping[str, str],
              kept: str | None = None) -> Note:
    """The note a summary form sends. `session_step` is the id of the session's action step (what
    "the same step again" means); `offered` maps the ids of the library's steps that can be started
    (not archived) to their titles: another step must be one of them, or `kept`, the next step the
    note already holds (archived since, it is kept when the note is saved again)."""
    note = Note()
    went_well = str(form.get("went_well", "")).replace("\r\n", "\n").replace("\r", "\n")
    problem = text_problem("what went well", went_well, MAX_TEXT)
    if problem:
        note.errors["went_well"] = problem
    else:
        note.went_well = went_well.strip() or None

    chosen = str(form.get("next_step", "")).strip()
    if chosen == SAME:
        chosen = session_step
    if chosen and chosen not in offered and chosen != kept:
        note.errors["next_step"] = (
            f"next step: {chosen[:60]!r} is archived; choose another step, or restore it on the Action "
            "steps page" if chosen == session_step else
            f"next step: {chosen[:60]!r} is not one of the steps listed (archived, or not in the library); "
            "choose one from the list")
    else:
        note.next_step_id = chosen or None

    try:
        note.next_observation = observation_day(str(form.get("next_observation", "")))
    except RehearseError as exc:
        note.errors["next_observation"] = str(exc)
    return note


def observation_day(value: str) -> str | None:
    """A day as an <input type=date> sends it (YYYY-MM-DD), checked and written back the same way;
    None for none. RehearseError with one line for anything else."""
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
        if len(value) != 10:  # fromisoformat also takes "20261130", which no date box sends
            raise ValueError(value)
    except ValueError:
        raise RehearseError(f"next observation: {value[:40]!r} is not a date; pick a day in the calendar, or "
                            f"write it as YYYY-MM-DD, e.g. {date.today().isoformat()}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RehearseError(f"next observation: {value} is out of range; give a day from {FIRST_DAY} to {LAST_DAY}")
    return day.isoformat()


class NotedSession(Protocol):
    """What these rules read of a session (store.records.Session: the store is a floor above)."""

    id: int
    started_at: str
    step_id: str
    went_well: str | None
    next_step_id: str | None
    next_observation: str | None
    planned_at: str | None


def has_note(session: NotedSession) -> bool:
    return session.planned_at is not None


def current_step(latest: NotedSession | None) -> str | None:
    """The action step a teacher is on now, from their latest session (the last meeting): the next
    step agreed there, else the step it practised; None for a teacher with no session."""
    if latest is None:
        return None
    return latest.next_step_id or latest.step_id


def agreement_view(session: NotedSession, titles: Mapping[str, str], today: date) -> dict[str, Any]:
    """What was agreed at a session's end, for a page: the note, the next step's title (and whether
    it is the same step again) and the next observation's day, with whether it has passed."""
    step = session.next_step_id
    day = session.next_observation
    when = None
    if day:
        days = (date.fromisoformat(day) - today).days
        when = "passed" if days < 0 else "today" if days == 0 else "to come"
    return {
        "session_id": session.id, "started_at": session.started_at, "went_well": session.went_well,
        "next_step_id": step, "next_step_title": titles.get(step, step) if step else None,
        "same_step": bool(step) and step == session.step_id,
        "next_observation": day, "observation": when,
    }
