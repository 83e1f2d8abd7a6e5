"""A coach writes an action step in real headless Chromium against a real `rehearse serve`: the live
preview and per-field messages, save, reload, record the model with a WAV file as the microphone
(it passes), then rehearse a rep of the new step and see its verdict."""

from __future__ import annotations

from rehearse.scoring.steps import load_step

from .conftest import LABELS
from .server import running_server
from .test_browser import FEEDBACK_TIMEOUT_MS, browser_or_fail, launch, microphone_wav, watched_page

CLIP = "ppn-03-correct-xavier-clean.flac"  # a 7.05 s wait: inside the new step's 4-10 s
CLASS = ["Siobhan (Shivawn)" if name == "Siobhan" else name for name in LABELS["roster"]]


def test_write_save_reload_model_and_rehearse_a_new_step(tmp_path):
    chromium, sync_playwright = browser_or_fail()
    mic = tmp_path / "mic.wav"
    microphone_wav(mic, CLIP, tail_s=2.0)
    instance = tmp_path / "instance"
    with running_server(instance) as url, sync_playwright() as p:
        browser = launch(p, chromium, mic)
        page, errors = watched_page(browser, height=1100)

        page.goto(url + "/steps")
        page.click("#new-step")
        page.fill("#title", "Think time for everyone")
        page.fill("#goal", "So that every pupil has time to think")
        page.fill("#strategy", "Use more wait time")
        page.wait_for_selector("#strategy-hint:not([hidden])")  # it does not say how
        assert "Say how" in page.inner_text("#strategy-hint")
        page.fill("#strategy", "Ask the whole class, pause, then name one pupil")
        page.wait_for_selector("#strategy-hint", state="hidden")
        page.fill("#prompt", "Check that the class remembers the water cycle.")
        page.fill("#roster", "\n".join(CLASS))  # pasted from the school's list
        for rule in ("asks_question", "wait_time", "names_pupil"):
            page.check(f"#rule-{rule}")
        page.fill("[name='wait_time.min_s']", "four")
        page.wait_for_selector("li[data-rule=wait_time] .field-error")  # said as it is typed
        assert "'four' is not a number" in page.inner_text("li[data-rule=wait_time] .field-error")
        page.fill("[name='wait_time.min_s']", "4")
        page.fill("[name='wait_time.max_s']", "10")
        # The preview follows the typing: wait for the answer to the last keystroke, not an earlier one.
        # (A locator wait, not wait_for_function: the page's CSP rightly forbids the eval that needs.)
        page.wait_for_selector("#preview:has-text('4–10 s')")
        assert page.inner_text("#preview").splitlines() == [
            "Ask a question", "Pause 4–10 s after the question before naming a pupil",
            "Name one pupil from the class after the pause"]
        assert page.locator("li[data-rule=wait_time] .field-error").count() == 0

        page.click("#save-step")
        page.wait_for_selector(".saved")
        path = instance / "scenarios" / "think-time-for-everyone.toml"
        assert path.is_file() and load_step(path).wait_band == (4.0, 10.0)
        page.reload()  # read back from the file
        assert "Pause 4–10 s after the question before naming a pupil" in page.inner_text(".brief")

        # The coach records the model: the WAV file plays as the microphone from now.
        page.click("#model .record-example")
        page.wait_for_selector("#model .record-example.on")
        page.wait_for_selector("#model[data-cue=done]")  # the name ended the pause (a busy CPU delays it)
        assert "You waited" in page.inner_text("#model .status")
        page.wait_for_timeout(1500)
        page.click("#model .record-example")
        page.wait_for_selector("#model .verdict.pass", timeout=FEEDBACK_TIMEOUT_MS)
        assert page.locator("#model .verdicts li.pass").count() == 3
        assert page.locator("#model audio").count() == 1

        # The teacher rehearses the new step, with the model to play first.
        page.goto(url + "/")
        page.fill("#teacher", "Ms Okafor")
        page.select_option("#step", "think-time-for-everyone")
        assert "Siobhan (Shivawn)" in page.input_value("#roster")
        page.click("button[type=submit]")
        page.wait_for_selector("#record")
        assert "Hear it first" in page.inner_text(".brief")
        assert page.locator(".brief audio[data-kind=model]").count() == 1
        page.click("#record")
        page.wait_for_selector("#record.on")
        page.wait_for_selector("#cue.done")  # the name: the wait is over
        page.wait_for_timeout(1000)
        page.keyboard.press("Space")
        page.wait_for_selector("#feedback:not([hidden]), #error:not([hidden])", timeout=FEEDBACK_TIMEOUT_MS)
        assert page.is_hidden("#error"), page.inner_text("#error")
        assert page.inner_text("#feedback-verdict") == "All criteria met"
        assert "Pause 4–10 s" in page.inner_text("#verdicts")
        assert errors == []
        browser.close()

