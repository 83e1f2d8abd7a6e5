"""A saved report in real headless Chromium (Debian's, driven by Playwright): downloaded through the
app's route, written to a temporary file and opened from its file:// path with the network off and
every request but the file itself refused. It shows the verdicts, the timeline and the comments,
its charts are the very elements the rep's page and the session's summary draw (one draw.js), its
audio plays from inside the file, a comment's button plays from just before it, and hostile
user text stays text. Set REHEARSE_REPORT_SCREENSHOT=path to keep a picture of the rep's report.
Against a real server: the pages' "Save as report" buttons download the report, and an <img> of it
on another site's page (issue 29: it made the server build reports) is refused."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest

from rehearse.reps import open_store
from rehearse.web import create_app

from .page_client import page_client
from .report_checks import HOSTILE, assert_self_contained, make_hostile, save_link
from .server import running_server
from .test_browser import PAGE_TIMEOUT_MS, browser_or_fail

PLAYS = """(audio) => new Promise((resolve, reject) => {
    const ready = () => audio.play().then(() => resolve({ duration: audio.duration, state: audio.readyState }), reject);
    if (audio.readyState >= 2) ready(); else audio.addEventListener('canplay', ready, { once: true });
})"""


def launched(p, chromium):
    """Headless Chromium that may play audio without a click."""
    return p.chromium.launch(executable_path=chromium, headless=True,
                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                   "--autoplay-policy=no-user-gesture-required"])


def offline(browser, tmp_path, **options):
    """(open(html, name), requests, refused, problems): open writes the report to a file and opens it
    in a context of `browser` with the network off and every request but the file's refused."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, **options)
    context.set_offline(True)
    requests, refused, problems = [], [], []
    context.route("**/*", lambda route: (refused.append(route.request.url), route.abort())
                  if route.request.url != opened["url"] else route.continue_())
    opened: dict = {}
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda dialog: (problems.append(f"a dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    def open_report(html: str, name: str):
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        opened["url"] = path.as_uri()
        page.goto(opened["url"])
        return page

    return open_report, requests, refused, problems


@pytest.fixture()
def offline_page(tmp_path):
    """open(html) writes the report to a file and opens it offline; yields the page and the requests made."""
    chromium, sync_playwright = browser_or_fail()
    with sync_playwright() as p:
        browser = launched(p, chromium)
        yield offline(browser, tmp_path)
        browser.close()


def download(history_instance, page: str) -> tuple[str, str]:
    """The report behind the "Save as report" link of `page` (a rep's page, a session's summary)."""
    client = page_client(create_app({"INSTANCE": history_instance[0], "WARM_UP": False}))
    response = client.get(save_link(client.get(page).text))
    assert response.status_code == 200
    return re.search(r"filename=(\S+)", response.headers["Content-Disposition"]).group(1), response.text


def test_a_saved_rep_report_shows_the_verdicts_and_plays_offline(history_instance, offline_page):
    open_report, requests, refused, problems = offline_page
    folder, ids = history_instance
    store = open_store(folder)
    attempt_id = ids["sessions"][0]["attempts"][1]
    make_hostile(store, attempt_id)  # the teacher's name, the transcript and a criterion's comment
    store.mark(attempt_id, "wait_time", False, "")  # the coach overruled the wait
    name, html = download(history_instance, f"/attempts/{attempt_id}")
    page = open_report(html, name)

    assert page.inner_text(".verdict") == "Not yet"  # the coach's mark applied
    assert page.locator(".verdicts li").count() == 4
    assert page.locator(".verdicts li.pass").count() == 3
    assert "Coach: not met" in page.inner_text(".verdicts li[data-criterion=wait_time]")
    assert HOSTILE in page.inner_text("body")  # shown as text ...
    assert page.locator("img").count() == 0  # ... never made into markup
    assert page.locator(".timeline svg rect.speech").count() >= 2
    assert page.locator(".transcript mark.name").count() >= 1  # every word heard as the name ("Chiv on.")

    audio = page.locator("audio")
    played = audio.evaluate(PLAYS)
    assert played["duration"] > 5 and played["state"] >= 2  # decoded from inside the file
    page.wait_for_function("() => document.querySelector('audio').currentTime > 0.3")  # and it advances
    if os.environ.get("REHEARSE_REPORT_SCREENSHOT"):
        page.screenshot(path=os.environ["REHEARSE_REPORT_SCREENSHOT"], full_page=True)

    assert requests == [page.url] and refused == []  # nothing but the file itself was asked for
    assert problems == []  # no script error, no policy refusal, no alert


def test_a_comment_plays_from_just_before_it_and_a_session_report_plays_every_rep(history_instance, offline_page):
    open_report, requests, refused, problems = offline_page
    folder, ids = history_instance
    store = open_store(folder)
    from rehearse.web.report import rep_report

    attempt_id = ids["sessions"][0]["attempts"][1]
    report = rep_report(store, attempt_id, [{"at_s": 4.0, "text": "here the silence holds"}])
    page = open_report(report.html, report.filename)
    assert page.locator(".timeline g.comment-mark").count() == 1
    page.evaluate("""() => { const a = document.querySelector('audio');
        a.addEventListener('seeked', () => { window.seekedTo = a.currentTime; }, { once: true }); }""")
    page.click(".comments button")
    page.wait_for_function("() => window.seekedTo !== undefined && !document.querySelector('audio').paused")
    assert page.evaluate("window.seekedTo") == pytest.approx(3.5, abs=0.05)  # 0.5 s before the comment

    session_id = ids["sessions"][1]["id"]
    name, html = download(history_instance, f"/sessions/{session_id}/summary")
    page = open_report(html, name)
    assert page.locator("#wait-chart svg circle").count() == 3
    assert page.locator("article .verdict").all_inner_texts() == ["All criteria met"] * 3
    for audio in page.locator("audio").all():
        played = audio.evaluate(PLAYS)
        assert played["duration"] > 5 and played["state"] >= 2
        audio.evaluate("(a) => a.pause()")
    assert all(url.startswith("file://") for url in requests) and len(requests) == 2  # the two files opened
    assert refused == [] and problems == []


# Every element of a drawing, in order: its tag, its attributes and its own text (what it shows, and where).
DRAWN = """(place) => [...place.querySelectorAll("svg, svg *")].map((node) => [node.tagName,
    Object.fromEntries([...node.attributes].map((a) => [a.name, a.value])),
    [...node.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent).join("")])"""


def no_wait_timed(store, rep_id: int) -> None:
    """The rep as if no pupil had been named after its question: scored, but no wait to time."""
    result = json.loads(json.dumps(dict(store.rep(rep_id).result.stored)))  # a plain, changeable copy
    result["metrics"] |= {"wait_time_s": None, "name_start_s": None, "named_pupil": None}
    with store.connect() as db:
        db.execute("UPDATE attempts SET result = ? WHERE id = ?", (json.dumps(result), rep_id))


def test_the_saved_report_draws_the_charts_the_pages_draw_offline(history_instance, tmp_path):
    folder, ids = history_instance
    session = ids["sessions"][0]  # three reps, the first with no wait timed
    no_wait_timed(open_store(folder), session["attempts"][0])
    chromium, sync_playwright = browser_or_fail()
    with running_server(folder) as url, sync_playwright() as p:
        browser = launched(p, chromium)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(f"{url}/sessions/{session['id']}/summary")
        page.wait_for_selector("#wait-chart svg", state="attached")
        on_pages = {"wait per rep": page.locator("#wait-chart").evaluate(DRAWN)}
        for attempt_id in session["attempts"]:
            page.goto(f"{url}/attempts/{attempt_id}")
            page.wait_for_selector("#timeline svg", state="attached")
            on_pages[attempt_id] = page.locator("#timeline").evaluate(DRAWN)

        open_report, requests, refused, problems = offline(browser, tmp_path)
        name, html = download(history_instance, f"/sessions/{session['id']}/summary")
        report = open_report(html, name)
        report.wait_for_selector("#wait-chart svg", state="attached")
        in_report = {"wait per rep": report.locator("#wait-chart").evaluate(DRAWN)}
        in_report |= {a: report.locator(f"#timeline-{a}").evaluate(DRAWN) for a in session["attempts"]}
        assert in_report == on_pages  # the same elements, classes, places and words
        untimed = report.locator("#wait-chart .unmeasured")
        assert untimed.count() == 1 and untimed.locator("title").text_content() == "Rep 1: no wait timed, not yet"
        assert report.locator("#wait-chart circle").count() == 2  # no dot at 0 s for rep 1
        assert report.locator(".timeline svg rect.speech").count() >= 6 and not report.locator("#no-script").is_visible()
        assert requests == [report.url] and refused == [] and problems == []  # drawn offline, from the file alone

        open_without_scripts, *_ = offline(browser, tmp_path, java_script_enabled=False)
        plain = open_without_scripts(html, f"no-script-{name}")
        assert plain.locator("svg").count() == 0 and plain.locator(".figures").count() == 3  # the figures, in text
        assert "drawn by JavaScript" in plain.inner_text("#no-script")
        browser.close()


@contextlib.contextmanager
def another_site(html: str):
    """A web server of its own on another port of this laptop, serving one page; yields its port."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_pages_buttons_download_the_report_and_another_sites_img_is_refused(history_instance):
    chromium, sync_playwright = browser_or_fail()
    folder, ids = history_instance
    attempt_id, session_id = ids["sessions"][0]["attempts"][1], ids["sessions"][1]["id"]
    with running_server(folder) as url, sync_playwright() as p:
        reports = [f"{url}/attempts/{attempt_id}/report", f"{url}/sessions/{session_id}/report"]
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        # What the server answered each request, even one the browser then blocks (an <img> of a
        # page is blocked by its Cross-Origin-Resource-Policy, after the server has made it).
        network, sent, answered = context.new_cdp_session(page), {}, {}
        network.send("Network.enable")
        network.on("Network.requestWillBeSent", lambda e: sent.__setitem__(e["requestId"], e["request"]["url"]))
        network.on("Network.responseReceivedExtraInfo", lambda e: answered.__setitem__(e["requestId"], e["statusCode"]))
        for shown, name in ((f"/attempts/{attempt_id}", "_rep-2_"), (f"/sessions/{session_id}/summary", "_session_")):
            page.goto(url + shown)
            with page.expect_download() as download:
                page.click("#save-report")
            assert name in download.value.suggested_filename
            html = Path(download.value.path()).read_text(encoding="utf-8")
            assert_self_contained(html)
            assert "<audio" in html

        # The same browser, its cookie and all, then visits a page of another site, which embeds the
        # reports as images: from another port of this laptop (same-site) and from "localhost" (cross-site).
        images = "".join(f'<img src="{report}" alt="">' for report in reports)
        with another_site(f"<!doctype html><title>elsewhere</title>{images}") as port:
            for elsewhere in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"):
                sent.clear()
                page.goto(elsewhere)  # waits for the images to load (or fail)
                page.wait_for_function("() => [...document.images].every(image => image.complete)")
                ids = [i for i in list(sent) if "/report" in sent[i]]
                for _ in range(600):  # the answers' events may come a little after the images are done
                    if all(i in answered for i in ids):
                        break
                    page.wait_for_timeout(100)
                asked = {sent[i]: answered[i] for i in ids}
                assert asked == {report: 403 for report in reports}, elsewhere
        browser.close()
