"""An observed lesson's page, for the coach and the teacher after the lesson (issue 31):

GET  /lessons/<id>                         the figures, the timeline, the questions, who got asked, the talk,
                                           comments; while the lesson is analysed, its progress (web/lessons.py's partial)
GET  /lessons/<id>/audio                   the kept recording (Range requests, as a rep's), 404 once deleted
POST /api/lessons/<id>/marks               {"question": n, "criterion": id, "passed": true|false|null}: the coach
                                           overrules (question -1: a criterion judged over the whole lesson)
POST /api/lessons/<id>/comments            {"at_s": s, "text": "..."}; PATCH/DELETE .../comments/<cid>
POST /lessons/<id>/delete-audio            "delete the audio, keep the figures" (a form, confirmed on the page)
GET  /lessons/<id>/report, /lessons/<id>.csv   the one-file report and a row per question (lesson_report.py)

The JSON endpoints answer with the lesson as the page's script draws it (`lesson_data`), as the rep's
endpoints answer with the rep. Changes carry the CSRF token (security.py); bad input is a 400 of one line.
"""

from __future__ import annotations

import io
import math

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for

from ..errors import RehearseError
from ..scoring.formats import mime_type
from ..scoring.steps import ActionStep
from ..store import comments as rep_comments
from ..store import lessons as stored
from ..store.records import Lesson
from . import context
from .display import step_or_problem
from .errors import Refused
from .inputs import json_object, text_json_bytes
from .lesson_report import lesson_csv, lesson_report, report_name
from .lesson_view import NEVER_MEASURABLE, WHOLE_LESSON, drawing_data, figures_of, measured, question_rows
from .security import require_own_link

bp = Blueprint("lesson_page", __name__)
BODY_BYTES = text_json_bytes(rep_comments.MAX_CHARS)
SEND_COMMENT = 'send the comment as a JSON object: {"at_s": seconds into the lesson, "text": "what you noticed"}'


def lesson_or_404(lesson_id: int) -> Lesson:
    lesson = stored.lesson(context.store(), lesson_id)
    if lesson is None:
        abort(404, description=f"there is no lesson {lesson_id}; its data may have been deleted")
    return lesson


def lesson_view(lesson: Lesson) -> tuple[ActionStep | None, str | None, dict | None, dict]:
    """The lesson's step (or why it cannot be loaded), its figures (lesson_view.figures_of; None
    before it is analysed or without its step) and the lesson as the page's script draws it."""
    store = context.store()
    step, problem = step_or_problem(lesson.step_id, store.instance)
    result = lesson.result or {}
    marks = stored.marks(store, lesson.id)
    measures = measured(step, result, lesson.roster, marks)
    rows = question_rows(result, measures, marks)
    kept = stored.lesson_file(store, lesson)
    has_audio = kept is not None and kept.is_file()
    figures = figures_of(measures)
    data = {"id": lesson.id, "duration_s": lesson.duration_s or result.get("duration_s") or 0.0,
            "questions": rows, "whole": figures["whole"] if figures else [],
            "drawing": drawing_data(result, rows), "audio": has_audio,
            "comments": [c.to_json() for c in stored.comments(store, lesson.id)],
            "urls": {"comments": url_for("lesson_page.add_comment", lesson_id=lesson.id),
                     "marks": url_for("lesson_page.mark", lesson_id=lesson.id),
                     "audio": url_for("lesson_page.audio", lesson_id=lesson.id) if has_audio else None}}
    return step, problem, figures, data


def lesson_data(lesson: Lesson) -> dict:
    """The lesson as the page's script (static/lesson.js) draws it: the JSON endpoints' answer."""
    return lesson_view(lesson)[3]


