"""A rep while it is being recorded: to disk as it arrives, a live pause cue, and scoring
that is mostly done by the time the teacher stops.

Every block of audio goes straight into the rep's WAV file and through the pause cue. Once the
cue hears the teacher fall silent for SETTLED_S (SETTLED_AFTER_WAIT_S once speech came after the
wait: the name, and a stop soon after), a job on the speech model's worker (`worker.py`)
finds the speech so far and works out its words into the rep's `WordCache` — once per silence,
not while the teacher speaks, and on the audio as it is when the job starts, so a job that waited
in the queue is not stale. When the rep stops, `finish` has the worker score the whole
recording at once, ahead of any work ahead, with the ordinary engine — the same VAD, words,
timeline and criteria as `rehearse score` — and if nothing was said since the last job (the usual
case: the name, a moment's silence, "stop"), the words are already there and only the fast stages
remain. Work ahead gives way to another rep's scoring between its calls into the speech model
(interrupt.py), and while the wait after the question is on it works out only the words (the
pupil is chosen once one has been named after it) - and not even those while another rep is being
recorded in the same process, whose work would queue behind them.

The same background words let a rep recorded in the terminal stop by itself (`finished_by_itself`):
once a pupil on the roster has been named, the wait (if the step has one) is over, and the teacher
has been quiet for AUTO_STOP_SILENCE_S.
"""

from __future__ import annotations

import threading
import time
import weakref
from concurrent.futures import Future
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import AudioError
from ..scoring.audio import SAMPLE_RATE
from ..scoring.pipeline import Scorer, hotwords_of
from ..scoring.interrupt import Interrupted, point
from ..scoring.name_sounds import Pupil
from ..scoring.result import Result
from ..scoring.steps import ActionStep
from ..scoring.speech import find_speech
from ..scoring.words.base import WordCache
from .cue import FRAME, FRAME_S, CueState, PauseCue
from .recording import WavRecorder, from_pcm16
from .worker import AHEAD, LATER, URGENT, Worker

SETTLED_S = 0.5  # silence after the last speech before its words are worked out ahead
# Once a pupil may have been named after the wait, sooner: a stop usually follows within a second or
# so, and the VAD has placed the end of the name by then (measured on the shipped clips).
SETTLED_AFTER_WAIT_S = 0.3
RETRY_S = 0.25  # the cue heard the speech end but the VAD does not agree yet: look again this much later
MAX_ATTEMPT_S = 180  # a rep longer than this is stopped and scored
AUTO_STOP_SILENCE_S = 3.0  # quiet this long after a pupil was named: the teacher has finished

# One worker for every live rep in the process: the speech model is shared (it takes the engine's
# parallel_calls at once), and a stopped rep's scoring goes before the others' work ahead.
_worker = Worker("rehearse-speech-model")
# The reps being recorded in this process. With one, the speech model is idle during its wait, and
# the question's words are worked out then; with more, the speech model is kept for work that counts.
_recording: "weakref.WeakSet[LiveRep]" = weakref.WeakSet()


def reps_need_the_model() -> bool:
    """Is a rep being scored, or its words worked out while it is recorded? Longer background work
    (a lesson's analysis) waits at its next interrupt.point() until not."""
    return _worker.busy()


