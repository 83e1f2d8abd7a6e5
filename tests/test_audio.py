"""Stage 1: recordings of every common format load as float32 mono 16 kHz; bad files say why."""

from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.errors import AudioError

from .conftest import CLIPS


def tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def write_wav(path, samples: np.ndarray, rate: int, channels: int = 1) -> None:
    pcm = (np.repeat(samples[:, None], channels, axis=1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def encode(path, samples: np.ndarray, rate: int, codec: str, fmt: str, sample_fmt: str) -> None:
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=sample_fmt, layout="mono", rate=rate)
        for f in resampler.resample(frame):
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def test_plain_wav_reads_exactly(tmp_path):
    samples = tone(1.0, SAMPLE_RATE)
    write_wav(tmp_path / "a.wav", samples, SAMPLE_RATE)
    audio = load_audio(tmp_path / "a.wav")
    assert audio.dtype == np.float32 and audio.shape == (SAMPLE_RATE,)
    assert np.max(np.abs(audio - samples)) < 1e-4


def test_stereo_44k_wav_is_mixed_and_resampled(tmp_path):
    write_wav(tmp_path / "b.wav", tone(2.0, 44100), 44100, channels=2)
    audio = load_audio(tmp_path / "b.wav")
    assert abs(len(audio) - 2 * SAMPLE_RATE) < 400
    assert 0.25 < np.abs(audio).max() < 0.35


@pytest.mark.parametrize("codec,fmt,suffix,sample_fmt", [
    ("flac", "flac", ".flac", "s16"),
    ("libopus", "ogg", ".ogg", "flt"),
    ("libopus", "webm", ".webm", "flt"),
    ("mp3", "mp3", ".mp3", "fltp"),
])
def test_compressed_formats(tmp_path, codec, fmt, suffix, sample_fmt):
    rate = 48000 if codec == "libopus" else 44100
    path = tmp_path / f"c{suffix}"
    try:
        encode(path, tone(1.5, rate), rate, codec, fmt, sample_fmt)
    except (av.error.FFmpegError, ValueError) as exc:  # pragma: no cover - depends on the PyAV build
        pytest.skip(f"this PyAV build cannot encode {codec}: {exc}")
    audio = load_audio(path)
    assert abs(len(audio) / SAMPLE_RATE - 1.5) < 0.1
    assert audio.dtype == np.float32


def test_labelled_clip_loads():
    audio = load_audio(CLIPS / "ppn-00-correct-siobhan-clean.flac")
    assert 8 < len(audio) / SAMPLE_RATE < 12


@pytest.mark.parametrize("content,expected", [
    (None, "no such file"),
    (b"", "empty"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 10, "not a readable recording"),
    (bytes(range(256)) * 40, "not a readable recording"),
])
def test_bad_files_say_what_is_wrong(tmp_path, content, expected):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError, match=expected) as info:
        load_audio(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_folder_is_not_a_recording(tmp_path):
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)
