"""The coach's look back: who practised which action step, when, and how it went.

Read-only queries over the store, filtered by teacher, action step and date (dates are the
laptop's local days). Each session's progress and counts of reps are kept in its row by the store,
so the history and a teacher's page read sessions only, not the attempts table; only one
teacher's action step (`step_history`) or an export reads reps in full (records.Rep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping

from ..errors import RehearseError
from ..typed_text import name_key
from .database import Store
from .records import Rep, Session
from .rows import SESSION_SQL, reps_of, session_of, with_sessions

PAGE_SIZE = 50  # sessions per page of the history
MAX_ID = 2**63 - 1  # SQLite's largest integer: an id beyond it cannot exist (and cannot be looked up)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)  # filters by day stay inside these


@dataclass(frozen=True)
class Filters:
    """Which sessions to look at; None means any."""

    teacher_id: int | None = None
    step_row: int | None = None
    since: date | None = None  # first local day included
    until: date | None = None  # last local day included

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> "Filters":
        """From a page's query string (teacher, step: ids; from, to: YYYY-MM-DD); empty = any."""
        def number(key: str) -> int | None:
            value = (args.get(key) or "").strip()
            if not value:
                return None
            try:
                return whole_number(value, key, 1, MAX_ID)
            except RehearseError:
                raise RehearseError(f"{key}: {value!r} is not one of the listed choices") from None

        return cls(number("teacher"), number("step"), parse_day(args.get("from"), "from"),
                   parse_day(args.get("to"), "to"))

    def where(self) -> tuple[str, list[Any]]:
        """An SQL condition over sessions `s`, and its arguments."""
        clauses, args = ["1"], []
        if self.teacher_id is not None:
            clauses.append("s.teacher_id = ?")
            args.append(self.teacher_id)
        if self.step_row is not None:
            clauses.append("s.action_step_id = ?")
            args.append(self.step_row)
        if self.since is not None:
            clauses.append("s.started_at >= ?")
            args.append(utc_start_of(self.since))
        if self.until is not None:
            clauses.append("s.started_at < ?")
            args.append(utc_start_of(self.until + timedelta(days=1)))
        return " AND ".join(clauses), args

    def query(self) -> dict[str, str]:
        """The filters as a query string's fields (for links that keep them)."""
        fields = {"teacher": self.teacher_id, "step": self.step_row, "from": self.since, "to": self.until}
        return {k: str(v) for k, v in fields.items() if v is not None}


def whole_number(value: str, what: str, low: int = 1, high: int = MAX_ID) -> int:
    """A number typed into an address or a form: ASCII digits only ("²" and "٣" pass str.isdigit
    but are not what anyone meant), from `low` to `high`; RehearseError saying so otherwise."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(high)) or not low <= int(value) <= high:
        raise RehearseError(f"{what}: {value[:40]!r} is not a whole number from {low} to {high}")
    return int(value)


def parse_day(value: str | None, what: str) -> date | None:
    """A day written YYYY-MM-DD, between FIRST_DAY and LAST_DAY: the day after the last one and the
    local midnight of the first one must still be dates (the filters are worked out from them)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RehearseError(f"{what}: {value[:40]!r} is not a date; write it as YYYY-MM-DD, "
                            f"e.g. {date.today().isoformat()}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RehearseError(f"{what}: {value} is out of range; give a day from {FIRST_DAY} to {LAST_DAY}, "
                            "or leave it empty for no limit")
    return day


def utc_start_of(day: date) -> str:
    """The first moment of a local day, as stored times are written (UTC, ISO 8601)."""
    local = datetime.combine(day, time()).astimezone()
    return local.astimezone(timezone.utc).isoformat(timespec="seconds")


# Lookups ----------------------------------------------------------------------------------

def teachers(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.query_all("SELECT id, name FROM teachers ORDER BY name")]


def action_steps(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.query_all("SELECT id, step_id, title FROM action_steps ORDER BY title")]


def teacher_named(store: Store, name: str) -> dict[str, Any]:
    """The teacher of this name, whatever its case, accents' form or invisible characters
    (typed_text.name_key); RehearseError naming the teachers there are if there is none."""
    row = store.query_one("SELECT id, name FROM teachers WHERE name_key = ?", name_key(name))
    if row is None:
        known = ", ".join(t["name"] for t in teachers(store)) or "none yet"
        raise RehearseError(f"no teacher called {name!r}; the teachers are: {known}")
    return dict(row)


