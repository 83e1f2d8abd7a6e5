"""Numbers and JSON a request carries, read in one place so that no value out of range reaches
SQLite or Python's parsers as a crash.

- Ids in addresses (`<int:...>` in every route, the WebSocket's too) are ASCII digits up to
  SQLite's largest integer: a larger one cannot be an id, and SQLite refuses to even look it up
  (OverflowError), so such an address is a 404 like any other id that is not there.
- Numbers in query strings (`?page=`, `?a=`) go through `query_number`: ASCII digits, bounded.
- JSON bodies go through `json_object`: not JSON, nested deeper than Python parses
  (RecursionError), or not an object, is None, for the route to answer 400 with its own line.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
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


def json_object() -> dict[str, Any] | None:
    """The request's JSON body if it is an object; None if it is not JSON, is nested too deeply to
    parse, or is some other value (a list, a number)."""
    try:
        body = request.get_json(silent=True)  # silent: not JSON is None (a ValueError)
    except RecursionError:  # "[[[[..." deeper than Python parses
        return None
    return body if isinstance(body, dict) else None
