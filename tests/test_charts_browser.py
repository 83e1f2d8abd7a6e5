"""The charts of waits, drawn by static/draw.js in real headless Chromium both ways a teacher or coach
sees them: on the pages (the session's wait chart, the progress chart) and in the saved report, whose
one script inlines draw.js (report_script.py; test_report_browser.py compares a real session's page
and report). A rep whose wait could not be timed (no question heard, no pupil named after it)
is said as such — a mark "no wait timed" at its place, the line broken there — never drawn as a dot
at 0 s, which reads as a wait of 0 s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehearse.web.report_script import report_script

from .test_browser import PAGE_TIMEOUT_MS, browser_or_fail

STATIC = Path(__file__).parent.parent / "static"
BAND = {"min_s": 5, "max_s": 12}
SESSION = {"reps": [{"rep": 1, "wait_time_s": 6.2, "passed": True},
                    {"rep": 2, "wait_time_s": None, "passed": False},  # scored, but no wait timed
                    {"rep": 3, "wait_time_s": 4.0, "passed": False}],
           "accurate_at": None, "fluent_at": None}
ACROSS_SESSIONS = {"points": [{"attempt_id": i, "session_id": 1, "rep": i, "at": "2026-11-03T09:00:00+00:00",
                               "value": r["wait_time_s"], "passed": r["passed"]} for i, r in enumerate(SESSION["reps"], 1)],
                   "accurate": None, "fluent": None}
METRIC = {"id": "wait_time_s", "label": "Wait time", "unit": "s", "min": 5, "max": 12}

# What a chart shows: its dots (by tooltip), its marks for reps with nothing to draw, and the pieces
# of its trend line (a path's "M" starts a piece).
SHOWN = """() => {
  const svg = document.querySelector("svg");
  const path = svg.querySelector("path.trend");
  return {
    dots: [...svg.querySelectorAll("circle")].map((c) => c.querySelector("title").textContent),
    unmeasured: [...svg.querySelectorAll(".unmeasured")].map((g) => [g.querySelector("text").textContent,
                                                                     g.querySelector("title").textContent]),
    line_pieces: path ? path.getAttribute("d").split("M").filter((piece) => piece.trim()).length : 0,
  };
}"""


@pytest.fixture(scope="module")
def page():
    chromium, sync_playwright = browser_or_fail()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        yield page
        browser.close()


ORIGIN = "http://charts.test"


def serve(route):
    """A page of its own at ORIGIN, with the app's static files (ES modules: draw.js imports dates.js)."""
    path = route.request.url[len(ORIGIN):]
    if path.startswith("/static/"):
        route.fulfill(path=str(STATIC / path[len("/static/"):]), content_type="text/javascript")
    else:
        route.fulfill(body='<!doctype html><div id="chart"></div>', content_type="text/html")


def drawn_by_the_page(page, call: str):
    """The chart draw.js draws on a page of its own, the module imported as the app's pages import it."""
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate(f"import('/static/draw.js').then(({{ Draw }}) => {{ {call}; }})")
    return page.evaluate(SHOWN)


def drawn_by_the_report(page, band, progress):
    """The wait chart the saved report's script draws from the figures of its JSON island."""
    data = json.dumps({"band": band, "reps": [], "progress": progress})
    page.set_content(f'<div class="chart" id="wait-chart"></div><script type="application/json" id="app-data">{data}'
                     f'</script><script type="module">{report_script()}</script>')
    page.wait_for_selector("#wait-chart svg", state="attached")
    return page.evaluate(SHOWN)


def test_a_rep_with_no_wait_timed_is_said_so_on_the_sessions_chart_and_in_the_saved_report(page):
    on_page = drawn_by_the_page(page, f"Draw.waitChart(document.getElementById('chart'), {json.dumps(SESSION)}, "
                                      f"{json.dumps(BAND)})")
    in_report = drawn_by_the_report(page, BAND, SESSION)
    for shown in (on_page, in_report):
        assert [dot.split(":")[0] for dot in shown["dots"]] == ["Rep 1", "Rep 3"], shown  # no dot for rep 2
        assert shown["unmeasured"] == [["no wait timed", "Rep 2: no wait timed, not yet"]], shown
        assert shown["line_pieces"] == 2, shown  # the line breaks at rep 2 rather than pass through it
    assert on_page == in_report


def test_a_rep_with_no_wait_timed_is_said_so_on_the_progress_chart(page):
    shown = drawn_by_the_page(page, f"Draw.progressChart(document.getElementById('chart'), "
                                    f"{json.dumps(ACROSS_SESSIONS)}, {json.dumps(METRIC)})")
    assert len(shown["dots"]) == 2 and not any("rep 2:" in dot for dot in shown["dots"]), shown
    assert [text for text, _ in shown["unmeasured"]] == ["no wait timed"], shown
    assert shown["unmeasured"][0][1].endswith("rep 2: no wait timed, not yet"), shown
    assert shown["line_pieces"] == 2, shown
