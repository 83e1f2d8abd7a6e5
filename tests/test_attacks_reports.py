"""Attacks on "Save as report" (issue 29, item 5), against a real `rehearse serve` and the real
`rehearse report`:

- a report that costs what a rep cannot: a rep's stored recording may be far longer than a rep
  may last (an upload over the limit is kept, unscored); its report embedded all of it (an hour at
  most), 27 MB and half a minute of CPU for a 630 KB upload. It now holds at most the rep limit of
  each rep (the server's --max-attempt-s; `rehearse report --max-attempt-s`, default 180 s), and
  says in the file that the rest is left out;
- a report asked for by another site: an <img> (or a link) on any page the teacher visits made the
  server build reports with the teacher's cookies. A report link must now carry this browser's
  CSRF token, as the page's own "Save as report" link does, and not come from another site
  (Sec-Fetch-Site, Origin); anything else is a 403 with one line.
"""

from __future__ import annotations

import base64
import http.cookiejar
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from rehearse.reps import open_store
from rehearse.scoring.audio import SAMPLE_RATE, load_audio

from .conftest import CLIPS
from .report_checks import Parsed, assert_self_contained, save_link
from .server import new_session, server_process
from .test_audio import encode
from .test_cli import rehearse
from .test_decoding_bomb import upload

LONG_S = 600  # the uploaded recording: ten minutes
LIMIT_S = 30  # the server's rep limit in these tests (--max-attempt-s)
OVERRUN_S = 0.5  # report_audio.OVERRUN_S: a live rep's file may run a block past the limit


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory) -> Path:
    """A rep (the question, the wait, the name) followed by silence, ten minutes in all: 0.3 MB of FLAC."""
    rep = load_audio(CLIPS / "ppn-00-correct-siobhan-clean.flac")
    samples = np.zeros(LONG_S * SAMPLE_RATE, dtype=np.float32)
    samples[:len(rep)] = rep
    path = tmp_path_factory.mktemp("long") / "ten-minutes.flac"
    encode(path, samples, SAMPLE_RATE, "flac", "flac", "s16")
    return path


@pytest.fixture(scope="module")
def served(history_template, tmp_path_factory):
    """A server (rep limit LIMIT_S) over a copy of the seeded store of real scored reps: (url, ids)."""
    folder, ids = history_template
    copy = tmp_path_factory.mktemp("reports") / "instance"
    shutil.copytree(folder, copy)
    with server_process(copy, "--max-attempt-s", str(LIMIT_S)) as (url, _process):
        yield url, ids


