"""Who is speaking: each stretch of a lesson's speech is the teacher's voice or another voice.

Verified, not diarized blind (DESIGN.md, "Observing a lesson"): the teacher's voice is known from
their rehearsal reps (`enrol`), and each half second of the lesson's speech is judged against it.
With no reps, the teacher is the dominant near voice: the one with the most speech, loudest and
closest to the microphone. Pupils' speech is only "another voice" here: nothing is transcribed,
identified or kept of it but where it was.

How a lesson is judged (`who_speaks`):
1. Every VAD segment is cut into even blocks of about 0.5 s; each block is heard with a little
   context either side (within its segment) by a voice method — the speaker encoder
   (voice_encoder.py) or the baseline cepstra + Gaussian mixtures (voice_gmm.py).
2. First labels: a block is the teacher's if it sounds like the enrolled voice (at least as much
   as the lesson's "other" model, or as the teacher's own held-out speech did at enrolment), or,
   with no profile, if it is among the loud blocks.
3. Then the lesson teaches itself (a few rounds): a model of the teacher *in this room, on this
   microphone* and one of the other voices are fitted to the blocks so labelled, and each block is
   scored again: teacher-here minus others, plus the enrolled voice's say, minus a level cue (a
   block far quieter than the teacher's usual level is far from the microphone: a pupil).
4. Within a segment the labels are smoothed by the cheapest path with a cost per change of voice,
   so a segment of one voice keeps the VAD's edges, and one that holds a call-out right after the
   teacher splits at the block edge nearest the change.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..scoring import interrupt
from ..scoring.speech import Segment
from .voice_features import SAMPLE_RATE, frame_db

BLOCK_S = 0.5  # the unit judged; a segment is cut into even blocks this long or a little longer
MIN_ENROL_S = 15.0  # seconds of the teacher's speech (not their pauses) needed to know the voice
MIN_OTHER_S = 3.0  # a model of a voice needs this much of it
MIN_SELF_S = 8.0  # the lesson teaches itself only with this much of the teacher and of others
SWITCH_COST = 2.0  # a change of voice inside a segment must be worth this much score
LEVEL_FREE_DB = 6.0  # a block this much quieter than the teacher's level may still be the teacher
LEVEL_CONTEXT_S = 1.0  # a block's level is its loud part with this much either side (in its segment)
LEVEL_SLOPE = 0.3  # score per dB quieter than that: far and quiet is another voice
ANCHOR = 0.5  # the enrolled voice's weight beside the models the lesson taught itself
ROUNDS = 3
DEFAULT_METHOD = "gmm"


@dataclass(frozen=True)
class Stretch:
    """A stretch of speech by one voice, in seconds from the start of the recording."""

    start: float
    end: float
    who: str  # "teacher" | "other"


@dataclass(frozen=True)
class VoiceProfile:
    """The teacher's voice as a method knows it, and where it was learnt from.

    source: "reps" (enrolled from the teacher's rehearsals) or "dominant" (the lesson's near voice).
    enrolled_s: seconds of the teacher's speech it was learnt from.
    method: the voice method that made `model` ("encoder" or "gmm").
    model: that method's model of the voice, as bytes.
    threshold: the score below which a block is not the teacher's when the lesson offers no other
        voice to compare with (from the teacher's own held-out speech at enrolment).
    """

    source: str
    enrolled_s: float
    method: str = DEFAULT_METHOD
    model: bytes = field(default=b"", repr=False)
    threshold: float = 0.0

    def to_bytes(self) -> bytes:
        head = json.dumps({"source": self.source, "enrolled_s": self.enrolled_s, "method": self.method,
                           "threshold": self.threshold}).encode()
        return struct.pack("<I", len(head)) + head + self.model

    @classmethod
    def from_bytes(cls, data: bytes) -> "VoiceProfile":
        (size,) = struct.unpack("<I", data[:4])
        head = json.loads(data[4: 4 + size])
        return cls(head["source"], float(head["enrolled_s"]), head["method"], bytes(data[4 + size:]),
                   float(head["threshold"]))


def voice_method(name: str = DEFAULT_METHOD):
    """The voice method by name: "encoder" (the speaker encoder) or "gmm" (the baseline)."""
    if name == "gmm":
        from .voice_gmm import GmmVoices
        return GmmVoices()
    raise ValueError(f"unknown voice method {name!r}: use 'encoder' or 'gmm'")


@dataclass
class _Blocks:
    """The blocks of some speech: their times, segment, representation and loud level."""

    edges: list[tuple[float, float]] = field(default_factory=list)
    segment: list[int] = field(default_factory=list)
    reprs: list = field(default_factory=list)
    level: list[float] = field(default_factory=list)


def _block_edges(start: float, end: float) -> list[tuple[float, float]]:
    count = max(1, int((end - start) / BLOCK_S))
    cuts = np.linspace(start, end, count + 1)
    return [(float(a), float(b)) for a, b in zip(cuts[:-1], cuts[1:])]


def _blocks(method, audios: Sequence[np.ndarray], spans: Sequence[tuple[float, float]],
            progress: Callable[[float], None] | None = None) -> _Blocks:
    """Cut each stretch of audio into blocks and let the method represent each, with context."""
    frames, levels = [], []
    total = sum(len(a) for a in audios) or 1
    done = 0
    for audio in audios:
        interrupt.point()
        frames.append(method.frames(audio))
        levels.append(frame_db(audio))
        done += len(audio)
        if progress:
            progress(0.7 * done / total)
    frames = method.normalise(frames)
    blocks = _Blocks()
    context = method.context_s
    for index, ((start, end), feats, level) in enumerate(zip(spans, frames, levels)):
        slices = []
        for a, b in _block_edges(start, end):
            lo = max(0, int(round((a - start - context) * 100)))
            hi = min(len(feats), int(round((b - start + context) * 100)))
            slices.append(feats[lo:hi])
            # the level of the voice, not of the syllable: the block with a second either side
            own = level[max(0, int((a - start - LEVEL_CONTEXT_S) * 100)): int((b - start + LEVEL_CONTEXT_S) * 100) + 1]
            blocks.level.append(float(np.percentile(own, 90)) if len(own) else -100.0)
            blocks.edges.append((a, b))
            blocks.segment.append(index)
        interrupt.point()
        blocks.reprs.extend(method.represent(slices))
    return blocks


def enrol(pieces: Sequence[np.ndarray], method: str = DEFAULT_METHOD) -> VoiceProfile | None:
    """The teacher's voice from their own speech (float32 16 kHz mono; their rehearsal reps).

    None when there is too little of it (under MIN_ENROL_S of speech) to know the voice by."""
    pieces = [np.asarray(p, dtype=np.float32) for p in pieces if len(p) >= SAMPLE_RATE // 2]
    speech_s = sum(_speech_seconds(p) for p in pieces)
    if speech_s < MIN_ENROL_S:
        return None
    voices = voice_method(method)
    spans = [(0.0, len(p) / SAMPLE_RATE) for p in pieces]
    blocks = _blocks(voices, pieces, spans)
    reprs = [r for r, lvl in zip(blocks.reprs, blocks.level) if lvl > max(blocks.level) - 40]
    model = voices.fit(reprs)
    # What the teacher's own unseen speech scores: fit on alternate runs of blocks, score the rest.
    runs = np.arange(len(reprs)) // 8 % 2
    held_out = []
    for part in (0, 1):
        train = [r for r, k in zip(reprs, runs) if k != part]
        test = [r for r, k in zip(reprs, runs) if k == part]
        if len(train) >= 8 and test:
            held_out.extend(voices.score(voices.fit(train), test))
    held_out = np.asarray([s for s in held_out if np.isfinite(s)])
    threshold = float(np.percentile(held_out, 5)) if len(held_out) else -np.inf
    return VoiceProfile("reps", round(speech_s, 1), voices.name, voices.model_bytes(model), threshold)


def _speech_seconds(audio: np.ndarray) -> float:
    level = frame_db(audio)
    if not len(level):
        return 0.0
    return float(np.count_nonzero(level > np.percentile(level, 95) - 30)) / 100


def _smooth(scores: np.ndarray) -> np.ndarray:
    """The cheapest labelling (True = teacher) of a segment's blocks, paying SWITCH_COST per change."""
    cost = np.array([0.0, 0.0])  # best total so far ending in other / teacher
    back = []
    for s in scores:
        stay_other, from_teacher = cost[0], cost[1] + SWITCH_COST
        stay_teacher, from_other = cost[1], cost[0] + SWITCH_COST
        back.append((stay_other > from_teacher, stay_teacher > from_other))
        cost = np.array([min(stay_other, from_teacher) + max(s, 0.0), min(stay_teacher, from_other) + max(-s, 0.0)])
    state = int(cost[1] < cost[0])
    labels = []
    for step in reversed(back):
        labels.append(bool(state))
        state = 1 - state if step[state] else state
    return np.array(labels[::-1])


def _label(blocks: _Blocks, scores: np.ndarray) -> np.ndarray:
    segment = np.asarray(blocks.segment)
    labels = np.zeros(len(scores), dtype=bool)
    for index in np.unique(segment):
        where = np.flatnonzero(segment == index)
        labels[where] = _smooth(scores[where])
    return labels


def _level_cue(levels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    teacher_level = np.median(levels[labels]) if labels.any() else np.percentile(levels, 80)
    return -LEVEL_SLOPE * np.maximum(0.0, teacher_level - levels - LEVEL_FREE_DB)


def _contrast(voices, blocks: _Blocks, fixed, pos: np.ndarray | None, neg: np.ndarray) -> np.ndarray:
    """Each block's score under the teacher's model (`fixed`, or one fitted on the `pos` blocks)
    minus its score under a model of the `neg` blocks, the fitted models fitted on the OTHER half
    of the segments: a model scores speech it was fitted on far too well, so a block once
    mislabelled would otherwise keep its label."""
    segment = np.asarray(blocks.segment)
    # halves drawn at random (fixed seed): taking every other segment would put all the teacher's
    # turns in one half and all the pupils' answers in the other
    fold = np.random.default_rng(0).integers(0, 2, segment.max() + 1)[segment]
    seconds = np.asarray([b - a for a, b in blocks.edges])
    out = np.zeros(len(neg))
    for part in (0, 1):
        train = fold != part
        needed = [neg] if pos is None else [pos, neg]
        if pos is None or min(seconds[train & m].sum() for m in needed) < MIN_OTHER_S / 2:
            train = np.ones(len(neg), dtype=bool)  # too little to halve: the whole lesson
        teacher = fixed if pos is None else voices.fit([r for r, t in zip(blocks.reprs, train & pos) if t])
        other = voices.fit([r for r, t in zip(blocks.reprs, train & neg) if t])
        scored = [r for r, f in zip(blocks.reprs, fold) if f == part]
        if scored:
            out[fold == part] = voices.score(teacher, scored) - voices.score(other, scored)
    return voices.scale * np.where(np.isfinite(out), out, 0.0)


def _enough(seconds: np.ndarray, labels: np.ndarray) -> bool:
    return min(seconds[labels].sum(), seconds[~labels].sum()) >= MIN_SELF_S


def who_speaks(samples: Callable[[float, float], np.ndarray], segments: Sequence[Segment],
               profile: VoiceProfile | None, progress: Callable[[float], None] | None = None,
               method: str | None = None) -> tuple[list[Stretch], VoiceProfile]:
    """Split the lesson's speech segments into stretches of "teacher" or "other", in order.

    With a profile, the teacher is the enrolled voice; with None, the dominant near voice (and the
    profile so built, source "dominant", is returned). `samples(start_s, end_s)` gives the audio."""
    segments = [s for s in segments if s.end > s.start]
    name = profile.method if profile is not None else (method or DEFAULT_METHOD)
    voices = voice_method(name)
    if not segments:
        return [], profile or VoiceProfile("dominant", 0.0, name)
    spans = [(s.start, s.end) for s in segments]
    audios = [np.asarray(samples(s.start, s.end), dtype=np.float32) for s in segments]
    blocks = _blocks(voices, audios, spans, progress)
    levels = np.asarray(blocks.level)
    seconds = np.asarray([b - a for a, b in blocks.edges])

    everyone = np.ones(len(levels), dtype=bool)
    if profile is not None:  # the enrolled voice against the lesson's speech as a whole
        anchor = _contrast(voices, blocks, voices.model_from_bytes(profile.model), None, everyone)
        anchor += voices.scale * voices.teacher_bias
        labels = _label(blocks, anchor + _level_cue(levels, anchor > 0))
    else:  # the loud voice against the rest
        anchor = np.zeros(len(levels))
        labels = levels >= np.percentile(levels, 80) - LEVEL_FREE_DB
    for round_ in range(ROUNDS):  # then the lesson's own teacher against its other voices
        interrupt.point()
        if progress:
            progress(0.7 + 0.3 * round_ / ROUNDS)
        if not _enough(seconds, labels):
            break
        contrast = _contrast(voices, blocks, None, labels, ~labels)
        new = _label(blocks, contrast + ANCHOR * anchor + _level_cue(levels, labels))
        if (new == labels).all():
            break
        labels = new
    if progress:
        progress(1.0)

    if profile is None:
        teacher = [r for r, t in zip(blocks.reprs, labels) if t] or blocks.reprs
        model = voices.fit(teacher)
        own = voices.score(model, teacher)
        own = own[np.isfinite(own)]
        profile = VoiceProfile("dominant", round(float(seconds[labels].sum()), 1), voices.name,
                               voices.model_bytes(model), float(np.percentile(own, 5)) if len(own) else 0.0)
    return _stretches(blocks, labels, segments), profile


def _stretches(blocks: _Blocks, labels: np.ndarray, segments: Sequence[Segment]) -> list[Stretch]:
    """Merge runs of one voice within a segment; a segment's own edges stay where the VAD put them."""
    out: list[Stretch] = []
    previous_segment = -1
    for (a, b), index, teacher in zip(blocks.edges, blocks.segment, labels):
        who = "teacher" if teacher else "other"
        if index == previous_segment and out[-1].who == who:
            out[-1] = Stretch(out[-1].start, b, who)
        else:
            out.append(Stretch(a, b, who))
        previous_segment = index
    return [Stretch(round(s.start, 3), round(s.end, 3), s.who) for s in out]
