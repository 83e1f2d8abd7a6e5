"""The WebSockets a rep (or a step's model) is recorded over: PCM in, the pause cue and the verdict out.

    browser -> {"type": "start"}                      a new rep of the session
    server  -> {"type": "started", "attempt": id, "rep": n}
    browser -> binary frames: 16 kHz 16-bit little-endian mono PCM, as recorded (~100 ms each)
    server  -> {"type": "cue", "state": "waiting"|"done"|"listening", "wait_s": s, "reached": b}
    server  -> {"type": "limit", "message": ...}     the rep reached the longest allowed (MAX_ATTEMPT_S)
    browser -> {"type": "stop"}
    server  -> {"type": "result", "attempt": {...}}   or {"type": "error", "message": ..., "attempt": {...}}

/ws/sessions/<id> records the session's next rep; /ws/steps/<step id>/<model|non_example> records
the step's model or non-example, with the same messages. Each frame is on disk before the next is
read. If the connection drops, the recording is kept, unscored, with everything received, to be
scored from the page. Anything else the page might send — a frame over MAX_FRAME_BYTES, an odd
number of bytes, text that is not {"type": "stop"} — ends the rep the same way, with a message
saying what arrived; the server goes on serving. After its last message the server waits a moment
for the page to close the socket first, so that message is never lost to a hasty close.

When the disk or the database cannot be written (full, read-only), the page is told what happened
and what to do, the rep is stored as unscored with that reason and what reached the disk is kept;
anything nobody foresaw is logged with its traceback and told to the page before the socket closes.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.utilities import LocalProtocolError

from ..capture.live import LiveRep
from ..errors import RehearseError
from ..scoring.result import Result
from ..scoring.steps import get_step
from ..store import examples, learnt
from ..reps.live import salvage_recording
from ..reps.scoring import keep_result, session_step
from ..store.faults import storage_problem
from .connections import WEBSOCKET_OPENED
from .errors import unforeseen
from . import context
from .context import live_reps
from .display import example_view, rep_view

log = logging.getLogger(__name__)

RECEIVE_TIMEOUT_S = 30  # no frame for this long while recording: the page is gone
MAX_FRAME_BYTES = 64 * 1024  # 2 s of audio; the page sends ~3 KB blocks (100 ms)
CLOSE_WAIT_S = 2  # after the last message, how long to wait for the page to close the socket


def register(app: Flask) -> None:
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"max_message_size": MAX_FRAME_BYTES})
    sock = Sock(app)
    sock.route("/ws/sessions/<int:session_id>")(opened(record_rep))
    sock.route("/ws/steps/<step_id>/<kind>")(opened(record_example))


def opened(handler: Callable[..., None]) -> Callable[..., None]:
    """Mark the request as a WebSocket, its handshake done (flask-sock calls the handler only then),
    so that the server writes no HTTP response after it (werkzeug_server.py says why)."""
    @functools.wraps(handler)
    def run(ws, *args, **kwargs) -> None:
        request.environ[WEBSOCKET_OPENED] = True
        handler(ws, *args, **kwargs)
    return run


def send(ws, **message) -> None:
    """Send one JSON message; ConnectionClosed if the connection has gone or is going."""
    try:
        ws.send(json.dumps(message))
    except (LocalProtocolError, OSError) as exc:  # closing (wsproto refuses), or the socket is gone
        raise ConnectionClosed() from exc


@dataclass
class Recording:
    """Where a recording over the socket is kept: how to report it and how to store its outcome."""

    label: str  # for the log
    view: Callable[[], dict]
    keep: Callable[[Result], None]
    fail: Callable[[str, float | None], None]


def guarded(handler: Callable[..., None]) -> Callable[..., None]:
    """Anything a handler did not foresee is logged with its traceback, and the page is told in
    one line before the socket closes (a full disk, a read-only database: what to do)."""
    @functools.wraps(handler)
    def run(ws, *args, **kwargs) -> None:
        try:
            handler(ws, *args, **kwargs)
        except ConnectionClosed:
            raise  # the page went: flask-sock ends the connection quietly
        except Exception as exc:  # noqa: BLE001 - said to the page, logged whole
            _report(ws, exc)
    return run


def _report(ws, exc: Exception) -> None:
    """Log an error nobody foresaw with its traceback, and tell the page in one line."""
    problem = storage_problem(exc, "reload the page (a rep already recorded is kept: score it again)")
    log.error("%s failed: %s", request.path, problem or "unforeseen", exc_info=exc)
    _refuse(ws, f"could not record: {problem}" if problem else unforeseen(exc))


@guarded
def record_rep(ws, session_id: int) -> None:
    """Record one rep of a session over this connection, then score it."""
    store, scorer = context.store(), context.scorer()
    session = store.session(session_id)
    if session is None:
        return _refuse(ws, f"there is no session {session_id}; start one from the first page")
    try:
        step, roster = session_step(session, store.instance)
    except RehearseError as exc:
        return _refuse(ws, str(exc))
    if not _started(ws):
        return
    # Heard with how this teacher says the names, as learnt up to now (this session's reps too).
    roster = learnt.roster_for(store, session.teacher_id, roster)
    with live_reps().recording(lambda: store.new_rep(session_id, "live")) as rep:
        recording = Recording(
            f"rep {rep.number} of session {session_id}",
            view=lambda: rep_view(store.rep(rep.id), step),
            keep=lambda result: keep_result(store, rep.id, result),
            fail=lambda error, duration: store.save_failure(rep.id, error, duration))
        live = _open(ws, recording, lambda: LiveRep(scorer, step, store.audio_file(rep), roster))
        if live is not None:
            _record(ws, live, {"attempt": rep.id, "rep": rep.number}, recording)


@guarded
def record_example(ws, step_id: str, kind: str) -> None:
    """Record the model (or non-example) of an action step over this connection, then score it."""
    store, scorer = context.store(), context.scorer()
    try:
        examples.check_kind(kind)
        step = get_step(step_id, store.instance)
    except RehearseError as exc:
        return _refuse(ws, str(exc))
    if not _started(ws):
        return
    found = examples.new_example(store, step_id, kind, "live")
    recording = Recording(
        f"{kind} of {step_id}",
        view=lambda: example_view(examples.example(store, step_id, kind)),
        keep=lambda result: examples.save_result(store, found["id"], result),
        fail=lambda error, duration: examples.save_failure(store, found["id"], error, duration))
    live = _open(ws, recording, lambda: LiveRep(scorer, step, examples.example_file(store, found)))
    if live is not None:
        _record(ws, live, {"attempt": found["id"], "rep": 0}, recording)


def _open(ws, recording: Recording, make: Callable[[], LiveRep]) -> LiveRep | None:
    """The recording's file, made; None (the rep stored as failed, the page told why) if it cannot be."""
    try:
        return make()
    except OSError as exc:
        problem = storage_problem(exc, "record it again")
        if problem is None:
            raise
        message = f"could not save the recording: {problem}"
        log.error("%s: %s", recording.label, message, exc_info=exc)
        recording.fail(message, 0.0)
        _refuse(ws, message, recording.view())
        return None


