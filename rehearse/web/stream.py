"""The WebSockets a rep (or a step's model) is recorded over: PCM in, the pause cue and the verdict out.

    browser -> {"type": "start"}                      a new rep of the session
    server  -> {"type": "started", "attempt": id, "rep": n}
    browser -> binary frames: 16 kHz 16-bit little-endian mono PCM, as recorded (~100 ms each)
    server  -> {"type": "cue", "state": "waiting"|"done"|"listening", "wait_s": s, "reached": b}
    browser -> {"type": "stop"}
    server  -> {"type": "result", "attempt": {...}}   or {"type": "error", "message": ..., "attempt": {...}}

/ws/sessions/<id> records the session's next rep; /ws/steps/<step id>/<model|non_example> records
the step's model or non-example, with the same messages. Each frame is on disk before the next is
read. If the connection drops, the recording is kept, unscored, with everything received, to be
scored from the page.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from .. import examples
from ..attempts import keep_result, session_scenario
from ..errors import RehearseError
from ..live import MAX_ATTEMPT_S, LiveAttempt
from ..result import Result
from ..scenarios import get_scenario
from .views import attempt_view, example_view, services

log = logging.getLogger(__name__)

RECEIVE_TIMEOUT_S = 30  # no frame for this long while recording: the page is gone


def register(app: Flask) -> None:
    sock = Sock(app)
    sock.route("/ws/sessions/<int:session_id>")(record_rep)
    sock.route("/ws/steps/<scenario_id>/<kind>")(record_example)


def send(ws, **message) -> None:
    ws.send(json.dumps(message))


@dataclass
class Recording:
    """Where a recording over the socket is kept: how to report it and how to store its outcome."""

    label: str  # for the log
    view: Callable[[], dict]
    keep: Callable[[Result], None]
    fail: Callable[[str, float | None], None]


def record_rep(ws, session_id: int) -> None:
    """Record one rep of a session over this connection, then score it."""
    store, scorer = services()
    session = store.session(session_id)
    if session is None:
        return send(ws, type="error", message=f"there is no session {session_id}; start one from the first page")
    try:
        scenario, roster = session_scenario(session, store.instance)
    except RehearseError as exc:
        return send(ws, type="error", message=str(exc))
    if not _started(ws):
        return
    attempt = store.new_attempt(session_id, "live")
    live = LiveAttempt(scorer, scenario, store.audio_file(attempt), roster)
    send(ws, type="started", attempt=attempt["id"], rep=attempt["rep"])
    _record(ws, live, Recording(
        f"rep {attempt['rep']} of session {session_id}",
        view=lambda: attempt_view(store.attempt(attempt["id"]), scenario),
        keep=lambda result: keep_result(store, attempt["id"], result),
        fail=lambda error, duration: store.save_failure(attempt["id"], error, duration)))


def record_example(ws, scenario_id: str, kind: str) -> None:
    """Record the model (or non-example) of an action step over this connection, then score it."""
    store, scorer = services()
    try:
        examples.check_kind(kind)
        scenario = get_scenario(scenario_id, store.instance)
    except RehearseError as exc:
        return send(ws, type="error", message=str(exc))
    if not _started(ws):
        return
    found = examples.new_example(store, scenario_id, kind, "live")
    live = LiveAttempt(scorer, scenario, examples.example_file(store, found))
    send(ws, type="started", attempt=found["id"], rep=0)
    _record(ws, live, Recording(
        f"{kind} of {scenario_id}",
        view=lambda: example_view(examples.example(store, scenario_id, kind)),
        keep=lambda result: examples.save_result(store, found["id"], result),
        fail=lambda error, duration: examples.save_failure(store, found["id"], error, duration)))


def _started(ws) -> bool:
    """Wait for the page's {"type": "start"}; False (having said why, if it can) otherwise."""
    try:
        first = ws.receive(timeout=RECEIVE_TIMEOUT_S)
    except ConnectionClosed:
        return False
    if not isinstance(first, str) or _kind(first) != "start":
        send(ws, type="error", message='the page must send {"type": "start"} first; reload it')
        return False
    return True


def _record(ws, live: LiveAttempt, recording: Recording) -> None:
    """Take the audio until the page says stop, then score it and send the outcome. Whatever
    happens, the recording is kept and stored as scored or, with the reason, unscored."""
    stopped_by = _receive_audio(ws, live)
    if stopped_by != "stop":
        live.close()
        recording.fail(f"{stopped_by} at {live.duration_s:.1f} s; the recording up to then is kept: "
                       "score it now, or record it again", live.duration_s)
        log.info("%s not scored: %s", recording.label, stopped_by)
        if stopped_by.startswith("the connection"):
            return
        return send(ws, type="error", message=stopped_by, attempt=recording.view())
    try:
        result = live.finish()
    except RehearseError as exc:
        recording.fail(str(exc), live.duration_s)
        return send(ws, type="error", message=str(exc), attempt=recording.view())
    except Exception as exc:  # noqa: BLE001 - keep the recording; say so on the page
        log.exception("scoring %s failed", recording.label)
        message = f"scoring failed ({type(exc).__name__}: {exc}); the recording is kept: score it again"
        recording.fail(message, live.duration_s)
        return send(ws, type="error", message=message, attempt=recording.view())
    recording.keep(result)
    send(ws, type="result", attempt=recording.view())


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
        try:
            for state in live.add(message):
                send(ws, type="cue", **state.to_dict())
        except ConnectionClosed:  # gone while the cue was sent: the same as gone while reading
            return "the connection to the page dropped"
        if live.duration_s >= MAX_ATTEMPT_S:
            return "stop"


def _kind(text: str) -> str | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message.get("type") if isinstance(message, dict) else None

