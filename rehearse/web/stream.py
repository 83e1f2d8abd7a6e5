"""The WebSocket a rep is recorded over: the browser's PCM in, the pause cue and the verdict out.

    browser -> {"type": "start"}                      a new rep of the session
    server  -> {"type": "started", "attempt": id, "rep": n}
    browser -> binary frames: 16 kHz 16-bit little-endian mono PCM, as recorded (~100 ms each)
    server  -> {"type": "cue", "state": "waiting"|"done"|"listening", "wait_s": s, "reached": b}
    browser -> {"type": "stop"}
    server  -> {"type": "result", "attempt": {...}}   or {"type": "error", "message": ..., "attempt": {...}}

Each frame is on disk before the next is read. If the connection drops, the rep is kept as an
unscored attempt with everything received, to be scored from the page.
"""

from __future__ import annotations

import json
import logging

from flask import Flask
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from ..attempts import keep_result, session_scenario
from ..errors import RehearseError
from ..live import MAX_ATTEMPT_S, LiveAttempt
from .views import attempt_view, services

log = logging.getLogger(__name__)

RECEIVE_TIMEOUT_S = 30  # no frame for this long while recording: the page is gone


def register(app: Flask) -> None:
    sock = Sock(app)
    sock.route("/ws/sessions/<int:session_id>")(record_rep)


def send(ws, **message) -> None:
    ws.send(json.dumps(message))


def record_rep(ws, session_id: int) -> None:
    """Record one rep of a session over this connection, then score it."""
    store, scorer = services()
    session = store.session(session_id)
    if session is None:
        return send(ws, type="error", message=f"there is no session {session_id}; start one from the first page")
    try:
        scenario, roster = session_scenario(session)
    except RehearseError as exc:
        return send(ws, type="error", message=str(exc))
    try:
        first = ws.receive(timeout=RECEIVE_TIMEOUT_S)
    except ConnectionClosed:
        return
    if not isinstance(first, str) or _kind(first) != "start":
        return send(ws, type="error", message='the page must send {"type": "start"} first; reload it')

    attempt = store.new_attempt(session_id, "live")
    live = LiveAttempt(scorer, scenario, store.audio_file(attempt), roster)
    send(ws, type="started", attempt=attempt["id"], rep=attempt["rep"])
    stopped_by = _receive_audio(ws, live)
    if stopped_by != "stop":
        live.close()
        store.save_failure(attempt["id"], f"{stopped_by} at {live.duration_s:.1f} s; the recording up to "
                           "then is kept: score it now, or record the rep again", live.duration_s)
        log.info("rep %s of session %s not scored: %s", attempt["rep"], session_id, stopped_by)
        if stopped_by.startswith("the connection"):
            return
        return send(ws, type="error", message=stopped_by, attempt=_view(store, attempt["id"], scenario))
    try:
        result = live.finish()
    except RehearseError as exc:
        store.save_failure(attempt["id"], str(exc), live.duration_s)
        return send(ws, type="error", message=str(exc), attempt=_view(store, attempt["id"], scenario))
    except Exception as exc:  # noqa: BLE001 - keep the rep; say so on the page
        log.exception("scoring rep %s of session %s failed", attempt["rep"], session_id)
        message = f"scoring failed ({type(exc).__name__}: {exc}); the recording is kept: score it again"
        store.save_failure(attempt["id"], message, live.duration_s)
        return send(ws, type="error", message=message, attempt=_view(store, attempt["id"], scenario))
    keep_result(store, attempt["id"], result)
    send(ws, type="result", attempt=_view(store, attempt["id"], scenario))


def _receive_audio(ws, live: LiveAttempt) -> str:
    """Take frames until the page says stop; return "stop", or what went wrong, in words."""
    while True:
        try:
            message = ws.receive(timeout=RECEIVE_TIMEOUT_S)
        except ConnectionClosed:
            return "the connection to the page dropped"
        if message is None:
            return f"no audio arrived for {RECEIVE_TIMEOUT_S} s"
        if isinstance(message, str):
            kind = _kind(message)
            if kind == "stop":
                return "stop"
            return f"unexpected message {kind!r} while recording; expected audio or stop"
        if len(message) % 2:
            return "a block of audio with an odd number of bytes arrived; expected 16-bit samples"
        for state in live.add(message):
            send(ws, type="cue", **state.to_dict())
        if live.duration_s >= MAX_ATTEMPT_S:
            return "stop"


def _kind(text: str) -> str | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message.get("type") if isinstance(message, dict) else None


def _view(store, attempt_id: int, scenario) -> dict:
    return attempt_view(store.attempt(attempt_id), scenario)
