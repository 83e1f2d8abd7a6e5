"""'Save as report' through Flask's test client over a real store of real scored reps
(tests/seed.py): the download and its name, a file that holds everything and refers to nothing
outside itself, the coach's marks and comments in it, user text escaped, and `rehearse report`."""

from __future__ import annotations

import base64
import re
from datetime import datetime

import pytest

from rehearse.reps import open_store
from rehearse.scoring.audio import load_audio
from rehearse.store import comments
from rehearse.web import create_app
from rehearse.web.report import rep_report, comments_of, session_report

from .page_client import page_client
from .report_checks import HOSTILE, Parsed, assert_self_contained, chart_data, make_hostile, save_link
from .test_cli import rehearse


@pytest.fixture()
def store(history_instance):
    return open_store(history_instance[0])


@pytest.fixture()
def client(history_instance):
    return page_client(create_app({"INSTANCE": history_instance[0], "WARM_UP": False}))


def local_day(iso: str) -> str:
    return f"{datetime.fromisoformat(iso).astimezone():%Y-%m-%d}"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def download_report(client, attempt_id: int):
    """The rep's report, through the link of its page (it carries the browser's token)."""
    return client.get(save_link(client.get(f"/attempts/{attempt_id}").text))


def test_a_reps_page_offers_the_report_and_it_downloads_as_one_named_file(client, store, history_instance):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]  # Ms Okafor, 3 Nov, rep 2
    page = client.get(f"/attempts/{attempt_id}").text
    assert save_link(page) == f"/attempts/{attempt_id}/report?csrf_token={client.csrf_token()}"
    assert "Save as report" in page
    response = client.get(save_link(page))
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    day = local_day(store.rep(attempt_id).created_at)
    assert response.headers["Content-Disposition"] == f"attachment; filename=Ms-Okafor_Pose-pause-name_rep-2_{day}.html"
    html = response.text
    assert_self_contained(html)
    assert "All criteria met" in html and html.count('class="pass read-only"') == 4
    assert re.search(r'<mark class="name">[^<]+</mark>', html)  # the transcript, the named pupil marked
    assert f'<div class="timeline" id="timeline-{attempt_id}"></div>' in html  # the timeline, drawn by its script ...
    (timeline,) = chart_data(html)["reps"]  # ... from the figures in the file (test_report_browser.py draws it)
    assert timeline["id"] == attempt_id and len(timeline["utterances"]) >= 2 and timeline["metrics"]["wait_time_s"] > 0
    assert chart_data(html)["band"] == {"min_s": 5.0, "max_s": 12.0}  # the step's target wait


def test_the_recording_is_inside_the_file_and_decodes_to_the_rep(client, store, history_instance, tmp_path):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]
    html = download_report(client, attempt_id).text
    (audio,) = Parsed(html).named("audio")
    mime, data = re.fullmatch(r"data:([a-z/]+);base64,([A-Za-z0-9+/=]+)", audio["src"]).groups()
    assert mime == "audio/mpeg"
    (tmp_path / "rep.mp3").write_bytes(base64.b64decode(data))
    assert load_audio(tmp_path / "rep.mp3").size / 16000 == pytest.approx(store.rep(attempt_id).duration_s, abs=0.1)
    wav_bytes = store.rep(attempt_id).duration_s * 16000 * 2
    assert len(base64.b64decode(data)) < wav_bytes / 4  # far smaller than the WAV the app records


