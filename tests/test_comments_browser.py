"""A coach's comments on a rep's recording in real headless Chromium against a real `rehearse serve`
over a store of real scored reps: on the rep's page, press C while the recording plays and the comment
lands where the page's player said it was; it shows as a mark on the timeline and a line of the list,
plays from half a second before (from 0 when that is before the start), is edited and deleted; a
click on the timeline comments at the clicked moment. In the meeting, after a rep's feedback, the
same: a click on its timeline, and C while it plays, and typing there does not start a rep.
Set REHEARSE_COMMENTS_SCREENSHOT=path to keep the rep's page with its comments as a picture."""

from __future__ import annotations

import os
import shutil

import pytest

from rehearse.reps import open_store

from .conftest import CLIPS
from .server import running_server
from .test_browser import PAGE_TIMEOUT_MS, browser_or_fail

TOLERANCE_S = 0.05  # the stored moment against the player's currentTime read in the key's handler


@pytest.fixture(scope="module")
def server(history_template, tmp_path_factory):
    folder, ids = history_template
    copy = tmp_path_factory.mktemp("comments") / "instance"
    shutil.copytree(folder, copy)
    with running_server(copy) as url:
        yield url, copy, ids


@pytest.fixture()
def browse(server):
    url, folder, ids = server
    chromium, sync_playwright = browser_or_fail()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, url, open_store(folder), ids
        browser.close()
        assert not errors, errors  # no script on any page failed


def play_until(page, at_s: float) -> None:
    """Play the page's recording from the start and wait until it has passed `at_s` seconds."""
    page.evaluate("() => { const a = document.getElementById('playback'); a.currentTime = 0; return a.play(); }")
    page.wait_for_function("(t) => document.getElementById('playback').currentTime > t", arg=at_s)


def seek_to(page, at_s: float) -> None:
    """Put the paused player at `at_s` seconds, and wait until it is there."""
    page.evaluate("""(t) => new Promise((resolve) => {
        const a = document.getElementById('playback');
        a.pause();
        a.addEventListener('seeked', resolve, { once: true });
        a.currentTime = t; })""", at_s)


def watch_seeks(page) -> None:
    """Keep, in window.seekedTo, each time the page sets the player to (read as the seek starts)."""
    page.evaluate("""() => { window.seekedTo = [];
        document.getElementById('playback').addEventListener('seeking',
            (e) => window.seekedTo.push(e.target.currentTime)); }""")


def last_seek(page) -> float:
    page.wait_for_function("() => window.seekedTo.length > 0")
    return page.evaluate("window.seekedTo.at(-1)")


def click_timeline_at(page, at_s: float, scope: str = "") -> None:
    """Click the drawn timeline where it shows `at_s` seconds."""
    page.locator(f"{scope}#timeline svg").scroll_into_view_if_needed()
    x, y = page.evaluate("""([scope, t]) => {
        const box = document.querySelector(scope + '#timeline');
        const svg = box.querySelector('svg');
        const total = Number(box.dataset.total);
        const p = svg.createSVGPoint();
        p.x = 10 + (t / total) * 880; p.y = 100;  // the layout of Draw.timeline (TL)
        const on = p.matrixTransform(svg.getScreenCTM());
        return [on.x, on.y]; }""", [scope, at_s])
    page.mouse.click(x, y)


def comments_of(store, attempt_id):
    return [(c.at_s, c.text) for c in store.rep(attempt_id).comments]


