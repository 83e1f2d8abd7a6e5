"""JSON endpoints for the pages' scripts: the session, uploads, re-scoring, coach marks, and a
coach's taps along a rep (calibration).

Errors come back as {"error": "one line"} with a 4xx status; an attempt that could not be scored is
still returned (status "unscored", with its error), because its recording is kept.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ..coaching.calibration import tap_pass
from ..errors import RehearseError
from ..reps.attempts import forget_rep, mark_named, score_stored, without_path
from ..store.comments import MAX_CHARS
from ..store.faults import storage_problem
from ..typed_text import text_problem
from .errors import Refused
from .inputs import json_object, text_json_bytes
from .uploads import checked_suffix
from .views import (attempt_or_404, attempt_view, live_reps, services, session_or_404, session_pupils,
                    session_view)

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    store, session, step, problem = session_or_404(session_id)
    return session_view(store, session, step) | {"problem": problem}


@bp.post("/sessions/<int:session_id>/uploads")
def upload(session_id: int):
    """A recording made elsewhere (a phone) scored as the session's next rep."""
    store, session, step, problem = session_or_404(session_id)
    if problem:
        raise Refused(problem)
    file = request.files.get("recording")
    try:
        suffix = checked_suffix(file)
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    with live_reps().recording(lambda: store.new_attempt(session_id, "upload", suffix)) as attempt:
        path = store.audio_file(attempt)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            file.save(path)
        except OSError as exc:  # a full disk, a read-only folder: say so; what was written stays
            problem = storage_problem(exc, "upload it again")
            if problem is None:
                raise
            message = f"could not save the upload: {problem}"
            current_app.logger.error("rep %s of session %s: %s", attempt["rep"], session_id, message, exc_info=exc)
            store.save_failure(attempt["id"], message, 0.0)
            raise Refused(message, status=503, extra={"attempt": attempt_view(store.attempt(attempt["id"]), step)})
        _, scorer = services()
        stored = score_stored(store, scorer, attempt["id"])
    return attempt_view(stored, step), 201


@bp.post("/attempts/<int:attempt_id>/score")
def rescore(attempt_id: int):
    """Score a stored attempt again (one that failed, or after the roster was corrected)."""
    store, scorer = services()
    attempt = attempt_or_404(attempt_id)
    # One left 'recording' by a failure that could not even be stored is settled now, and scored.
    if attempt["status"] == "recording" and not live_reps().settle_if_left(store, attempt):
        raise Refused(f"rep {attempt['rep']} is still being recorded; stop it first", status=409)
    stored = score_stored(store, scorer, attempt_id)
    _, _, step, _ = session_or_404(stored["session_id"])
    return attempt_view(stored, step)


@bp.post("/attempts/<int:attempt_id>/marks")
def mark(attempt_id: int):
    """The coach's verdict on one criterion: {"criterion": id, "passed": true|false|null, "comment": ""};
    on names_pupil, "pupil" (a name of the session's roster) says who was named where the app did not
    hear whom, or heard someone else: the criterion is then met, the pause after the question counts
    as the wait, and the app learns how the teacher says that name (_mark_named). A comment over
    MAX_CHARS characters is refused (400), not cut."""
    store, _ = services()
    attempt = attempt_or_404(attempt_id)
    body = json_object(text_json_bytes(MAX_CHARS))
    if body is None:
        raise Refused('send the mark as a JSON object: {"criterion": id, "passed": true, false or null, '
                      '"comment": ""}')
    criterion, passed, comment = body.get("criterion"), body.get("passed"), body.get("comment", "")
    pupil = body.get("pupil")
    known = [c["id"] for c in (attempt["result"] or {}).get("criteria", [])]
    if criterion not in known:
        raise Refused(f"unknown criterion {criterion!r} for this attempt; expected one of: "
                      f"{', '.join(known) or 'none (the attempt is not scored yet)'}")
    if passed not in (True, False, None) or not isinstance(comment, str):
        raise Refused("passed must be true, false or null, and comment a string")
    if problem := text_problem("the comment", comment.strip(), MAX_CHARS):  # before anything is marked or learnt
        raise Refused(problem)
    _, session, step, _ = session_or_404(attempt["session_id"])
    if pupil is not None:
        pupils = session_pupils(session, step)
        if criterion != "names_pupil" or pupil not in pupils:
            raise Refused(f"pupil {pupil!r}: give it on names_pupil, as one of the class: "
                          f"{', '.join(pupils) or 'the session has no roster'}")
    if criterion != "names_pupil":
        store.mark(attempt_id, criterion, passed, comment)
        return attempt_view(store.attempt(attempt_id), step)
    return _mark_named(attempt_id, passed, comment, pupil, step)


def _mark_named(attempt_id: int, passed: bool | None, comment: str, pupil: str | None, step):
    """The coach's word on who was named teaches the app how the session's teacher says that
    pupil's name (attempts.mark_named); a mark on names_pupil without a pupil (undone, or "not
    met") forgets what the rep taught. The answer says what was learnt ("learnt"), or why nothing
    was ("learn_note"); the mark is kept either way."""
    store, _ = services()
    learnt, note = None, None
    if pupil is None:
        store.mark(attempt_id, "names_pupil", passed, comment)
        forget_rep(store, attempt_id)
    else:
        try:
            learnt = mark_named(store, attempt_id, pupil, comment)
        except RehearseError as exc:  # the recording can no longer be read: the mark is kept
            note = f"Nothing learnt from this rep: {without_path(str(exc), store, store.attempt(attempt_id))}"
        else:
            note = None if learnt else "Nothing learnt from this rep: nothing was said after the question."
    view = attempt_view(store.attempt(attempt_id), step)
    return view | {"learnt": learnt and view["taught"], "learn_note": note}


@bp.post("/attempts/<int:attempt_id>/taps")
def add_taps(attempt_id: int):
    """One pass of a coach's taps along the rep: {"source": "live"|"playback", "taps": [{"mark":
    "question_end"|"name", "clock": {the page's clock readings}}]}; the times are kept on the
    recording's clock (calibration.align_tap). Returns the attempt with its agreement."""
    store, _ = services()
    attempt = attempt_or_404(attempt_id)
    body = json_object()
    if body is None:
        raise Refused('send the taps as JSON: {"source": "live" or "playback", "taps": [...]}')
    try:
        # A rep still being recorded has no length yet: it cannot be longer than a rep may last.
        tapped = tap_pass(body.get("source"), body.get("taps"),
                          attempt["duration_s"] or current_app.config["MAX_ATTEMPT_S"])
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    store.add_taps(attempt_id, tapped)
    _, _, step, _ = session_or_404(attempt["session_id"])
    return attempt_view(store.attempt(attempt_id), step), 201


@bp.delete("/attempts/<int:attempt_id>/taps/<int:tap_id>")
def remove_taps(attempt_id: int, tap_id: int):
    """Forget one pass of taps (a mistaken one); returns the attempt as it is now."""
    store, _ = services()
    attempt = attempt_or_404(attempt_id)
    if not store.remove_taps(attempt_id, tap_id):
        raise Refused(f"rep {attempt['rep']} has no pass of taps {tap_id}; reload the page", status=404)
    _, _, step, _ = session_or_404(attempt["session_id"])
    return attempt_view(store.attempt(attempt_id), step)
