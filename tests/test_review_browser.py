"""The coach's review in real headless Chromium against a real `rehearse serve` over a store of real
scored attempts: filter the history, open the progress chart, an attempt, two reps side by side,
overrule a verdict from the attempt page, tap along to a rep as it plays back and see the
calibration page, and delete a teacher's data after typing the name.
Set REHEARSE_REVIEW_SCREENSHOT=path to keep the progress page as a picture,
REHEARSE_CALIBRATION_SCREENSHOT=path for the attempt page after tapping along, and
REHEARSE_CALIBRATION_PAGE_SCREENSHOT=path for the calibration page."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from rehearse.reps import open_store
from rehearse.store import history

from rehearse.coaching.calibration import tap_pass

from .conftest import CLIPS, LABELS
from .seed import HISTORY
from .server import running_server
from .test_browser import PAGE_TIMEOUT_MS, browser_or_fail
from .test_calibration import coach_taps


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
        yield page, url, open_store(folder), ids
        browser.close()
        assert not errors, errors  # no script on any page failed


def test_history_to_progress_to_attempt_to_compare(review):
    page, url, store, ids = review
    page.goto(url + "/")
    page.click("nav >> text=History")
    page.wait_for_url("**/history")  # a click does not wait for the page it opens; count() does not wait
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
    assert page.inner_text("#rep-verdict") == "All criteria met"
    assert page.locator("#verdicts li.pass").count() == 4
    heard = store.rep(ids["sessions"][0]["attempts"][1]).result.metrics.name_heard
    assert " ".join(page.locator("#transcript mark.name").all_text_contents()) == heard  # however many words
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
    assert page.inner_text("#rep-verdict") == "Not yet"
    assert store.rep(ids["sessions"][0]["attempts"][1]).marks["wait_time"].passed is False

    page.select_option("#compare-b", index=0)
    page.click("#compare-form button")
    page.wait_for_selector("#side-2 .timeline svg")
    assert page.locator(".side").count() == 2
    assert page.locator("#side-1 .verdicts li").count() == 4
    assert page.locator("tr[data-figure=wait_time_s] td").count() == 3


def heard(page) -> float:
    """Where the tap-along playback is, as the page says the coach hears it (seconds; 0 before)."""
    return float(page.evaluate("document.getElementById('tap-position').dataset.heard || '0'"))


def tap_when_heard(page, key: str, at_s: float, deadline: float) -> float:
    """Press `key` once the page says the sound at `at_s` is being heard; return where it was then."""
    while (now := heard(page)) < at_s:
        assert time.monotonic() < deadline, f"playback never reached {at_s} s (at {now} s)"
        time.sleep(0.02)
    page.keyboard.press(key)
    return now


def test_tap_along_on_playback_then_the_calibration_page(review):
    page, url, store, ids = review
    attempt_id = ids["sessions"][0]["attempts"][1]  # Siobhan: the question ends at 2.04 s, the name at 7.41 s
    label = LABELS["clips"]["ppn-00-correct-siobhan-clean.flac"]
    metrics = store.rep(attempt_id).result.metrics
    page.goto(f"{url}/attempts/{attempt_id}")
    page.wait_for_selector("#timeline svg")
    assert page.locator("#timeline .app-mark").count() == 2 and page.locator("#timeline .tap-mark").count() == 0

    # Replay marks: play from half a second before the app's question end, to check it by ear.
    page.click("#replay button >> nth=0")
    page.wait_for_timeout(300)
    position = page.evaluate("document.getElementById('playback').currentTime")
    assert metrics.question_end_s - 0.5 <= position < metrics.question_end_s + 1.0
    assert not page.evaluate("document.getElementById('playback').paused")

    # Tap along as it plays back: Q and N a little after each event is heard, as a person would.
    page.click("#tap-play")
    page.wait_for_selector("#tap-play:has-text('Stop')")
    assert page.evaluate("document.getElementById('playback').paused")  # the page's player made way
    deadline = time.monotonic() + 60
    heard_q = tap_when_heard(page, "q", label["question_end"] + 0.2, deadline)
    heard_n = tap_when_heard(page, "n", label["name_start"] + 0.2, deadline)
    page.wait_for_selector("#agreement .agreement-main", timeout=30_000)  # saved when the rep has played out
    (tapped,) = store.rep(attempt_id).taps
    assert tapped.source == "playback"
    # Each tap lands where the page said the sound was heard when the key went down (the poll reads
    # the position a moment before the press: allow for that, and for a busy machine).
    assert heard_q <= tapped.question_end_s <= heard_q + 0.5, (heard_q, tapped)
    assert heard_n <= tapped.name_s <= heard_n + 0.5, (heard_n, tapped)
    assert "Tapped on playback" in page.inner_text("#agreement")
    assert page.locator("#timeline .tap-mark").count() == 2
    assert page.locator("#tap-passes li").count() == 1
    if os.environ.get("REHEARSE_CALIBRATION_SCREENSHOT"):
        page.screenshot(path=os.environ["REHEARSE_CALIBRATION_SCREENSHOT"], full_page=True)

    # The coach tapped the other reps of "pose, pause, name" live, each tap with its own reaction time;
    # on Chloe's short pause (rep 3 on 3 Nov) the question's end came 1.8 s early: different verdicts.
    reactions = iter([(0.24, 0.31), (0.29, 0.22), (0.33, 0.27), (0.21, 0.26), (0.27, 0.35), (0.30, 0.24)])
    for (_, step, _, clips), session in zip(HISTORY, ids["sessions"]):
        for clip, other in zip(clips, session["attempts"]):
            if step != "pose-pause-name" or other == attempt_id:
                continue
            q, n = next(reactions)
            taps = coach_taps(LABELS["clips"][clip], "live", reaction_s=q, name_reaction_s=n,
                              question_early_s=1.8 if "chloe" in clip else 0.0)
            store.add_taps(other, tap_pass("live", taps, store.rep(other).duration_s))
    page.click("nav >> text=Calibration")
    page.wait_for_selector("#calibration-chart svg")
    assert page.locator("#calibration-chart circle").count() == 7
    assert page.locator("#calibration-chart circle.fail").count() == 1  # Chloe's: the verdicts differ
    assert page.locator("#calibration-chart .diagonal").count() == 1
    assert "7 reps tapped along" in page.inner_text("#calibration-facts")
    assert "6 of 7" in page.inner_text("#calibration-facts [data-figure=verdicts]")
    if os.environ.get("REHEARSE_CALIBRATION_PAGE_SCREENSHOT"):
        page.screenshot(path=os.environ["REHEARSE_CALIBRATION_PAGE_SCREENSHOT"], full_page=True)
    page.click(f"#tapped-reps tr[data-attempt='{attempt_id}'] a")
    page.wait_for_url(f"**/attempts/{attempt_id}")

    # A mistaken pass can be removed.
    page.wait_for_selector("#tap-passes li button")
    page.click("#tap-passes li button")
    page.wait_for_selector("#tap-passes li", state="detached")
    assert store.rep(attempt_id).taps == ()
    assert page.locator("#timeline .tap-mark").count() == 0


def test_a_missed_name_is_one_tap_on_a_reps_page(review):
    """A rep in which no pupil was heard after the wait, opened from the history: the coach says
    who was named on the rep's own page; the pause kept becomes the wait there and in the store."""
    page, url, store, ids = review
    page.goto(url + "/")
    page.fill("#teacher", "Ms Quinn")
    page.select_option("#step", "pose-pause-name")
    page.click("button[type=submit]")
    page.set_input_files("#upload-file", str(CLIPS / "ppn-14-no-name-clean.flac"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#verdict-line:not([hidden])")
    session_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    attempt_id = store.reps(session_id)[0].id

    page.goto(f"{url}/attempts/{attempt_id}")
    page.wait_for_selector("#name-fix:not([hidden])")
    assert "If one was named, who?" in page.inner_text("#name-fix")
    page.click("#name-fix button[data-pupil=Niamh]")
    page.wait_for_selector("#name-fix button.chosen")
    assert "the coach says it was Niamh" in page.inner_text("#name-fix")
    kept = store.rep(attempt_id).result.metrics.pause_after_question_s
    wait_row = page.inner_text("#verdicts li[data-criterion=wait_time]")
    assert f"You paused {kept:.1f} s" in wait_row and "named no pupil" not in wait_row
    assert store.rep(attempt_id).marks["names_pupil"].pupil == "Niamh"
    page.click("#name-fix >> text=Undo: no pupil chosen")
    page.wait_for_selector("#name-fix button.chosen", state="detached")
    assert store.rep(attempt_id).marks.get("names_pupil", {}).get("pupil") is None


def test_the_meetings_plan_then_the_start_page_preselects_the_agreed_step(review):
    """At a meeting's end the coach writes the plan on the summary (the date from the browser's own
    date box); the teacher's page shows it; typing the teacher's name on the start page selects the
    agreed step and its class list, until the coach picks another step by hand."""
    page, url, store, ids = review
    byrne = [s for s in ids["sessions"] if s["teacher"] == "Mr Byrne"][-1]["id"]  # his last: key vocabulary
    page.goto(f"{url}/sessions/{byrne}/summary")
    page.fill("#went-well", "Every pair used the word")
    page.select_option("#next-step", "cold-call")
    page.fill("#next-observation", "2031-07-19")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("p.saved")
    assert page.input_value("#next-step") == "cold-call" and page.input_value("#next-observation") == "2031-07-19"
    page.goto(f"{url}/teachers/{history.teacher_named(store, 'Mr Byrne')['id']}")
    assert page.inner_text("#current-step") == "Cold call"
    assert "Every pair used the word" in page.inner_text("#agreed") and "to come" in page.inner_text("#agreed")

    page.goto(url + "/")
    first = page.input_value("#step")
    assert first != "cold-call" and page.is_hidden("#agreed-hint")
    page.type("#teacher", "mr byrne")  # as a coach types it
    assert page.input_value("#step") == "cold-call" and page.is_visible("#agreed-hint")
    assert page.is_visible(".step-details[data-step=cold-call]")
    assert page.input_value("#roster") == page.inner_html(".step-details[data-step=cold-call] template").strip()
    page.fill("#teacher", "Ms Okafor")  # nothing agreed for her: back to the first step
    assert page.input_value("#step") == first and page.is_hidden("#agreed-hint")
    page.fill("#teacher", "Mr Byrne")
    page.select_option("#step", "pose-pause-name")  # the coach's own choice stands
    page.fill("#teacher", "Mr Byrne ")
    assert page.input_value("#step") == "pose-pause-name"


def test_delete_a_teacher_after_typing_the_name(review):
    page, url, store, ids = review
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    recordings = [store.audio_file(store.rep(a)) for s in ids["sessions"][:2] for a in s["attempts"]]
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
