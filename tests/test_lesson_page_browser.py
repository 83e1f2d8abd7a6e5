"""An observed lesson's page in real headless Chromium against a real `rehearse serve` over a real store
(the seeded history and a lesson saved from hand-made analysis JSON with a real WAV, as
test_lesson_page.py makes it): the timeline is drawn with a mark per question posed; a question's
▶ Play sets the player half a second before the question and plays; the coach's overrule of a
verdict is kept and shown, and taken back; a click on the timeline opens a comment at that moment,
kept by the server and shown as a mark and a line of the list; the teacher page draws the lesson's
median wait beside each rehearsal session's; no script on any page fails."""

from __future__ import annotations

import shutil

import pytest

from rehearse.store import lessons

from .server import running_server
from .test_comments_browser import browse  # noqa: F401 - the page in Chromium over this module's `server`
from .test_lesson_page import ANALYSIS, saved_lesson


@pytest.fixture(scope="module")
def server(history_template, tmp_path_factory):
    folder, _ = history_template
    copy = tmp_path_factory.mktemp("lesson") / "instance"
    shutil.copytree(folder, copy)
    _, made = saved_lesson(copy)
    with running_server(copy) as url:
        yield url, copy, made


def test_a_question_plays_from_half_a_second_before_it(browse):
    page, url, _, made = browse
    page.goto(f"{url}/lessons/{made.id}")
    page.wait_for_selector("#lesson-timeline svg")
    posed = [q for q in ANALYSIS["questions"] if q["kind"] == "posed"]
    assert page.locator("#lesson-timeline .lesson-question-mark").count() == len(posed)
    page.wait_for_function("() => document.getElementById('playback').readyState >= 1")
    second = posed[1]  # the one at 20.5 s
    page.click(f"#question-2 .question-play")
    page.wait_for_function("() => !document.getElementById('playback').paused")
    at = page.evaluate("document.getElementById('playback').currentTime")
    page.evaluate("document.getElementById('playback').pause()")
    assert float(page.get_attribute("#playback", "data-played-from")) == pytest.approx(second["start"] - 0.5)
    assert second["start"] - 0.5 - 0.05 <= at < second["start"] + 1.5  # set there, and playing on from it


def test_the_coach_overrules_a_verdict_and_the_page_shows_it(browse):
    page, url, store, made = browse
    page.goto(f"{url}/lessons/{made.id}")
    first = page.locator("#question-0 .verdicts li").first
    criterion = first.get_attribute("data-criterion")
    was = "pass" in first.get_attribute("class")
    first.locator("button.overrule").click()
    page.wait_for_function("(c) => document.querySelector(`#question-0 li[data-criterion='${c}'] .overrule`)"
                           ".textContent === 'Undo overrule'", arg=criterion)
    assert ("pass" in first.get_attribute("class")) is not was
    assert lessons.marks(store, made.id) == {(0, criterion): not was}
    first.locator("button.overrule").click()
    page.wait_for_function("(c) => document.querySelector(`#question-0 li[data-criterion='${c}'] .overrule`)"
                           ".textContent !== 'Undo overrule'", arg=criterion)
    assert lessons.marks(store, made.id) == {}


def test_a_click_on_the_timeline_keeps_a_comment_there(browse):
    page, url, store, made = browse
    page.goto(f"{url}/lessons/{made.id}")
    page.wait_for_selector("#lesson-timeline svg")
    at_s = 30.0
    x, y = page.evaluate("""(t) => {
        const box = document.getElementById('lesson-timeline');
        const svg = box.querySelector('svg');
        const p = svg.createSVGPoint();
        p.x = 10 + (t / Number(box.dataset.total)) * 880; p.y = 100;  // Draw.TL's layout
        const on = p.matrixTransform(svg.getScreenCTM());
        return [on.x, on.y]; }""", at_s)
    page.mouse.click(x, y)
    page.wait_for_selector("#comments .comment-form:not([hidden])")
    page.fill("#comment-text", "Named Tomasz after two seconds")
    page.click("#comments button[type=submit]")
    page.wait_for_selector("#comments .comment-list li")
    ((comment),) = lessons.comments(store, made.id)
    assert comment.text == "Named Tomasz after two seconds"
    assert comment.at_s == pytest.approx(at_s, abs=0.5)
    assert page.locator("#lesson-timeline .comment-mark").count() == 1
    assert "Named Tomasz after two seconds" in page.inner_text("#comments .comment-list")


def test_the_teacher_page_draws_the_lessons_wait_beside_the_rehearsals(browse):
    page, url, _, made = browse
    page.goto(f"{url}/teachers/{made.teacher_id}")
    page.wait_for_selector(".lesson-waits svg")
    assert page.locator(".lesson-waits .session-point").count() == 2  # Ms Okafor's two sessions
    lesson = page.locator(".lesson-waits .lesson-point")
    assert lesson.count() == 1 and lesson.get_attribute("href") == f"/lessons/{made.id}"