def test_the_report_shows_the_coachs_marks_and_comments_on_the_timeline(store, history_instance):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]
    store.mark(attempt_id, "wait_time", False, "the name came as the hands went up")
    comments = [{"at_s": 6.0, "text": "hands up here"}, {"at_s": 0.2, "text": "a clear start"}]
    html = rep_report(store, attempt_id, comments).html
    assert "Not yet" in html and "All criteria met" not in html
    assert "Coach: not met (the app said met)" in html and "the name came as the hands went up" in html
    marks = [(c["at_s"], c["text"]) for c in chart_data(html)["reps"][0]["comments"]]
    assert marks == [(0.2, "a clear start"), (6.0, "hands up here")]  # on the timeline in the recording's order
    items = re.findall(r'<li data-at="([0-9.]+)"><button[^>]*data-from="([0-9.]+)">[^<]*</button> <bdi>([^<]+)</bdi></li>', html)
    assert items == [("0.20", "0.00", "a clear start"), ("6.00", "5.50", "hands up here")]  # played from 0.5 s before
    assert_self_contained(html)
    none = rep_report(store, attempt_id, []).html
    assert "No comments on this rep" in none and chart_data(none)["reps"][0]["comments"] == []


def test_stored_comments_are_in_the_report(store, history_instance):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]
    assert comments_of(store.rep(attempt_id)) == []
    comments.add(store, attempt_id, 1.5, f"stored on {attempt_id}", store.rep(attempt_id).duration_s)
    assert [c["text"] for c in comments_of(store.rep(attempt_id))] == [f"stored on {attempt_id}"]
    html = rep_report(store, attempt_id).html
    assert [c["text"] for c in chart_data(html)["reps"][0]["comments"]] == [f"stored on {attempt_id}"]


def test_user_text_is_escaped_everywhere(client, store, history_instance):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]
    make_hostile(store, attempt_id)
    html = rep_report(store, attempt_id, [{"at_s": 2.0, "text": HOSTILE}]).html
    parsed = assert_self_contained(html)  # no <img>, no handler, one script: nothing the text made
    assert HOSTILE not in html and "<img" not in html
    assert html.count("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;") >= 4  # name, transcript, comments
    assert "onerror" not in "".join(a for _, attrs in parsed.tags for a in attrs)
    response = download_report(client, attempt_id)
    name = re.search(r"filename=(\S+)", response.headers["Content-Disposition"]).group(1)
    assert name.startswith("script-img-src-x-onerror-alert-1_Pose-pause-name_rep-2_")
    session = session_report(store, store.rep(attempt_id).session_id).html
    assert HOSTILE not in session and "<img" not in session
    assert_self_contained(session)


def test_a_session_report_holds_every_rep_with_its_recording_and_the_progress(client, store, history_instance):
    session = history_instance[1]["sessions"][1]  # Ms Okafor, 10 Nov: three right in a row, fluent at rep 3
    page = client.get(f"/sessions/{session['id']}/summary").text
    assert save_link(page) == f"/sessions/{session['id']}/report?csrf_token={client.csrf_token()}"
    response = client.get(save_link(page))
    day = local_day(store.session(session["id"]).started_at)
    assert response.headers["Content-Disposition"] == f"attachment; filename=Ms-Okafor_Pose-pause-name_session_{day}.html"
    html = response.text
    parsed = assert_self_contained(html)
    audio = parsed.named("audio")
    assert len(audio) == 3 and all(a["src"].startswith("data:audio/mpeg;base64,") for a in audio)
    assert len({a["src"] for a in audio}) == 3  # each rep its own recording
    assert [int(a["data-rep"]) for a in parsed.named("article")] == [1, 2, 3]
    facts = text_of(re.search(r'<ul class="facts" id="progress-facts">(.*?)</ul>', html, re.S).group(1))
    assert "3 reps (3 scored)" in facts and "3 met every criterion" in facts
    assert "from rep 1" in facts and "Fluent (3 in a row, steady, no hesitation): from rep 3" in facts
    assert '<div class="chart" id="wait-chart"></div>' in html  # drawn by the report's script from its figures
    progress = chart_data(html)["progress"]
    assert [(r["rep"], r["passed"]) for r in progress["reps"]] == [(1, True), (2, True), (3, True)]
    assert progress["fluent_at"] == 3 and len(chart_data(html)["reps"]) == 3


