"""A rep (or a whole session) as one self-contained HTML file the teacher keeps: "Save as report".

The file holds everything it shows — the recording as a data: URI (report_audio.py), the verdicts
with the coach's marks applied and their evidence, the transcript, the coach's time-stamped comments, the
styles, and the charts (each rep's timeline, a session's wait per rep) with their figures in a JSON
island — and refers to nothing outside itself: no address, no external file, no request of any
kind. The charts are drawn by the pages' own static/draw.js, inlined with the report's script
(report_script.py), so the page and the saved report draw the same picture. Its
Content-Security-Policy (a meta tag, so it holds when the file is opened from disk) forbids loading
anything but data: audio and runs only that one script (by its hash).

It is rendered by its own Jinja environment over the shipped templates (autoescaped: teachers'
names, transcripts and comments are user text), not through a request, so `rehearse report` makes
the same file as the page's button.

A report costs what its recordings cost to encode, so it holds at most what a rep may (`max_s`:
the server's --max-attempt-s, or `rehearse report --max-attempt-s`; report_audio.py), and only the
app's own pages may ask for one: the link carries this browser's CSRF token, as the archive's does
(security.require_own_link), so an <img> or a link on another site cannot make the server build them.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterable

from flask import Blueprint, abort, current_app, send_file
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .. import shipped
from ..capture.live import MAX_ATTEMPT_S
from ..coaching.calibration import band_view
from ..coaching.plan import agreement_view, has_note
from ..coaching.progress import progress_of
from ..scoring.steps import ActionStep
from ..store import history
from ..store.database import Store
from .report_audio import embedded_audio
from .report_script import report_script, script_hash
from .security import require_own_link
from . import context
from .display import FILTERS, rep_facts, step_or_problem, step_titles
from ..store.records import Rep

bp = Blueprint("report", __name__)

LEAD_S = 0.5  # play from this long before a moment (as the pages' replay buttons do)

# The policy; script-src: the hash of the report's one script (report_script.py).
CSP = ("default-src 'none'; media-src data:; img-src data:; style-src 'unsafe-inline'; "
       "script-src {script}; base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class Report:
    filename: str
    html: str


# Comments on the recording's timeline ----------------------------------------------------------

def comments_of(rep: Rep) -> list[dict[str, Any]]:
    """The coach's comments on a rep's recording ({at_s, text, ...}, store/comments.py), as the
    store gives them with the rep; the builders below also take them as a parameter."""
    return [c.to_json() for c in rep.comments]


def clean_comments(comments: Iterable[dict[str, Any]] | None, length_s: float | None) -> list[dict[str, Any]]:
    """Comments in the order of the recording, each with the moment to play from (LEAD_S before)."""
    cleaned = []
    for c in comments or []:
        at = max(0.0, float(c["at_s"]))
        if length_s:
            at = min(at, length_s)
        cleaned.append({"at_s": at, "text": str(c.get("text") or ""), "from_s": max(0.0, at - LEAD_S)})
    return sorted(cleaned, key=lambda c: c["at_s"])


# What the report shows -------------------------------------------------------------------------

def report_rep(store: Store, rep: Rep, step: ActionStep | None,
               comments: Iterable[dict[str, Any]] | None = None, max_s: float = MAX_ATTEMPT_S) -> dict[str, Any]:
    """One rep for the report: the verdicts (coach's marks applied) with their evidence, the
    figures, the transcript marked, the timeline and the recording (at most `max_s` seconds of
    it, with a note on what is left out), all in the file."""
    audio = embedded_audio(store.audio_file(rep), max_s)
    view: dict[str, Any] = {"metrics": None, "words": [], "replay": []} | rep_facts(rep, step) | {
        "comments": clean_comments(comments, rep.duration_s),
        "audio": audio if audio and audio.uri else None, "audio_note": audio and audio.note,
    }
    metrics = view["metrics"]
    if metrics is not None:
        view["replay"] = [{"at_s": t, "from_s": max(0.0, t - LEAD_S), "what": what}
                          for t, what in ((metrics.get("question_end_s"), "the question ends"),
                                          (metrics.get("name_start_s"), "the name")) if t is not None]
    return view


def rep_report(store: Store, rep_id: int, comments: Iterable[dict[str, Any]] | None = None,
               max_s: float = MAX_ATTEMPT_S) -> Report:
    """The report of one rep; `comments` ({at_s, text}) default to the stored ones (comments_of);
    `max_s`: the most of its recording embedded (a rep's limit)."""
    rep = store.rep(rep_id)
    if rep is None:
        raise LookupError(f"there is no attempt {rep_id}")
    session = history.rep_session(store, rep_id)
    step, problem = step_or_problem(session.step_id, store.instance)
    shown = report_rep(store, rep, step, comments_of(rep) if comments is None else comments, max_s)
    html = _render(kind="rep", session=session, step=step, problem=problem, reps=[shown])
    return Report(file_name(session.teacher, session.title, f"rep-{rep.number}", rep.created_at), html)


def session_report(store: Store, session_id: int, comments: dict[int, list[dict[str, Any]]] | None = None,
                   max_s: float = MAX_ATTEMPT_S) -> Report:
    """The report of a session: its progress facts, the wait chart, the plan agreed at the meeting's
    end (as its summary page has it) and every rep with its recording (at most `max_s` seconds of each). `comments` maps a rep's id to its comments; by default the
    stored ones (comments_of)."""
    session = store.session(session_id)
    if session is None:
        raise LookupError(f"there is no session {session_id}")
    step, problem = step_or_problem(session.step_id, store.instance)
    reps = store.reps(session_id)
    shown = [report_rep(store, r, step, comments_of(r) if comments is None else comments.get(r.id, []), max_s)
             for r in reps]
    progress = progress_of(reps, session.fluent_after)
    plan = agreement_view(session, step_titles(store), date.today()) if has_note(session) else None
    html = _render(kind="session", session=session, step=step, problem=problem, reps=shown,
                   progress=progress, plan=plan)
    return Report(file_name(session.teacher, session.title, "session", session.started_at), html)


def file_name(teacher: str, step: str, what: str, at: str) -> str:
    """'Ms-Okafor_Pose-pause-name_rep-2_2026-11-03.html': who, which step, which rep, which (local) day."""
    day = datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d")
    return "_".join([_slug(teacher) or "teacher", _slug(step) or "step", what, day]) + ".html"


def _slug(text: str, limit: int = 40) -> str:
    words = re.findall(r"\w+", unicodedata.normalize("NFC", text))
    return "-".join(words)[:limit].strip("-")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(shipped.folder("templates"))), autoescape=select_autoescape(default=True))
    env.filters.update(FILTERS)
    return env


