"""The attempt's WAV is valid after every block, so a killed server keeps what was received."""

from __future__ import annotations

import wave

import numpy as np

from rehearse.scoring.audio import load_audio
from rehearse.capture.recording import WavRecorder, from_pcm16, to_pcm16


def test_pcm16_round_trip_is_within_one_step():
    x = np.linspace(-1, 1, 1001, dtype=np.float32)
    assert np.max(np.abs(from_pcm16(to_pcm16(x)) - x)) <= 1 / 32768


def test_file_is_readable_after_each_block_without_closing(tmp_path):
    path = tmp_path / "rep-01.wav"
    rec = WavRecorder(path)
    block = to_pcm16(np.full(1600, 0.25, dtype=np.float32))
    for n in range(1, 4):
        rec.append(block)
        with wave.open(str(path)) as w:  # another reader, while the recorder is still open
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            assert w.getnframes() == 1600 * n
    rec.close()
    audio = load_audio(path)
    assert len(audio) == 4800 and abs(float(audio.mean()) - 0.25) < 1e-3


def test_an_empty_recording_is_a_valid_empty_wav(tmp_path):
    with WavRecorder(tmp_path / "empty.wav") as rec:
        assert rec.duration_s == 0
    with wave.open(str(tmp_path / "empty.wav")) as w:
        assert w.getnframes() == 0
