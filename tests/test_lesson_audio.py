"""A lesson's recording (rehearse/observe/lesson_audio.py): decoded from every format to a file on
disk and read back exactly; a recording too long, not audio, empty or silent refused with one line and
nothing left behind; its speech, found a window at a time, placed as one pass over the whole file
places it — a segment crossing a window's end comes out whole. (How little memory a long lesson takes
is a benchmark figure: benchmarks/observe_speed.py.)"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from rehearse.errors import AudioError
from rehearse.observe import lesson_audio
from rehearse.observe.lesson_audio import EVERY_VOICE, MAX_LESSON_S, LessonAudio, hours_minutes
from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.formats import labels
from rehearse.scoring.interrupt import Interrupted, giving_way, interruptible
from rehearse.scoring.speech import find_speech

from .conftest import CLIPS
from .test_audio import encode, tone, write_wav
from .test_formats import MAKE, made


def lesson_like(seconds_of_silence: float = 1.0) -> np.ndarray:
    """About 35 s: the teacher (a clip), a pause, a quieter second voice, the teacher again."""
    teacher = load_audio(CLIPS / "instructions-long.flac")
    other = load_audio(CLIPS / "cold-call-good.flac") * np.float32(10 ** (-12 / 20))
    pause = np.zeros(int(seconds_of_silence * SAMPLE_RATE), dtype=np.float32)
    return np.concatenate([pause, teacher, pause, other, pause, teacher[: 6 * SAMPLE_RATE], pause])


def write_lesson(path: Path, samples: np.ndarray) -> Path:
    write_wav(path, samples, SAMPLE_RATE)
    return path


def encode_long_flac(path: Path, seconds: int, noise: bool = True, rate: int = 8000) -> Path:
    """`seconds` of quiet noise (or digital silence, which FLAC keeps in about 200 bytes a second:
    three hours in about 2 MB) as 8 kHz FLAC, cheaply: one block encoded again and again."""
    block = np.random.default_rng(1).normal(0, 300 if noise else 0, (1, rate * 10)).astype(np.int16)
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        for _ in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize("suffix", sorted(MAKE))
def test_every_format_decodes_to_the_samples_a_rep_would_have(tmp_path, suffix):
    source = made(tmp_path, suffix)
    with LessonAudio.open(source, work_dir=tmp_path) as audio:
        expected = load_audio(source)
        assert audio.duration_s == len(expected) / SAMPLE_RATE
        assert np.allclose(audio.samples(), expected, atol=1.5 / 32768)
        assert load_audio(audio.path).shape == expected.shape  # the decoded file is a plain 16 kHz WAV


def test_samples_are_a_copy_of_the_span_asked_for_clipped_to_the_recording(tmp_path):
    samples = lesson_like()
    with LessonAudio.open(write_lesson(tmp_path / "l.wav", samples)) as audio:
        pcm = (samples * 32767).astype("<i2").astype(np.float32) / 32768.0
        piece = audio.samples(2.0, 3.5)
        assert np.array_equal(piece, pcm[2 * SAMPLE_RATE: int(3.5 * SAMPLE_RATE)])
        piece[:] = 1.0
        assert np.array_equal(audio.samples(2.0, 3.5), pcm[2 * SAMPLE_RATE: int(3.5 * SAMPLE_RATE)])
        assert len(audio.samples(-5, 1.0)) == SAMPLE_RATE
        assert len(audio.samples(audio.duration_s - 1.0, audio.duration_s + 60)) == SAMPLE_RATE
        assert len(audio.samples(5.0, 4.0)) == 0


def test_close_deletes_the_decoded_file_and_the_folder_made_for_it(tmp_path):
    source = write_lesson(tmp_path / "l.wav", lesson_like())
    with LessonAudio.open(source) as audio:
        decoded = audio.path
        assert decoded.exists() and decoded.parent != tmp_path
    assert not decoded.exists() and not decoded.parent.exists()
    work = tmp_path / "work"
    work.mkdir()
    audio = LessonAudio.open(source, work_dir=work)
    assert audio.path.parent == work
    audio.close()
    assert list(work.iterdir()) == [] and source.exists()


def test_a_three_hour_recording_is_refused_at_once_with_its_length(tmp_path):
    long = encode_long_flac(tmp_path / "three-hours.flac", 3 * 3600 + 2 * 60, noise=False)
    assert long.stat().st_size < 3_000_000
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(AudioError) as refused:
        LessonAudio.open(long, work_dir=work)
    assert str(refused.value) == (f"{long} is 3 h 2 min long; a lesson recording can be at most 1 h 30 min: "
                                  "trim it to the stretch you observed")
    assert list(work.iterdir()) == []


def test_a_recording_that_does_not_say_its_length_is_stopped_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(lesson_audio, "_claimed_length", lambda container, stream: None)
    long = encode_long_flac(tmp_path / "a-minute.flac", 60)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(AudioError, match=r"is longer than 30 s; a lesson recording can be at most 30 s: trim"):
        LessonAudio.open(long, work_dir=work, max_s=30)
    assert list(work.iterdir()) == []
    with LessonAudio.open(long, work_dir=work, max_s=60) as audio:  # at the limit: taken
        assert audio.duration_s == pytest.approx(60, abs=0.05)


@pytest.mark.parametrize("suffix, refused", [(".flac", "is 1 min long"), (".ogg", "is 1 min long"),
                                             (".m4a", "is 1 min long"), (".mp3", "is longer than 30 s")])
def test_a_length_is_taken_from_the_container_unless_it_is_a_guess(tmp_path, suffix, refused):
    """An MP3's length may be FFmpeg's guess from its first frames' bit rate: decoded to the limit."""
    codec, container, sample_fmt = MAKE[suffix] or ("flac", "flac", "s16")
    source = tmp_path / f"a-minute{suffix}"
    encode(source, tone(60.0, 16000), 16000, codec, container, sample_fmt)
    with pytest.raises(AudioError, match=f"{refused}; a lesson recording can be at most 30 s"):
        LessonAudio.open(source, work_dir=tmp_path, max_s=30)


