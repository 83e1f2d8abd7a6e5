"""Model and non-example recordings of an action step, scored with the real model: the shipped TTS
models pass and the non-examples fail; a coach's upload and a recording over the WebSocket (a real
`rehearse serve` process) are kept, scored and playable from the rehearsal page."""

from __future__ import annotations

import io
import time
import urllib.parse
import wave

import pytest

from rehearse.reps import open_store
from rehearse.reps.scoring import score_example
from rehearse.store import examples
from rehearse.scoring.audio import load_audio
from rehearse.scoring.steps import SHIPPED_AUDIO, check_all, shipped_example
from rehearse.web import create_app

from .conftest import CLIPS, LABELS
from .server import new_session, running_server
from .test_stream import connect_to, refusal, stop, stream
from .page_client import page_client

SHIPPED = [s for s in check_all()[0]]
SHORT_PAUSE = "ppn-08-short-pause-tomasz-clean.flac"  # a 2.17 s wait: a non-example of pose-pause-name


@pytest.mark.parametrize("step", SHIPPED, ids=lambda s: s.id)
def test_every_shipped_step_has_a_model_that_passes_and_a_non_example_that_fails(step, scorer, tmp_path):
    store = open_store(tmp_path)
    assert shipped_example(step.id, "model") == SHIPPED_AUDIO / f"{step.id}-model.flac"
    model = score_example(store, scorer, step, "model")
    assert (model["source"], model["status"]) == ("shipped", "scored")
    failed = [v["detail"] for v in model["result"]["criteria"] if not v["passed"]]
    assert model["passed"] == 1, failed
    non_example = score_example(store, scorer, step, "non_example")
    assert non_example["status"] == "scored" and non_example["passed"] == 0


@pytest.fixture()
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("REHEARSE_SCENARIOS", raising=False)
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False})
    return app


def test_a_coach_uploads_a_model_and_the_teacher_can_play_it(app, scorer):
    app.extensions["rehearse"]["scorer"] = scorer  # the session's loaded model, not a second one
    client = page_client(app)
    clip = CLIPS / "ppn-02-correct-niamh-clean.flac"
    with clip.open("rb") as f:
        sent = client.post("/steps/pose-pause-name/examples/model", data={"recording": (f, "my-model.flac")})
    assert sent.status_code == 302 and sent.location.endswith("/steps/pose-pause-name#model")
    page = client.get("/steps/pose-pause-name")
    assert "passes" in page.text and "shipped (made with text-to-speech)" in page.text  # the non-example is shipped
    store = app.extensions["rehearse"]["store"]
    model = examples.example(store, "pose-pause-name", "model")
    assert (model["source"], model["status"], model["passed"]) == ("upload", "scored", 1)
    stored = store.instance / model["audio_path"]
    assert stored.read_bytes() == clip.read_bytes() and stored.parent.name == "pose-pause-name"
    audio = client.get(f"/steps/pose-pause-name/examples/model/audio?v={model['id']}")
    assert audio.status_code == 200 and audio.mimetype == "audio/flac" and audio.data == clip.read_bytes()

    session = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "pose-pause-name"})
    rehearsal = client.get(session.location).text
    assert "Hear it first" in rehearsal and 'data-kind="model"' in rehearsal and 'data-kind="non_example"' in rehearsal


def test_a_file_that_is_not_a_recording_is_refused_on_the_page(app):
    client = page_client(app)
    sent = client.post("/steps/pose-pause-name/examples/model", data={"recording": (open(__file__, "rb"), "notes.txt")},
                       follow_redirects=True)
    assert "&#39;notes.txt&#39; is not a recording rehearse can read" in sent.text
    assert examples.example(app.extensions["rehearse"]["store"], "pose-pause-name", "model")["source"] == "shipped"


def test_an_unreadable_upload_is_kept_unscored_with_the_reason(app, scorer):
    app.extensions["rehearse"]["scorer"] = scorer
    client = page_client(app)
    damaged = io.BytesIO(b"RIFF\x00\x00\x00\x00WAVE" + open(__file__, "rb").read())  # a WAV's start, then not
    client.post("/steps/cold-call/examples/model", data={"recording": (damaged, "broken.wav")})
    store = app.extensions["rehearse"]["store"]
    refused = client.post("/steps/cold-call/examples/model", data={"recording": (open(__file__, "rb"), "notes.wav")})
    assert "does not hold audio" in urllib.parse.unquote_plus(refused.headers["Location"])  # not even kept
    model = examples.example(store, "cold-call", "model")
    assert model["status"] == "unscored" and model["error"] and "tests" not in model["error"]
    assert (store.instance / model["audio_path"]).is_file()  # kept, to be re-recorded or scored again
    assert model["error"] in client.get("/steps/cold-call").text


def test_a_model_recorded_over_the_websocket_is_scored_and_a_dropped_one_kept(tmp_path):
    instance = tmp_path / "instance"
    with running_server(instance) as url:
        new_session(url)  # the app is up and the database made
        ws, started = connect_to(url, "/ws/steps/pose-pause-name/non_example")
        audio = load_audio(CLIPS / SHORT_PAUSE)  # not padded with digital zeros: see the issue 6 note
        stream(ws, audio, real_time=False)
        reply = stop(ws)
        assert reply["type"] == "result", reply
        shown = reply["attempt"]
        assert (shown["kind"], shown["source"], shown["passed"]) == ("non_example", "live", False)
        assert shown["wait_time_s"] == pytest.approx(LABELS["clips"][SHORT_PAUSE]["wait_time"], abs=0.15)
        assert [v["passed"] for v in shown["verdicts"] if v["id"] == "wait_time"] == [False]
        assert shown["audio_url"].startswith("/steps/pose-pause-name/examples/non_example/audio")

        ws, _ = connect_to(url, "/ws/steps/pose-pause-name/model")
        stream(ws, audio[: 16000 * 3], real_time=False)
        ws.close()  # the coach's laptop drops the connection mid-recording
        store = open_store(instance)
        deadline = time.monotonic() + 120  # the server may still be busy with the previous recording
        while (model := examples.example(store, "pose-pause-name", "model"))["status"] == "recording":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert model["status"] == "unscored" and "connection" in model["error"]
        with wave.open(str(instance / model["audio_path"])) as kept:  # all that arrived, as a valid WAV
            assert kept.getnframes() / 16000 == pytest.approx(model["duration_s"]) and model["duration_s"] > 1
        assert f"dropped at {model['duration_s']:.1f} s" in model["error"]

        error = refusal(url, "/ws/steps/no-such-step/model")
        assert error["type"] == "error" and "unknown action step 'no-such-step'" in error["message"]