class LiveRep:
    """One rep being recorded. Feed it 16-bit PCM blocks with `add`; end it with `finish`."""

    def __init__(self, scorer: Scorer, step: ActionStep, path: str | Path,
                 roster: Sequence[Pupil] | None = None):
        self.scorer = scorer
        self.step = step
        _worker.allow_calls(getattr(scorer.transcriber, "parallel_calls", 1))
        self.roster = list(step.roster if roster is None else roster)
        self.recorder = WavRecorder(path)
        band = step.wait_band
        self.shows_cue = band is not None
        self.cue = PauseCue(band[0] if band else 0.0)  # without a band it only follows the silence
        self.cache = WordCache()
        self._named: str | None = None  # the pupil named after the wait in the speech so far, if any
        self._blocks: list[np.ndarray] = []
        self._samples = 0
        self._job: Future | None = None  # the latest job ahead, queued, running or done
        self._job_priority = AHEAD
        self._job_took = -1  # samples of audio the running job took (-1: not taken yet)
        self._asked_at = -SAMPLE_RATE  # samples recorded when the latest job was queued
        self._prepared_end: int | None = None  # cue frame where the speech whose words are known ended
        self._closed = False
        self._lock = threading.Lock()
        _recording.add(self)

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
        states = self.cue.feed(samples)
        self._prepare_if_settled()
        return states if self.shows_cue else []

    def audio(self) -> np.ndarray:
        """Everything recorded so far, float32 mono 16 kHz."""
        with self._lock:
            if len(self._blocks) > 1:
                self._blocks = [np.concatenate(self._blocks)]
            return self._blocks[0] if self._blocks else np.zeros(0, dtype=np.float32)

    def _prepare_if_settled(self) -> None:
        """Queue a job ahead when the teacher has been silent for SETTLED_S after speech whose words
        are not known yet. Nothing while the teacher speaks: those words would change."""
        silent = self.cue.silent_for_s
        settle = SETTLED_AFTER_WAIT_S if self.shows_cue and self.cue.state.state == "done" else SETTLED_S
        if silent < settle:
            return
        ended = self._samples // FRAME - round(silent / FRAME_S)  # the cue's frame where speech ended
        if ended == self._prepared_end:
            return
        # While the cue still waits for the name after the question, these words are likely to be
        # overtaken: other reps' work that is likely final goes first.
        priority = LATER if self.shows_cue and self.cue.state.state == "waiting" else AHEAD
        if priority == LATER and len(_recording) > 1:
            # Another rep is being recorded: its words after the name, or its scoring, would wait
            # behind these (a transcription cannot stop halfway), which the name will overtake.
            return
        if self._job is not None and not self._job.done():
            # One is queued or running; it reads the audio when it starts. Move a queued one up.
            if priority >= self._job_priority or not self._job.cancel():
                return
        elif self._samples - self._asked_at < RETRY_S * SAMPLE_RATE:
            return
        self._asked_at = self._samples
        self._job_priority = priority
        self._job_took = -1
        self._job = _worker.submit(lambda: self._prepare(ended, priority, settle), priority)

    def _prepare(self, ended: int, priority: int, settle: float) -> None:
        """Work out the words of the speech so far, if it has settled and is not done already, and
        (unless the wait is still on) who was named in them. Gives way to a stopped rep's scoring
        between its calls into the speech model (interrupt.py): what was finished stays in the cache, and
        the next block of audio asks again."""
        if self._closed:
            return  # stopped while this waited: the scoring does the work
        try:
            audio = self.audio()
            self._job_took = len(audio)
            segments = find_speech(audio, self.scorer.vad)
            if segments and segments[-1].end + settle > len(audio) / SAMPLE_RATE:
                return  # not settled as the VAD sees it (or speaking again): looked at again later
            if segments:
                words = self.cache.get(segments)
                if words is None:
                    point()
                    words = self.scorer.transcriber.words(audio, segments, hotwords_of(self.step))
                    self.cache.put(segments, words)
                if priority == LATER:
                    # The wait after the question is on: nobody has been named after it yet, and
                    # choosing among the question's words would be overtaken by the name. Words only.
                    self._named = None
                elif self.roster:
                    named = self.scorer.timeline(audio, segments, words, self.roster, self.cache.names).named
                    self._named = named.pupil if named else None
            self._prepared_end = ended
        except Interrupted:
            self._asked_at = -SAMPLE_RATE  # ask again with the next block, not RETRY_S later

    def named_pupil(self) -> str | None:
        """The pupil named so far, as far as the background work has got; None if none yet."""
        return self._named

    def finished_by_itself(self) -> bool:
        """Has the teacher finished? A pupil has been named, the wait is over (when the step has a
        wait) and it has been quiet for AUTO_STOP_SILENCE_S since. A cue only: nothing is scored."""
        if self.cue.silent_for_s < AUTO_STOP_SILENCE_S:
            return False
        if self.shows_cue and self.cue.state.state != "done":
            return False  # still inside the wait (or the question): never cut it short
        return self.named_pupil() is not None

    def finish(self) -> Result:
        """Close the recording and score it on the speech model's worker, ahead of any work ahead; wait for
        the result. AudioError if nothing or only silence was recorded."""
        self.close()
        job, waited_s = self._job, 0.0
        if job is not None and not job.done():
            # A job ahead is running (close() cancelled a queued one). Its words are worth waiting
            # for if nothing was said after the audio it took (the cue would have heard it); words
            # for an earlier part (the question alone, before the name was said) are not.
            spoken_until = self._samples - round(self.cue.silent_for_s * SAMPLE_RATE)
            if self._job_took < 0 or (self.cue.silent_for_s > 0 and spoken_until <= self._job_took):
                waiting = time.perf_counter()
                try:
                    job.result()
                except Exception:  # noqa: BLE001 - the scoring below does it again, and reports
                    pass
                waited_s = time.perf_counter() - waiting
        audio = self.audio()
        if len(audio) < SAMPLE_RATE // 10:
            raise AudioError("nothing was recorded (under 0.1 s of audio); "
                             "check the microphone and record the attempt again")
        result = _worker.submit(lambda: self.scorer.score(audio, self.step, self.roster, name="the attempt",
                                                          cache=self.cache), URGENT).result()
        # Words ready at stop: reused, with no wait for work ahead still running when it stopped.
        result.timings["waited_for_work_ahead_s"] = round(waited_s, 3)
        return result

    def close(self) -> None:
        """Close the recording without scoring (a dropped connection): the WAV stays valid, and
        work ahead still queued for it is dropped."""
        self._closed = True
        _recording.discard(self)
        if self._job is not None:
            self._job.cancel()
        self.recorder.close()