def test_a_missing_recording_or_rep_is_said_not_a_crash(client, store, history_instance):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][0]
    store.audio_file(store.rep(attempt_id)).unlink()
    html = download_report(client, attempt_id).text
    assert "The recording of this rep was missing" in html and "<audio" not in html
    assert_self_contained(html)
    token = f"csrf_token={client.csrf_token()}"
    missing = client.get(f"/attempts/999999/report?{token}")
    assert missing.status_code == 404 and "there is no attempt 999999" in missing.text
    assert client.get(f"/sessions/999999/report?{token}").status_code == 404


def test_the_command_writes_the_same_report(store, history_instance, tmp_path):
    attempt_id = history_instance[1]["sessions"][0]["attempts"][1]
    out = tmp_path / "rep.html"
    done = rehearse("report", "--attempt", str(attempt_id), "-o", str(out), "--instance", str(history_instance[0]))
    assert done.returncode == 0, done.stderr
    assert out.name in done.stdout
    html = out.read_text()
    assert_self_contained(html)
    assert "All criteria met" in html and html.count("<audio") == 1
    session = history_instance[1]["sessions"][1]["id"]
    folder = tmp_path / "reports"
    folder.mkdir()
    done = rehearse("report", "--session", str(session), "-o", str(folder), "--instance", str(history_instance[0]))
    assert done.returncode == 0, done.stderr
    (written,) = folder.iterdir()
    assert written.name.startswith("Ms-Okafor_Pose-pause-name_session_") and written.read_text().count("<audio") == 3
    bad = rehearse("report", "--attempt", "999999", "-o", str(out), "--instance", str(history_instance[0]))
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "no attempt 999999" in bad.stderr


def test_a_recording_that_cannot_be_decoded_is_embedded_as_it_was_stored(tmp_path):
    from rehearse.web.report_audio import embedded_audio

    damaged = tmp_path / "rep-01.webm"
    damaged.write_bytes(b"\x1aE\xdf\xa3" + b"not really a recording" * 10)
    embedded = embedded_audio(damaged, 180)
    assert embedded.mime == "audio/webm" and base64.b64decode(embedded.uri.split(",", 1)[1]) == damaged.read_bytes()
    assert embedded.note is None
    assert embedded_audio(tmp_path / "gone.wav", 180) is None


def test_a_recording_that_cannot_be_decoded_and_is_larger_than_a_rep_is_left_out_with_a_note(tmp_path):
    from rehearse.web.report_audio import embedded_audio

    damaged = tmp_path / "rep-01.webm"
    damaged.write_bytes(b"\x1aE\xdf\xa3" + b"\0" * (2 * 2**20))  # 2 MB: more than 30 s of the app's WAV (0.9 MB)
    embedded = embedded_audio(damaged, 30)
    assert embedded.uri is None and "could not be read" in embedded.note and "not in this file" in embedded.note
    assert embedded_audio(damaged, 180).uri is not None  # within what a 180 s rep could be: kept as stored


def test_the_reports_script_inlines_the_modules_it_imports_and_refuses_what_it_cannot(tmp_path):
    from rehearse.web.report_script import report_script

    (tmp_path / "a.js").write_text('export const A = 1;\nexport function twice(x) { return 2 * x; }\n')
    (tmp_path / "b.js").write_text('import { A, twice as double } from "./a.js";\nexport const B = double(A);\n')
    (tmp_path / "page.js").write_text('import { B } from "./b.js";\nimport { A } from "./a.js";\nconsole.log(A + B);\n')
    script = report_script(tmp_path, "page.js")
    assert script.index("// a.js") < script.index("// b.js") < script.index("// page.js")  # each after what it imports
    assert "const { A, twice: double } = module_a;" in script and "import" not in script.replace("// ", "")
    for name, text, said in (("star.js", 'import * as all from "./a.js";\n', "cannot inline"),
                             ("circle.js", 'import { C } from "./circle.js";\nexport const C = 1;\n', "in a circle"),
                             ("ends.js", 'const s = "</script>";\n', "end the report's script")):
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=said):
            report_script(tmp_path, name)
