"""Observing a lesson through Flask's test client, over a real store in a temporary folder: the page,
an uploaded lesson queued and analysed by the real job runner, every refusal in one line with
nothing kept, Cancel and Analyse again, the status the progress script reads, and a lesson the
server was recording when it stopped."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from pathlib import Path

import pytest

from rehearse.capture.recording import WavRecorder, to_pcm16
from rehearse.scoring.audio import load_audio
from rehearse.store import lessons as lesson_store
from rehearse.store import plans
from rehearse.web import context, create_app

from .conftest import CLIPS
from .page_client import page_client

CLIP = CLIPS / "ppn-00-correct-siobhan-clean.flac"
LESSONS = CLIPS / "lessons"
ANALYSIS_TIMEOUT_S = 900  # a contended two-core machine; the test asserts the outcome, never the time
STATUS_KEYS = {"status", "progress", "eta_s", "stage", "error", "url"}


def lesson_clip() -> Path:
    """The first of the short test lessons (tests/clips/lessons/labels.json): a minute of a lesson."""
    return LESSONS / json.loads((LESSONS / "labels.json").read_text())["lessons"][0]["file"]


@pytest.fixture()
def app(tmp_path):
    """The app with its job runner queueing but not analysing (ANALYSIS_WORKER off): what is queued
    stays queued, for the tests of what the web side does; one test below analyses for real."""
    return create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False, "ANALYSIS_WORKER": False})


@pytest.fixture()
def client(app):
    client = page_client(app)
    client.get("/observe")  # the page's CSRF token, as the browser has it
    return client


def post_lesson(client, path: Path | None = CLIP, name: str | None = None, data: bytes | None = None, **fields):
    form = {"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "Siobhan\nPriya\nTom"} | fields
    if path is not None or data is not None:
        form["recording"] = (io.BytesIO(path.read_bytes() if data is None else data), name or path.name)
    return client.post("/api/lessons", data=form, content_type="multipart/form-data")


def lesson_rows(app) -> list[tuple]:
    with sqlite3.connect(Path(app.instance_path) / "rehearse.sqlite") as db:
        return db.execute("SELECT id, status FROM lessons").fetchall()


def files_under(app) -> list[Path]:
    folder = Path(app.instance_path) / "recordings" / "lessons"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def wait_for(client, lesson_id: int, statuses: tuple[str, ...], timeout_s: float = ANALYSIS_TIMEOUT_S) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get(f"/api/lessons/{lesson_id}").json
        if status["status"] in statuses or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def test_the_page_asks_who_which_step_and_the_class_and_says_what_is_kept(client):
    page = client.get("/observe?teacher=Ms%20Okafor&step=pose-pause-name").text
    assert 'value="Ms Okafor"' in page
    assert '<option value="pose-pause-name" selected>' in page
    assert "Siobhan" in page  # the step's class list, to edit
    assert "Tell the pupils they are being recorded" in page
    assert "Other voices are silenced" in page and "figures are kept" in page
    for suffix in (".wav", ".m4a", ".mp3", ".ogg", ".webm", ".flac"):
        assert suffix in page  # the upload takes the formats' registry
    assert 'src="/static/observe.js"' in page and "<script>" not in page  # no inline script (the CSP)
    assert 'href="/observe"' in client.get("/").text  # linked from the start page and the nav


def test_the_step_agreed_at_the_teachers_last_meeting_is_chosen(app, client):
    with app.app_context():
        store = context.store()
        session_id = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", [], 10, 3)
        plans.save_note(store, session_id, "", "cold-call", "")
    page = client.get("/observe?teacher=ms%20okafor").text
    assert '<option value="cold-call" selected>' in page
    assert '<option value="feedback-script" selected>' in client.get("/observe?teacher=ms%20okafor&step=feedback-script").text


@pytest.mark.slow  # the speech model, the voices and a minute of a lesson analysed
def test_an_upload_is_kept_queued_and_analysed_by_the_job_runner(tmp_path):
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False, "ANALYSIS_WORKER": True})
    client = page_client(app)
    client.get("/observe")
    clip = lesson_clip()
    answer = post_lesson(client, clip)
    assert answer.status_code == 201, answer.text
    lesson_id = answer.json["lesson_id"]
    assert answer.json["url"] == f"/lessons/{lesson_id}"
    with app.app_context():
        lesson = lesson_store.lesson(context.store(), lesson_id)
        kept = lesson_store.lesson_file(context.store(), lesson)
    assert (lesson.teacher_name, lesson.step_id, lesson.source) == ("Ms Okafor", "pose-pause-name", "upload")
    assert lesson.roster == ("Siobhan", "Priya", "Tom")
    assert kept.read_bytes() == clip.read_bytes() and kept.suffix == clip.suffix
    status = client.get(f"/api/lessons/{lesson_id}").json
    assert STATUS_KEYS <= set(status) and status["status"] in ("queued", "analysing", "done")
    done = wait_for(client, lesson_id, ("done", "failed", "cancelled"))
    assert done["status"] == "done", done
    assert done["progress"] == 1 and done["error"] is None


@pytest.mark.parametrize("name, data, fields, says", [
    ("notes.wav", b"These are my lesson notes, not a recording.\n" * 20, {}, "does not hold audio"),
    ("lesson.docx", b"PK\x03\x04 a document", {}, "not a recording rehearse can read"),
    ("lesson.wav", b"", {}, "is empty"),
    (None, None, {}, "no file was sent"),
    (CLIP.name, None, {"step": "pose-pause"}, "unknown action step"),
    (CLIP.name, None, {"teacher": "  "}, "teacher's name"),
    (CLIP.name, None, {"roster": "Priya\npriya"}, "twice"),
])
def test_bad_input_is_refused_in_one_line_and_nothing_is_kept(app, client, name, data, fields, says):
    if name is None:
        answer = post_lesson(client, None, **fields)
    else:
        answer = post_lesson(client, CLIP, name=name, data=data, **fields)
    assert answer.status_code == 400, answer.text
    assert says in answer.json["error"] and "\n" not in answer.json["error"]
    assert lesson_rows(app) == [] and files_under(app) == []


def test_a_file_over_the_lesson_limit_is_refused_before_anything_is_kept(tmp_path):
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False, "MAX_LESSON_UPLOAD_MB": 0.05})
    client = page_client(app)
    client.get("/observe")
    answer = post_lesson(client, CLIP)  # 120 KB
    assert answer.status_code == 413
    assert "over 0.05 MB" in answer.json["error"] and "\n" not in answer.json["error"]
    assert lesson_rows(app) == [] and files_under(app) == []


def test_cancel_keeps_the_lesson_and_analyse_again_queues_it(app, client):
    lesson_id = post_lesson(client).json["lesson_id"]
    answer = client.post(f"/api/lessons/{lesson_id}/cancel")
    assert answer.status_code == 200 and answer.json["status"] == "cancelled", answer.text
    with app.app_context():
        lesson = lesson_store.lesson(context.store(), lesson_id)
        assert lesson_store.lesson_file(context.store(), lesson).is_file()  # the recording is kept
    again = client.post(f"/api/lessons/{lesson_id}/cancel")
    assert again.status_code == 409 and "nothing to cancel" in again.json["error"]
    queued = client.post(f"/api/lessons/{lesson_id}/analyse")
    assert queued.status_code == 200 and queued.json["status"] == "queued"
    refused = client.post(f"/api/lessons/{lesson_id}/analyse")
    assert refused.status_code == 409 and "only a failed or cancelled" in refused.json["error"]


def test_the_status_of_no_such_lesson_is_a_404_in_one_line(client):
    answer = client.get("/api/lessons/999")
    assert answer.status_code == 404 and "no lesson 999" in answer.json["error"]
    assert client.post("/api/lessons/999/cancel").status_code == 404


def test_a_cancel_from_another_site_is_refused(app, client):
    lesson_id = post_lesson(client).json["lesson_id"]
    answer = client.post(f"/api/lessons/{lesson_id}/cancel", csrf=False)
    assert answer.status_code == 403
    assert client.get(f"/api/lessons/{lesson_id}").json["status"] == "queued"


def test_a_lesson_the_server_was_recording_when_it_stopped_is_kept_and_queued(app):
    audio = load_audio(CLIP)
    with app.app_context():
        store = context.store()
        lesson = lesson_store.new_lesson(store, "Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan"],
                                         source="browser")
        recorder = WavRecorder(lesson_store.lesson_file(store, lesson))
        recorder.append(to_pcm16(audio[:32000]))
        recorder._file.seek(0, 2)
        recorder._file.write(to_pcm16(audio[32000:48000]))  # a block on disk the header never counted: killed
        recorder._file.flush()
        empty = lesson_store.new_lesson(store, "Ms Okafor", "pose-pause-name", "Pose, pause, name", [],
                                        source="browser")
        WavRecorder(lesson_store.lesson_file(store, empty))
    again = create_app({"INSTANCE": Path(app.instance_path), "WARM_UP": False, "ANALYSIS_WORKER": False})
    with again.app_context():  # the server started again: create_app calls recover_recordings
        store = context.store()
        kept = lesson_store.lesson(store, lesson.id)
        assert kept.status == "queued" and kept.duration_s == pytest.approx(3.0)
        assert len(load_audio(lesson_store.lesson_file(store, kept))) == 48000  # every block on disk is kept
        gone = lesson_store.lesson(store, empty.id)
        assert gone.status == "failed" and "record it again" in gone.error


def test_status_is_json_the_script_can_read(client):
    lesson_id = post_lesson(client).json["lesson_id"]
    status = client.get(f"/api/lessons/{lesson_id}").json
    json.dumps(status)
    assert status["status"] == "queued" and status["progress"] == 0 and isinstance(status["stage"], str)
