"""What the app answers when something fails that no route turned into a message of its own.

- The disk or the database cannot be written (full, read-only, gone; see faults.py): 503, saying
  what happened and what to do, on the app's own page (or as {"error": ...} under /api/), and in
  the log with the traceback.
- Anything else (a bug): 500, the app's own page (or JSON) saying that nothing already recorded is
  lost and that the details are in the server's log — where Flask has written the traceback.

The WebSocket cannot answer with a page: stream.py sends the same line as an error message before
it closes (`unforeseen`).
"""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, render_template, request
from werkzeug.exceptions import InternalServerError

from ..store.faults import storage_problem

log = logging.getLogger(__name__)

UNFORESEEN = ("rehearse hit an error it did not expect ({kind}); its details are in the server's log. "
              "Nothing already recorded is lost: reload the page and try again")


def install(app: Flask) -> None:
    app.register_error_handler(sqlite3.Error, _storage)
    app.register_error_handler(OSError, _storage)
    app.register_error_handler(InternalServerError, _internal)


def unforeseen(exc: BaseException) -> str:
    """The one line for an error nobody foresaw (its kind only: the details go to the log)."""
    return UNFORESEEN.format(kind=type(exc).__name__)


def _storage(exc: Exception):
    problem = storage_problem(exc)
    if problem is None:  # an OSError that is not about the disk: a bug like any other
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        return _answer(500, unforeseen(exc), "Something went wrong")
    log.error("could not save on %s %s: %s", request.method, request.path, problem, exc_info=exc)
    return _answer(503, f"could not save: {problem}", "Could not save")


def _internal(error: InternalServerError):
    """Flask has logged the exception with its traceback before calling this."""
    cause = error.original_exception or error
    return _answer(500, unforeseen(cause), "Something went wrong")


def _answer(status: int, message: str, heading: str):
    if request.path.startswith(("/api/", "/ws/")):
        return {"error": message}, status
    try:
        return render_template("error.html", message=message, heading=heading), status
    except Exception:  # noqa: BLE001 - the page itself cannot be made (templates gone): plain text
        log.exception("could not show the error page")
        return f"{heading}: {message}", status, {"Content-Type": "text/plain; charset=utf-8"}
