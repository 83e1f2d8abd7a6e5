"""JSON endpoints for a coach's comments on a rep's recording (store/comments.py), used by the rep's
page and by the session page after the feedback (static/comments.js).

POST   /api/attempts/<id>/comments        {"at_s": seconds, "text": "..."}  -> 201, the attempt
PATCH  /api/attempts/<id>/comments/<cid>  {"text": "...", "at_s": seconds (optional)}
DELETE /api/attempts/<id>/comments/<cid>

Each answers with the attempt as it is now (its comments in the order they are heard), as the taps'
endpoints do, so the page draws it again. Bad input is a 400 with {"error": "one line"}; nothing is
kept then. The CSRF token is checked as for every change (security.py; static/api.js sends it).
"""

from __future__ import annotations

from flask import Blueprint, current_app

from ..errors import RehearseError
from ..store import comments
from .errors import Refused
from .inputs import json_object, text_json_bytes
from .views import attempt_or_404, attempt_view, services, session_or_404

bp = Blueprint("comments", __name__, url_prefix="/api")
BODY_BYTES = text_json_bytes(comments.MAX_CHARS)
SEND = 'send the comment as a JSON object: {"at_s": seconds into the recording, "text": "what you noticed"}'


def _duration(attempt: dict) -> float:
    """The recording's length; one still being recorded cannot be longer than a rep may last."""
    return attempt["duration_s"] or current_app.config["MAX_ATTEMPT_S"]


def _answer(attempt_id: int, status: int = 200):
    store, _ = services()
    attempt = store.attempt(attempt_id)
    _, _, step, _ = session_or_404(attempt["session_id"])
    return attempt_view(attempt, step), status


@bp.post("/attempts/<int:attempt_id>/comments")
def add(attempt_id: int):
    store, _ = services()
    attempt = attempt_or_404(attempt_id)
    body = json_object(BODY_BYTES)
    if body is None:
        raise Refused(SEND)
    try:
        comments.add(store, attempt_id, body.get("at_s"), body.get("text"), _duration(attempt))
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    return _answer(attempt_id, 201)


@bp.patch("/attempts/<int:attempt_id>/comments/<int:comment_id>")
def edit(attempt_id: int, comment_id: int):
    store, _ = services()
    attempt = attempt_or_404(attempt_id)
    body = json_object(BODY_BYTES)
    if body is None:
        raise Refused(SEND)
    try:
        found = comments.edit(store, attempt_id, comment_id, body.get("text"), body.get("at_s"), _duration(attempt))
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    if not found:
        raise Refused(f"rep {attempt['rep']} has no comment {comment_id}; reload the page", status=404)
    return _answer(attempt_id)


@bp.delete("/attempts/<int:attempt_id>/comments/<int:comment_id>")
def remove(attempt_id: int, comment_id: int):
    store, _ = services()
    attempt = attempt_or_404(attempt_id)
    if not comments.remove(store, attempt_id, comment_id):
        raise Refused(f"rep {attempt['rep']} has no comment {comment_id}; reload the page", status=404)
    return _answer(attempt_id)