def _started(ws) -> bool:
    """Wait for the page's {"type": "start"}; False (having said why, if it can) otherwise."""
    try:
        first = ws.receive(timeout=RECEIVE_TIMEOUT_S)
    except ConnectionClosed:
        return False
    if not isinstance(first, str) or _kind(first) != "start":
        _refuse(ws, 'the page must send {"type": "start"} first; reload it')
        return False
    return True


def _refuse(ws, message: str, rep: dict | None = None) -> None:
    """Tell the page why nothing is recorded (and the rep as stored, if there is one), if it is
    still there to be told."""
    try:
        send(ws, type="error", message=message, **({"attempt": rep} if rep else {}))
    except ConnectionClosed:
        pass


def _record(ws, live: LiveRep, started: dict, recording: Recording) -> None:
    """Say the rep has started, take the audio until the page says stop, then score it and send the
    outcome. Whatever happens — the page gone even before "started" reached it — the recording is
    kept and stored as scored or, with the reason, unscored."""
    try:
        send(ws, type="started", **started)
        page_there = True
    except ConnectionClosed:  # what it sent before it went is still read, and kept
        page_there = False
    try:
        stopped_by = _receive_audio(ws, live, current_app.config["MAX_ATTEMPT_S"], page_there)
        _finish(ws, live, recording, stopped_by)
    except ConnectionClosed:  # the outcome is stored; the page shows it when it is opened again
        log.info("%s: the page went before its outcome could be sent", recording.label)
    except Exception as exc:  # noqa: BLE001 - unforeseen: the rep is kept, the page told, the log has it
        _fail_quietly(live, recording, exc)
        _report(ws, exc)
    finally:
        _wait_for_close(ws)


def _fail_quietly(live: LiveRep, recording: Recording, exc: Exception) -> None:
    """Something unforeseen ended the rep: store it as unscored, saying so, if that can still be
    stored (if not, the server settles it when it is scored again: reps.live.LiveReps)."""
    try:
        live.close()
    except Exception:  # noqa: BLE001 - what is on disk is what is kept
        pass
    why = storage_problem(exc, "score it again") or unforeseen(exc)
    try:
        recording.fail(f"{why}; what was recorded is kept", live.duration_s)
    except Exception:  # noqa: BLE001 - logged; the original error is the one reported
        log.exception("%s: could not store that it failed", recording.label)


