"""The HTML pages: start a session, rehearse it, sum it up; and a rep's recording."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for

from ..coaching.plan import SAME, read_note
from ..errors import RehearseError
from ..scoring.name_sounds import parse_roster
from ..scoring.steps import check_all, offered_step
from ..store import plans
from ..store.database import checked_name
from ..typed_text import name_key
from .names import class_lines, class_notes, roster_view
from ..scoring.formats import mime_type
from . import context
from .context import rep_or_404, session_or_404
from .display import playable_examples, session_view, step_view

bp = Blueprint("pages", __name__)



@bp.get("/")
def start(error: str | None = None, form: dict | None = None, status: int = 200):
    store, scorer = context.store(), context.scorer()
    steps, problems = check_all(store.instance)  # a malformed file is named on the page, not fatal
    views = [step_view(s) for s in steps if not s.archived]
    form = form or {"teacher": " ".join(request.args.get("teacher", "").split())}
    # The next step agreed at a teacher's last meeting is preselected (here for ?teacher=, and by
    # start.js as a known teacher's name is typed); the coach can still choose another.
    offered = {v["id"] for v in views}
    agreed = {name: step for name, step in plans.agreed_steps(store).items() if step in offered}
    typed = next((step for name, step in agreed.items() if name_key(name) == name_key(form.get("teacher", ""))), None)
    chosen = (form.get("step") or request.args.get("step") or typed or (views[0]["id"] if views else None))
    # What start.js puts in the class list box at first: what was typed, else the step's class.
    roster = form.get("roster") or "\n".join(next((v["roster"] for v in views if v["id"] == chosen), []))
    return render_template(
        "start.html", steps=views, problems=problems, teachers=store.teacher_names(),
        recent=store.recent_sessions(), error=error, form=form, chosen=chosen, agreed=agreed, typed=typed,
        picked=bool(form.get("step") or request.args.get("step")),
        notes=class_notes(store, scorer, form.get("teacher", ""), roster),
        reps_default=current_app.config["REPS_DEFAULT"]), status


@bp.post("/sessions")
def create_session():
    store = context.store()
    form = request.form.to_dict()
    try:
        if not form.get("teacher", "").strip():
            raise RehearseError("who is practising? Type the teacher's name")
        teacher = checked_name(form["teacher"])
        step = offered_step(form.get("step", ""), store.instance)
        roster_lines = class_lines(form.get("roster", ""))
        roster = parse_roster(roster_lines) if roster_lines else list(step.roster)
        reps = int(form.get("reps") or current_app.config["REPS_DEFAULT"])
        if not 1 <= reps <= 50:
            raise RehearseError(f"reps aimed for: {reps} is out of range; choose 1 to 50")
        # Practising alone is its own mode, marked 'solo' as `rehearse practice` marks its sessions.
        mode = form.get("mode") or "coached"
        if mode not in ("coached", "solo"):
            raise RehearseError(f"who is in the room: {mode!r}; expected coached or solo")
    except ValueError:
        return start(error="reps aimed for: give a whole number, e.g. 10", form=form, status=400)
    except RehearseError as exc:
        return start(error=str(exc), form=form, status=400)
    # Keep the lines as typed (validated above): "Tom (Tomm)" must keep the sound the coach gave.
    session_id = store.start_session(teacher, step.id, step.title,
                                     roster_lines or [p.name for p in roster],
                                     reps, current_app.config["FLUENT_AFTER"], mode=mode)
    return redirect(url_for("pages.rehearse", session_id=session_id))


@bp.get("/sessions/<int:session_id>")
def rehearse(session_id: int):
    store = context.store()
    session, step, problem = session_or_404(session_id)
    if session.finished_at:
        return redirect(url_for("pages.summary", session_id=session_id))
    return render_template("session.html", view=session_view(store, session, step), problem=problem,
                           examples=playable_examples(store, step),
                           roster=roster_view(store, session.teacher_id, session.roster))


@bp.post("/sessions/<int:session_id>/finish")
def finish(session_id: int):
    store = context.store()
    session, step, _problem = session_or_404(session_id)
    view = session_view(store, session, step)
    store.finish_session(session_id, view["progress"])
    return redirect(url_for("pages.summary", session_id=session_id))


@bp.get("/sessions/<int:session_id>/summary")
def summary(session_id: int, form: dict | None = None, errors: dict | None = None, status: int = 200):
    store = context.store()
    session, step, problem = session_or_404(session_id)
    note = plans.note_of(store, session_id)
    if form is None:  # the note as saved, in the form's own terms
        agreed = note["next_step_id"]
        form = {"went_well": note["went_well"] or "", "next_observation": note["next_observation"] or "",
                "next_step": SAME if agreed and agreed == session.step_id else agreed or ""}
    return render_template("summary.html", view=session_view(store, session, step), problem=problem,
                           note=note, form=form, errors=errors or {}, steps=_next_steps(session, note),
                           saved=request.args.get("saved") == "1" and not errors), status


@bp.post("/sessions/<int:session_id>/note")
def save_note(session_id: int):
    """The coach's note at the meeting's end: what went well, the next step, the next observation.
    Anything wrong is one line under its field, and nothing of the note before is changed."""
    store = context.store()
    session, _step, _problem = session_or_404(session_id)
    form = {k: request.form.get(k, "") for k in ("went_well", "next_step", "next_observation")}
    note = read_note(form, session.step_id, _offered(store),
                     kept=plans.note_of(store, session_id)["next_step_id"])
    if not note.ok:
        return summary(session_id, form=form, errors=note.errors, status=400)
    plans.save_note(store, session_id, note.went_well, note.next_step_id, note.next_observation)
    return redirect(url_for("pages.summary", session_id=session_id, saved=1, _anchor="note"))


def _offered(store) -> dict[str, str]:
    """The library's steps a session can be started on (not archived): id → title."""
    return {s.id: s.title for s in check_all(store.instance)[0] if not s.archived}


def _next_steps(session: dict, note: dict) -> list[dict]:
    """The choices of the next step: the same step again (unless archived), the library's other
    steps, and the step the note holds if it has been archived since (so saving again keeps it)."""
    store = context.store()
    offered = _offered(store)
    own = session.step_id
    choices = [{"value": SAME, "label": f"The same step again: {session.title}"}] if own in offered else []
    choices += [{"value": i, "label": t} for i, t in sorted(offered.items(), key=lambda x: x[1]) if i != own]
    kept = note["next_step_id"]
    if kept and kept not in offered:
        choices.append({"value": SAME if kept == own else kept, "label": f"{kept} (archived)"})
    return choices


@bp.get("/attempts/<int:rep_id>/audio")
def rep_audio(rep_id: int):
    store = context.store()
    rep = rep_or_404(rep_id)
    path = store.audio_file(rep)
    if not path.is_file():
        abort(404, description=f"the recording of rep {rep.number} is missing from {path.parent}")
    return send_file(path, mimetype=mime_type(path.suffix),
                     conditional=True)