def chart_data(step: ActionStep | None, reps: list[dict[str, Any]], progress: dict[str, Any] | None) -> dict[str, Any]:
    """What static/report_page.js draws, for the report's JSON island: each scored rep's timeline
    (the figures draw.js `timeline` reads, as the rep's page gives them), the step's wait band and a
    session's progress (draw.js `waitChart`, as the session's summary gives it)."""
    timelines = [{key: r.get(key) for key in ("id", "duration_s", "metrics", "utterances", "agreement", "comments")}
                 for r in reps if r.get("metrics") is not None]
    return {"band": band_view(step.wait_band) if step else None, "reps": timelines, "progress": progress}


def _render(**values: Any) -> str:
    css = (shipped.folder("static") / "rehearse.css").read_text(encoding="utf-8")
    script = report_script()
    data = chart_data(values["step"], values["reps"], values.get("progress"))
    return _environment().get_template("report.html").render(
        csp=CSP.format(script=script_hash(script)), script=Markup(script), data=data, lead_s=LEAD_S, css=Markup(css),
        made_at=datetime.now().astimezone().isoformat(), **values)


# The download ----------------------------------------------------------------------------------

def _download(report: Report):
    return send_file(io.BytesIO(report.html.encode("utf-8")), mimetype="text/html", as_attachment=True,
                     download_name=report.filename, max_age=0)


@bp.get("/attempts/<int:rep_id>/report")
def rep_download(rep_id: int):
    require_own_link("open the rep's page and use its \"Save as report\" button")
    store = context.store()
    try:
        return _download(rep_report(store, rep_id, max_s=current_app.config["MAX_ATTEMPT_S"]))
    except LookupError as exc:
        abort(404, description=str(exc))


@bp.get("/sessions/<int:session_id>/report")
def session_download(session_id: int):
    require_own_link("open the session's summary and use its \"Save as report\" button")
    store = context.store()
    try:
        return _download(session_report(store, session_id, max_s=current_app.config["MAX_ATTEMPT_S"]))
    except LookupError as exc:
        abort(404, description=f"{exc}; start one from the first page")
