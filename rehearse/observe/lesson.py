"""A lesson analysed: who spoke when, the questions posed to the class, their waits and the pupils named.

The stages, in order, each reporting its progress: 1 speech found (the VAD, on the whole recording,
lesson_audio.py) -> 2 voices (each stretch the teacher's or another voice, voices.py) -> 3 words
(Whisper on the TEACHER's stretches only, a window of at most WINDOW_S at a time, so memory stays
bounded; pupils are never transcribed) -> 4 questions and names (questions.py; names by the same
naming engine as reps, Scorer.name_chooser, on the teacher's speech after each question).

The result, `LessonAnalysis`, is the JSON every layer shares (`to_json`, `from_json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..errors import AudioError
from ..scoring.interrupt import point
from ..scoring.name_sounds import NameMatch, Pupil
from ..scoring.pipeline import MAX_NAME_PIECE_S, Scorer, hotwords_of
from ..scoring.speech import Segment
from ..scoring.steps import ActionStep
from ..scoring.timeline import Utterance, assign_words
from ..scoring.words.base import Word
from .pauses import others_in_pauses, teacher_level
from .questions import Question, find_questions

VERSION = 1
# The teacher's stretches are transcribed in windows spanning at most this long (Whisper hears 30 s).
WINDOW_S = 30.0
PAD_S = 0.3  # audio kept around a window's speech (the transcriber pads each segment by 0.2 s)
NAME_CONTEXT_S = 1.0  # audio kept around the speech the naming engine hears
# Less than this many words a minute of "teacher speech" is not speech: music, singing, a video.
MIN_WORDS_PER_MIN = 15.0
MIN_SPEECH_FOR_MUSIC_S = 20.0
# Each stage's share of the work, for the progress bar: its expected cost on 2 cores, as seconds of
# computing per second of lesson (VAD ~100x real time, the voice encoder ~36x on ~60% of it, Whisper
# ~20x on the teacher's ~45%), and the names' per question (about 10 in a 30-minute stretch).
STAGE_COST = {"speech": 1 / 100, "voices": 0.6 / 36, "words": 0.45 / 20, "names": 10 * 2.0 / 1800}
STAGE_WORDS = {"speech": "finding speech", "voices": "telling voices apart", "words": "transcribing the teacher",
               "names": "finding questions and names"}

Progress = Callable[[float, str], None]


@dataclass
class LessonAnalysis:
    """What a lesson's recording held (common.md's shape): the timeline of speech, the teacher's words,
    the questions posed with their waits and names, and the talk times."""

    file: str
    duration_s: float
    voice: dict  # {"source": "reps" | "dominant", "enrolled_s": float}
    timeline: list[dict]  # {"start", "end", "who": "teacher" | "other"}
    questions: list[Question]
    talk: dict  # {"teacher_s", "pupils_s", "silence_s"}
    teacher_speech: list[dict] = field(default_factory=list)  # {"start", "end", "text"}, the teacher only
    version: int = VERSION

    def to_json(self) -> dict:
        return {"version": self.version, "file": self.file, "duration_s": round(self.duration_s, 3),
                "voice": dict(self.voice), "timeline": [dict(t) for t in self.timeline],
                "questions": [q.to_json() for q in self.questions], "talk": dict(self.talk),
                "teacher_speech": [dict(t) for t in self.teacher_speech]}

    @classmethod
    def from_json(cls, data: dict) -> "LessonAnalysis":
        return cls(data["file"], data["duration_s"], dict(data["voice"]), [dict(t) for t in data["timeline"]],
                   [Question(**q) for q in data["questions"]], dict(data["talk"]),
                   [dict(t) for t in data.get("teacher_speech", [])], data.get("version", VERSION))


class _Stages:
    """Turns each stage's own fraction done into the whole analysis's, weighted by STAGE_COST."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        total = sum(STAGE_COST.values())
        self.before, done = {}, 0.0
        for stage, cost in STAGE_COST.items():
            self.before[stage] = done / total
            done += cost
        self.share = {stage: cost / total for stage, cost in STAGE_COST.items()}

    def report(self, stage: str, fraction: float) -> None:
        if self.progress is not None:
            fraction = min(max(float(fraction), 0.0), 1.0)
            self.progress(round(self.before[stage] + self.share[stage] * fraction, 4), STAGE_WORDS[stage])

    def of(self, stage: str) -> Callable[..., None]:
        return lambda fraction, *_: self.report(stage, fraction)


def analyse_lesson(audio, step: ActionStep, roster: Sequence[Pupil], scorer: Scorer, voice=None,
                   progress: Progress | None = None) -> LessonAnalysis:
    """Analyse a lesson's recording (a lesson_audio.LessonAudio) for `step`. `roster`: the class, with
    the names this teacher's reps taught (name_sounds.with_learnt); `voice`: the teacher's VoiceProfile
    from their reps (voices.enrol), or None (the dominant near voice is taken for the teacher).
    AudioError when there is no teacher speech, or it is music rather than speech."""
    from .voices import who_speaks

    stages = _Stages(progress)
    name = str(getattr(audio, "source", None) or "the recording")
    stages.report("speech", 0.0)
    segments = audio.speech(progress=stages.of("speech"))
    if not segments:
        raise AudioError(f"{name}: no speech found (silent, too quiet or not a recording of a lesson); "
                         "check the file or record the lesson again")
    point()
    stages.report("voices", 0.0)
    stretches, profile = who_speaks(audio.samples, segments, voice, stages.of("voices"))
    teacher = [s for s in stretches if s.who == "teacher"]
    if not teacher:
        raise AudioError(f"{name}: no speech found from the teacher (only other voices); "
                         "record nearer the teacher or give the teacher's voice from their reps")
    stretches = others_in_pauses(audio.samples, stretches, teacher_level(audio.samples, teacher))
    point()
    words = transcribe_teacher(audio, teacher, scorer, hotwords_of(step), stages.of("words"))
    refuse_music(name, teacher, words)
    utterances = assign_words([Segment(s.start, s.end) for s in teacher], words) if words else \
        [Utterance(s.start, s.end) for s in teacher]
    stages.report("names", 0.0)
    name_in = naming_engine(audio, roster, scorer) if roster else None
    questions = find_questions(stretches, utterances, audio.duration_s, name_in, stages.of("names"))
    stages.report("names", 1.0)
    return LessonAnalysis(name, audio.duration_s, voice_of(profile), timeline_of(stretches), questions,
                          talk_of(stretches, audio.duration_s), teacher_speech_of(utterances))


