"""The coach's review in real headless Chromium against a real `rehearse serve` over a store of real
scored attempts: filter the history, open the progress chart, an attempt, two reps side by side,
overrule a verdict from the attempt page, and delete a teacher's data after typing the name.
Set REHEARSE_REVIEW_SCREENSHOT=path to keep the progress page as a picture."""

from __future__ import annotations

import os
import shutil

import pytest

from rehearse import history
from rehearse.store import Store

from .server import running_server
from .test_browser import PAGE_TIMEOUT_MS, browser_or_fail


@pytest.fixture(scope="module")
def server(history_template, tmp_path_factory):
    """One server (the model loads once) over a copy of the seeded store; the delete test runs last."""
    folder, ids = history_template
    copy = tmp_path_factory.mktemp("review") / "instance"
    shutil.copytree(folder, copy)
    with running_server(copy) as url:
        yield url, copy, ids


@pytest.fixture()
def review(server):
    url, folder, ids = server
    chromium, sync_playwright = browser_or_fail()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, url, Store.open(folder), ids
        browser.close()
        assert not errors, errors  # no script on any page failed


def test_history_to_progress_to_attempt_to_compare(review):
    page, url, store, ids = review
    page.goto(url + "/")
    page.click("nav >> text=History")
    assert page.locator("table.sessions tbody tr").count() == 4
    page.select_option("#f-teacher", label="Ms Okafor")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/history?teacher=*")
    assert page.locator("table.sessions tbody tr").count() == 2
    assert "teacher=" in page.get_attribute("#export-csv", "href")

    page.click("table.steps >> text=Progress")
    page.wait_for_selector("#progress-chart svg")
    assert page.locator("#progress-chart circle").count() == 6
    assert page.locator("#progress-chart circle.pass").count() == 4
    markers = page.locator("#progress-chart text.marker-label").all_text_contents()
    assert [m.split(" (")[0] for m in markers] == ["accurate", "fluent"]
    assert page.locator("#pass-rate-chart rect.rate").count() == 2
    assert "since" in page.inner_text("#accurate-since") and "since" in page.inner_text("#fluent-since")
    if os.environ.get("REHEARSE_REVIEW_SCREENSHOT"):
        page.screenshot(path=os.environ["REHEARSE_REVIEW_SCREENSHOT"], full_page=True)

    page.locator("#progress-chart a.point").nth(1).click()  # rep 2 of the first session
    page.wait_for_url(f"**/attempts/{ids['sessions'][0]['attempts'][1]}")
    page.wait_for_selector("#verdicts li")
    assert page.inner_text("#attempt-verdict") == "All criteria met"
    assert page.locator("#verdicts li.pass").count() == 4
    assert page.locator("#transcript mark.name").count() == 1
    assert page.locator("#timeline svg").count() == 1
    duration = page.evaluate("""() => new Promise((resolve) => {
        const audio = document.getElementById('playback');
        if (audio.readyState >= 1) resolve(audio.duration);
        audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
        audio.load(); })""")
    assert duration > 5  # the recording plays from the server

    # The coach overrules the wait on this page; the verdict and the stored mark follow.
    page.click("#verdicts li[data-criterion=wait_time] button")
    page.wait_for_selector("#verdicts li[data-criterion=wait_time].fail")
    assert page.inner_text("#attempt-verdict") == "Not yet"
    assert store.attempt(ids["sessions"][0]["attempts"][1])["marks"]["wait_time"]["passed"] is False

    page.select_option("#compare-b", index=0)
    page.click("#compare-form button")
    page.wait_for_selector("#side-2 .timeline svg")
    assert page.locator(".side").count() == 2
    assert page.locator("#side-1 .verdicts li").count() == 4
    assert page.locator("tr[data-figure=wait_time_s] td").count() == 3


def test_delete_a_teacher_after_typing_the_name(review):
    page, url, store, ids = review
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    recordings = [store.audio_file(store.attempt(a)) for s in ids["sessions"][:2] for a in s["attempts"]]
    page.goto(f"{url}/teachers/{okafor}")
    page.click("#delete-teacher")
    page.fill("#confirm", "Ms Okafr")
    page.click("button.danger")
    assert "type the name exactly as shown" in page.inner_text("p.error")
    assert all(p.is_file() for p in recordings)
    page.fill("#confirm", "Ms Okafor")
    page.click("button.danger")
    page.wait_for_url("**/history?deleted=*")
    assert "2 sessions and 6 recordings" in page.inner_text("p.notice")
    assert "Okafor" not in page.inner_text("main")
    assert not any(p.exists() for p in recordings)
