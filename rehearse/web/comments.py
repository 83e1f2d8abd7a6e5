"""JSON endpoints for a coach's comments on a rep's recording (store/comments.py), used by the rep's
page and by the session page after the feedback (static/comments.js).

POST   /api/attempts/<id>/comments        {"at_s": seconds, "text": "..."}  -> 201, the rep
PATCH  /api/attempts/<id>/comments/<cid>  {"text": "...", "at_s": seconds (optional)}
DELETE /api/attempts/<id>/comments/<cid>

Each answers with the rep as it is now (its comments in the order they are heard), as the taps'
endpoints do, so the page draws it again. Bad input is a 400 with {"error": "one line"}; nothing is
kept then. The CSRF token is checked as for every change (security.py; static/api.js sends it).
"""

from __future__ import annotations

from flask import Blueprint, current_app

from ..errors import RehearseError
from ..store import comments
from .errors import Refused
from .inputs import json_object, text_json_bytes
from . import context
from .context import rep_or_404, session_or_404
from .display import rep_view
from ..store.records import Rep

bp = Blueprint("comments", __name__, url_prefix="/api")
BODY_BYTES = text_json_bytes(comments.MAX_CHARS)
SEND = 'send the comment as a JSON object: {"at_s": seconds into the recording, "text": "what you noticed"}'


def _duration(rep: Rep) -> float:
    """The recording's length; one still being recorded cannot be longer than a rep may last."""
    return rep.duration_s or current_app.config["MAX_ATTEMPT_S"]


def _answer(rep_id: int, status: int = 200):
    store = context.store()
    rep = store.rep(rep_id)
    _, step, _ = session_or_404(rep.session_id)
    return rep_view(rep, step), status


@bp.post("/attempts/<int:rep_id>/comments")
def add(rep_id: int):
    store = context.store()
    rep = rep_or_404(rep_id)
    body = json_object(BODY_BYTES)
    if body is None:
        raise Refused(SEND)
    try:
        comments.add(store, rep_id, body.get("at_s"), body.get("text"), _duration(rep))
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    return _answer(rep_id, 201)


@bp.patch("/attempts/<int:rep_id>/comments/<int:comment_id>")
def edit(rep_id: int, comment_id: int):
    store = context.store()
    rep = rep_or_404(rep_id)
    body = json_object(BODY_BYTES)
    if body is None:
        raise Refused(SEND)
    try:
        found = comments.edit(store, rep_id, comment_id, body.get("text"), body.get("at_s"), _duration(rep))
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    if not found:
        raise Refused(f"rep {rep.number} has no comment {comment_id}; reload the page", status=404)
    return _answer(rep_id)


@bp.delete("/attempts/<int:rep_id>/comments/<int:comment_id>")
def remove(rep_id: int, comment_id: int):
    store = context.store()
    rep = rep_or_404(rep_id)
    if not comments.remove(store, rep_id, comment_id):
        raise Refused(f"rep {rep.number} has no comment {comment_id}; reload the page", status=404)
    return _answer(rep_id)
