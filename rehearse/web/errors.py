"""How the app answers a failure, decided in one place for every page and JSON endpoint.

What fails, and what it is answered with:
- A route (or a check of security.py) refuses something: it raises `Refused(message, status=400)`,
  or werkzeug's `abort(status, description=message)`; no route builds an error answer itself.
  The status and the one line are the route's.
- A request werkzeug itself refuses (an address no route has: 404, a method a route does not take:
  405, a body over the limit: 413): its own line, or for 413 ours (the form's or the upload's limit).
- An engine error no route turned into a message of its own (RehearseError): 400, its one line.
- The disk or the database cannot be written (full, read-only, gone; see store/faults.py): 503,
  saying what happened and what to do, and in the log with the traceback.
- Anything else (a bug): 500, saying that nothing already recorded is lost and that the details are
  in the server's log — where Flask has written the traceback.

The answer has one of two shapes. To the pages' scripts (an /api/ or /ws/ address, a JSON body, or
a request that asks for JSON): {"error": "one line"} (static/api.js reads it), with a Refused's
extra keys besides (an upload that could not be saved also returns its rep). To a browser: the app's
own error.html, with a heading fitting the status (plain text if even that page cannot be made).
A form page that shows the form again with what to fix (the start page, the step editor, the
session's note, the sign-in) is a page answering, not a failure, and is not made here.

The WebSocket cannot answer with a page: stream.py sends the same line as an error message before
it closes (`unforeseen`).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from ..errors import RehearseError
from ..store.faults import storage_problem
from .connections import BUFFERED_BODY

log = logging.getLogger(__name__)

UNFORESEEN = ("rehearse hit an error it did not expect ({kind}); its details are in the server's log. "
              "Nothing already recorded is lost: reload the page and try again")
HEADINGS = {400: "Cannot show this", 401: "Sign in first", 403: "Not allowed", 404: "Not here",
            413: "Too large", 429: "Wait a minute", 500: "Something went wrong", 503: "Could not save"}
JSON_PATHS = ("/api/", "/ws/")


class Refused(HTTPException):
    """A route's refusal: one line saying what was wrong and what to do, with its status (400
    unless said), and keys the JSON answer carries besides "error" (`extra`)."""

    def __init__(self, message: str, status: int = 400, extra: dict[str, Any] | None = None):
        super().__init__(description=message)
        self.code = status
        self.extra = extra or {}


def install(app: Flask) -> None:
    """Register every failure's answer on the app (before the blueprints, which add none)."""
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(RehearseError, _engine)
    app.register_error_handler(sqlite3.Error, _storage)
    app.register_error_handler(OSError, _storage)
    app.register_error_handler(InternalServerError, _internal)


def unforeseen(exc: BaseException) -> str:
    """The one line for an error nobody foresaw (its kind only: the details go to the log)."""
    return UNFORESEEN.format(kind=type(exc).__name__)


def _http(error: HTTPException):
    """A Refused, an abort(), or a request werkzeug refused; its headers (a 405's Allow) are kept."""
    message = error.description
    if isinstance(error, RequestEntityTooLarge) and message == RequestEntityTooLarge.description:
        message = _too_large()
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return _answer(error.code or 500, message, extra=getattr(error, "extra", {}), headers=headers)


def _too_large() -> str:
    """Werkzeug's 413 (the body is over request.max_content_length), said as the limit it passed."""
    if request.max_content_length == BUFFERED_BODY:  # not an upload (security._bound_the_body)
        return (f"the form is over {BUFFERED_BODY // 1024} KB, more than the page ever sends; "
                "shorten what you typed, or reload the page and try again")
    limit = current_app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024
    return (f"that file is over {limit:g} MB, too large to be a recording of one rep; upload a shorter one "
            "(whoever runs rehearse can raise the limit with `rehearse serve --max-upload-mb`)")


def _engine(error: RehearseError):
    """An engine error no route turned into a message of its own: its one line, not a crash."""
    return _answer(400, str(error), heading="Cannot do this")


def _storage(exc: Exception):
    problem = storage_problem(exc)
    if problem is None:  # an OSError that is not about the disk: a bug like any other
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        return _answer(500, unforeseen(exc))
    log.error("could not save on %s %s: %s", request.method, request.path, problem, exc_info=exc)
    return _answer(503, f"could not save: {problem}")


def _internal(error: InternalServerError):
    """Flask has logged the exception with its traceback before calling this."""
    return _answer(500, unforeseen(error.original_exception or error))


def _wants_json() -> bool:
    """Is this request from a script (an /api/ or /ws/ address, a JSON body, Accept: application/json)?"""
    return (request.path.startswith(JSON_PATHS) or request.is_json
            or request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json")


def _answer(status: int, message: str, heading: str | None = None, extra: dict[str, Any] | None = None,
            headers: list[tuple[str, str]] | None = None):
    """The one answer of a failure: JSON to a script, the app's error page to a browser."""
    if _wants_json():
        return {"error": message, **(extra or {})}, status, headers or []
    heading = heading or HEADINGS.get(status) or ("Something went wrong" if status >= 500 else "Cannot do this")
    try:
        return render_template("error.html", message=message, heading=heading), status, headers or []
    except Exception:  # noqa: BLE001 - the page itself cannot be made (templates gone): plain text
        log.exception("could not show the error page")
        return f"{heading}: {message}", status, [*(headers or []), ("Content-Type", "text/plain; charset=utf-8")]
