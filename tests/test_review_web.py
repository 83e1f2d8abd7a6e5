"""The coach's review pages through Flask's test client, over a real store of real scored attempts."""

from __future__ import annotations

import json
import re

import pytest

from rehearse.reps import open_store
from rehearse.store import history
from rehearse.web import create_app

from .test_cli import rehearse
from .test_export import csv_rows
from .page_client import page_client


@pytest.fixture()
def app(history_instance):
    return create_app({"INSTANCE": history_instance[0], "WARM_UP": False})


@pytest.fixture()
def client(app):
    return page_client(app)


@pytest.fixture()
def store(history_instance):
    return open_store(history_instance[0])


def rows_of(page: str, table_class: str) -> list[str]:
    table = re.search(rf'<table class="attempts {table_class}">(.*?)</table>', page, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S)]


def test_history_lists_teachers_steps_and_sessions_newest_first(client):
    page = client.get("/history").text
    steps = rows_of(page, "steps")
    assert steps[2].startswith("Ms Okafor Pose, pause, name 2 6 4 2 1")  # sessions reps met accurate fluent
    sessions = rows_of(page, "sessions")
    assert [s.split(" Ms ")[0].split(" Mr ")[0] for s in sessions] == [
        "12 Nov 2026, 15:30", "12 Nov 2026, 15:00", "10 Nov 2026, 09:00", "3 Nov 2026, 09:00"]
    assert "rep 3" in sessions[2]  # fluent at rep 3


def test_history_filters_and_says_what_is_wrong_with_a_filter(client, store):
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    page = client.get(f"/history?teacher={okafor}&from=2026-11-05").text
    assert len(rows_of(page, "sessions")) == 1
    assert f'href="/export.csv?teacher={okafor}&amp;from=2026-11-05"' in page  # the export keeps the filter
    bad = client.get("/history?from=5/11/2026")
    assert bad.status_code == 400 and "is not a date; write it as YYYY-MM-DD" in bad.text


def test_step_in_the_history_address_is_the_step_id_and_an_old_row_number_redirects_to_it(client, store):
    """`?step=` is a step's id (`pose-pause-name`) on the history as on the rehearsal page; the row
    number the history's addresses carried before is sent on to the same filter by the step's id."""
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    page = client.get(f"/history?teacher={okafor}&step=pose-pause-name").text
    assert len(rows_of(page, "sessions")) == 2
    assert '<option value="pose-pause-name" selected>' in page  # the filter form sends the id back
    assert f'href="/export.csv?teacher={okafor}&amp;step=pose-pause-name"' in page
    row = history.step_with_id(store, "pose-pause-name")["id"]
    old = client.get(f"/history?teacher={okafor}&step={row}")
    assert old.status_code == 301
    assert old.headers["Location"] == f"/history?teacher={okafor}&step=pose-pause-name"
    assert rows_of(client.get(old.headers["Location"]).text, "sessions") == rows_of(page, "sessions")
    progress = client.get(f"/progress/{okafor}/{row}").text
    assert f'href="/history?teacher={okafor}&amp;step=pose-pause-name"' in progress
    calibration = client.get("/calibration?step=pose-pause-name").text
    assert '<option value="pose-pause-name" selected>' in calibration
    by_id, by_row = (csv_rows(client.get(export).text)  # the old number is still read
                     for export in ("/export.csv?step=pose-pause-name", f"/export.csv?step={row}"))
    assert by_id == by_row and by_id and {r["Action step"] for r in by_id} == {"pose-pause-name"}


def test_progress_page_shows_milestones_and_the_points_to_chart(client, store, history_instance):
    _, ids = history_instance
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    step = history.step_with_id(store, "pose-pause-name")["id"]
    page = client.get(f"/progress/{okafor}/{step}").text
    assert re.search(r'Accurate: <strong>since <time datetime="2026-11-03T09:00:00Z" data-format="date">3 Nov 2026</time>', page)
    assert re.search(r'Fluent: <strong>since <time datetime="2026-11-10T09:00:00Z" data-format="date">10 Nov 2026</time>', page)
    assert "target 5.0–12.0 s" in page
    data = json.loads(re.search(r'<script type="application/json" id="app-data">(.*?)</script>', page, re.S).group(1))
    assert [p["attempt_id"] for p in data["progress"]["points"]] == ids["sessions"][0]["attempts"] + ids["sessions"][1]["attempts"]
    assert data["metric"]["id"] == "wait_time_s"
    vocab = history.step_with_id(store, "key-vocabulary")["id"]
    byrne = history.teacher_named(store, "Mr Byrne")["id"]
    assert "Time spoken per rep" in client.get(f"/progress/{byrne}/{vocab}").text  # its limit: 20 s of talk
    assert client.get(f"/progress/{byrne}/999").status_code == 404