def test_on_a_reps_page_c_during_playback_comments_where_the_player_is(browse):
    page, url, store, ids = browse
    attempt_id = ids["sessions"][0]["attempts"][1]  # Siobhan, about 9 s
    page.goto(f"{url}/attempts/{attempt_id}")
    page.wait_for_selector("#timeline svg")
    assert page.locator("#timeline .comment-mark").count() == 0

    play_until(page, 2.5)
    page.keyboard.press("c")
    page.wait_for_selector("#comments .comment-form:not([hidden])")
    key_at = float(page.get_attribute("#comments", "data-key-at"))
    assert key_at > 2.5
    assert page.evaluate("document.getElementById('playback').paused")  # held while the coach types
    assert page.evaluate("document.activeElement.id") == "comment-text"
    page.keyboard.type("The question lands: now wait")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments .comment-list li")

    ((at_s, text),) = comments_of(store, attempt_id)
    assert text == "The question lands: now wait"
    assert abs(at_s - key_at) <= TOLERANCE_S, (at_s, key_at)
    assert page.locator("#comments .comment-form").is_hidden()
    mark = page.locator("#timeline .comment-mark")
    assert mark.count() == 1 and float(mark.get_attribute("data-at")) == at_s
    item = page.locator("#comments .comment-list li")
    assert f"at {at_s:.1f} s" in item.inner_text() and "The question lands: now wait" in item.inner_text()

    # Play: from half a second before the moment, by the list's button and by the mark itself.
    watch_seeks(page)
    page.click("#comments .comment-list li .comment-play")
    assert last_seek(page) == pytest.approx(at_s - 0.5, abs=0.001)
    assert not page.evaluate("document.getElementById('playback').paused")
    page.evaluate("window.seekedTo = []; document.getElementById('playback').pause()")
    mark.locator("circle").click()
    assert last_seek(page) == pytest.approx(at_s - 0.5, abs=0.001)
    page.evaluate("document.getElementById('playback').pause()")

    # Near the start: C with the player paused at 0.3 s; its Play starts from 0, not before.
    seek_to(page, 0.3)
    page.keyboard.press("c")
    page.fill("#comment-text", "Straight in, no settling")
    page.click("#comments button[type=submit]")
    page.wait_for_selector("#comments .comment-list li >> nth=1")
    assert comments_of(store, attempt_id)[0] == (pytest.approx(0.3, abs=TOLERANCE_S), "Straight in, no settling")
    page.evaluate("window.seekedTo = []")
    page.click("#comments .comment-list li >> nth=0 >> .comment-play")
    assert last_seek(page) == 0
    page.evaluate("document.getElementById('playback').pause()")

    # A click on the timeline comments at the moment clicked.
    click_timeline_at(page, 6.0)
    page.wait_for_selector("#comments .comment-form:not([hidden])")
    assert page.inner_text("#comments .comment-at") in ("5.9 s", "6.0 s", "6.1 s")
    page.fill("#comment-text", "The name, at last")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments .comment-list li >> nth=2")
    assert comments_of(store, attempt_id)[2] == (pytest.approx(6.0, abs=TOLERANCE_S), "The name, at last")
    assert page.locator("#timeline .comment-mark").count() == 3

    # Nothing to save: one line in the box, the typing kept, nothing stored.
    click_timeline_at(page, 4.0)
    page.fill("#comment-text", "   ")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments .comment-error:not([hidden])")
    assert "the comment is empty" in page.inner_text("#comments .comment-error")
    assert len(comments_of(store, attempt_id)) == 3
    page.keyboard.press("Escape")
    assert page.locator("#comments .comment-form").is_hidden()
    if os.environ.get("REHEARSE_COMMENTS_SCREENSHOT"):
        page.screenshot(path=os.environ["REHEARSE_COMMENTS_SCREENSHOT"], full_page=True)

    # Edit the text, then delete a comment; the page and the store follow.
    page.click("#comments .comment-list li >> nth=2 >> text=Edit")
    assert page.input_value("#comment-text") == "The name, at last"
    page.fill("#comment-text", "The name, at last: 3.5 s after")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments .comment-list li >> text=3.5 s after")
    assert comments_of(store, attempt_id)[2][1] == "The name, at last: 3.5 s after"
    page.click("#comments .comment-list li >> nth=0 >> .comment-delete")
    page.wait_for_function("() => document.querySelectorAll('#comments .comment-list li').length === 2")
    assert [t for _, t in comments_of(store, attempt_id)] == ["The question lands: now wait",
                                                              "The name, at last: 3.5 s after"]
    assert page.locator("#timeline .comment-mark").count() == 2

    page.reload()  # kept: the page opens with them
    page.wait_for_selector("#timeline .comment-mark >> nth=1")
    assert page.locator("#comments .comment-list li").count() == 2


def test_in_the_meeting_after_the_feedback(browse):
    page, url, store, ids = browse
    page.goto(url + "/")
    page.fill("#teacher", "Ms Quinn")
    page.select_option("#step", "pose-pause-name")
    page.click("button[type=submit]")
    page.set_input_files("#upload-file", str(CLIPS / "ppn-00-correct-siobhan-clean.flac"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#feedback:not([hidden]) #timeline svg")
    session_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    attempt_id = store.reps(session_id)[0].id

    click_timeline_at(page, 2.0, "#feedback ")
    page.wait_for_selector("#comments .comment-form:not([hidden])")
    page.keyboard.type("Clear question. Now count in your head")  # its spaces do not start a rep
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments .comment-list li")
    assert page.get_attribute("#record", "aria-pressed") == "false"
    assert comments_of(store, attempt_id) == [(pytest.approx(2.0, abs=TOLERANCE_S), "Clear question. Now count in your head")]

    play_until(page, 4.0)
    page.keyboard.press("c")
    page.wait_for_selector("#comments .comment-form:not([hidden])")
    key_at = float(page.get_attribute("#comments", "data-key-at"))
    page.keyboard.type("Still waiting: good")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments .comment-list li >> nth=1")
    assert abs(comments_of(store, attempt_id)[1][0] - key_at) <= TOLERANCE_S
    assert page.locator("#feedback #timeline .comment-mark").count() == 2
    assert page.get_attribute("#record", "aria-pressed") == "false"
