"""The live pause cue, on synthetic signals and on the labelled clips fed in 100 ms blocks."""

from __future__ import annotations

import numpy as np
import pytest

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.capture.cue import PauseCue

from .conftest import CLIPS, LABELS


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return (np.random.default_rng(1).normal(0, 1e-3, int(seconds * SAMPLE_RATE))).astype(np.float32)


def feed_in_blocks(cue: PauseCue, audio: np.ndarray, block: int = 1600) -> list:
    shown = []
    for i in range(0, len(audio), block):
        shown += cue.feed(audio[i:i + block])
    return shown


def test_nothing_shows_before_speech_or_during_it():
    cue = PauseCue(5.0)
    assert feed_in_blocks(cue, np.concatenate([quiet(2.0), tone(2.0)])) == []
    assert cue.state.state == "listening"


def test_counter_runs_after_speech_reaches_the_target_and_stops_when_speech_resumes():
    cue = PauseCue(3.0)
    shown = feed_in_blocks(cue, np.concatenate([quiet(0.5), tone(1.5), quiet(3.5), tone(0.6), quiet(2.0)]))
    waiting = [s for s in shown if s.state == "waiting"]
    assert waiting[0].wait_s == pytest.approx(0.5, abs=0.05)  # shown only after half a second
    assert [s.wait_s for s in waiting] == sorted(s.wait_s for s in waiting)  # it only grows
    assert not waiting[0].reached and waiting[-1].reached
    first_reached = next(s for s in waiting if s.reached)
    assert first_reached.wait_s == pytest.approx(3.0, abs=0.1)
    assert shown[-1].state == "done" and shown[-1].wait_s == pytest.approx(3.5, abs=0.03)
    assert cue.state.state == "done"  # the silence after the name shows nothing new


def test_a_short_hesitation_inside_the_question_resets_the_cue():
    cue = PauseCue(5.0)
    shown = feed_in_blocks(cue, np.concatenate([quiet(0.3), tone(1.0), quiet(1.0), tone(1.0), quiet(2.0)]))
    assert any(s.state == "listening" for s in shown)  # the 1 s hesitation was not the wait
    assert cue.state.state == "waiting" and cue.state.wait_s >= 1.9


def test_digital_silence_before_the_room_noise_does_not_fool_the_floor():
    # Browsers often deliver exact zeros while the microphone starts; the room is louder than that.
    room = lambda s: np.random.default_rng(2).normal(0, 3e-3, int(s * SAMPLE_RATE)).astype(np.float32)  # noqa: E731
    cue = PauseCue(5.0)
    feed_in_blocks(cue, np.concatenate([np.zeros(8000, np.float32), room(0.5), tone(1.5) + room(1.5),
                                        room(5.5), tone(0.5) + room(0.5), room(1.0)]))
    assert cue.state.state == "done" and cue.state.wait_s == pytest.approx(5.5, abs=0.05)


def test_blocks_of_any_size_give_the_same_cue():
    audio = np.concatenate([quiet(0.5), tone(1.0), quiet(4.0), tone(0.5), quiet(0.5)])
    big, odd = PauseCue(3.0), PauseCue(3.0)
    feed_in_blocks(big, audio, 16000)
    feed_in_blocks(odd, audio, 333)
    assert big.state.wait_s == odd.state.wait_s == pytest.approx(4.0, abs=0.03)


CLEAN_TIMED = sorted(n for n, c in LABELS["clips"].items()
                     if c.get("wait_time") and c["wait_time"] >= 1.5 and c["noise"] == "clean")


@pytest.mark.parametrize("name", CLEAN_TIMED)
def test_cue_agrees_with_the_labelled_wait_on_clean_clips(name):
    cue = PauseCue(5.0)
    feed_in_blocks(cue, load_audio(CLIPS / name))
    assert cue.state.state == "done"
    assert cue.state.wait_s == pytest.approx(LABELS["clips"][name]["wait_time"], abs=0.05)