def test_attempt_page_has_playback_verdicts_and_others_to_compare(client, history_instance):
    _, ids = history_instance
    attempt_id = ids["sessions"][0]["attempts"][1]
    page = client.get(f"/attempts/{attempt_id}").text
    assert f'src="/attempts/{attempt_id}/audio"' in page
    data = json.loads(re.search(r'<script type="application/json" id="app-data">(.*?)</script>', page, re.S).group(1))
    assert data["rep"]["passed"] is True
    assert [v["id"] for v in data["rep"]["verdicts"]] == ["asks_question", "wait_time", "names_pupil",
                                                              "no_name_before_question"]
    assert any(w["role"] == "name" for w in data["rep"]["words"])
    assert 'class="legend"' in page and "a name said too early" in page  # the timeline's colours, in words
    options = re.findall(r'<option value="(\d+)"', page.split('id="compare-form"')[1])
    assert len(options) == 5 and str(attempt_id) not in options  # her other five reps on this step
    assert client.get(f"/attempts/{attempt_id}/audio").status_code == 200


def test_compare_shows_two_reps_and_the_change(client, history_instance):
    _, ids = history_instance
    first, last = ids["sessions"][0]["attempts"][0], ids["sessions"][1]["attempts"][2]
    page = client.get(f"/compare?a={first}&b={last}").text
    wait = re.search(r'<tr data-figure="wait_time_s">(.*?)</tr>', page, re.S).group(1)
    before, after, change = re.findall(r"<td>(.*?)</td>", wait, re.S)
    assert float(before.split()[0]) < 5 < float(after.split()[0])
    assert change.startswith("+")
    assert "not yet" in page and "all criteria met" in page
    assert client.get(f"/compare?a={first}").status_code == 404
    assert client.get(f"/compare?a={first}&b=9999").status_code == 404


def test_exports_from_the_page_match_the_command_line(client, history_instance, store):
    folder, _ = history_instance
    byrne = history.teacher_named(store, "Mr Byrne")["id"]
    response = client.get(f"/export.csv?teacher={byrne}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="rehearse-attempts.csv"'
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = csv_rows(response.text)
    assert [r["Teacher"] for r in rows] == ["Mr Byrne"] * 3
    cli = rehearse("export", "--instance", str(folder), "--teacher", "Mr Byrne")
    assert response.text.replace("\r\n", "\n") == cli.stdout  # (the CLI run is read with universal newlines)
    assert json.loads(client.get("/export.json").text)["attempts"][0]["teacher"] == "Ms Okafor"


def test_deleting_a_teacher_needs_their_name_typed_and_removes_their_files(client, store, history_instance):
    folder, ids = history_instance
    okafor = history.teacher_named(store, "Ms Okafor")["id"]
    files = list((folder / "recordings").glob(f"session-{ids['sessions'][0]['id']}/*"))
    assert len(files) == 3
    confirm = client.get(f"/teachers/{okafor}/delete").text
    assert "This deletes <strong>2 sessions</strong> and <strong>6 reps</strong>" in confirm
    wrong = client.post(f"/teachers/{okafor}/delete", data={"confirm": "Ms Okafo"})
    assert wrong.status_code == 400 and "type the name exactly as shown: Ms Okafor" in wrong.text
    assert all(f.exists() for f in files) and "Ms Okafor" in store.teacher_names()

    done = client.post(f"/teachers/{okafor}/delete", data={"confirm": " ms  okafor "}, follow_redirects=True)
    assert "Deleted the teacher&#39;s data: 2 sessions and 6 recordings." in done.text
    assert "Okafor" not in done.text and "Okafor" not in done.request.url  # nor in the browser's history
    assert not any(f.exists() for f in files)
    assert client.get(f"/teachers/{okafor}").status_code == 404
    assert store.teacher_names() == ["Mr Byrne"]