@bp.get("/lessons/<int:lesson_id>")
def lesson_page(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    done = lesson.status == "done" and lesson.result is not None
    step, problem, figures, data = lesson_view(lesson)
    return render_template("lesson.html", lesson=lesson, step=step, problem=problem, done=done, figures=figures,
                           data=data if done else None, never_measurable=NEVER_MEASURABLE,
                           progress=None if done else progress_urls(lesson.id),
                           deleted=request.args.get("deleted") == "1")


def progress_urls(lesson_id: int) -> dict[str, str] | None:
    """What the progress partial's script asks while the lesson is analysed (web/lessons.py, the
    recording's and upload's side: GET its status, POST cancel and analyse again); None in an app
    without those routes."""
    endpoints = {"status": "lessons.status", "cancel": "lessons.cancel", "analyse": "lessons.analyse_again"}
    if not all(e in current_app.view_functions for e in endpoints.values()):
        return None
    return {key: url_for(endpoint, lesson_id=lesson_id) for key, endpoint in endpoints.items()}


@bp.get("/lessons/<int:lesson_id>/audio")
def audio(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    path = stored.lesson_file(context.store(), lesson)
    if path is None or not path.is_file():
        abort(404, description=f"the recording of lesson {lesson_id} is no longer kept (its figures are)")
    return send_file(path, mimetype=mime_type(path.suffix), conditional=True)


@bp.post("/api/lessons/<int:lesson_id>/marks")
def mark(lesson_id: int):
    """The coach's verdict on one criterion of one question: true, false, or null (the app's stands)."""
    lesson = lesson_or_404(lesson_id)
    body = json_object()
    if body is None:
        raise Refused('send the mark as a JSON object: {"question": n, "criterion": id, "passed": true, false or null}')
    question, criterion, passed = body.get("question"), body.get("criterion"), body.get("passed")
    data = lesson_data(lesson)
    rows = data["questions"]
    if not isinstance(question, int) or isinstance(question, bool) or not WHOLE_LESSON <= question < len(rows):
        raise Refused(f"question must be a number from 0 to {len(rows) - 1} (or {WHOLE_LESSON}: the whole lesson); "
                      f"the lesson has {len(rows)} questions")
    known = [v["id"] for v in (data["whole"] if question == WHOLE_LESSON else rows[question]["verdicts"])]
    if criterion not in known:
        raise Refused(f"unknown criterion {criterion!r} for question {question}; expected one of: "
                      f"{', '.join(known) or 'none (no criterion of the step is measured on it)'}")
    if passed not in (True, False, None):
        raise Refused("passed must be true, false or null")
    stored.mark(context.store(), lesson_id, question, criterion, passed)
    return lesson_data(lesson)


def _comment_body() -> dict:
    body = json_object(BODY_BYTES)
    if body is None:
        raise Refused(SEND_COMMENT)
    return body


def _length(lesson: Lesson) -> float:
    return lesson.duration_s or (lesson.result or {}).get("duration_s") or math.inf


@bp.post("/api/lessons/<int:lesson_id>/comments")
def add_comment(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    body = _comment_body()
    try:
        stored.add_comment(context.store(), lesson_id, body.get("at_s"), body.get("text"), _length(lesson))
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    return lesson_data(lesson), 201


@bp.patch("/api/lessons/<int:lesson_id>/comments/<int:comment_id>")
def edit_comment(lesson_id: int, comment_id: int):
    """A comment's text mended (at its moment, or a new one): kept as a new comment in its place."""
    store = context.store()
    lesson = lesson_or_404(lesson_id)
    body = _comment_body()
    old = next((c for c in stored.comments(store, lesson_id) if c.id == comment_id), None)
    if old is None:
        raise Refused(f"lesson {lesson_id} has no comment {comment_id}; reload the page", status=404)
    try:  # checked before the old one goes, so a refused edit loses nothing
        at_s = rep_comments.checked_moment(body.get("at_s", old.at_s), _length(lesson))
        text = rep_comments.checked_text(body.get("text"))
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    stored.remove_comment(store, lesson_id, comment_id)
    stored.add_comment(store, lesson_id, at_s, text, _length(lesson))
    return lesson_data(lesson)


@bp.delete("/api/lessons/<int:lesson_id>/comments/<int:comment_id>")
def remove_comment(lesson_id: int, comment_id: int):
    lesson = lesson_or_404(lesson_id)
    if not stored.remove_comment(context.store(), lesson_id, comment_id):
        raise Refused(f"lesson {lesson_id} has no comment {comment_id}; reload the page", status=404)
    return lesson_data(lesson)


@bp.post("/lessons/<int:lesson_id>/delete-audio")
def delete_audio(lesson_id: int):
    """Delete the lesson's recording; its figures, marks and comments are kept."""
    lesson_or_404(lesson_id)
    if request.form.get("confirm") != "yes":
        raise Refused("tick \"I understand the recording is deleted for good\", then delete the audio")
    try:
        stored.delete_audio(context.store(), lesson_id)
    except RehearseError as exc:
        raise Refused(str(exc), status=409) from exc
    return redirect(url_for("lesson_page.lesson_page", lesson_id=lesson_id, deleted=1), code=303)


@bp.get("/lessons/<int:lesson_id>/report")
def report(lesson_id: int):
    require_own_link("open the lesson's page and use its \"Save as report\" button")
    lesson = lesson_or_404(lesson_id)
    if lesson.result is None:
        abort(404, description=f"lesson {lesson_id} has not been analysed yet: there is nothing to report")
    step, problem, figures, data = lesson_view(lesson)
    html = lesson_report(lesson, step, problem, figures, data, stored.lesson_file(context.store(), lesson))
    return send_file(io.BytesIO(html.encode("utf-8")), mimetype="text/html", as_attachment=True,
                     download_name=report_name(lesson, "html"), max_age=0)


@bp.get("/lessons/<int:lesson_id>.csv")
def csv_download(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    if lesson.result is None:
        abort(404, description=f"lesson {lesson_id} has not been analysed yet: there are no questions to export")
    text = lesson_csv(lesson, lesson_data(lesson)["questions"])
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype="text/csv", as_attachment=True,
                     download_name=report_name(lesson, "csv"), max_age=0)

