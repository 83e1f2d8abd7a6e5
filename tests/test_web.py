"""The pages and JSON endpoints, through Flask's test client, over a real SQLite file and the real
model (uploads are scored for real)."""

from __future__ import annotations

import io
import json
import re
import sqlite3

import pytest

from rehearse.web import create_app

from .conftest import CLIPS, LABELS
from .page_client import page_client

GOOD = "ppn-00-correct-siobhan-clean.flac"


@pytest.fixture()
def app(tmp_path):
    return create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False})


@pytest.fixture()
def client(app):
    return page_client(app)


def db_rows(app, sql, *args):
    with sqlite3.connect(app.instance_path + "/rehearse.sqlite") as db:
        return db.execute(sql, args).fetchall()


def start_session(client, **form) -> int:
    data = {"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "", "reps": "10"} | form
    response = client.post("/sessions", data=data)
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def upload(client, session_id, path=CLIPS / GOOD, name=None):
    data = {"recording": (io.BytesIO(path.read_bytes()), name or path.name)}
    return client.post(f"/api/sessions/{session_id}/uploads", data=data, content_type="multipart/form-data")


def test_start_page_shows_each_action_step_plainly(client):
    page = client.get("/").text
    assert "Start a rehearsal" in page
    assert "So that every pupil thinks before anyone answers" in page  # goal
    assert "pause for at least five seconds" in page  # strategy
    assert "Siobhan" in page and "Oluwaseun" in page  # the default roster
    assert 'value="10"' in page  # reps aimed for, by default


@pytest.mark.parametrize("form, message", [
    ({"teacher": "  "}, "Type the teacher&#39;s name"),
    ({"step": "pose-pause"}, "unknown action step &#39;pose-pause&#39;"),
    ({"roster": "Priya\npriya"}, "on the roster twice"),
    ({"reps": "ten"}, "give a whole number"),
    ({"reps": "0"}, "choose 1 to 50"),
])
def test_bad_start_form_says_what_to_fix_and_keeps_what_was_typed(client, app, form, message):
    data = {"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "", "reps": "10"} | form
    response = client.post("/sessions", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert db_rows(app, "SELECT COUNT(*) FROM sessions") == [(0,)]


def test_new_session_is_stored_with_its_teacher_roster_and_target(client, app):
    session_id = start_session(client, teacher="Mr Byrne", roster="Priya\nTom (Tomm)\nAoife", reps="7")
    page = client.get(f"/sessions/{session_id}").text
    assert "Pose, pause, name" in page and "Rep 1 of 7" in page
    row = db_rows(app, "SELECT t.name, s.roster, s.reps_target FROM sessions s JOIN teachers t"
                       " ON t.id = s.teacher_id WHERE s.id = ?", session_id)
    assert row == [("Mr Byrne", "Priya\nTom (Tomm)\nAoife", 7)]  # the sound the coach gave is kept
    start_session(client, teacher="mr byrne")  # the same teacher, typed differently
    assert db_rows(app, "SELECT COUNT(*) FROM teachers") == [(1,)]


def test_uploaded_rep_is_scored_stored_and_marked_up(client, app):
    session_id = start_session(client)
    response = upload(client, session_id)
    assert response.status_code == 201
    attempt = response.json
    label = LABELS["clips"][GOOD]
    assert attempt["status"] == "scored" and attempt["passed"] is True and attempt["rep"] == 1
    assert attempt["metrics"]["wait_time_s"] == pytest.approx(label["wait_time"], abs=0.1)
    assert attempt["metrics"]["named_pupil"] == "Siobhan"
    # the words marked as the name are those heard as it, however many ("Chivon." or "Chiv on.")
    assert " ".join(w["word"] for w in attempt["words"] if w["role"] == "name") == attempt["metrics"]["name_heard"]
    assert " ".join(w["word"] for w in attempt["words"] if w["role"] == "question") == attempt["metrics"]["question"]
    assert {v["id"] for v in attempt["verdicts"]} >= {"wait_time", "names_pupil"}
    assert all(v["description"] and v["detail"] for v in attempt["verdicts"])
    stored = db_rows(app, "SELECT status, passed, wait_time_s, audio_path FROM attempts")
    assert stored[0][:3] == ("scored", 1, attempt["metrics"]["wait_time_s"])
    audio = client.get(attempt["audio_url"])
    assert audio.status_code == 200 and audio.data == (CLIPS / GOOD).read_bytes()
    session = client.get(f"/api/sessions/{session_id}").json
    assert session["progress"]["accurate_at"] == 1 and len(session["reps"]) == 1


def test_corrupt_upload_is_kept_unscored_with_a_message(client, app, tmp_path):
    session_id = start_session(client)
    bad = tmp_path / "phone.flac"  # a damaged recording: a real file's start, then garbage
    bad.write_bytes((CLIPS / GOOD).read_bytes()[:200] + b"\x00\x17 damaged" * 300)
    attempt = upload(client, session_id, bad).json
    assert attempt["status"] == "unscored" and attempt["passed"] is None
    assert "not a readable recording" in attempt["error"] and str(tmp_path) not in attempt["error"]
    (path,) = db_rows(app, "SELECT audio_path FROM attempts WHERE id = ?", attempt["id"])[0]
    assert (tmp_path / "instance" / path).read_bytes() == bad.read_bytes()  # kept, byte for byte
    again = client.post(f"/api/attempts/{attempt['id']}/score").json
    assert again["status"] == "unscored" and again["error"] == attempt["error"]


def test_silent_upload_says_no_speech(client):
    session_id = start_session(client)
    attempt = upload(client, session_id, CLIPS / "silent.flac").json
    assert attempt["status"] == "unscored" and "no speech found" in attempt["error"]


def test_upload_that_is_not_audio_is_refused_and_nothing_stored(client, app):
    session_id = start_session(client)
    response = client.post(f"/api/sessions/{session_id}/uploads",
                           data={"recording": (io.BytesIO(b"hello"), "notes.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "not a recording rehearse can read" in response.json["error"]
    response = client.post(f"/api/sessions/{session_id}/uploads",  # a document renamed .m4a
                           data={"recording": (io.BytesIO(b"%PDF-1.7 minutes of the meeting" * 50), "notes.m4a")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "does not hold audio" in response.json["error"]
    response = client.post(f"/api/sessions/{session_id}/uploads", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "no file was sent" in response.json["error"]
    assert db_rows(app, "SELECT COUNT(*) FROM attempts") == [(0,)]


def test_coach_overrules_and_comments_and_the_app_verdict_is_kept(client, app):
    session_id = start_session(client)
    attempt = upload(client, session_id).json
    url = f"/api/attempts/{attempt['id']}/marks"
    marked = client.post(url, json={"criterion": "wait_time", "passed": False, "comment": "Felt rushed"}).json
    verdict = next(v for v in marked["verdicts"] if v["id"] == "wait_time")
    assert (verdict["app"], verdict["coach"], verdict["passed"], verdict["comment"]) == (True, False, False, "Felt rushed")
    assert marked["passed"] is False and marked["app_passed"] is True and marked["overruled"]
    result = json.loads(db_rows(app, "SELECT result FROM attempts")[0][0])
    assert all(c["passed"] for c in result["criteria"])  # the automatic verdicts are untouched
    progress = client.get(f"/api/sessions/{session_id}").json["progress"]
    assert progress["accurate_at"] is None  # the coach's verdict counts
    undone = client.post(url, json={"criterion": "wait_time", "passed": None, "comment": ""}).json
    assert undone["passed"] is True and not undone["overruled"]
    assert db_rows(app, "SELECT COUNT(*) FROM coach_marks") == [(0,)]
    bad = client.post(url, json={"criterion": "charisma", "passed": True})
    assert bad.status_code == 400 and "unknown criterion 'charisma'" in bad.json["error"]


def test_finish_saves_a_summary_and_the_session_page_then_shows_it(client, app):
    session_id = start_session(client)
    upload(client, session_id)
    response = client.post(f"/sessions/{session_id}/finish")
    assert response.headers["Location"].endswith(f"/sessions/{session_id}/summary")
    page = client.get(f"/sessions/{session_id}/summary").text
    assert "session summary" in page and "from rep 1" in page and "Siobhan" in page
    summary = json.loads(db_rows(app, "SELECT summary FROM sessions")[0][0])
    assert summary["accurate_at"] == 1 and summary["scored"] == 1
    assert client.get(f"/sessions/{session_id}").status_code == 302  # finished: to the summary


def test_unknown_ids_get_a_clear_404(client):
    assert "there is no session 99" in client.get("/sessions/99").text
    assert client.get("/api/sessions/99").json == {"error": "there is no session 99; start one from the first page"}
    assert client.get("/attempts/5/audio").status_code == 404
    assert client.post("/api/attempts/5/score").status_code == 404


def test_a_rep_left_recording_by_a_stopped_server_is_marked_unscored_at_start(tmp_path):
    app = create_app({"INSTANCE": tmp_path, "WARM_UP": False})
    store = app.extensions["rehearse"]["store"]
    session_id = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Priya"])
    rep = store.new_rep(session_id, "live")
    create_app({"INSTANCE": tmp_path, "WARM_UP": False})  # the server starts again
    again = store.rep(rep.id)
    assert again.status == "unscored" and "server stopped" in again.error


def test_a_malformed_action_step_file_is_named_on_the_start_page(client, tmp_path, monkeypatch):
    folder = tmp_path / "school-steps"
    folder.mkdir()
    (folder / "broken.toml").write_text('id = "broken"\ntitle = \n')
    monkeypatch.setenv("REHEARSE_SCENARIOS", str(folder))
    page = client.get("/")
    assert page.status_code == 200
    assert "An action step file could not be read" in page.text and "broken.toml" in page.text
    assert "Pose, pause, name" in page.text  # the good ones are still offered


def test_a_missed_name_is_one_tap_and_keeps_the_wait(client, app):
    """No pupil heard after a kept pause: the coach says who it was; the pause then counts as the
    wait in the verdict, the evidence, the chart's data and the progress."""
    session_id = start_session(client)
    attempt = upload(client, session_id, CLIPS / "ppn-14-no-name-clean.flac").json
    kept = attempt["metrics"]["pause_after_question_s"]
    assert attempt["metrics"]["wait_time_s"] is None and abs(kept - 5.5) <= 0.2
    assert not next(v for v in attempt["verdicts"] if v["id"] == "names_pupil")["passed"]
    url = f"/api/attempts/{attempt['id']}/marks"
    chosen = client.post(url, json={"criterion": "names_pupil", "pupil": "Niamh", "comment": ""}).json
    verdicts = {v["id"]: v for v in chosen["verdicts"]}
    assert verdicts["names_pupil"]["passed"] and verdicts["names_pupil"]["pupil"] == "Niamh"
    assert "Niamh" in verdicts["names_pupil"]["detail"]
    assert verdicts["wait_time"]["passed"] and f"You paused {kept:.1f} s" in verdicts["wait_time"]["detail"]
    assert "named no pupil" not in verdicts["wait_time"]["detail"]
    assert chosen["metrics"]["named_pupil"] == "Niamh" and chosen["metrics"]["wait_time_s"] == kept
    assert chosen["passed"] is True
    progress = client.get(f"/api/sessions/{session_id}").json["progress"]
    assert progress["reps"][0]["wait_time_s"] == kept and progress["reps"][0]["passed"] is True  # the chart's data
    assert progress["accurate_at"] == 1 and progress["streak"] == 1
    assert db_rows(app, "SELECT accurate_at FROM sessions") == [(1,)]
    second = upload(client, session_id, CLIPS / "ppn-14-no-name-clean.flac").json
    listed = client.get(f"/attempts/{second['id']}").text  # the compare list names rep 1 as the coach agreed
    assert re.search(rf">Rep 1 · [^<·]+ · met · waited {kept:.1f} s<", listed)
    bad = client.post(url, json={"criterion": "names_pupil", "pupil": "Voldemort"})
    assert bad.status_code == 400 and "Niamh" in bad.json["error"]
    undone = client.post(url, json={"criterion": "names_pupil", "passed": None, "comment": ""}).json
    assert undone["metrics"]["wait_time_s"] is None and undone["passed"] is False


def test_a_class_list_with_semicolons_is_several_pupils_at_the_start(client, app):
    """"Tom; Priya" is two pupils here as in the step editor (one reader: names.roster_entries)."""
    session_id = start_session(client, roster="Tom; Priya\nNiamh")
    assert client.get(f"/api/sessions/{session_id}").json["session"]["pupils"] == ["Tom", "Priya", "Niamh"]


def test_practising_alone_in_the_browser_is_a_solo_session(client, app):
    session_id = start_session(client, mode="solo")
    assert db_rows(app, "SELECT mode FROM sessions WHERE id = ?", session_id) == [("solo",)]
    page = client.get(f"/sessions/{session_id}").text
    assert 'class="badge solo"' in page and 'id="tap-along"' not in page  # no coach to tap along
    assert "· solo" in client.get("/").text
    coached = start_session(client)
    assert db_rows(app, "SELECT mode FROM sessions WHERE id = ?", coached) == [("coached",)]
    assert 'id="tap-along"' in client.get(f"/sessions/{coached}").text
    bad = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "pose-pause-name", "mode": "party"})
    assert bad.status_code == 400 and "expected coached or solo" in bad.text


def test_a_name_said_first_is_one_cross_and_its_pause_is_charted(client):
    """"Jamal, which ...? [5.2 s] Go on.": only "no name before the question" fails; the pause kept
    is judged as the wait and charted (not at 0 s); no name to pick is offered."""
    session_id = start_session(client)
    attempt = upload(client, session_id, CLIPS / "ppn-12-name-first-jamal-clean.flac").json
    failed = [v["id"] for v in attempt["verdicts"] if not v["passed"]]
    assert failed == ["no_name_before_question"], [(v["id"], v["detail"]) for v in attempt["verdicts"]]
    m = attempt["metrics"]
    assert m["named_before_question"] == "Jamal" and m["wait_time_s"] == m["pause_after_question_s"]
    progress = client.get(f"/api/sessions/{session_id}").json["progress"]
    assert abs(progress["reps"][0]["wait_time_s"] - 5.2) <= 0.3 and progress["reps"][0]["passed"] is False
