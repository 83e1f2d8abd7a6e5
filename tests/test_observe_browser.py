"""Observing a lesson in real headless Chromium (Debian's `chromium`, driven by Playwright), with a
lesson clip as the microphone: record it through the page, upload it, follow its progress to the
lesson's page, and close the page mid-recording — the lesson is kept with its audio and analysed."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import wave
from pathlib import Path

import pytest

from .conftest import CLIPS
from .server import running_server
from .test_browser import browser_or_fail, launch, microphone_wav, watched_page

LESSONS = CLIPS / "lessons"
ANALYSIS_TIMEOUT_S = 900  # a lesson's analysis on a contended two-core machine
LESSON_PAGE = re.compile(r".*/lessons/\d+$")


def lesson_clip() -> str:
    """The first of the short test lessons (tests/clips/lessons/labels.json), as a name under tests/clips."""
    return "lessons/" + json.loads((LESSONS / "labels.json").read_text())["lessons"][0]["file"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("observe") / "instance"
    with running_server(instance) as url:
        yield url, instance


@pytest.fixture()
def page(tmp_path):
    """A page of headless Chromium whose microphone plays the lesson clip; its JavaScript errors in page.errors."""
    chromium, sync_playwright = browser_or_fail()
    mic = tmp_path / "mic.wav"
    microphone_wav(mic, lesson_clip(), lead_s=0.5, tail_s=2.0)
    with sync_playwright() as p:
        browser = launch(p, chromium, mic)
        page, errors = watched_page(browser)
        page.errors = errors
        yield page
        browser.close()


def status_of(url: str, lesson_id: int) -> dict:
    with urllib.request.urlopen(f"{url}/api/lessons/{lesson_id}", timeout=60) as answer:
        return json.load(answer)


def until(page, condition, timeout_s: float) -> None:
    """Wait for `condition` (a page that allows no eval cannot run wait_for_function's strings)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if condition():
                return
        except Error:  # the page reloading (into the findings) at that moment
            pass
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(250)


def fill_in(page, url: str) -> None:
    page.goto(url + "/observe")
    page.fill("#teacher", "Ms Okafor")
    page.select_option("#step", "pose-pause-name")
    assert "Siobhan" in page.input_value("#roster")  # the step's class list, editable
    lesson = json.loads((LESSONS / "labels.json").read_text())["lessons"][0]
    page.fill("#roster", "\n".join(lesson["roster"]))  # the lesson's own class
    assert "Tell the pupils they are being recorded" in page.inner_text("#what-is-kept")


def record_for(page, seconds: int) -> None:
    page.wait_for_selector("#record:not([disabled])")
    page.click("#record")
    page.wait_for_selector("#record.on")
    until(page, lambda: page.inner_text("#timer") >= f"0:{seconds:02d}", 120)


def follow_to_the_findings(page) -> None:
    """On the lesson's page: the progress while it is analysed, then the page reloads into the findings."""
    if page.query_selector("#lesson-progress"):
        until(page, lambda: "%" in page.inner_text("#lesson-progress-text")
              or not page.query_selector("#lesson-progress"), 120)  # the part done, from the server
        until(page, lambda: not page.query_selector("#lesson-progress")
              or page.is_visible("#lesson-progress-error"), ANALYSIS_TIMEOUT_S)
    assert page.query_selector("#lesson-progress") is None, page.inner_text("#lesson-progress")


def test_record_a_lesson_in_the_browser_and_land_on_its_page(server, page):
    url, instance = server
    fill_in(page, url)
    record_for(page, 5)
    page.click("#record")  # Stop
    page.wait_for_url(LESSON_PAGE)
    lesson_id = int(page.url.rsplit("/", 1)[1])
    status = status_of(url, lesson_id)
    assert status["status"] in ("queued", "analysing", "done"), status
    assert status["duration_s"] >= 5  # everything recorded until Stop
    follow_to_the_findings(page)
    assert status_of(url, lesson_id)["status"] == "done"
    assert not page.errors, page.errors


def test_upload_a_lesson_through_the_page(server, page):
    url, _instance = server
    fill_in(page, url)
    page.set_input_files("#recording", str(CLIPS / lesson_clip()))
    page.click("#upload")
    page.wait_for_url(LESSON_PAGE)
    lesson_id = int(page.url.rsplit("/", 1)[1])
    assert status_of(url, lesson_id)["status"] in ("queued", "analysing", "done")
    if page.is_visible("#lesson-cancel"):  # not to keep the job runner busy for the next test
        page.click("#lesson-cancel")
    assert not page.errors, page.errors


def test_a_refused_upload_says_why_on_the_page(server, page, tmp_path):
    url, _instance = server
    notes = tmp_path / "lesson.mp3"
    notes.write_text("not a recording, just notes\n" * 10)
    fill_in(page, url)
    page.set_input_files("#recording", str(notes))
    page.click("#upload")
    page.wait_for_selector("#observe-error:not([hidden])")
    assert "does not hold audio" in page.inner_text("#observe-error")
    assert page.url.endswith("/observe")


def test_a_page_closed_mid_recording_keeps_the_lesson_with_its_audio(server, page):
    url, instance = server
    started = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: started.append(json.loads(frame))
                                          if isinstance(frame, str) and '"started"' in frame else None))
    fill_in(page, url)
    record_for(page, 4)
    page.close()  # the tab closed while recording: the connection drops
    assert started, "the server never said the lesson had started"
    lesson_id = started[0]["lesson_id"]
    deadline = time.monotonic() + 60
    while (status := status_of(url, lesson_id))["status"] == "recording" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status["status"] in ("queued", "analysing", "done"), status  # queued with what there is
    assert status["duration_s"] >= 3.5
    kept = instance / "recordings" / "lessons" / str(lesson_id) / "recording.wav"
    with wave.open(str(kept)) as wav:  # a whole WAV holding everything received
        assert wav.getnframes() / wav.getframerate() == pytest.approx(status["duration_s"], abs=0.01)


def test_the_socket_refuses_a_lesson_without_a_teacher_or_a_known_step(server):
    url, _instance = server
    from .test_stream import refusal

    said = refusal(url, "/ws/lessons/record?teacher=&step=pose-pause-name")
    assert said["type"] == "error" and "teacher's name" in said["message"]
    said = refusal(url, "/ws/lessons/record?teacher=Ms%20Okafor&step=no-such-step")
    assert said["type"] == "error" and "no-such-step" in said["message"]


def test_a_lesson_stopped_before_any_audio_is_kept_as_failed_saying_so(server):
    url, _instance = server
    import simple_websocket

    ws = simple_websocket.Client.connect(url.replace("http", "ws")
                                         + "/ws/lessons/record?teacher=Ms%20Okafor&step=pose-pause-name")
    ws.send(json.dumps({"type": "start"}))
    started = json.loads(ws.receive(timeout=30))
    assert started["type"] == "started" and started["url"] == f"/lessons/{started['lesson_id']}"
    ws.send(json.dumps({"type": "stop"}))
    answer = json.loads(ws.receive(timeout=30))
    ws.close()
    assert answer["type"] == "result" and answer["attempt"]["status"] == "failed"
    assert "nothing was recorded" in status_of(url, started["lesson_id"])["error"]
