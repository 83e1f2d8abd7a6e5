"""Figures people read on the pages: dates and seconds, each in one style everywhere.

Dates. Stored times are UTC. A page never writes a date as bare text: each is a
`<time datetime="…Z" data-format="date|datetime|time">` whose text is a fallback in the server's local
time ("3 Nov 2026, 09:00"); static/dates.js rewrites every one in the browser's own locale with
Intl.DateTimeFormat (dateStyle "medium", timeStyle "short"), the same function the charts and the
tap times use, so a page reads "03.11.2026, 10:00" in German and "Nov 3, 2026, 9:00 AM" in American
English, and never two styles at once. A list box's entries cannot hold a <time>: an <option> carries
the moment in data-datetime and its words in data-label, with "{date}" where the date goes.

Seconds. A wait is read to a tenth of a second ("4.1 s"); exports and archives keep what was stored.
Differences between the app's and the coach's timing (signed_s) keep hundredths: they are set against
a tolerance and a reaction time of a few tenths."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable

from markupsafe import Markup

FORMATS = ("date", "datetime", "time")  # static/dates.js: dateStyle medium / + timeStyle short / timeStyle short


def _moment(iso: str) -> tuple[str, datetime]:
    """A stored time as ISO 8601 in UTC (for datetime=) and in the server's local time (the fallback)."""
    stamp = datetime.fromisoformat(iso)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)  # stored times are UTC
    utc = stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc, stamp.astimezone()


def local_text(iso: str, form: str) -> str:
    """The fallback text of a moment, as dates.js writes it for en-GB: '3 Nov 2026, 09:00'."""
    _, local = _moment(iso)
    date, clock = f"{local.day} {local:%b %Y}", f"{local:%H:%M}"
    return {"date": date, "datetime": f"{date}, {clock}", "time": clock}[form]


def time_tag(iso: str | None, form: str) -> Markup:
    if not iso:
        return Markup("")
    utc, _ = _moment(iso)
    return Markup('<time datetime="{}" data-format="{}">{}</time>').format(utc, form, local_text(iso, form))


def when(iso: str | None) -> Markup:
    """A moment: its date and time ('3 Nov 2026, 09:00' until the browser writes it in its locale)."""
    return time_tag(iso, "datetime")


def day(iso: str | None) -> Markup:
    """A day: '3 Nov 2026'."""
    return time_tag(iso, "date")


def clock(iso: str | None) -> Markup:
    """The time of day only, e.g. when a session that began on a shown day finished: '09:40'."""
    return time_tag(iso, "time")


def seconds(value: float | None) -> str:
    """A wait (or any span a person reads) to a tenth of a second: '4.1 s'; '—' for none."""
    return "—" if value is None else f"{value:.1f} s"


def signed_s(value: float | None) -> str:
    """A difference in seconds with its sign: '+0.25 s', '−0.10 s' ('—' for none)."""
    if value is None:
        return "—"
    shown = round(value, 2)
    return "0.00 s" if shown == 0 else f"{'+' if shown > 0 else '−'}{abs(shown):.2f} s"


# --- lists of reps to choose from (compare with…) ------------------------------------------------

def progress_choices(points: Iterable[dict[str, Any]], metric: dict[str, Any]) -> list[dict[str, Any]]:
    """The progress chart's points (coaching.progress.step_progress) as reps to choose from, each with
    the step's key metric as a person reads it."""
    def figure(value):
        if value is None:
            return None
        if metric.get("unit") == "s":
            return seconds(value)
        return f"{value:g} {metric.get('unit') or ''}".strip()

    return [{"id": p["attempt_id"], "rep": p["rep"], "at": p["at"], "session_id": p["session_id"],
             "passed": p["passed"], "figure": figure(p["value"])} for p in points]


def rep_options(choices: list[dict[str, Any]], selected: int | None = None) -> Markup:
    """<option>s that tell reps apart: 'Rep 3 · 30 Nov 2026 · met · waited 4.1 s'. On a day with reps
    of more than one session the time is shown too ('30 Nov 2026, 14:05'), so two rep 1s of one day
    differ. Each choice: id, rep, at (ISO), session_id, passed (True/False/None), figure (text or None)."""
    sessions_on = defaultdict(set)
    for c in choices:
        if c["at"]:
            sessions_on[local_text(c["at"], "date")].add(c["session_id"])
    options = []
    for c in choices:
        form = "datetime" if c["at"] and len(sessions_on[local_text(c["at"], "date")]) > 1 else "date"
        words = [f"Rep {c['rep']}", "{date}"] if c["at"] else [f"Rep {c['rep']}"]
        if c["passed"] is not None:
            words.append("met" if c["passed"] else "not yet")
        if c["figure"]:
            words.append(c["figure"])
        label = " · ".join(words)
        if c["at"]:
            utc, _ = _moment(c["at"])
            fallback = label.replace("{date}", local_text(c["at"], form))
            options.append(Markup('<option value="{}"{} data-datetime="{}" data-format="{}" data-label="{}">{}</option>')
                           .format(c["id"], Markup(" selected") if c["id"] == selected else "", utc, form, label,
                                   fallback))
        else:
            options.append(Markup('<option value="{}"{}>{}</option>')
                           .format(c["id"], Markup(" selected") if c["id"] == selected else "", label))
    return Markup("").join(options)


FILTERS = {"when": when, "day": day, "clock": clock, "seconds": seconds, "signed_s": signed_s,
           "progress_choices": progress_choices, "rep_options": rep_options}
