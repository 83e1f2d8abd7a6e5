"""A rep being recorded (rehearse/live.py): its words are worked out while the teacher is silent,
reused at stop when nothing was said since, and never reused when something was - the verdict is
the one `rehearse score` gives the same recording."""

from __future__ import annotations

import numpy as np

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.capture.live import LiveRep
from rehearse.capture.recording import to_pcm16
from rehearse.scoring.steps import get_step

from .conftest import CLIPS, LABELS

BLOCK = SAMPLE_RATE // 10  # 0.1 s, as the browser sends them


def feed(live: LiveRep, audio: np.ndarray) -> None:
    """Stream `audio` in blocks, as if the work ahead kept up (so the test does not race it)."""
    for i in range(0, len(audio), BLOCK):
        live.add(to_pcm16(audio[i:i + BLOCK]))
        if live._job is not None:
            live._job.result()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def test_the_words_are_ready_at_stop_and_the_verdict_is_the_files(scorer, tmp_path):
    clip = CLIPS / "ppn-00-correct-siobhan-clean.flac"
    step = get_step("pose-pause-name")
    live = LiveRep(scorer, step, tmp_path / "rep.wav")
    feed(live, np.concatenate([load_audio(clip), silence(1.5)]))  # the name, a moment's quiet, stop
    result = live.finish()
    assert result.timings["words_reused"] and result.timings["waited_for_work_ahead_s"] == 0
    on_file = scorer.score_file(tmp_path / "rep.wav", step)
    assert result.metrics["named_pupil"] == on_file.metrics["named_pupil"] == "Siobhan"
    assert [c.passed for c in result.criteria] == [c.passed for c in on_file.criteria]
    assert result.metrics["wait_time_s"] == on_file.metrics["wait_time_s"]


def test_speech_after_the_work_ahead_is_heard_not_taken_from_it(scorer, tmp_path):
    """The question, a silence long enough for work ahead, then the name and stop at once: the words
    worked out ahead (the question alone) must not stand for the rep."""
    clip = "ppn-00-correct-siobhan-clean.flac"
    audio = load_audio(CLIPS / clip)
    live = LiveRep(scorer, get_step("pose-pause-name"), tmp_path / "rep.wav")
    cut = int((LABELS["clips"][clip]["name_start"] - 0.3) * SAMPLE_RATE)  # inside the pause before the name
    name_end = int(np.flatnonzero(np.abs(audio) > 0.02)[-1]) + SAMPLE_RATE // 20
    feed(live, audio[:cut])
    assert live._prepared_end is not None  # the question's words were worked out during the pause
    feed(live, audio[cut:name_end])  # the name, and stop with no quiet after it
    result = live.finish()
    assert not result.timings["words_reused"]
    assert result.metrics["named_pupil"] == "Siobhan"
