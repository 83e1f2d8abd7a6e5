"""The coach's review pages: history, a teacher, progress on an action step, one rep, two
reps side by side, calibration (the app's timing against the coach's taps), exports (the
reps as CSV or JSON, and the archive of everything with the recordings), and deleting a
teacher's data."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from itertools import groupby

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for

from ..coaching.calibration import rep_agreement, band_view, summarise
from ..coaching.plan import agreement_view, current_step
from ..coaching.progress import step_progress
from .. import staging
from ..errors import RehearseError
from ..scoring.steps import wait_bands
from ..store import archive as archives
from ..store import comments, history, plans
from ..reps.export import rep_records, to_csv, to_json
from ..typed_text import printable, same_name
from .inputs import query_number
from .names import learnt_view
from .errors import Refused
from .security import require_own_link
from . import context
from .context import rep_or_404, teacher_or_404
from .display import compare_choice, rep_view, session_pupils, step_or_problem, step_titles, step_view, taps_of

bp = Blueprint("review", __name__)
MAX_PAGE = 10**9  # of the history: far past the last page there will ever be, and still a number SQLite takes


def _filters(steps: list[dict]) -> tuple[history.Filters, str | None]:
    """The page's filters, or none and the reason they could not be read. `step` is a step's id
    (`cold-call`), as on every page; a number, the action_steps row the history's addresses carried
    before issue 30, is still read (history_page sends it on to the step's id). `steps`: the
    action_steps rows (history.action_steps), read once per request."""
    args = request.args.to_dict()
    step = (args.get("step") or "").strip()
    rows = {s["step_id"]: s["id"] for s in steps}
    if step in rows:
        args["step"] = str(rows[step])
    try:
        return history.Filters.parse(args), None
    except RehearseError as exc:
        return history.Filters(), str(exc)


def _query(filters: history.Filters, steps: list[dict]) -> dict[str, str]:
    """The filters as the fields of a link that keeps them, the step by its id (`step=cold-call`)."""
    query = filters.query()
    step_id = next((s["step_id"] for s in steps if s["id"] == filters.step_row), None)
    if step_id is not None:
        query["step"] = step_id
    return query


@bp.get("/history")
def history_page():
    store = context.store()
    steps = history.action_steps(store)
    filters, error = _filters(steps)
    query = _query(filters, steps)
    if not error and query.get("step", "") != request.args.get("step", ""):
        # an old bookmark's step=<action_steps row>: the same page, addressed by the step's id
        return redirect(url_for("review.history_page", **{**request.args.to_dict(), **query}), 301)
    try:
        page = query_number("page", 1, 1, MAX_PAGE)
    except RehearseError as exc:
        page, error = 1, error or f"{exc}; the pages are numbered from 1"
    sessions, total = history.sessions_page(store, filters, page)
    return render_template(
        "history.html", filters=filters, error=error, steps=history.step_summaries(store, filters),
        sessions=sessions, total=total, page=page, pages=max(-(-total // history.PAGE_SIZE), 1), query=query,
        teachers=history.teachers(store), action_steps=steps,
        deleted=request.args.get("deleted")), 400 if error else 200


@bp.get("/teachers/<int:teacher_id>")
def teacher_page(teacher_id: int):
    store = context.store()
    teacher = teacher_or_404(teacher_id)
    filters = history.Filters(teacher_id=teacher_id)
    sessions, total = history.sessions_page(store, filters, 1, size=200)
    return render_template("teacher.html", teacher=teacher, steps=history.step_summaries(store, filters),
                           sessions=sessions, total=total, plan=_plan_view(teacher_id),
                           learnt=learnt_view(store, teacher_id), forgot=request.args.get("forgot", type=int))



@bp.get("/teachers/<int:teacher_id>/comments")
def teacher_comments(teacher_id: int):
    """Every comment the coach left on this teacher's reps, session by session."""
    teacher = teacher_or_404(teacher_id)
    sessions = [{"step_title": group[0].step_title, "session_started_at": group[0].session_started_at,
                 "comments": group}  # newest session first, as the store gives them
                for group in (list(g) for _, g in groupby(comments.of_teacher(context.store(), teacher_id),
                                                          key=lambda c: c.session_id))]
    return render_template("teacher_comments.html", teacher=teacher, sessions=sessions)

def _plan_view(teacher_id: int) -> dict | None:
    """Where the teacher is in the coaching cycle: the current step (the next step agreed at the last
    meeting, else the step of the last session), its sessions across meetings, and the note of the
    last meeting that has one. None for a teacher with no session."""
    store = context.store()
    latest = plans.latest_session(store, teacher_id)
    step = current_step(latest)
    if step is None:
        return None
    titles = step_titles(store)
    agreed = plans.latest_note(store, teacher_id)
    return {"step_row": step, "title": titles.get(step, step), "agreed_there": step == latest.next_step_id,
            "sessions": plans.step_sessions(store, teacher_id, step),
            "agreed": agreement_view(agreed, titles, date.today()) if agreed else None}


@bp.get("/progress/<int:teacher_id>/<int:step_row>")
def progress_page(teacher_id: int, step_row: int):
    store = context.store()
    teacher = teacher_or_404(teacher_id)
    row = next((s for s in history.action_steps(store) if s["id"] == step_row), None)
    if row is None:
        abort(404, description=f"there is no action step {step_row}")
    step, problem = _step(row["step_id"])
    metric = step.key_metric if step else {"id": "wait_time_s", "label": "Wait time", "unit": "s",
                                                   "min": None, "max": None}
    progress = step_progress(history.step_history(store, teacher_id, step_row), metric["id"])
    return render_template("progress.html", teacher=teacher, step=row, metric=metric, problem=problem,
                           progress=progress)


@bp.get("/attempts/<int:rep_id>")
def rep_page(rep_id: int):
    store = context.store()
    rep = rep_or_404(rep_id)
    session = history.rep_session(store, rep_id)
    step, problem = _step(session.step_id)
    others = [compare_choice(r) for r in history.sibling_reps(store, session.teacher_id, session.step_row)
              if r.id != rep_id]
    pupils = session_pupils(session, step)  # for the one-tap name fix
    return render_template("rep.html", session=session, problem=problem, others=others, pupils=pupils,
                           rep=rep_view(rep, step), step=step_view(step) if step else None)


@bp.get("/compare")
def compare_page():
    store = context.store()
    try:
        ids = [query_number(k, None) for k in ("a", "b")]
    except RehearseError:  # not a number, or one no rep can have
        ids = [None]
    if None in ids:
        abort(404, description="choose two reps to compare (from a rep's page or a progress chart)")
    sides = []
    for rep_id in ids:
        rep = rep_or_404(rep_id)
        session = history.rep_session(store, rep_id)
        step, _problem = _step(session.step_id)
        sides.append({"session": session, "rep": rep_view(rep, step),
                      "step": step_view(step) if step else None})
    return render_template("compare.html", sides=sides)


@bp.get("/calibration")
def calibration_page():
    """Every rep the coach tapped along to (filtered as the history is): the app's wait against the
    coach's, the figures of their agreement, and a scatter of the two."""
    store = context.store()
    steps = history.action_steps(store)
    filters, error = _filters(steps)
    band = wait_bands(store.instance)
    reps = history.reps_in(store, filters, tapped_only=True)
    rows = [{"attempt_id": r.id, "teacher": r.session.teacher, "title": r.session.title, "rep": r.number,
             "at": r.created_at, "agreement": rep_agreement(r.result, taps_of(r), band(r.session.step_id))}
            for r in reps]
    bands = {band(r.session.step_id) for r in reps}  # one band for every rep: the chart shades it
    return render_template(
        "calibration.html", filters=filters, query=_query(filters, steps), error=error, rows=rows,
        summary=summarise(r["agreement"] for r in rows),
        band=band_view(bands.pop()) if len(bands) == 1 else None,
        teachers=history.teachers(store), action_steps=steps), 400 if error else 200


@bp.get("/export.<any(csv, json):kind>")
def export(kind: str):
    store = context.store()
    filters, error = _filters(history.action_steps(store))
    if error:
        raise Refused(error)
    records = rep_records(store, filters)
    body, mimetype = (to_csv(records), "text/csv") if kind == "csv" else (to_json(records), "application/json")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="rehearse-attempts.{kind}"'})


@bp.get("/archive.zip")
def archive():
    """Everything, recordings included: the zip `rehearse export --archive` makes, for `rehearse
    import` on another laptop. It is made in a hidden folder of the instance (it may be large) and
    removed as soon as it is open for sending, so none is left behind even if the download stops.

    Making it reads every recording, so a link of another site must not set it off: besides the
    sign-in every page needs, the link carries this browser's CSRF token, as the forms do."""
    require_own_link("open the History page and use its archive link")
    store = context.store()
    try:
        stage = staging.stage(store.instance, "archive")  # a kill -9 meanwhile: the next start removes it
        try:
            path = stage.folder / "rehearse-archive.zip"
            archives.write_archive(store, path)
            file = path.open("rb")
        finally:
            stage.close()  # the open file stays readable until it is closed
    except OSError as exc:
        raise Refused(f"could not make the archive ({exc}); free some disk space, "
                      "or run `rehearse export --archive FILE.zip`", status=500) from exc
    response = send_file(file, mimetype="application/zip", as_attachment=True,
                         download_name=f"rehearse-{datetime.now():%Y-%m-%d}.zip")
    response.call_on_close(lambda: shutil.rmtree(stage.folder, ignore_errors=True))  # where an open file stays
    return response


@bp.get("/teachers/<int:teacher_id>/delete")
def confirm_delete(teacher_id: int, error: str | None = None, status: int = 200):
    store = context.store()
    teacher = teacher_or_404(teacher_id)
    steps = history.step_summaries(store, history.Filters(teacher_id=teacher_id))
    return render_template("delete.html", teacher=teacher, error=error,
                           sessions=sum(s["sessions"] for s in steps), reps=sum(s["reps"] for s in steps)), status


@bp.post("/teachers/<int:teacher_id>/delete")
def delete_teacher(teacher_id: int):
    store = context.store()
    teacher = teacher_or_404(teacher_id)
    # As the page shows it, or without what cannot be seen or typed: a name kept before typed text
    # had a rule (a NUL, an ESC) can still be deleted.
    if not same_name(request.form.get("confirm", ""), teacher.name):
        return confirm_delete(teacher_id, error=f"to delete, type the name exactly as shown: {printable(teacher.name)}",
                              status=400)
    deleted = store.delete_teacher(teacher_id)
    # No name in the message: it travels in the URL, which the browser keeps in its history.
    learnt = deleted["learnt_names"]
    message = (f"Deleted the teacher's data: {deleted['sessions']} sessions"
               + (f", {deleted['recordings']} recordings and {learnt} learnt name{'s' * (learnt != 1)}." if learnt
                  else f" and {deleted['recordings']} recordings."))
    if deleted["left_on_disk"]:
        message += " These files could not be removed; delete them by hand: " + ", ".join(deleted["left_on_disk"])
    return redirect(url_for("review.history_page", deleted=message))


def _step(step_id: str):
    """The action step, or None and why it cannot be loaded (the history still shows)."""
    return step_or_problem(step_id, context.store().instance)
