"""Observing a lesson: the page that records or uploads one, and what its scripts ask the server.

    GET  /observe (?teacher=&step=)     the page: who, which action step, the class; Record or Upload
    WS   /ws/lessons/record?teacher=&step=&roster=   the lesson recorded in the browser (below)
    POST /api/lessons                   an uploaded recording (multipart "recording", teacher, step, roster)
    GET  /api/lessons/<id>              {"status", "progress", "eta_s", "stage", "error", "url", ...}
    POST /api/lessons/<id>/cancel       stop its analysis (the audio and the lesson are kept)
    POST /api/lessons/<id>/analyse      analyse it again (after a cancel or a failure)

The WebSocket speaks as a rep's does (stream.py), so the page records with the same capture.js:

    browser -> {"type": "start"}
    server  -> {"type": "started", "lesson_id": id, "url": the lesson's page}
    browser -> binary frames: 16 kHz 16-bit little-endian mono PCM, as recorded (~100 ms each)
    server  -> {"type": "limit", "message": ...}     the lesson reached MAX_LESSON_S
    browser -> {"type": "stop"}
    server  -> {"type": "result", "attempt": the lesson's status}   or {"type": "error", "message": ...}

Each frame is in the lesson's WAV (capture/recording.py: always a readable file) before the next is
read. However the recording ends — Stop, the limit, a dropped connection, a frame the server cannot
take, a full disk — the WAV is finalised and the lesson queued for analysis with what there is; only a
lesson with no audio at all is stored as failed, saying so. The analysis runs in the lessons' job
runner (rehearse.lessons), never in a request, so the app stays usable while it runs.

An upload is checked as a rep's is (uploads.py: a recording's name and first bytes), within its own
limit (MAX_LESSON_UPLOAD_MB); the teacher, step and class are checked first, so a refusal keeps
nothing. The file is written beside its place and moved there whole: no half-written recording.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from ..capture.recording import WavRecorder
from ..errors import RehearseError
from ..observe.lesson_audio import MAX_LESSON_S  # a browser recording stops itself at the longest a lesson can be analysed
from ..reps.live import salvage_recording
from ..scoring.formats import labels
from ..scoring.name_sounds import parse_roster
from ..scoring.steps import ActionStep, check_all, offered_step
from ..store import lessons as lesson_store
from ..store import plans
from ..store.database import Store, checked_name
from ..store.faults import storage_problem
from ..store.records import Lesson
from ..typed_text import name_key
from . import context
from .display import step_view
from .errors import Refused
from .names import class_lines
from .stream import Ended, _kind, _wait_for_close, guarded, next_block, opened, send
from .uploads import checked_suffix

log = logging.getLogger(__name__)

bp = Blueprint("lessons", __name__)
sock = Sock()

MAX_LESSON_UPLOAD_MB = 600  # a lesson's recording: an hour is ~115 MB as 16 kHz WAV, far less compressed


def lesson_url(lesson_id: int) -> str:
    """The lesson's own page (web/lesson_page.py): its progress while analysed, its findings after."""
    return f"/lessons/{lesson_id}"


def status_view(lesson: Lesson) -> dict:
    """What the progress script shows of a lesson: where its analysis is, and where to go."""
    return {"lesson_id": lesson.id, "status": lesson.status, "progress": lesson.progress, "eta_s": lesson.eta_s,
            "stage": lesson.stage, "error": lesson.error, "duration_s": lesson.duration_s,
            "has_audio": lesson.audio_path is not None, "url": lesson_url(lesson.id)}


def _lesson_or_404(lesson_id: int) -> Lesson:
    lesson = lesson_store.lesson(context.store(), lesson_id)
    if lesson is None:
        raise Refused(f"there is no lesson {lesson_id}; observe one from the Observe a lesson page", status=404)
    return lesson


def _limit_mb() -> float:
    return float(current_app.config.get("MAX_LESSON_UPLOAD_MB") or MAX_LESSON_UPLOAD_MB)


# --- the page -----------------------------------------------------------------------------------

@bp.get("/observe")
def observe():
    store = context.store()
    steps, problems = check_all(store.instance)
    views = [step_view(s) for s in steps if not s.archived]
    teacher = " ".join(request.args.get("teacher", "").split())
    # The step asked for, else the one agreed at this teacher's last meeting (what is being observed), else the first.
    agreed = next((step for name, step in plans.agreed_steps(store).items() if name_key(name) == name_key(teacher)), None)
    offered = [v["id"] for v in views]
    chosen = next((s for s in (request.args.get("step"), agreed) if s in offered), offered[0] if offered else None)
    roster = "\n".join(next((v["roster"] for v in views if v["id"] == chosen), []))
    data = {"record": "/ws/lessons/record", "upload": "/api/lessons", "max_upload_mb": _limit_mb(),
            "max_lesson_s": current_app.config.get("MAX_LESSON_S", MAX_LESSON_S)}
    return render_template("observe.html", steps=views, problems=problems, chosen=chosen, teacher=teacher,
                           roster=roster, teachers=store.teacher_names(), data=data,
                           formats=labels(last=" or "))