def _finish(ws, live: LiveRep, recording: Recording, stopped_by: str) -> None:
    if isinstance(stopped_by, SaveFailed):
        return _save_failed(ws, live, recording, stopped_by)
    if stopped_by != "stop":
        live.close()
        recording.fail(f"{stopped_by} at {live.duration_s:.1f} s; the recording up to then is kept: "
                       "score it now, or record it again", live.duration_s)
        log.info("%s not scored: %s", recording.label, stopped_by)
        if not ws.connected:  # dropped, or closed by simple-websocket for an oversize frame
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


class SaveFailed(str):
    """A block of audio could not be written (the disk full, the folder read-only): why, in words."""


def _save_failed(ws, live: LiveRep, recording: Recording, why: SaveFailed) -> None:
    """The recording could not be written on: keep what reached the disk (its header made to count
    exactly that), store the rep as unscored with the reason — or, if even that cannot be stored,
    say so — and tell the page."""
    try:
        live.close()
    except OSError:  # the last block still cannot be flushed: what is on disk is what is kept
        pass
    kept = salvage_recording(live.recorder.path)
    message = f"{why}; " + ("what reached the disk is kept" if kept is None else "nothing was recorded before it"
                            if kept == 0 else f"the {kept:.1f} s saved before it are kept")
    log.error("%s: %s", recording.label, message)
    try:
        recording.fail(message, kept)
    except Exception as exc:  # noqa: BLE001 - the database cannot be written either: say so, keep going
        log.exception("%s: could not store that it failed", recording.label)
        also = storage_problem(exc, "score it again") or unforeseen(exc)
        return _refuse(ws, f"{message}; it could not be marked in the database either: {also}")
    if ws.connected:
        send(ws, type="error", message=message, attempt=recording.view())


def _receive_audio(ws, live: LiveRep, max_s: float, page_there: bool = True) -> str:
    """Take frames until the page says stop; return "stop", or what went wrong, in words. Once the
    page has gone (a cue could not be sent), the frames it sent before are still read and kept."""
    while True:
        message = next_block(ws)
        if isinstance(message, Ended):
            return message
        try:
            states = live.add(message)  # on disk before anything is sent
        except OSError as exc:
            problem = storage_problem(exc, "score it again")
            if problem is None:
                raise
            return SaveFailed(f"could not save the recording at {live.duration_s:.1f} s: {problem}")
        try:
            for state in states if page_there else []:
                send(ws, type="cue", **state.to_dict())
        except ConnectionClosed:  # gone: nothing more is sent, what it sent before is still read
            page_there = False
        if live.duration_s >= max_s:
            try:
                send(ws, type="limit", message=f"A rep can last at most {max_s:g} s, so this one was stopped "
                                               "there and is being scored.")
            except ConnectionClosed:
                pass  # scored all the same
            return "stop"


class Ended(str):
    """Why a recording over the socket ends: "stop" (the page said so), or what went wrong, in words."""


def next_block(ws) -> bytes | Ended:
    """The next block of 16-bit PCM the page sent, or why the recording ends (`Ended`)."""
    try:
        message = _next_message(ws)
    except ConnectionClosed:
        return Ended(_why_closed(ws))
    if message is None:
        return Ended(f"no audio arrived for {RECEIVE_TIMEOUT_S} s")
    if isinstance(message, str):
        kind = _kind(message)
        if kind == "stop":
            return Ended("stop")
        shown = repr(kind) if kind else "that is not a JSON message with a type"
        return Ended(f"unexpected message {shown} while recording; expected audio or stop")
    if len(message) % 2:
        return Ended("a block of audio with an odd number of bytes arrived; expected 16-bit samples")
    return message


def _why_closed(ws) -> str:
    """Why the connection closed while recording, in words: simple-websocket closes it itself (1009)
    when a frame goes over MAX_FRAME_BYTES — noticed while reading or while sending a cue."""
    if getattr(ws, "incoming_message_len", 0) > MAX_FRAME_BYTES:
        return (f"a block of over {MAX_FRAME_BYTES // 1024} KB arrived, where the page sends blocks "
                "of about 3 KB; reload the page")
    return "the connection to the page dropped"


def _next_message(ws):
    """The next message, None after RECEIVE_TIMEOUT_S without one, ConnectionClosed once closed.
    Waits in 1 s steps: when simple-websocket closes a connection itself (a frame over
    MAX_FRAME_BYTES) it can wake the reader before marking the socket closed, and one long wait
    would then last the whole timeout."""
    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    while time.monotonic() < deadline:
        message = ws.receive(timeout=1)
        if message is not None:
            return message
        if not ws.connected:
            raise ConnectionClosed(ws.close_reason, ws.close_message)
    return None


def _wait_for_close(ws) -> None:
    """Read (and drop) whatever still comes until the page closes, for at most CLOSE_WAIT_S."""
    deadline = time.monotonic() + CLOSE_WAIT_S
    try:
        while (left := deadline - time.monotonic()) > 0:
            ws.receive(timeout=left)
    except ConnectionClosed:
        pass


def _kind(text: str) -> str | None:
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        return None
    return message.get("type") if isinstance(message, dict) else None

