"""The scoring pipeline, its stages in order: 1 audio -> 2 speech segments -> 3 words -> 4 the named
pupil (4a name_sounds, 4b name_evidence, 4c name_belief) -> 5 timeline -> 6 criteria -> 7 result.

`Scorer` holds what is expensive (the Whisper speech model, loaded on first use) so that many attempts
are scored with one load. It knows nothing of the web page or the terminal.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import AudioError
from .audio import SAMPLE_RATE, load_audio
from .interrupt import point
from .name_sounds import LEAD_INS, Pupil, letters
from .name_belief import decide
from .name_evidence import weigh
from .result import Result, judge
from .steps import ActionStep
from .speech import Segment, VadSettings, find_speech, loudness, room_snr_db
from .timeline import Chooser, Timeline, Utterance, build_timeline
from .words import DEFAULT_ENGINE, make_transcriber
from .words.base import PAD_S, Word, WordCache

# The forced choice of a name hears at most this much speech: names come first or last in what is
# said after the wait ("Chloe, would you like to start?", "Let's hear from Chloe").
MAX_NAME_PIECE_S = 6.0
MAX_OPENING_S = 3.0  # a name said before the question opens it: "Jamal, which of these ..."


class Scorer:
    """Scores attempts against steps; one per process is enough."""

    def __init__(self, speech_model: str | None = None, vad: VadSettings = VadSettings(),
                 max_file_s: float | None = None, engine: str = DEFAULT_ENGINE,
                 speech_models_dir: str | Path | None = None):
        """`max_file_s`: a recording file longer than this is refused (the web app's rep limit; without
        one, audio.MAX_DECODE_S).
        `engine`: faster-whisper or openai-whisper (only the words stage differs); `speech_models_dir`:
        where openai-whisper's checkpoint converted from the bundled speech model is kept."""
        self.engine = engine
        self.transcriber = make_transcriber(engine, speech_model, speech_models_dir)
        self.vad = vad
        self.max_file_s = max_file_s
        # For benchmarks/fit_names.py: when a list, each name choice's (start, end, Evidence) is added
        # to it, to fit and check name_belief.py's weights. None in the app.
        self.evidence_log: list | None = None

    def warm_up(self) -> None:
        """Load the speech model and run it once, so that the first rep's feedback is as quick as the
        others."""
        silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
        self.transcriber.words(silence, [Segment(0.2, 0.8)])

    def score_file(self, path: str | Path, step: ActionStep,
                   roster: Sequence[Pupil] | None = None) -> Result:
        """Load and score one recording; AudioError for a missing, unreadable, silent or too long file."""
        audio = load_audio(path, self.max_file_s)  # decoding stops at the limit: a small file can hold hours
        result = self.score(audio, step, roster, name=str(path))
        result.file = str(path)
        return result

    def score(self, audio: np.ndarray, step: ActionStep,
              roster: Sequence[Pupil] | None = None, name: str = "the recording",
              cache: WordCache | None = None) -> Result:
        """Score float32 mono 16 kHz samples. `roster` replaces the step's roster; `cache`
        holds words worked out while the attempt was recorded (see `live.py`)."""
        roster = list(step.roster if roster is None else roster)
        clock = time.perf_counter()
        segments = find_speech(audio, self.vad)
        if not segments:
            raise AudioError(f"{name}: no speech found (silent or too quiet); "
                             "check the microphone and record the attempt again")
        vad_done = time.perf_counter()
        words = cache.get(segments) if cache is not None else None
        if words is not None:
            cache.hits += 1
        else:
            words = self.transcriber.words(audio, segments, hotwords_of(step))
        words_done = time.perf_counter()
        timeline = self.timeline(audio, segments, words, roster, cache.names if cache is not None else None)
        timeline.room_snr_db = room_snr_db(audio, segments)
        result = judge(step, timeline, segments, words, round(len(audio) / SAMPLE_RATE, 3))
        give_back_memory()
        result.timings = {"vad_s": round(vad_done - clock, 3), "words_s": round(words_done - vad_done, 3),
                          "names_s": round(time.perf_counter() - words_done, 3),
                          "total_s": round(time.perf_counter() - clock, 3),
                          # the words were taken from those worked out while it was recorded (live.py)
                          "words_reused": bool(cache is not None and cache.hits)}
        return result

    def timeline(self, audio: np.ndarray, segments: Sequence[Segment], words: Sequence[Word],
                 roster: Sequence[Pupil], known: dict | None = None) -> Timeline:
        """The timeline of an attempt, names chosen by the speech model on the audio (name_evidence.py). `known`
        keeps the choices made, for the same words, while the attempt was recorded (live.py)."""
        return build_timeline(segments, words, roster, self.name_chooser(audio, roster, known), loudness(audio, segments))

    def common_word(self, word: str) -> bool:
        """Is this (lower-case) word a common English word: one the speech model's tokenizer holds whole?"""
        return bool(word) and self.transcriber.tokens_in(word) == 1

    def name_chooser(self, audio: np.ndarray, roster: Sequence[Pupil], known: dict | None = None) -> Chooser:
        """Who was named in some utterances of `audio`: each roster name (with the spellings learnt
        for this teacher) scored by the speech model on the audio of those utterances (at most
        MAX_NAME_PIECE_S of it). A choice already in `known` for the same words (the same speech,
        heard ahead) is taken from there."""
        known = {} if known is None else known

        def choose(utterances: Sequence[Utterance], at_start: bool):
            said = tuple((w.word, w.start) for u in utterances for w in u.words)
            key = (at_start, len(utterances), said or round(utterances[0].start, 1), tuple(roster))
            if key not in known:
                known[key] = find(utterances, at_start)
            return known[key]

        def find(utterances: Sequence[Utterance], at_start: bool):
            point()  # work ahead gives way to a stopped rep between its calls into the speech model (interrupt.py)
            start = max(utterances[0].start - PAD_S, 0.0)
            end = min(utterances[-1].end + PAD_S, start + (MAX_OPENING_S if at_start else MAX_NAME_PIECE_S))
            piece = audio[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]
            written = [w for u in utterances for w in u.words if w.start < end]
            if not written:
                # Whisper wrote nothing here in the whole recording (a last word is sometimes lost
                # after a long silence): hear this speech on its own.
                written = [w for w in self.transcriber.words(audio, [Segment(u.start, u.end) for u in utterances])
                           if w.start < end]
            heard = [w.word for w in written]
            def told() -> list[str]:
                point()
                return self.transcriber.heard_told(piece, [p.name for p in roster])
            evidence = weigh(heard, roster, lambda texts: self.transcriber.text_scores(piece, texts), at_start, told,
                             self.common_word, sure_of_start(utterances) if at_start else None,
                             min((w.probability for w in written), default=None))
            if self.evidence_log is not None:
                self.evidence_log.append((utterances[0].start, utterances[-1].end, evidence))
            return decide(evidence)
        return choose


def sure_of_start(utterances: Sequence[Utterance]) -> float | None:
    """How sure Whisper was of the first words it wrote (after lead-ins such as "So,"): the mean
    probability of the first two. A name it did not know, opening the speech, is written as
    unsure guesses ("Brilliant, wider, ...")."""
    said = [w for u in utterances for w in u.words if letters(w.word) not in LEAD_INS][:2]
    return sum(w.probability for w in said) / len(said) if said else None


def give_back_memory() -> None:
    """Return the memory freed by scoring to the system (glibc's malloc_trim; elsewhere nothing).
    Without it a server's memory crept from ~215 MB to ~300 MB over 40 attempts, kept for
    allocations of the same sizes that glibc's arenas hold; with it, it rested at ~200-230 MB."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return None


def hotwords_of(step: ActionStep) -> list[str]:
    """What Whisper should listen for in an attempt: the step's key words. Not the roster's names:
    given names as hotwords, Whisper "hears" lists of them in babble ("Ngozi, Ngozi, Ngozi"); the
    names are chosen from the audio after transcription instead (name_evidence.py)."""
    return list(step.key_words)
