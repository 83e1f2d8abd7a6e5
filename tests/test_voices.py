"""Who is speaking: the teacher's voice (piper's joe) told from other voices in a built lesson."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rehearse.observe.voices import Stretch, VoiceProfile, enrol, who_speaks
from rehearse.scoring.speech import Segment

VOICES = Path(__file__).parent / "clips" / "voices"
SR = 16000


def load(name: str) -> np.ndarray:
    from faster_whisper.audio import decode_audio
    return decode_audio(str(VOICES / f"{name}.flac"), sampling_rate=SR)


def sentences(name: str) -> list[np.ndarray]:
    """The clip's sentences, where tests/make_voice_clips.py put them, each at -26 dB RMS (the
    voices come peak-normalised, and flite's slt is then 9 dB louder than piper's joe)."""
    audio = load(name)
    said = [audio[a:b] for a, b in json.loads((VOICES / "sentences.json").read_text())[name]]
    return [s * (10 ** (-26 / 20) / np.sqrt(np.mean(s ** 2))) for s in said]


class Lesson:
    """Speech laid out on a timeline with known segments and who said what."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.truth: list[Stretch] = []
        self.segments: list[Segment] = []
        self.length = int(0.5 * SR)

    def add(self, pieces: list[tuple[str, np.ndarray]], gain: float = 1.0, pause: float = 1.2) -> None:
        """Pieces said back to back as one VAD segment, then a pause."""
        start = self.length
        for who, audio in pieces:
            self.parts.append((self.length, audio * gain))
            self.truth.append(Stretch(self.length / SR, (self.length + len(audio)) / SR, who))
            self.length += len(audio)
        self.segments.append(Segment(start / SR, self.length / SR))
        self.length += int(pause * SR)

    def audio(self) -> np.ndarray:
        out = np.random.default_rng(0).normal(0, 3e-4, self.length + SR).astype(np.float32)
        for at, audio in self.parts:
            out[at: at + len(audio)] += audio
        return out

    def samples(self):
        audio = self.audio()
        return lambda a, b: audio[int(a * SR): int(b * SR)]


def who_at(stretches: list[Stretch], t: float) -> str | None:
    return next((s.who for s in stretches if s.start <= t < s.end), None)


def agreement(stretches: list[Stretch], truth: list[Stretch]) -> float:
    """The share of the true speech's 0.1 s steps whose label matches."""
    times = [(t, s.who) for s in truth for t in np.arange(s.start + 0.05, s.end, 0.1)]
    return float(np.mean([who_at(stretches, t) == who for t, who in times]))


@pytest.fixture(scope="module")
def clips():
    return {name: sentences(name) for name in ("teacher-reps", "teacher-lesson", "pupil-slt", "pupil-child")}


@pytest.fixture(scope="module")
def profile(clips):
    return enrol(clips["teacher-reps"])


def lesson_of(clips, quiet_pupils: bool = False) -> Lesson:
    lesson = Lesson()
    teacher, slt, child = clips["teacher-lesson"], clips["pupil-slt"], clips["pupil-child"]
    gain = 10 ** (-12 / 20) if quiet_pupils else 1.0  # farther from the microphone
    for i, line in enumerate(teacher):
        lesson.add([("teacher", line)])
        lesson.add([("other", (slt if i % 2 else child)[i])], gain=gain)
    return lesson


def test_enrol_needs_enough_speech(clips):
    assert enrol(clips["teacher-reps"][:2]) is None
    assert enrol([]) is None


def test_profile_survives_bytes(profile):
    assert profile is not None and profile.source == "reps" and profile.enrolled_s >= 15
    again = VoiceProfile.from_bytes(profile.to_bytes())
    assert again == profile


