"""The typed, read-only view of a result once stored (attempts.result, examples.result, `rehearse
score --json`): what the coaching rules, the pages and the exports read instead of looking keys up
in a dict. The JSON is written by result.Result.to_dict; its shape is a contract (exports and
archives carry it), so it is never rewritten here: `to_json` gives back the keys as stored.

Every shape the app has stored reads: a key missing (a result from an older version) or of the
wrong type (an imported archive is only checked to hold a JSON object) reads as None or empty,
never as an error. Results stored before each word's part was recorded have the parts worked out
again from what was stored (derived_roles).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property, lru_cache
from typing import Any, Mapping, Sequence

from .speech import Segment
from .timeline import assign_words
from .words.base import Word

ROLES = ("question", "name", "early_name")  # a word's part (Timeline.roles); None for no part
SAME_TIME_S = 0.001  # stored times of one moment (an utterance's start and the name's) agree to this


@dataclass(frozen=True)
class StoredWord:
    """A word as Whisper placed it, with its part in the attempt (ROLES, or None)."""

    word: str
    start: float
    end: float
    role: str | None = None


@dataclass(frozen=True)
class StoredUtterance:
    """A stretch of the teacher's speech and the words written for it."""

    start: float
    end: float
    text: str = ""


@dataclass(frozen=True)
class StoredPause:
    """A silence between two utterances."""

    start: float
    end: float
    duration: float


@dataclass(frozen=True)
class Outcome:
    """A verdict as it would have been (Verdict.if_named): met or not, and the evidence."""

    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class StoredVerdict:
    """One criterion as the app judged it (criteria.Verdict)."""

    id: str
    passed: bool
    detail: str = ""
    if_named: Outcome | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "passed": self.passed, "detail": self.detail}
        if self.if_named is not None:
            out["if_named"] = {"passed": self.if_named.passed, "detail": self.if_named.detail}
        return out


@dataclass(frozen=True)
class Metrics:
    """The measured figures (metrics_of), None where not measured or not stored by that version.
    The last two are never stored: the coach's say, applied by coaching.progress.marked."""

    wait_time_s: float | None = None
    named_pupil: str | None = None
    name_confidence: float | None = None
    name_heard: str | None = None
    name_unclear_likely: tuple[str, ...] | None = None
    question: str | None = None
    question_start_s: float | None = None
    question_end_s: float | None = None
    name_start_s: float | None = None
    pause_after_question_s: float | None = None
    named_before_question: str | None = None
    named_early_span_s: tuple[float, float] | None = None
    speaking_s: float | None = None
    word_count: int | None = None
    filler_count: int | None = None
    room_snr_db: float | None = None
    name_chosen_by_coach: bool | None = None
    wait_kept_s: float | None = None
    stored: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)  # the JSON read

    @classmethod
    def from_json(cls, data: Any) -> Metrics:
        data = _mapping(data)
        likely = data.get("name_unclear_likely")
        span = [_number(t) for t in _list(data.get("named_early_span_s"))]
        return cls(**{name: _number(data.get(name)) for name in _typed(cls, "float | None")},
                   **{name: _text(data.get(name)) for name in _typed(cls, "str | None")},
                   word_count=_count(data.get("word_count")), filler_count=_count(data.get("filler_count")),
                   name_unclear_likely=None if likely is None else tuple(p for p in _list(likely) if isinstance(p, str)),
                   named_early_span_s=(span[0], span[1]) if len(span) == 2 and None not in span else None,
                   name_chosen_by_coach=_flag(data.get("name_chosen_by_coach")), stored=data)

    def get(self, name: str) -> Any:
        """A figure by its name (a step's key metric, ActionStep.key_metric), as to_json gives it."""
        return self.to_json().get(name)

    def to_json(self) -> dict[str, Any]:
        """The figures as stored (every key kept, in its order), with the values of this view:
        those changed by the coach's say, and those set that were not stored, added at the end."""
        return _as_stored(self)