class Browser:
    """A browser's cookies, and GETs with the headers a browser adds (Sec-Fetch-Site, Origin)."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, **headers: str) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with self.opener.open(request, timeout=300) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def page(self, path: str) -> str:
        status, _, body = self.get(path, **{"Sec-Fetch-Site": "none"})
        assert status == 200, path
        return body.decode()


def embedded_seconds(html: str, tmp_path: Path) -> list[float]:
    """How long each recording embedded in a report plays, decoded from the file itself."""
    lengths = []
    for i, audio in enumerate(Parsed(html).named("audio")):
        data = re.fullmatch(r"data:audio/mpeg;base64,([A-Za-z0-9+/=]+)", audio["src"]).group(1)
        (tmp_path / f"{i}.mp3").write_bytes(base64.b64decode(data))
        lengths.append(load_audio(tmp_path / f"{i}.mp3").size / SAMPLE_RATE)
    return lengths


def test_another_sites_img_or_link_cannot_make_the_server_build_a_report(served):
    url, ids = served
    teacher, stranger = Browser(url), Browser(url)
    attempt_id, session_id = ids["sessions"][1]["attempts"][0], ids["sessions"][1]["id"]
    stranger.page(f"/attempts/{attempt_id}")  # another browser, with a token of its own
    for page in (f"/attempts/{attempt_id}", f"/sessions/{session_id}/summary"):
        link = save_link(teacher.page(page))
        bare = link.split("?")[0]
        tries = {
            "an <img> on another site": (bare, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}),
            "a link on another site": (bare, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}),
            "a page on another port of this laptop": (bare, {"Sec-Fetch-Site": "same-site"}),
            "a browser that sends no Sec-Fetch-Site": (bare, {}),
            "the token, leaked to another site": (link, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}),
            "the token, from another origin": (link, {"Origin": "http://evil.example"}),
            "a wrong token": (bare + "?csrf_token=guess", {"Sec-Fetch-Site": "same-origin"}),
        }
        for what, (address, headers) in tries.items():
            status, answer, body = teacher.get(address, **headers)
            assert status == 403, (page, what)
            assert "attachment" not in answer.get("Content-Disposition", ""), (page, what)
            (message,) = re.findall(r'<p class="error" role="alert">([^<]*)</p>', body.decode())  # one line
            assert "came from another site" in message and "Save as report" in message, (page, what)
        assert link != bare and "csrf_token=" in link  # the page's own link carries the token
        status, _, body = stranger.get(link, **{"Sec-Fetch-Site": "same-origin"})  # the teacher's link, elsewhere
        assert status == 403, page

        status, answer, body = teacher.get(link, **{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document"})
        assert status == 200 and answer["Content-Disposition"].startswith("attachment; filename="), page
        assert_self_contained(body.decode()) and "<audio" in body.decode()


def test_a_report_of_an_uploaded_ten_minute_recording_holds_at_most_the_rep_limit(served, ten_minutes, tmp_path):
    url, _ = served
    browser = Browser(url)
    session_id = new_session(url)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', browser.page(f"/sessions/{session_id}")).group(1)
    kept = upload(url, session_id, ten_minutes, token, browser.opener)
    assert kept["status"] == "unscored" and f"a rep may be at most {LIMIT_S} s" in kept["error"]  # kept, to be trimmed

    for page in (f"/attempts/{kept['id']}", f"/sessions/{session_id}/summary"):
        status, _, body = browser.get(save_link(browser.page(page)), **{"Sec-Fetch-Site": "same-origin"})
        assert status == 200, page
        html = body.decode()
        (seconds,) = embedded_seconds(html, tmp_path)
        assert LIMIT_S - 1 < seconds <= LIMIT_S + OVERRUN_S, page  # not the ten minutes
        assert f"Only the first {LIMIT_S} s of this recording are in this file" in html, page
        assert_self_contained(html)


def test_rehearse_report_holds_at_most_the_rep_limit(history_instance, ten_minutes, tmp_path):
    """The command line's report, of a rep whose stored recording is ten minutes long (an upload over
    the limit, kept unscored), at the default limit (180 s, as `serve`) and at a limit given."""
    folder, ids = history_instance
    store = open_store(folder)
    session_id = ids["sessions"][0]["id"]
    attempt = store.new_rep(session_id, "upload", ".flac")
    store.audio_file(attempt).write_bytes(ten_minutes.read_bytes())
    store.save_failure(attempt.id, "this recording is longer than 3 minutes; a rep may be at most 180 s")

    out = tmp_path / "rep.html"
    done = rehearse("report", "--attempt", str(attempt.id), "-o", str(out), "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    (seconds,) = embedded_seconds(out.read_text(), tmp_path)
    assert 179 < seconds <= 180 + OVERRUN_S
    assert "Only the first 180 s of this recording are in this file" in out.read_text()

    done = rehearse("report", "--session", str(session_id), "--max-attempt-s", "20", "-o", str(out),
                    "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    lengths = embedded_seconds(out.read_text(), tmp_path)
    assert len(lengths) == 4 and 19 < lengths[-1] <= 20 + OVERRUN_S and all(s <= 20 + OVERRUN_S for s in lengths)
    assert out.read_text().count("Only the first 20 s of this recording") == 1  # the seeded reps are ~9 s