def transcribe_teacher(audio, teacher: Sequence, scorer: Scorer, hotwords: Sequence[str],
                       progress: Callable[[float], None] | None = None) -> list[Word]:
    """Whisper's words for the teacher's stretches, in lesson time: the stretches grouped into windows
    spanning at most WINDOW_S, each window's audio read on its own (memory bounded by the window)."""
    windows = windows_of(teacher)
    total = sum(s.end - s.start for s in teacher) or 1.0
    done, words = 0.0, []
    for group in windows:
        point()
        a = max(group[0].start - PAD_S, 0.0)
        b = min(group[-1].end + PAD_S, audio.duration_s)
        samples = audio.samples(a, b)
        segments = [Segment(s.start - a, s.end - a) for s in group]
        for w in scorer.transcriber.words(samples, segments, hotwords):
            words.append(Word(w.word, round(w.start + a, 3), round(w.end + a, 3), w.probability))
        done += sum(s.end - s.start for s in group)
        if progress is not None:
            progress(done / total)
    return words


def windows_of(stretches: Sequence) -> list[list]:
    """Consecutive stretches grouped so that each group spans at most WINDOW_S (a longer stretch alone)."""
    groups: list[list] = []
    for s in stretches:
        if groups and s.end - groups[-1][0].start <= WINDOW_S:
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def refuse_music(name: str, teacher: Sequence, words: Sequence[Word]) -> None:
    """AudioError when the "teacher's speech" holds almost no words: music, singing, a video's sound."""
    speech_s = sum(s.end - s.start for s in teacher)
    said = [w for w in words if any(ch.isalpha() for ch in w.word)]
    if speech_s >= MIN_SPEECH_FOR_MUSIC_S and len(said) < MIN_WORDS_PER_MIN * speech_s / 60:
        raise AudioError(f"{name}: mostly music or noise, hardly any speech was heard "
                         f"({len(said)} words in {speech_s:.0f} s of sound); give a recording of the lesson's talk")
    if speech_s < MIN_SPEECH_FOR_MUSIC_S and not said:
        raise AudioError(f"{name}: no speech found in the teacher's voice (no words were heard); "
                         "check the file or record the lesson again")


def naming_engine(audio, roster: Sequence[Pupil], scorer: Scorer) -> Callable[[Sequence[Utterance]], NameMatch | None]:
    """Who the teacher named in some utterances: the reps' naming engine (Scorer.name_chooser: the
    forced choice over the roster against "none of these", name_belief.decide) on that speech's audio
    alone, read from the recording with a little context."""

    def name_in(utterances: Sequence[Utterance]) -> NameMatch | None:
        point()
        a = max(utterances[0].start - NAME_CONTEXT_S, 0.0)
        b = min(min(utterances[-1].end, utterances[0].start + MAX_NAME_PIECE_S) + NAME_CONTEXT_S, audio.duration_s)
        kept = [u for u in utterances if u.start < b]
        shifted = [Utterance(u.start - a, min(u.end, b) - a,
                             [Word(w.word, w.start - a, w.end - a, w.probability) for w in u.words], u.loud_db)
                   for u in kept]
        return scorer.name_chooser(audio.samples(a, b), roster)(shifted, False)

    return name_in


def voice_of(profile) -> dict:
    """What the teacher's voice was known from: her reps, or the dominant voice of the lesson."""
    source = getattr(profile, "source", None) or "dominant"
    return {"source": source, "enrolled_s": round(float(getattr(profile, "enrolled_s", 0.0) or 0.0), 3)}


def timeline_of(stretches: Sequence) -> list[dict]:
    return [{"start": round(s.start, 3), "end": round(s.end, 3), "who": "teacher" if s.who == "teacher" else "other"}
            for s in stretches]


def talk_of(stretches: Sequence, duration_s: float) -> dict:
    """Seconds of the teacher's speech, of other voices, and of silence (the rest of the recording)."""
    teacher = sum(s.end - s.start for s in stretches if s.who == "teacher")
    others = sum(s.end - s.start for s in stretches if s.who != "teacher")
    return {"teacher_s": round(teacher, 3), "pupils_s": round(others, 3),
            "silence_s": round(max(duration_s - teacher - others, 0.0), 3)}


def teacher_speech_of(utterances: Sequence[Utterance]) -> list[dict]:
    """The teacher's words, stretch by stretch (her stretches' VAD edges; the text as Whisper wrote it)."""
    return [{"start": round(u.start, 3), "end": round(u.end, 3), "text": u.text} for u in utterances if u.words]