def test_the_limit_is_an_hour_and_a_half():
    assert MAX_LESSON_S == 90 * 60
    assert [hours_minutes(s) for s in (45 * 60, 5400, 7200, 10920, 29)] == ["45 min", "1 h 30 min", "2 h",
                                                                           "3 h 2 min", "29 s"]


@pytest.mark.parametrize("content", [b"Dear parents, the trip is on Friday.\n" * 50, b"\x89PNG\r\n\x1a\n" + bytes(500)])
def test_a_file_that_is_not_audio_is_refused_with_the_formats_taken(tmp_path, content):
    path = tmp_path / "lesson.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioError) as refused:
        LessonAudio.open(path, work_dir=tmp_path)
    assert str(refused.value).startswith(f"{path} is not an audio file we can read ({labels(' or ')}); ")
    assert "\n" not in str(refused.value)
    assert list(tmp_path.iterdir()) == [path]


def test_a_silent_recording_and_an_empty_file_are_refused_saying_what_to_do(tmp_path):
    silent = write_lesson(tmp_path / "silent.wav", np.zeros(20 * SAMPLE_RATE, dtype=np.float32))
    with pytest.raises(AudioError, match=r"silent.wav is silent \(no sound at all\); check that .* microphone"):
        LessonAudio.open(silent, work_dir=tmp_path)
    empty = tmp_path / "empty.m4a"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        LessonAudio.open(empty, work_dir=tmp_path)
    with pytest.raises(AudioError, match="no such file"):
        LessonAudio.open(tmp_path / "missing.wav", work_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.m4a", "silent.wav"]


def test_a_quiet_but_real_recording_is_not_taken_for_silence(tmp_path):
    quiet = write_lesson(tmp_path / "quiet.wav", tone(3.0, SAMPLE_RATE) * np.float32(0.01))  # -50 dBFS
    with LessonAudio.open(quiet) as audio:
        assert audio.duration_s == 3.0


@pytest.mark.parametrize("chunk_s", [3.0, 5.0, 8.0])
def test_speech_found_a_window_at_a_time_is_placed_as_one_pass_places_it(tmp_path, chunk_s):
    """With a context as long as the recording, each window measures the room as one pass does: what
    is left to test is the joining, at every window's edge, of what two windows saw of one segment."""
    samples = lesson_like()
    with LessonAudio.open(write_lesson(tmp_path / "l.wav", samples)) as audio:
        whole = find_speech(audio.samples(), EVERY_VOICE)
        edges = np.arange(chunk_s, audio.duration_s, chunk_s)
        crossing = [s for s in whole if any(s.start < edge < s.end for edge in edges)]
        assert crossing, "the test needs a segment across a window's edge"
        fractions: list[float] = []
        windowed = audio.speech(progress=fractions.append, chunk_s=chunk_s, context_s=audio.duration_s)
    assert len(windowed) == len(whole) >= 3
    for one, other in zip(windowed, whole):
        assert abs(one.start - other.start) <= 0.010 and abs(one.end - other.end) <= 0.010
    assert len(fractions) >= 2 and fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("chunk_s, context_s", [(3.0, 1.0), (8.0, 3.0), (13.0, 5.0)])
def test_with_little_context_the_segments_are_still_in_order_and_apart(tmp_path, chunk_s, context_s):
    """Each window then measures its own room, so edges may differ from one pass; but what two
    windows saw of one stretch of speech is joined, never placed twice or overlapping."""
    with LessonAudio.open(write_lesson(tmp_path / "l.wav", lesson_like())) as audio:
        found = audio.speech(chunk_s=chunk_s, context_s=context_s)
        duration = audio.duration_s
    assert found and all(0 <= s.start < s.end <= duration for s in found)
    assert all(later.start - earlier.end >= EVERY_VOICE.min_silence_s for earlier, later in zip(found, found[1:]))


def test_the_quieter_voice_is_kept_as_speech(tmp_path):
    samples = lesson_like()
    other_at = (1.0 + 12.405 + 1.0, 1.0 + 12.405 + 1.0 + 10.86)  # where lesson_like puts it
    with LessonAudio.open(write_lesson(tmp_path / "l.wav", samples)) as audio:
        found = audio.speech(chunk_s=8.0)
    assert any(other_at[0] <= s.start and s.end <= other_at[1] for s in found)


def test_finding_speech_gives_way_to_urgent_work(tmp_path):
    with LessonAudio.open(write_lesson(tmp_path / "l.wav", lesson_like())) as audio:
        with interruptible(lambda: True), pytest.raises(Interrupted):
            audio.speech(chunk_s=8.0)
        with interruptible(lambda: False):
            assert audio.speech(chunk_s=8.0)


def test_finding_speech_waits_while_reps_want_the_speech_model_and_then_goes_on(tmp_path):
    asked: list[bool] = []

    def wanted() -> bool:
        asked.append(True)
        return len(asked) <= 3  # reps want the model for the first three looks

    with LessonAudio.open(write_lesson(tmp_path / "l.wav", lesson_like())) as audio:
        alone = audio.speech(chunk_s=8.0)
        with giving_way(wanted):
            assert audio.speech(chunk_s=8.0) == alone
    assert len(asked) > 3


def test_a_closed_lesson_cannot_be_read(tmp_path):
    audio = LessonAudio.open(write_lesson(tmp_path / "l.wav", lesson_like()))
    audio.close()
    audio.close()  # twice: nothing more to do
    with pytest.raises(ValueError, match="closed"):
        audio.samples(0, 1)
