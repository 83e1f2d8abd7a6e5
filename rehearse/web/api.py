"""JSON endpoints for the pages' scripts: the session, uploads, re-scoring, coach marks, and a
coach's taps along a rep (calibration).

Errors come back as {"error": "one line"} (web/errors.py) with a 4xx status, or 503 when the disk
refuses; a rep that could not be scored is still returned (status "unscored", with its error),
because its recording is kept — with a 503, under the key "attempt" beside the error.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ..coaching.calibration import tap_pass
from ..errors import RehearseError
from ..reps.scoring import forget_rep, mark_named, score_stored, without_path
from ..store.comments import MAX_CHARS
from ..store.faults import storage_problem
from ..typed_text import text_problem
from .errors import Refused
from .inputs import json_object, text_json_bytes
from .uploads import checked_suffix
from . import context
from .context import live_reps, rep_or_404, session_or_404
from .display import rep_view, session_pupils, session_view

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    store = context.store()
    session, step, problem = session_or_404(session_id)
    return session_view(store, session, step) | {"problem": problem}


@bp.post("/sessions/<int:session_id>/uploads")
def upload(session_id: int):
    """A recording made elsewhere (a phone) scored as the session's next rep."""
    store = context.store()
    session, step, problem = session_or_404(session_id)
    if problem:
        raise Refused(problem)
    file = request.files.get("recording")
    try:
        suffix = checked_suffix(file)
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    with live_reps().recording(lambda: store.new_rep(session_id, "upload", suffix)) as rep:
        path = store.audio_file(rep)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            file.save(path)
        except OSError as exc:  # a full disk, a read-only folder: say so; what was written stays
            problem = storage_problem(exc, "upload it again")
            if problem is None:
                raise
            message = f"could not save the upload: {problem}"
            current_app.logger.error("rep %s of session %s: %s", rep.number, session_id, message, exc_info=exc)
            store.save_failure(rep.id, message, 0.0)
            raise Refused(message, status=503, extra={"attempt": rep_view(store.rep(rep.id), step)})
        scorer = context.scorer()
        stored = score_stored(store, scorer, rep.id)
    return rep_view(stored, step), 201


@bp.post("/attempts/<int:rep_id>/score")
def rescore(rep_id: int):
    """Score a stored rep again (one that failed, or after the roster was corrected)."""
    store, scorer = context.store(), context.scorer()
    rep = rep_or_404(rep_id)
    # One left 'recording' by a failure that could not even be stored is settled now, and scored.
    if rep.status == "recording" and not live_reps().settle_if_left(store, rep):
        raise Refused(f"rep {rep.number} is still being recorded; stop it first", status=409)
    stored = score_stored(store, scorer, rep_id)
    _, step, _ = session_or_404(stored.session_id)
    return rep_view(stored, step)


@bp.post("/attempts/<int:rep_id>/marks")
def mark(rep_id: int):
    """The coach's verdict on one criterion: {"criterion": id, "passed": true|false|null, "comment": ""};
    on names_pupil, "pupil" (a name of the session's roster) says who was named where the app did not
    hear whom, or heard someone else: the criterion is then met, the pause after the question counts
    as the wait, and the app learns how the teacher says that name (_mark_named). A comment over
    MAX_CHARS characters is refused (400), not cut."""
    store = context.store()
    rep = rep_or_404(rep_id)
    body = json_object(text_json_bytes(MAX_CHARS))
    if body is None:
        raise Refused('send the mark as a JSON object: {"criterion": id, "passed": true, false or null, '
                      '"comment": ""}')
    criterion, passed, comment = body.get("criterion"), body.get("passed"), body.get("comment", "")
    pupil = body.get("pupil")
    known = [c.id for c in rep.result.criteria] if rep.result else []
    if criterion not in known:
        raise Refused(f"unknown criterion {criterion!r} for this attempt; expected one of: "
                      f"{', '.join(known) or 'none (the attempt is not scored yet)'}")
    if passed not in (True, False, None) or not isinstance(comment, str):
        raise Refused("passed must be true, false or null, and comment a string")
    if problem := text_problem("the comment", comment.strip(), MAX_CHARS):  # before anything is marked or learnt
        raise Refused(problem)
    session, step, _ = session_or_404(rep.session_id)
    if pupil is not None:
        pupils = session_pupils(session, step)
        if criterion != "names_pupil" or pupil not in pupils:
            raise Refused(f"pupil {pupil!r}: give it on names_pupil, as one of the class: "
                          f"{', '.join(pupils) or 'the session has no roster'}")
    if criterion != "names_pupil":
        store.mark(rep_id, criterion, passed, comment)
        return rep_view(store.rep(rep_id), step)
    return _mark_named(rep_id, passed, comment, pupil, step)


def _mark_named(rep_id: int, passed: bool | None, comment: str, pupil: str | None, step):
    """The coach's word on who was named teaches the app how the session's teacher says that
    pupil's name (scoring.mark_named); a mark on names_pupil without a pupil (undone, or "not
    met") forgets what the rep taught. The answer says what was learnt ("learnt"), or why nothing
    was ("learn_note"); the mark is kept either way."""
    store = context.store()
    learnt, note = None, None
    if pupil is None:
        store.mark(rep_id, "names_pupil", passed, comment)
        forget_rep(store, rep_id)
    else:
        try:
            learnt = mark_named(store, rep_id, pupil, comment)
        except RehearseError as exc:  # the recording can no longer be read: the mark is kept
            note = f"Nothing learnt from this rep: {without_path(str(exc), store, store.rep(rep_id))}"
        else:
            note = None if learnt else "Nothing learnt from this rep: nothing was said after the question."
    view = rep_view(store.rep(rep_id), step)
    return view | {"learnt": learnt and view["taught"], "learn_note": note}


@bp.post("/attempts/<int:rep_id>/taps")
def add_taps(rep_id: int):
    """One pass of a coach's taps along the rep: {"source": "live"|"playback", "taps": [{"mark":
    "question_end"|"name", "clock": {the page's clock readings}}]}; the times are kept on the
    recording's clock (calibration.align_tap). Returns the rep with its agreement."""
    store = context.store()
    rep = rep_or_404(rep_id)
    body = json_object()
    if body is None:
        raise Refused('send the taps as JSON: {"source": "live" or "playback", "taps": [...]}')
    try:
        # A rep still being recorded has no length yet: it cannot be longer than a rep may last.
        tapped = tap_pass(body.get("source"), body.get("taps"),
                          rep.duration_s or current_app.config["MAX_ATTEMPT_S"])
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    store.add_taps(rep_id, tapped)
    _, step, _ = session_or_404(rep.session_id)
    return rep_view(store.rep(rep_id), step), 201


@bp.delete("/attempts/<int:rep_id>/taps/<int:tap_id>")
def remove_taps(rep_id: int, tap_id: int):
    """Forget one pass of taps (a mistaken one); returns the rep as it is now."""
    store = context.store()
    rep = rep_or_404(rep_id)
    if not store.remove_taps(rep_id, tap_id):
        raise Refused(f"rep {rep.number} has no pass of taps {tap_id}; reload the page", status=404)
    _, step, _ = session_or_404(rep.session_id)
    return rep_view(store.rep(rep_id), step)