def _inputs(values) -> tuple[str, ActionStep, list[str]]:
    """Who is observed, on which action step, with which class (as typed, else the step's): each
    checked as the start page checks them; RehearseError with one line otherwise."""
    if not (values.get("teacher") or "").strip():
        raise RehearseError("whose lesson is it? Type the teacher's name")
    teacher = checked_name(values["teacher"])
    if not (values.get("step") or "").strip():
        raise RehearseError("which action step is observed? Choose one")
    step = offered_step(values["step"], context.store().instance)
    lines = class_lines(values.get("roster") or "")
    if lines:
        parse_roster(lines)  # a line no name can be read from is refused here, not at the analysis
    return teacher, step, lines or list(step.roster_lines)


# --- an uploaded recording ----------------------------------------------------------------------

@bp.post("/api/lessons")
def upload():
    """A lesson recorded elsewhere (a phone, a recorder): checked, kept whole, queued for analysis."""
    limit = _limit_mb()
    request.max_content_length = int(limit * 1024 * 1024)
    try:
        form, file = request.form, request.files.get("recording")
    except RequestEntityTooLarge:
        raise Refused(f"that file is over {limit:g} MB, the most a lesson's recording may be; upload a "
                      "compressed copy (M4A or MP3), or ask whoever runs rehearse to raise "
                      "MAX_LESSON_UPLOAD_MB", status=413) from None
    try:
        teacher, step, roster = _inputs(form)
        _check_not_empty(file)
        suffix = checked_suffix(file)
    except RehearseError as exc:
        raise Refused(str(exc)) from exc
    store = context.store()
    lesson = lesson_store.new_lesson(store, teacher, step.id, step.title, roster, source="upload", suffix=suffix)
    _save_whole(store, lesson, file)
    _queue(store, lesson.id)
    return {"lesson_id": lesson.id, "url": lesson_url(lesson.id)}, 201


def _check_not_empty(file: FileStorage | None) -> None:
    if file is None or not file.filename:
        return  # checked_suffix says what to send
    stream = file.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise RehearseError(f"{file.filename!r} is empty; choose the lesson's recording itself")


def _save_whole(store: Store, lesson: Lesson, file: FileStorage) -> None:
    """Write the upload beside its place, then move it there; if it cannot be written whole (a full
    disk), neither the file nor the lesson is kept (503, saying why)."""
    path = lesson_store.lesson_file(store, lesson)
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file.save(part)
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        problem = storage_problem(exc, "upload it again")
        if problem is None:
            raise
        message = f"could not save the upload: {problem}"
        log.error("lesson %s: %s", lesson.id, message, exc_info=exc)
        lesson_store.delete_lesson(store, lesson.id)  # nothing of it is kept: it was never whole
        raise Refused(f"{message}; nothing of it was kept", status=503) from exc


def _queue(store: Store, lesson_id: int, duration_s: float | None = None) -> None:
    """The recording is whole on disk: hand the lesson to the job runner; its page follows the
    analysis from here."""
    lesson_store.recorded(store, lesson_id, duration_s)
    context.lesson_jobs().submit(lesson_id)


# --- its status, cancel, again ------------------------------------------------------------------

@bp.get("/api/lessons/<int:lesson_id>")
def status(lesson_id: int):
    return status_view(_lesson_or_404(lesson_id))


@bp.post("/api/lessons/<int:lesson_id>/cancel")
def cancel(lesson_id: int):
    """Stop the lesson's analysis; its recording and the lesson are kept (Analyse again)."""
    _lesson_or_404(lesson_id)
    if not context.lesson_jobs().cancel(lesson_id):
        lesson = _lesson_or_404(lesson_id)
        raise Refused(f"the lesson's analysis is {lesson.status} already: there is nothing to cancel; "
                      "reload the page", status=409, extra={"lesson": status_view(lesson)})
    return status_view(_lesson_or_404(lesson_id))


