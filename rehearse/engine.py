"""The scoring pipeline: recording -> speech segments + words -> timeline -> criteria -> result.

`Scorer` holds what is expensive (the Whisper model, loaded on first use) so that many attempts
are scored with one load. It knows nothing of the web page or the terminal.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np

from .audio import SAMPLE_RATE, load_audio
from .errors import AudioError
from .names import Pupil
from .result import Result, metrics_of
from .scenarios import Scenario
from .speech import Segment, VadSettings, find_speech
from .timeline import build_timeline
from .transcribe import DEFAULT_ENGINE, WordCache, make_transcriber


class Scorer:
    """Scores attempts against scenarios; one per process is enough."""

    def __init__(self, model_path: str | None = None, vad: VadSettings = VadSettings(),
                 max_file_s: float | None = None, engine: str = DEFAULT_ENGINE, models_dir: str | Path | None = None):
        """`max_file_s`: a recording file longer than this is refused (the web app's rep limit).
        `engine`: faster-whisper or openai-whisper (only the words stage differs); `models_dir`:
        where openai-whisper's checkpoint converted from the bundled model is kept."""
        self.engine = engine
        self.transcriber = make_transcriber(engine, model_path, models_dir)
        self.vad = vad
        self.max_file_s = max_file_s

    def warm_up(self) -> None:
        """Load the model and run it once, so that the first rep's feedback is as quick as the others."""
        silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
        self.transcriber.words(silence, [Segment(0.2, 0.8)])

    def score_file(self, path: str | Path, scenario: Scenario,
                   roster: Sequence[Pupil] | None = None) -> Result:
        """Load and score one recording; AudioError for a missing, unreadable, silent or too long file."""
        audio = load_audio(path)
        if self.max_file_s and len(audio) > self.max_file_s * SAMPLE_RATE:
            raise AudioError(f"{path}: the recording is {len(audio) / SAMPLE_RATE:.0f} s long, and a rep may be "
                             f"at most {self.max_file_s:g} s; trim it to the rep itself and upload it again")
        result = self.score(audio, scenario, roster, name=str(path))
        result.file = str(path)
        return result

    def score(self, audio: np.ndarray, scenario: Scenario,
              roster: Sequence[Pupil] | None = None, name: str = "the recording",
              cache: WordCache | None = None) -> Result:
        """Score float32 mono 16 kHz samples. `roster` replaces the scenario's roster; `cache`
        holds words worked out while the attempt was recorded (see `live.py`)."""
        roster = list(scenario.roster if roster is None else roster)
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
            words = self.transcriber.words(audio, segments, hotwords_of(scenario, roster))
        words_done = time.perf_counter()
        timeline = build_timeline(segments, words, roster)
        verdicts = [c.judge(timeline) for c in scenario.criteria]
        return Result(
            scenario=scenario.id,
            duration_s=round(len(audio) / SAMPLE_RATE, 3),
            transcript=" ".join(w.word for w in words),
            words=words,
            utterances=[{"start": u.start, "end": u.end, "text": u.text} for u in timeline.utterances],
            pauses=timeline.pauses,
            metrics=metrics_of(timeline, segments),
            criteria=verdicts,
            timings={"vad_s": round(vad_done - clock, 3), "words_s": round(words_done - vad_done, 3),
                     "total_s": round(time.perf_counter() - clock, 3),
                     "words_ready": bool(cache is not None and cache.hits)},
        )



def hotwords_of(scenario: Scenario, roster: Sequence[Pupil]) -> list[str]:
    """What Whisper should listen for in an attempt: the pupils' names and the key words."""
    return [p.name for p in roster] + scenario.key_words
