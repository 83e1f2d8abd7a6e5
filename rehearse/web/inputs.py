"""Numbers and JSON a request carries, read in one place so that no value out of range reaches
SQLite or Python's parsers as a crash.

- Ids in addresses (`<int:...>` in every route, the WebSocket's too) are ASCII digits up to
  SQLite's largest integer: a larger one cannot be an id, and SQLite refuses to even look it up
  (OverflowError), so such an address is a 404 like any other id that is not there.
- Numbers in query strings (`?page=`, `?a=`) go through `query_number`: ASCII digits, bounded.
- JSON bodies go through `json_object`: not JSON, nested deeper than Python parses
  (RecursionError), or not an object, is None, for the route to answer 400 with its own line.
  Each route reads at most its own small limit (JSON_BYTES, or `text_json_bytes` for one that takes
  typed text), not the upload limit (MAX_CONTENT_LENGTH, 64 MB, for recordings): a body declared
  larger is refused (BodyTooLarge: 413, answered by errors.py) before a byte of it is read, and one
  sent in chunks, with no length given, once it passes the limit. Read up to the upload limit, 24
  bodies of 60 MB sent at once took the server to 2 GB.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from ..store.history import MAX_ID, whole_number


def digits_at_most(bound: int) -> str:
    """A regular expression for ASCII digits whose number is at most `bound` (leading zeros allowed
    up to its length): for 2**63 - 1, any 1 to 18 digits, or 19 digits no greater than it."""
    top = str(bound)
    shorter = [f"[0-9]{{1,{len(top) - 1}}}"] if len(top) > 1 else []
    lower = [f"{top[:i]}[0-{int(d) - 1}][0-9]{{{len(top) - i - 1}}}" for i, d in enumerate(top) if d != "0"]
    return "(?:" + "|".join(shorter + lower + [top]) + ")"


class IdConverter(IntegerConverter):
    """`<int:...>`, bounded to what SQLite can store: a larger number matches no route at all (404,
    whatever the method: a value the converter refused after matching could make Werkzeug answer
    405 where a route with the same path has another method)."""

    regex = digits_at_most(MAX_ID)  # ASCII digits only (\d also matches other scripts' digits)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


JSON_BYTES = 4 * 1024  # a JSON body of numbers and short names: a pass of taps is about 200 bytes
READ_BYTES = 64 * 1024  # a chunked body is read this much at a time


def text_json_bytes(chars: int) -> int:
    """The largest JSON body of a route that takes `chars` characters of typed text: each written as
    the longest JSON escape (a surrogate pair, "\\ud83d\\ude00", 12 bytes), and JSON_BYTES for the rest."""
    return chars * 12 + JSON_BYTES


class BodyTooLarge(RequestEntityTooLarge):
    """A JSON body over its route's limit: 413 with one line (not the upload limit's message)."""

    def __init__(self, limit: int):
        super().__init__(f"the request is over {limit / 1024:g} KB, more than the page ever sends here; "
                         "shorten what you typed, or reload the page and try again")


def install(app: Flask) -> None:
    """Every `<int:...>` of the app is an IdConverter: call before any route is added."""
    app.url_map.converters["int"] = IdConverter


def query_number(key: str, default: int | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number from the query string (`default` when it is absent or empty); RehearseError
    with one line when it is not ASCII digits from `low` to `high`."""
    value = request.args.get(key, "")
    if not value.strip():
        return default
    return whole_number(value, key, low, high)


def json_object(max_bytes: int = JSON_BYTES) -> dict[str, Any] | None:
    """The request's JSON body if it is an object; None if it is not JSON (as get_json(silent=True)
    says: not sent as application/json, or not parsable), is nested too deeply to parse, or is some
    other value (a list, a number). BodyTooLarge (413) if it is over `max_bytes`: said by its
    Content-Length before any of it is read, or once that much has come of a chunked one."""
    if not request.is_json:
        return None
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyTooLarge(max_bytes)
    data = _read_at_most(max_bytes + 1)
    if len(data) > max_bytes:
        raise BodyTooLarge(max_bytes)
    try:
        body = current_app.json.loads(data)
    except (ValueError, RecursionError):  # not JSON (nor UTF-8); "[[[[..." deeper than Python parses
        return None
    return body if isinstance(body, dict) else None


def _read_at_most(size: int) -> bytes:
    """The request's body, up to `size` bytes (a read may return less than asked: read until then)."""
    parts, got = [], 0
    while got < size:
        part = request.stream.read(min(READ_BYTES, size - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)