@bp.post("/api/lessons/<int:lesson_id>/analyse")
def analyse_again(lesson_id: int):
    """Queue a cancelled or failed lesson for analysis again (its recording kept)."""
    lesson = _lesson_or_404(lesson_id)
    if lesson.status not in ("failed", "cancelled"):
        raise Refused(f"the lesson is {lesson.status}; only a failed or cancelled analysis is started again",
                      status=409, extra={"lesson": status_view(lesson)})
    if not context.lesson_jobs().again(lesson_id):
        raise Refused("the lesson's recording has been deleted (its figures are kept), so it cannot be "
                      "analysed again", status=409, extra={"lesson": status_view(_lesson_or_404(lesson_id))})
    return status_view(_lesson_or_404(lesson_id))


# --- a lesson recorded in the browser -----------------------------------------------------------

@sock.route("/ws/lessons/record", bp=bp)
@opened
@guarded
def record(ws) -> None:
    """Record a lesson over this connection into its WAV, then queue it for analysis."""
    try:
        teacher, step, roster = _inputs(request.args)
    except RehearseError as exc:
        return _refuse(ws, str(exc))
    try:
        first = ws.receive(timeout=30)
    except ConnectionClosed:
        return None
    if not isinstance(first, str) or _kind(first) != "start":
        return _refuse(ws, 'the page must send {"type": "start"} first; reload it')
    store = context.store()
    lesson = lesson_store.new_lesson(store, teacher, step.id, step.title, roster, source="browser")
    try:
        recorder = WavRecorder(lesson_store.lesson_file(store, lesson))
    except OSError as exc:
        problem = storage_problem(exc, "record it again")
        lesson_store.save_failure(store, lesson.id, f"could not save the recording: {problem or exc}")
        raise
    try:
        send(ws, type="started", lesson_id=lesson.id, url=lesson_url(lesson.id))
    except ConnectionClosed:
        pass  # what it sent before it went is still read, and kept
    try:
        ended_by = _take_audio(ws, recorder, current_app.config.get("MAX_LESSON_S", MAX_LESSON_S))
    finally:
        _finish(store, lesson.id, recorder)
    log.info("lesson %s recorded (%.1f s): %s", lesson.id, recorder.duration_s, ended_by)
    try:
        view = status_view(lesson_store.lesson(store, lesson.id))
        if ended_by == "stop":
            send(ws, type="result", attempt=view)
        else:
            send(ws, type="error", message=f"{ended_by}; the {recorder.duration_s:.0f} s recorded up to then "
                                           "are kept and being analysed", attempt=view)
    except ConnectionClosed:
        return None
    _wait_for_close(ws)


def _take_audio(ws, recorder: WavRecorder, max_s: float) -> str:
    """Write frames until the page says stop; "stop", or what ended the recording, in words."""
    while True:
        message = next_block(ws)
        if isinstance(message, Ended):
            return message
        try:
            recorder.append(message)
        except OSError as exc:
            problem = storage_problem(exc, "record again")
            if problem is None:
                raise
            return f"could not save the recording at {recorder.duration_s:.0f} s: {problem}"
        if recorder.duration_s >= max_s:
            try:
                send(ws, type="limit", message=f"A lesson can be recorded for at most {max_s / 3600:g} h, so "
                                               "the recording was stopped there and is being analysed.")
            except ConnectionClosed:
                pass
            return "stop"


def _finish(store: Store, lesson_id: int, recorder: WavRecorder) -> None:
    """Close the WAV (its header already counts every block written) and queue the lesson; with no
    audio at all, store it as failed, saying so."""
    try:
        recorder.close()
    except OSError:  # the last flush failed: what is on disk is what is kept
        log.exception("lesson %s: closing its recording failed", lesson_id)
    if recorder.data_bytes == 0:
        lesson_store.save_failure(store, lesson_id, "nothing was recorded: the page sent no audio before "
                                                    "it stopped; record the lesson again")
        return
    _queue(store, lesson_id, recorder.duration_s)


def _refuse(ws, message: str) -> None:
    try:
        send(ws, type="error", message=message)
    except ConnectionClosed:
        pass


def recover_recordings(store: Store, jobs) -> list[int]:
    """At the server's start: lessons it was recording when it stopped (status 'recording') have their
    WAV made whole (every block that reached the disk counted, reps.live.salvage_recording) and are
    queued for analysis; one with no audio is stored as failed, saying so. Returns the lessons queued."""
    queued = []
    for found in lesson_store.interrupted(store):
        if found.status != "recording":
            continue
        path = lesson_store.lesson_file(store, found)
        seconds = salvage_recording(path) if path is not None else None
        if not seconds:
            lesson_store.save_failure(store, found.id, "the server stopped before any of the lesson's audio "
                                                       "was saved; record it again")
            continue
        lesson_store.recorded(store, found.id, seconds)
        jobs.submit(found.id)
        queued.append(found.id)
    return queued
