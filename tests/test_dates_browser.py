"""One date style on every page, in the browser's own locale, in real headless Chromium against a real
`rehearse serve` over a store of real scored attempts (tests/seed.py). The server runs in New York's
time zone and the browser in Europe, so a date left as the server wrote it would read hours off: each
date on the history, teacher, progress, attempt (a tap time too), compare, calibration and summary
pages, and each date label of the charts, must read as Intl.DateTimeFormat writes its moment for the
page's locale (British English, then German), and the history's date pickers still filter."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from rehearse.reps import open_store
from rehearse.coaching.calibration import tap_pass
from rehearse.store import history

from .conftest import LABELS
from .server import server_process
from .test_browser import PAGE_TIMEOUT_MS, browser_or_fail
from .test_calibration import coach_taps

# Every date the page shows, with what Intl writes for its moment in the page's locale (computed here,
# apart from static/dates.js): <time> elements, the list boxes' entries, the charts' date labels and
# the tooltips that begin with a date.
DATES_ON_PAGE = """() => {
  const styles = { date: { dateStyle: "medium" }, datetime: { dateStyle: "medium", timeStyle: "short" },
                   time: { timeStyle: "short" } };
  const intl = (iso, style) => new Intl.DateTimeFormat(navigator.language, styles[style]).format(new Date(iso));
  const found = [];
  for (const t of document.querySelectorAll("time"))
    found.push({ kind: "time", shown: t.textContent, expected: intl(t.getAttribute("datetime"), t.dataset.format) });
  for (const o of document.querySelectorAll("option[data-datetime]"))
    found.push({ kind: "option", shown: o.textContent,
                 expected: o.dataset.label.replace("{date}", intl(o.dataset.datetime, o.dataset.format)) });
  for (const n of document.querySelectorAll("svg [data-datetime]:not(title)"))
    found.push({ kind: "chart", shown: n.textContent, expected: intl(n.dataset.datetime, "date") });
  for (const n of document.querySelectorAll("svg title[data-datetime]"))  // a tooltip: the date, then words
    found.push({ kind: "tooltip", shown: n.textContent.slice(0, intl(n.dataset.datetime, "date").length),
                 expected: intl(n.dataset.datetime, "date") });
  return found;
}"""

# The page's words with every such date taken out: what is left must hold no date at all.
TEXT_WITHOUT_DATES = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll("time, option[data-datetime], svg [data-datetime], script").forEach((n) => n.remove());
  return copy.textContent;
}"""
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Januar|Februar|März|Mai|Juni|Juli|Okt|Dez"
ANY_DATE = re.compile(rf"\b\d{{1,2}}\.? ?({MONTHS})\b|\b({MONTHS}) \d{{1,2}}\b|\b\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}\b")

LOCALES = [("en-GB", "Europe/London", "12 Nov 2026, 15:30"), ("de-DE", "Europe/Berlin", "12.11.2026, 16:30")]


@pytest.fixture(scope="module")
def server(history_template, tmp_path_factory):
    """A server in New York's time zone over a copy of the seeded store, one rep tapped along."""
    folder, ids = history_template
    copy = tmp_path_factory.mktemp("dates") / "instance"
    shutil.copytree(folder, copy)
    store = open_store(copy)
    tapped = ids["sessions"][0]["attempts"][1]
    label = LABELS["clips"]["ppn-00-correct-siobhan-clean.flac"]
    store.add_taps(tapped, tap_pass("playback", coach_taps(label, "playback"), store.rep(tapped).duration_s))
    with server_process(copy, env=os.environ | {"TZ": "America/New_York"}) as (url, _process):
        yield url, store, ids, tapped


@pytest.mark.parametrize("locale,zone,latest", LOCALES)
def test_every_date_reads_in_the_browsers_locale(server, locale, zone, latest):
    url, store, ids, tapped = server
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    step = history.step_with_id(store, "pose-pause-name")["id"]
    first, last = ids["sessions"][0]["attempts"][0], ids["sessions"][1]["attempts"][2]
    pages = {"/history": "table.sessions", f"/teachers/{okafor}": "table.sessions",
             f"/progress/{okafor}/{step}": "#pass-rate-chart svg", f"/attempts/{tapped}": "#tap-passes li time",
             f"/compare?a={first}&b={last}": "#side-2 .timeline svg", "/calibration": "#calibration-chart svg",
             f"/sessions/{ids['sessions'][0]['id']}/summary": "#wait-chart svg", "/": "main"}
    chromium, sync_playwright = browser_or_fail()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(locale=locale, timezone_id=zone, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        kinds = set()
        for path, ready in pages.items():
            page.goto(url + path)
            page.wait_for_selector(ready)
            assert page.evaluate("navigator.language") == locale
            dates = page.evaluate(DATES_ON_PAGE)
            assert dates or path == "/", path
            wrong = [d for d in dates if d["shown"] != d["expected"]]
            assert not wrong, (path, wrong)
            kinds |= {d["kind"] for d in dates}
            left = page.evaluate(TEXT_WITHOUT_DATES)
            assert not ANY_DATE.search(left), (path, ANY_DATE.search(left))  # no date in any other style
            if locale == "en-GB":
                assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", page.inner_text("body")), path  # no mm/dd/yyyy
            if path == "/history":
                # The newest session, 15:30 UTC on 12 Nov: in the browser's zone and style, not New York's.
                assert page.inner_text("table.sessions tbody tr >> nth=0").startswith(latest)
            if path.startswith("/progress"):
                assert page.locator("#progress-chart text[data-datetime]").count() >= 1
                assert page.locator("#pass-rate-chart text[data-datetime]").count() == 2
                assert page.locator("#progress-chart text.marker-label tspan[data-datetime]").count() == 2
        assert kinds == {"time", "option", "chart", "tooltip"}

        # The date pickers follow the browser's locale by themselves; the filter reads them as days.
        page.goto(url + "/history")
        page.fill("#f-from", "2026-11-05")
        page.fill("#f-to", "2026-11-10")
        page.click("#filters button[type=submit]")
        page.wait_for_url("**/history?*")
        assert page.locator("table.sessions tbody tr").count() == 1
        assert page.inner_text("table.sessions tbody tr").startswith(page.evaluate(
            "new Intl.DateTimeFormat(navigator.language, {dateStyle: 'medium', timeStyle: 'short'})"
            ".format(new Date('2026-11-10T09:00:00Z'))"))
        browser.close()
    assert not errors, errors
