"""Stage 7, result: everything known about one scored attempt, and its JSON form (what is stored
and exported; once stored it is read through stored.StoredResult)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from typing import Any, Sequence

from .criteria import Verdict
from .steps import ActionStep
from .speech import Segment
from .timeline import FILLERS, Pause, Timeline, words_of
from .words.base import Word


@dataclass
class Result:
    """One attempt scored against one step. `passed` is true when every criterion is met."""

    step: str
    duration_s: float
    transcript: str
    words: list[Word]
    utterances: list[dict[str, Any]]
    pauses: list[Pause]
    metrics: dict[str, Any]
    criteria: list[Verdict]
    file: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # each word's part, from the timeline (Timeline.roles): "question", "name", "early_name" or None
    word_roles: list[str | None] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.criteria)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `rehearse score --json` (other tools rely on these keys)."""
        return {
            "file": self.file,
            "scenario": self.step,  # the step's id, under the key results were first stored and printed with
            "passed": self.passed,
            "transcript": self.transcript,
            "metrics": self.metrics,
            "criteria": [{k: v for k, v in asdict(c).items() if k != "if_named" or v is not None}
                         for c in self.criteria],
            "words": [{"word": w.word, "start": w.start, "end": w.end, "role": role}
                      for w, role in zip_longest(self.words, self.word_roles[: len(self.words)])],
            "utterances": self.utterances,
            "pauses": [{"start": p.start, "end": p.end, "duration": p.duration} for p in self.pauses],
            "duration_s": self.duration_s,
        }


def metrics_of(timeline: Timeline, segments: list[Segment]) -> dict[str, Any]:
    """The measured figures of an attempt (times in seconds, rounded to the millisecond)."""
    said = words_of(timeline.transcript)
    named, early, unclear = timeline.named, timeline.named_early, timeline.unclear_name
    return {
        "wait_time_s": timeline.wait_time,
        "named_pupil": named.pupil if named else None,
        "name_confidence": named.match.confidence if named else None,
        "name_heard": (named or unclear).match.heard if (named or unclear) else None,
        # a name said after the wait but not clearly: the pupils it likely was, for the coach to pick
        "name_unclear_likely": list(unclear.match.likely) if unclear else None,
        "question": timeline.question_text,
        "question_start_s": timeline.question_start,
        "question_end_s": timeline.question_end,
        "name_start_s": timeline.name_start,
        "pause_after_question_s": timeline.pause_after_question,
        "named_before_question": early.pupil if early else None,
        "named_early_span_s": [round(t, 3) for t in timeline.named_early_span] if early else None,
        "speaking_s": round(sum(s.duration for s in segments), 3),
        "word_count": len(said),
        "filler_count": sum(w in FILLERS for w in said),
        "room_snr_db": timeline.room_snr_db,
    }


def judge(step: ActionStep, timeline: Timeline, segments: Sequence[Segment], words: Sequence[Word],
          duration_s: float) -> Result:
    """The result of an attempt whose timeline is built: each criterion of the step judged on it,
    the figures measured, and each word's part (Timeline.roles), as the engine stores them."""
    verdicts = [c.judge(timeline) for c in step.criteria]
    roles = timeline.roles()
    return Result(
        step=step.id,
        duration_s=duration_s,
        transcript=" ".join(w.word for w in words),
        words=list(words),
        utterances=[{"start": u.start, "end": u.end, "text": u.text} for u in timeline.utterances],
        pauses=timeline.pauses,
        metrics=metrics_of(timeline, list(segments)),
        criteria=verdicts,
        word_roles=[roles.get(id(w)) for w in words],
    )