@dataclass(frozen=True)
class Timings:
    """How long scoring took, in seconds, and whether the words worked out while the rep was
    recorded were used (pipeline.py, live.py); None where not recorded (examples keep none)."""

    vad_s: float | None = None
    words_s: float | None = None
    names_s: float | None = None
    total_s: float | None = None
    words_reused: bool | None = None
    waited_for_work_ahead_s: float | None = None
    stored: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Timings:
        data = _mapping(data)
        reused = data.get("words_reused", data.get("words_ready"))  # its name in the first stored results
        return cls(**{name: _number(data.get(name)) for name in _typed(cls, "float | None")},
                   words_reused=_flag(reused), stored=data)

    def to_json(self) -> dict[str, Any]:
        return _as_stored(self)


@dataclass(frozen=True)
class StoredResult:
    """A scored attempt as stored, read-only and typed (see Result.to_dict for the JSON). The words
    and utterances are read when first asked for (the coaching rules, over many reps, need neither)."""

    step: str | None = None
    file: str | None = None
    passed: bool | None = None
    transcript: str = ""
    duration_s: float | None = None
    metrics: Metrics = field(default_factory=Metrics)
    criteria: tuple[StoredVerdict, ...] = ()
    pauses: tuple[StoredPause, ...] = ()
    timings: Timings = field(default_factory=Timings)
    stored: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)  # the JSON read

    @classmethod
    def from_json(cls, data: Any) -> StoredResult:
        """The view of a stored result's JSON (a dict); anything missing or malformed reads as
        None or empty, never as an error: old and imported results are shown as far as they go."""
        data = _mapping(data)
        return cls(
            step=_text(data.get("scenario")), file=_text(data.get("file")), passed=_flag(data.get("passed")),
            transcript=_text(data.get("transcript")) or "", duration_s=_number(data.get("duration_s")),
            metrics=Metrics.from_json(data.get("metrics")),
            criteria=tuple(v for v in map(_verdict, _list(data.get("criteria"))) if v is not None),
            pauses=tuple(StoredPause(p["start"], p["end"], _number(p.get("duration")) or round(p["end"] - p["start"], 3))
                         for p in _rows(data.get("pauses"), "start", "end")),
            timings=Timings.from_json(data.get("timings")), stored=data)

    @cached_property
    def utterances(self) -> tuple[StoredUtterance, ...]:
        return tuple(StoredUtterance(u["start"], u["end"], _text(u.get("text")) or "")
                     for u in _rows(self.stored.get("utterances"), "start", "end"))

    @cached_property
    def roles_recorded(self) -> bool:
        """False for a result stored before each word's part was: the parts are then worked out
        again from the stored utterances and figures (derived_roles)."""
        said = _rows(self.stored.get("words"), "start", "end")
        return not said or any("role" in w for w in said)

    @cached_property
    def words(self) -> tuple[StoredWord, ...]:
        """The words as Whisper placed them, each with its part (ROLES, or None)."""
        words = [StoredWord(_text(w.get("word")) or "", w["start"], w["end"], w.get("role") if w.get("role") in ROLES else None)
                 for w in _rows(self.stored.get("words"), "start", "end")]
        if not self.roles_recorded:
            words = [replace(w, role=role) for w, role in zip(words, derived_roles(words, self.utterances, self.metrics))]
        return tuple(words)

    def to_json(self) -> dict[str, Any]:
        """The stored JSON again (Result.to_dict's keys, and the timings where there are any)."""
        out = {
            "file": self.file, "scenario": self.step, "passed": self.passed, "transcript": self.transcript,
            "metrics": self.metrics.to_json(), "criteria": [c.to_json() for c in self.criteria],
            "words": [{"word": w.word, "start": w.start, "end": w.end} | ({"role": w.role} if self.roles_recorded else {})
                      for w in self.words],
            "utterances": [asdict(u) for u in self.utterances], "pauses": [asdict(p) for p in self.pauses],
            "duration_s": self.duration_s,
        }
        timings = self.timings.to_json()
        return out | ({"timings": timings} if timings else {})

    def verdict(self, criterion: str) -> StoredVerdict | None:
        return next((c for c in self.criteria if c.id == criterion), None)


