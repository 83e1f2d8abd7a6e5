"""An attempt while it is being recorded: to disk as it arrives, a live pause cue, and scoring
that is mostly done by the time the teacher stops.

Every block of audio goes straight into the attempt's WAV file and through the pause cue. Every
PREPARE_EVERY_S of audio, when the teacher has fallen silent, a background job finds the speech so
far and works out its words into the attempt's `WordCache`. When the attempt stops, `finish`
scores the whole recording with the ordinary engine — the same VAD, words, timeline and criteria
as `rehearse score` — and if nothing was said since the last job (the usual case: the name, a
moment's silence, "stop"), the words are already there and only the fast stages remain.

The same background words let a rep recorded in the terminal stop by itself (`finished_by_itself`):
once a pupil on the roster has been named, the wait (if the step has one) is over, and the teacher
has been quiet for AUTO_STOP_SILENCE_S.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .cue import CueState, PauseCue
from .engine import Scorer, hotwords_of
from .errors import AudioError
from .names import Pupil, find_name
from .recording import WavRecorder, from_pcm16
from .result import Result
from .scenarios import Scenario
from .speech import find_speech
from .transcribe import Word, WordCache, same_speech

PREPARE_EVERY_S = 0.5
SETTLED_S = 0.5  # silence after the last speech before its words are worked out ahead
MAX_ATTEMPT_S = 180  # a rep longer than this is stopped and scored
AUTO_STOP_SILENCE_S = 3.0  # quiet this long after a pupil was named: the teacher has finished

# One background worker for all live attempts: on a 2-core laptop, transcribing two attempts at
# once is no faster than one after the other, and it would slow the attempt being scored.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rehearse-prepare")


class LiveAttempt:
    """One attempt being recorded. Feed it 16-bit PCM blocks with `add`; end it with `finish`."""

    def __init__(self, scorer: Scorer, scenario: Scenario, path: str | Path,
                 roster: Sequence[Pupil] | None = None):
        self.scorer = scorer
        self.scenario = scenario
        self.roster = list(scenario.roster if roster is None else roster)
        self.recorder = WavRecorder(path)
        band = scenario.wait_band
        self.shows_cue = band is not None
        self.cue = PauseCue(band[0] if band else 0.0)  # without a band it only follows the silence
        self.cache = WordCache()
        self._heard: list[Word] = []  # the words of the speech so far, as last worked out
        self._named: tuple[list[Word] | None, str | None] = (None, None)  # (for these words, pupil)
        self._blocks: list[np.ndarray] = []
        self._samples = 0
        self._prepared_at = 0
        self._job: Future | None = None
        self._job_speech: list | None = None  # the segments the running job works on
        self._lock = threading.Lock()

    @property
    def duration_s(self) -> float:
        return self._samples / SAMPLE_RATE

    def add(self, pcm: bytes) -> list[CueState]:
        """Store a block of 16 kHz 16-bit mono PCM; return what the pause cue should show now."""
        self.recorder.append(pcm)
        samples = from_pcm16(pcm)
        with self._lock:
            self._blocks.append(samples)
            self._samples += len(samples)
        if self._samples - self._prepared_at >= PREPARE_EVERY_S * SAMPLE_RATE and (
                self._job is None or self._job.done()):
            self._prepared_at = self._samples
            self._job_speech = None
            self._job = _worker.submit(self._prepare, self.audio())
        states = self.cue.feed(samples)
        return states if self.shows_cue else []

    def audio(self) -> np.ndarray:
        """Everything recorded so far, float32 mono 16 kHz."""
        with self._lock:
            if len(self._blocks) > 1:
                self._blocks = [np.concatenate(self._blocks)]
            return self._blocks[0] if self._blocks else np.zeros(0, dtype=np.float32)

    def _prepare(self, audio: np.ndarray) -> None:
        """Work out the words of the speech so far, if it has settled and is not done already."""
        segments = find_speech(audio, self.scorer.vad)
        if not segments or segments[-1].end + SETTLED_S > len(audio) / SAMPLE_RATE:
            return
        words = self.cache.get(segments)
        if words is None:
            self._job_speech = segments
            words = self.scorer.transcriber.words(audio, segments, hotwords_of(self.scenario, self.roster))
            self.cache.put(segments, words)
        self._heard = words

    def named_pupil(self) -> str | None:
        """The pupil named so far, as far as the background work has got; None if none yet."""
        heard = self._heard
        if self._named[0] is not heard:  # matching sounds takes tens of ms: once per new transcript
            match = find_name([w.word for w in heard], self.roster)
            self._named = (heard, match.pupil if match else None)
        return self._named[1]

    def finished_by_itself(self) -> bool:
        """Has the teacher finished? A pupil has been named, the wait is over (when the step has a
        wait) and it has been quiet for AUTO_STOP_SILENCE_S since. A cue only: nothing is scored."""
        if self.cue.silent_for_s < AUTO_STOP_SILENCE_S:
            return False
        if self.shows_cue and self.cue.state.state != "done":
            return False  # still inside the wait (or the question): never cut it short
        return self.named_pupil() is not None

    def finish(self) -> Result:
        """Close the recording and score it. AudioError if nothing or only silence was recorded."""
        self.close()
        audio = self.audio()
        if self._job is not None and not self._job.done():
            # Words half worked out for this very speech are worth waiting for; words for an
            # earlier part (the question alone, before the name was said) are not.
            working_on = self._job_speech
            if working_on is None or same_speech(working_on, find_speech(audio, self.scorer.vad)):
                try:
                    self._job.result()
                except Exception:  # noqa: BLE001 - the scoring below does it again, and reports
                    pass
        if len(audio) < SAMPLE_RATE // 10:
            raise AudioError("nothing was recorded (under 0.1 s of audio); "
                             "check the microphone and record the attempt again")
        return self.scorer.score(audio, self.scenario, self.roster, name="the attempt", cache=self.cache)

    def close(self) -> None:
        """Close the recording without scoring (a dropped connection): the WAV stays valid."""
        self.recorder.close()
