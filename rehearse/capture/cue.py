"""The live pause cue: while an attempt is recorded, how long the teacher has waited so far.

It is deliberately sparse. Nothing shows until speech has been heard and a silence after it has
lasted SHOW_AFTER_S; the counter then runs from the end of speech and stops when speech resumes.
A pause shorter than HESITATION_S was a hesitation inside the question, so the cue goes back to
listening; the first longer pause is the wait, and once speech resumes after it the cue shows the
wait it kept. After that it shows nothing more, but still follows speech and silence
(`silent_for_s`), so that the terminal can stop a rep by itself once the teacher has finished.

It has to answer within a frame, so it uses the signal energy against the noise floor (10 ms
frames), not Silero or Whisper. The floor is a low percentile of the last few seconds, so a few
frames of dropout (browsers fill an underrun with zeros) cannot drag it down and make the room's
own noise look like speech. It is a cue only: the verdict is measured afterwards by the engine.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..scoring.audio import SAMPLE_RATE
from ..scoring.speech import DIGITAL_SILENCE_DB, frame_levels

FRAME = SAMPLE_RATE // 100  # 10 ms
FRAME_S = FRAME / SAMPLE_RATE
SPEECH_DB = 12.0  # a frame this far above the noise floor is loud enough to be speech...
HOLD_DB = 6.0  # ...and speech goes on while frames stay this far above it
ONSET_S = 0.06  # speech must last this long to count (a click or a chair does not)
SHOW_AFTER_S = 0.5  # a silence must last this long before the counter shows
HESITATION_S = 1.5  # a shorter pause is a hesitation inside the question, not the wait
FLOOR_WINDOW_S = 3.0  # the noise floor is measured over this much recent audio...
FLOOR_PERCENTILE = 10  # ...as this percentile of its frame levels


@dataclass(frozen=True)
class CueState:
    """What the cue shows now.

    state: "listening" (nothing to show), "waiting" (the counter runs), or "done" (the wait kept).
    wait_s: seconds waited so far ("waiting") or in all ("done").
    reached: the wait has reached the target.
    at_s: the recording time this state describes.
    """

    state: str
    wait_s: float | None
    reached: bool
    at_s: float

    def to_dict(self) -> dict:
        return {"state": self.state, "wait_s": self.wait_s, "reached": self.reached, "at_s": round(self.at_s, 2)}


class PauseCue:
    """Feed it the samples of an attempt as they arrive; it tells when what it shows changes."""

    def __init__(self, target_s: float):
        self.target_s = target_s
        self._rest = np.zeros(0, dtype=np.float32)
        self._frames = 0  # frames seen
        self._floor: float | None = None
        self._recent: deque[float] = deque(maxlen=int(FLOOR_WINDOW_S / FRAME_S))
        self._loud_run = 0  # consecutive frames above SPEECH_DB
        self._speaking = False
        self._heard_speech = False
        self._speech_end: int | None = None  # frame where the last speech ended
        self._state = CueState("listening", None, False, 0.0)
        self._last_tick = -1  # whole tenths of a second last reported while waiting

    @property
    def state(self) -> CueState:
        return self._state

    @property
    def silent_for_s(self) -> float:
        """How long it has been quiet since speech last ended: 0 while speaking or before any speech.

        Kept up after the wait is done too, so that a recording can stop itself after a long silence.
        """
        if self._speaking or self._speech_end is None:
            return 0.0
        return (self._frames - self._speech_end) * FRAME_S

    def feed(self, samples: np.ndarray) -> list[CueState]:
        """Take float32 mono 16 kHz samples; return the states worth showing (often none)."""
        audio = np.concatenate([self._rest, np.asarray(samples, dtype=np.float32)])
        n = len(audio) // FRAME
        self._rest = audio[n * FRAME:]
        if n == 0:
            return []
        changes = []
        for level in frame_levels(audio[: n * FRAME], FRAME):
            change = self._step(float(level))
            if change is not None:
                changes.append(change)
        return changes

    def _step(self, level: float) -> CueState | None:
        self._frames += 1
        now = self._frames * FRAME_S
        if level > DIGITAL_SILENCE_DB:
            self._recent.append(level)
            if self._frames % 5 == 0 or self._floor is None:  # every 50 ms is often enough
                self._floor = float(np.percentile(self._recent, FLOOR_PERCENTILE))
        if self._floor is None:
            return None
        floor = self._floor
        self._loud_run = self._loud_run + 1 if level > floor + SPEECH_DB else 0
        if self._speaking:
            if level < floor + HOLD_DB:
                self._speaking = False
                self._speech_end = self._frames - 1
            return None
        if self._loud_run * FRAME_S >= ONSET_S:  # speech starts (again)
            self._speaking = True
            self._heard_speech = True
            if self._state.state == "waiting":
                waited = round((self._frames - self._loud_run - self._speech_end) * FRAME_S, 2)
                if waited >= HESITATION_S:
                    return self._set(CueState("done", waited, waited >= self.target_s, now))
                return self._set(CueState("listening", None, False, now))
            return None
        if self._state.state == "done" or not self._heard_speech or self._speech_end is None:
            return None
        waited = (self._frames - self._speech_end) * FRAME_S
        if waited < SHOW_AFTER_S:
            return None
        tick = int(waited * 10)
        reached = waited >= self.target_s
        if self._state.state != "waiting" or reached != self._state.reached or tick != self._last_tick:
            self._last_tick = tick
            return self._set(CueState("waiting", round(waited, 1), reached, now))
        return None

    def _set(self, state: CueState) -> CueState:
        self._state = state
        return state