def derived_roles(words: Sequence[StoredWord], utterances: Sequence[StoredUtterance],
                  metrics: Metrics) -> list[str | None]:
    """Each word's part, for a result stored before the parts were recorded, worked out again the
    way the timeline found them: each word belongs to the utterance nearest its middle (as
    timeline.assign_words put it); the question is its utterances, by their stored bounds; the
    name is the run of words, from the naming utterance on, that spells what was heard; a name
    said early is the words inside its stored span (results stored before that span was kept
    leave it inside the question)."""
    roles: list[str | None] = [None] * len(words)
    if not utterances:
        return roles
    said = [Word(w.word, w.start, w.end) for w in words]
    placed = assign_words([Segment(u.start, u.end) for u in utterances], said)
    index = {id(w): i for i, w in enumerate(said)}
    home = {index[id(w)]: k for k, u in enumerate(placed) for w in u.words}
    start, end = metrics.question_start_s, metrics.question_end_s
    if end is not None:
        for i, k in home.items():
            u = utterances[k]
            if (start is None or u.start >= start - SAME_TIME_S) and u.end <= end + SAME_TIME_S:
                roles[i] = "question"
    heard, name_at = metrics.name_heard, metrics.name_start_s
    naming = next((k for k, u in enumerate(utterances)
                   if name_at is not None and abs(u.start - name_at) <= SAME_TIME_S), None)
    if heard and naming is not None:
        after = [index[id(w)] for u in placed[naming:] for w in u.words]
        for first in range(len(placed[naming].words)):  # the name starts in the naming utterance
            last, text = first, words[after[first]].word
            while len(text) < len(heard) and last + 1 < len(after):
                last += 1
                text += " " + words[after[last]].word
            if text == heard:
                for i in after[first: last + 1]:
                    roles[i] = "name"
                break
    span = metrics.named_early_span_s
    if metrics.named_before_question and span is not None:
        for i, k in home.items():
            u, w = utterances[k], words[i]
            whole = abs(span[0] - u.start) <= SAME_TIME_S and abs(span[1] - u.end) <= SAME_TIME_S
            if whole and len(placed[k].words) > 1:
                continue  # no word spelled the name: the span was the whole utterance
            if max(w.start, u.start) < span[1] and min(w.end, u.end) > span[0]:
                roles[i] = "early_name"
    return roles


@lru_cache(maxsize=None)
def _typed(cls: type, annotation: str) -> tuple[str, ...]:
    """The names of a view's fields declared with this type (annotations are strings here)."""
    return tuple(f.name for f in fields(cls) if f.type == annotation)


def _as_stored(view: Metrics | Timings) -> dict[str, Any]:
    """A view's JSON: every key as stored, in its order, with the view's values (lists for tuples);
    the values set that were not stored, added at the end."""
    out = dict(view.stored)
    for f in fields(view):
        value = getattr(view, f.name)
        if f.name != "stored" and (f.name in out or value is not None):
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def _verdict(data: Any) -> StoredVerdict | None:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("passed"), bool):
        return None
    named = data.get("if_named")
    if_named = (Outcome(named["passed"], _text(named.get("detail")) or "")
                if isinstance(named, dict) and isinstance(named.get("passed"), bool) else None)
    return StoredVerdict(data["id"], data["passed"], _text(data.get("detail")) or "", if_named)


def _rows(data: Any, *times: str) -> list[Mapping[str, Any]]:
    """The objects of a stored list that hold a number for each of `times`."""
    return [r for r in _list(data) if isinstance(r, dict) and all(_number(r.get(t)) is not None for t in times)]


def _mapping(data: Any) -> Mapping[str, Any]:
    """A JSON object (a dict: json.loads gives no other mapping), else an empty one."""
    return data if isinstance(data, dict) else {}


def _list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else []


def _number(data: Any) -> float | None:
    ok = isinstance(data, (int, float)) and not isinstance(data, bool) and math.isfinite(data)
    return data if ok else None


def _count(data: Any) -> int | None:
    return data if isinstance(data, int) and not isinstance(data, bool) else None


def _text(data: Any) -> str | None:
    return data if isinstance(data, str) else None


def _flag(data: Any) -> bool | None:
    return data if isinstance(data, bool) else None