def test_teacher_told_from_other_voices(clips, profile):
    lesson = lesson_of(clips)
    seen = []
    stretches, used = who_speaks(lesson.samples(), lesson.segments, profile, progress=seen.append)
    assert used is profile
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    # every segment of one voice is one stretch, with the VAD's edges, labelled as who spoke
    assert [(s.start, s.end) for s in stretches] == [(round(g.start, 3), round(g.end, 3)) for g in lesson.segments]
    assert [s.who for s in stretches] == [s.who for s in lesson.truth]


def test_teacher_alone_is_all_teacher(clips, profile):
    lesson = Lesson()
    for line in clips["teacher-lesson"]:
        lesson.add([("teacher", line)])
    stretches, _ = who_speaks(lesson.samples(), lesson.segments, profile)
    assert {s.who for s in stretches} == {"teacher"}


def test_dominant_voice_without_profile(clips):
    lesson = lesson_of(clips, quiet_pupils=True)
    stretches, built = who_speaks(lesson.samples(), lesson.segments, None)
    assert built.source == "dominant" and built.enrolled_s > 0
    assert agreement(stretches, lesson.truth) > 0.8
    teacher_s = sum(s.end - s.start for s in stretches if s.who == "teacher")
    other_s = sum(s.end - s.start for s in stretches if s.who == "other")
    assert teacher_s > other_s > 0


def test_call_out_inside_a_segment_is_split(clips, profile):
    lesson = Lesson()
    teacher, child, slt = clips["teacher-lesson"], clips["pupil-child"], clips["pupil-slt"]
    lesson.add([("teacher", teacher[0])])
    lesson.add([("teacher", teacher[2]), ("other", child[0])])  # the call-out, no pause
    lesson.add([("other", slt[1])])
    lesson.add([("teacher", teacher[3])])
    stretches, _ = who_speaks(lesson.samples(), lesson.segments, profile)
    segment = lesson.segments[1]
    inside = [s for s in stretches if segment.start - 1e-3 <= s.start and s.end <= segment.end + 1e-3]
    assert [s.who for s in inside] == ["teacher", "other"]
    change = lesson.truth[1].end  # the teacher's question ends, the pupil starts
    assert abs(inside[0].end - change) <= 0.75


def test_no_speech_no_stretches(profile):
    stretches, used = who_speaks(lambda a, b: np.zeros(int((b - a) * SR), np.float32), [], profile)
    assert stretches == [] and used is profile


def echoing(audio: np.ndarray, seed: int, rt60_s: float = 0.8) -> np.ndarray:
    """The speech in a lively room: its echo (a decaying noise impulse response) as loud as the
    direct sound, at the same level overall."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rt60_s * SR)) / SR
    response = rng.normal(0, 1, len(t)) * np.exp(-6.9 * t / rt60_s)
    response[0] = 0.0
    wet = np.convolve(audio, response)[: len(audio)]
    out = audio + wet * np.sqrt(np.mean(audio ** 2) / np.mean(wet ** 2))
    return (out * np.sqrt(np.mean(audio ** 2) / np.mean(out ** 2))).astype(np.float32)


def test_teacher_in_a_lively_room_keeps_their_speech(clips, profile):
    """The echo moves the teacher's nearness to the enrolled voice: one dry line stands out from the
    echoing rest, and the VAD kept only one quiet answer of the pupils. The teacher, the near voice
    holding almost all the speech, stays the teacher rather than being cut down to the dry line."""
    lesson = Lesson()
    for i, line in enumerate(clips["teacher-lesson"] * 2):
        lesson.add([("teacher", line if i == 0 else echoing(line, seed=i))])
    lesson.add([("other", clips["pupil-child"][0])], gain=10 ** (-12 / 20))
    stretches, _ = who_speaks(lesson.samples(), lesson.segments, profile)
    assert agreement(stretches, lesson.truth) > 0.9
    teacher_s = sum(s.end - s.start for s in stretches if s.who == "teacher")
    assert teacher_s > 0.8 * sum(s.end - s.start for s in lesson.truth if s.who == "teacher")
