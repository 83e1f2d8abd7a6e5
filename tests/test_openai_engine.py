"""openai-whisper as the second engine (issue 8): the checkpoint converted from the bundled
CTranslate2 speech model is the same network, and the engine gives the same verdicts, named pupils
and wait times as the default engine on the labelled clips. Real speech models, real clips; no
download."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rehearse.scoring.audio import load_audio
from rehearse.scoring.pipeline import Scorer
from rehearse.errors import SpeechModelError
from rehearse.scoring.steps import get_step
from rehearse.scoring.words.base import VERBATIM_PROMPT
from rehearse.scoring.words.faster import find_speech_model

from .conftest import CLIPS, LABELS

import whisper  # noqa: E402 - in the test extra: missing is a failure here, not a skip

# Wait times come from the speech segments, not from words: the engines may differ only where the
# words place the question's end or the name in a different segment. On these clips they do not.
WAIT_TOLERANCE_S = 0.001
CLEAN = sorted(n for n, c in LABELS["clips"].items() if c.get("noise", "clean") == "clean")


@pytest.fixture(scope="module")
def openai_scorer(tmp_path_factory):
    return Scorer(engine="openai-whisper", speech_models_dir=tmp_path_factory.mktemp("speech-models"))


@pytest.fixture(scope="module")
def converted(openai_scorer):
    return openai_scorer.transcriber.speech_model


def test_the_converted_checkpoint_decodes_the_same_text_as_the_ctranslate2_model(converted):
    """The same network: CTranslate2 computing in float32 (as openai-whisper does here) and the
    converted checkpoint give the same words, whole clips, greedy, no hotwords."""
    from faster_whisper import WhisperModel

    ct2 = WhisperModel(find_speech_model(None), device="cpu", compute_type="float32", cpu_threads=2)
    for name in ("ppn-00-correct-siobhan-clean.flac", "ppn-12-name-first-jamal-clean.flac",
                 "ppn-01-correct-oluwaseun-clean.flac"):
        audio = load_audio(CLIPS / name)
        ours = whisper.transcribe(converted, audio, language="en", temperature=0.0, fp16=False,
                                  condition_on_previous_text=False, initial_prompt=VERBATIM_PROMPT)["text"]
        segments, _ = ct2.transcribe(audio, language="en", beam_size=1, temperature=0.0, vad_filter=False,
                                     condition_on_previous_text=False, initial_prompt=VERBATIM_PROMPT)
        assert ours.strip() == "".join(s.text for s in segments).strip(), name
        assert ours.strip()  # it heard something


def test_the_converted_checkpoint_keeps_the_alignment_heads_of_the_bundled_speech_model(converted):
    config = json.loads(Path(find_speech_model(None), "config.json").read_text())
    heads = converted.alignment_heads.to_dense().nonzero().tolist()
    assert heads == config["alignment_heads"]


@pytest.mark.parametrize("name", CLEAN)
def test_the_same_verdict_and_pupil_as_the_default_engine(name, openai_scorer, scored, roster):
    label = LABELS["clips"][name]
    step = get_step(label["scenario"])
    ours = openai_scorer.score_file(CLIPS / name, step,
                                    roster if label["scenario"] == "pose-pause-name" else None)
    default = scored(name)
    assert ours.passed == default.passed == label["passed"], (ours.transcript, default.transcript)
    assert ours.metrics["named_pupil"] == default.metrics["named_pupil"], (ours.transcript, default.transcript)
    if default.metrics["wait_time_s"] is None:
        assert ours.metrics["wait_time_s"] is None
    else:
        assert abs(ours.metrics["wait_time_s"] - default.metrics["wait_time_s"]) <= WAIT_TOLERANCE_S


def test_the_cli_scores_with_openai_whisper_and_reuses_its_converted_checkpoint(tmp_path):
    clip = CLIPS / "ppn-09-short-pause-chloe-clean.flac"
    command = [sys.executable, "-m", "rehearse.cli", "score", "--engine", "openai-whisper", "--json",
               "--step", "pose-pause-name", "--instance", str(tmp_path), str(clip)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["metrics"]["named_pupil"] == "Chloe" and not result["passed"]
    checkpoint = next((tmp_path / "speech-models").glob("*.pt"))
    made = checkpoint.stat().st_mtime_ns
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert json.loads(again.stdout)["metrics"] == result["metrics"]
    assert checkpoint.stat().st_mtime_ns == made  # converted once, then reused


def test_a_speech_model_that_is_not_one_is_refused_in_one_line(tmp_path):
    junk = tmp_path / "model.bin"
    junk.write_bytes(b"not a model")
    with pytest.raises(SpeechModelError) as caught:
        Scorer(engine="openai-whisper", speech_model=str(tmp_path), speech_models_dir=tmp_path / "speech-models")
    assert "\n" not in str(caught.value) and "model.bin" in str(caught.value)
    done = subprocess.run([sys.executable, "-m", "rehearse.cli", "score", "--engine", "openai-whisper",
                           "--speech-model", "no-such-model", "--step", "pose-pause-name",
                           str(CLIPS / "ppn-09-short-pause-chloe-clean.flac")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no-such-model" in done.stderr


def test_the_web_app_rehearses_on_openai_whisper(tmp_path):
    """`rehearse serve --engine openai-whisper`: a rep streamed over the WebSocket as the page
    sends it is scored by the second engine, which uses the checkpoint it converted at start."""
    from benchmarks.load import rehearse

    from .server import new_session, running_server

    clip = "ppn-00-correct-siobhan-clean.flac"
    with running_server(tmp_path / "instance", "--engine", "openai-whisper") as url:
        _, reply = rehearse(url, new_session(url), load_audio(CLIPS / clip), real_time=False)
    attempt = reply["attempt"]
    assert attempt["status"] == "scored" and attempt["passed"] is True, attempt
    assert attempt["metrics"]["named_pupil"] == "Siobhan"
    assert abs(attempt["metrics"]["wait_time_s"] - LABELS["clips"][clip]["wait_time"]) < 0.1
    assert list((tmp_path / "instance" / "speech-models").glob("*.pt"))