def step_with_id(store: Store, step_id: str) -> dict[str, Any]:
    row = store.query_one("SELECT id, step_id, title FROM action_steps WHERE step_id = ?", step_id)
    if row is None:
        known = ", ".join(s["step_id"] for s in action_steps(store)) or "none yet"
        raise RehearseError(f"no reps of action step {step_id!r}; practised so far: {known}")
    return dict(row)


# The history page -------------------------------------------------------------------------

def step_summaries(store: Store, filters: Filters) -> list[dict[str, Any]]:
    """Per teacher and action step: sessions, reps, accurate and fluent sessions, first and last day."""
    where, args = filters.where()
    rows = store.query_all(
        f"SELECT t.id AS teacher_id, t.name AS teacher, a.id AS step_row, a.step_id, a.title,"
        f" COUNT(*) AS sessions, SUM(s.reps) AS reps, SUM(s.reps_scored) AS scored,"
        f" SUM(s.reps_passed) AS passed, COUNT(s.accurate_at) AS accurate, COUNT(s.fluent_at) AS fluent,"
        f" MIN(s.started_at) AS first, MAX(s.started_at) AS last"
        f" FROM sessions s JOIN teachers t ON t.id = s.teacher_id"
        f" JOIN action_steps a ON a.id = s.action_step_id"
        f" WHERE {where} GROUP BY t.id, a.id ORDER BY t.name, last DESC", *args)
    return [dict(r) for r in rows]


def sessions_page(store: Store, filters: Filters, page: int = 1,
                  size: int = PAGE_SIZE) -> tuple[list[Session], int]:
    """One page of sessions, newest first, with their counts; and how many match in all."""
    where, args = filters.where()
    total = store.query_one(f"SELECT COUNT(*) FROM sessions s WHERE {where}", *args)[0]
    rows = store.query_all(f"{SESSION_SQL} WHERE {where} ORDER BY s.started_at DESC, s.id DESC LIMIT ? OFFSET ?",
                           *args, size, (max(page, 1) - 1) * size)
    return [session_of(r) for r in rows], total


# One teacher's action step ----------------------------------------------------------------

def step_history(store: Store, teacher_id: int, step_row: int) -> list[tuple[Session, list[Rep]]]:
    """The teacher's sessions on the action step, oldest first, each with its reps in full."""
    with store.connect() as db:
        sessions = [session_of(r) for r in db.execute(
            f"{SESSION_SQL} WHERE s.teacher_id = ? AND s.action_step_id = ? ORDER BY s.started_at, s.id",
            (teacher_id, step_row))]
        reps = reps_of(db, db.execute(
            "SELECT * FROM attempts WHERE session_id IN"
            " (SELECT id FROM sessions WHERE teacher_id = ? AND action_step_id = ?) ORDER BY session_id, rep",
            (teacher_id, step_row)).fetchall())
    by_session: dict[int, list[Rep]] = {s.id: [] for s in sessions}
    for rep in reps:
        by_session[rep.session_id].append(rep)
    return [(session, by_session[session.id]) for session in sessions]


def rep_session(store: Store, rep_id: int) -> Session | None:
    """A rep's session (with its teacher and action step), for the rep page's heading and links."""
    row = store.query_one(f"{SESSION_SQL} WHERE s.id = (SELECT session_id FROM attempts WHERE id = ?)", rep_id)
    return None if row is None else session_of(row)


def sibling_reps(store: Store, teacher_id: int, step_row: int) -> list[Rep]:
    """Every rep of a teacher on an action step (newest first), to pick one to compare with; each
    with its result, the coach's marks and its session, so that the list shows the figures the
    coach agreed."""
    with store.connect() as db:
        rows = db.execute(
            "SELECT x.* FROM attempts x JOIN sessions s ON s.id = x.session_id"
            " WHERE s.teacher_id = ? AND s.action_step_id = ? ORDER BY s.started_at DESC, x.rep DESC",
            (teacher_id, step_row)).fetchall()
        return with_sessions(db, reps_of(db, rows, taps=False))


def reps_in(store: Store, filters: Filters, tapped_only: bool = False) -> list[Rep]:
    """Every rep in the sessions the filters select (only those a coach tapped along to, if
    `tapped_only`), oldest session first, rep by rep, each with its result, marks, taps and its
    session (who practised what): for exports and the calibration page."""
    where, args = filters.where()
    tapped = " AND x.id IN (SELECT attempt_id FROM taps)" if tapped_only else ""
    with store.connect() as db:
        rows = db.execute(
            f"SELECT x.* FROM attempts x JOIN sessions s ON s.id = x.session_id"
            f" WHERE {where}{tapped} ORDER BY s.started_at, s.id, x.rep", args).fetchall()
        return with_sessions(db, reps_of(db, rows))
