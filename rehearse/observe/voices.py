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
2. First labels: the near voice against the rest (a block far quieter than the loud part of the
   lesson is far from the microphone: a pupil). With a profile, if the quiet blocks are not
   clearly unlike the enrolled voice (or there are none), the blocks are split instead where
   their nearness to the enrolled voice falls in two (the line found in the lesson, as its
   microphone and room move every block's nearness alike), or all are the teacher's if it does
   not fall in two.
3. Then the lesson teaches itself (a few rounds): models of the teacher *in this room, on this
   microphone* and of the other voices are fitted to the blocks so labelled (each half of the
   segments scored by models fitted on the other half), and each block is scored again:
   teacher-here minus others, plus the enrolled voice's say, minus the level cue.
4. Within a segment the labels are smoothed by the cheapest path with a cost per change of voice,
   so a segment of one voice keeps the VAD's edges, and one that holds a call-out right after the
   teacher splits at the block edge nearest the change.
"""

from __future__ import annotations

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
MIN_SELF_S = 4.0  # the lesson teaches itself only with this much of the teacher and of others
SWITCH_COST = 2.0  # a change of voice inside a segment must be worth this much score
LEVEL_FREE_DB = 6.0  # a block this much quieter than the teacher's level may still be the teacher
LEVEL_CONTEXT_FRAMES = 100  # a block's level is its loud part with 1 s either side (in its segment)
LEVEL_SLOPE = 0.3  # score per dB quieter than that: far and quiet is another voice
ANCHOR = 0.5  # the enrolled voice's weight beside the models the lesson taught itself
ROUNDS = 3
# Labels leaving the teacher less than this share of the near (loud) speech are not believed: on
# dev lesson-02 (a lively room) the nearness split gave the teacher 15 s of 94 s of near speech.
# With the pipeline's own VAD segments (dev, 12 lessons, 2026-12-07) frames right went 0.888 -> 0.952
# with reps (teacher 2309 -> 2482 of 2482); most missed pupils' frames are outside those segments.
TEACHER_NEAR_SHARE = 1 / 3
REPRESENT_AT_ONCE = 256  # blocks represented in one go (the encoder's batch)
# Measured by benchmarks/voice_check.py (2026-12-07; 4 dev + 4 test lessons of the lesson set,
# frames right of 891 dev / 976 test): encoder 1.000 / 1.000 with reps and without; the baseline
# (gmm) 0.978 / 0.992 with reps, 0.970 / 0.974 without, missing a quarter to a third of the
# pupils' frames. So the encoder is the default; `method="gmm"` keeps the baseline runnable.
DEFAULT_METHOD = "encoder"


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
    """

    source: str
    enrolled_s: float
    method: str = DEFAULT_METHOD
    model: bytes = field(default=b"", repr=False)

    def to_bytes(self) -> bytes:
        head = json.dumps({"source": self.source, "enrolled_s": self.enrolled_s, "method": self.method}).encode()
        return struct.pack("<I", len(head)) + head + self.model

    @classmethod
    def from_bytes(cls, data: bytes) -> "VoiceProfile":
        (size,) = struct.unpack("<I", data[:4])
        head = json.loads(data[4: 4 + size])
        return cls(head["source"], float(head["enrolled_s"]), head["method"], bytes(data[4 + size:]))


def voice_method(name: str = DEFAULT_METHOD):
    """The voice method by name: "encoder" (the speaker encoder) or "gmm" (the baseline)."""
    if name == "gmm":
        from .voice_gmm import GmmVoices
        return GmmVoices()
    if name == "encoder":
        from .voice_encoder import EncoderVoices
        return EncoderVoices()
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


def _blocks(method, fetch: Callable[[int], np.ndarray], spans: Sequence[tuple[float, float]],
            progress: Callable[[float], None] | None = None) -> _Blocks:
    """Cut each stretch (`fetch(i)` gives the i-th's audio) into blocks, and let the method
    represent each, with context; many stretches' blocks at once, as the encoder runs in batches."""
    frames, levels = [], []
    total = sum(b - a for a, b in spans) or 1.0
    done = 0.0
    for index, (start, end) in enumerate(spans):
        interrupt.point()
        audio = np.asarray(fetch(index), dtype=np.float32)
        frames.append(method.frames(audio))
        levels.append(frame_db(audio))
        done += end - start
        if progress:
            progress(0.2 * done / total)
    frames = method.normalise(frames)
    blocks = _Blocks()
    pending: list[tuple[np.ndarray, list[tuple[int, int]]]] = []
    for index, ((start, end), feats, level) in enumerate(zip(spans, frames, levels)):
        ranges = []
        for a, b in _block_edges(start, end):
            lo = int(round((a - start) * 100))
            hi = max(int(round((b - start) * 100)), lo + 1)
            ranges.append((lo, hi))
            # the level of the voice, not of the syllable: the block with a second either side
            own = level[max(0, lo - LEVEL_CONTEXT_FRAMES): hi + LEVEL_CONTEXT_FRAMES]
            blocks.level.append(float(np.percentile(own, 90)) if len(own) else -100.0)
            blocks.edges.append((a, b))
            blocks.segment.append(index)
        pending.append((feats, ranges))
        if sum(len(r) for _, r in pending) >= REPRESENT_AT_ONCE or index == len(spans) - 1:
            interrupt.point()
            blocks.reprs.extend(method.represent(pending))
            pending = []
            if progress:
                progress(0.2 + 0.5 * len(blocks.reprs) / len(blocks.edges))
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
    blocks = _blocks(voices, pieces.__getitem__, spans)
    reprs = [r for r, lvl in zip(blocks.reprs, blocks.level) if lvl > max(blocks.level) - 40]
    model = voices.fit(reprs)
    return VoiceProfile("reps", round(speech_s, 1), voices.name, voices.model_bytes(model))


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


def _contrast(voices, blocks: _Blocks, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Each block's score under a model of the `pos` blocks minus its score under a model of the
    `neg` blocks, both fitted on the OTHER half of the segments: a model scores speech it was
    fitted on far too well, so a block once mislabelled would otherwise keep its label."""
    segment = np.asarray(blocks.segment)
    # halves drawn at random (fixed seed): taking every other segment would put all the teacher's
    # turns in one half and all the pupils' answers in the other
    fold = np.random.default_rng(0).integers(0, 2, segment.max() + 1)[segment]
    seconds = np.asarray([b - a for a, b in blocks.edges])
    out = np.zeros(len(pos))
    for part in (0, 1):
        train = fold != part
        if min(seconds[train & pos].sum(), seconds[train & neg].sum()) < MIN_OTHER_S / 2:
            train = np.ones(len(pos), dtype=bool)  # too little to halve: the whole lesson
        teacher = voices.fit([r for r, t in zip(blocks.reprs, train & pos) if t])
        other = voices.fit([r for r, t in zip(blocks.reprs, train & neg) if t])
        scored = [r for r, f in zip(blocks.reprs, fold) if f == part]
        if scored:
            out[fold == part] = voices.score(teacher, scored) - voices.score(other, scored)
    return voices.scale * np.where(np.isfinite(out), out, 0.0)


def _split_point(values: np.ndarray, separation: float) -> float | None:
    """Where the blocks' nearness to the enrolled voice falls in two (the split with the least
    spread within each side, Otsu's), or None when the two sides' means are closer than
    `separation`: one voice only. The line is found in the lesson, not fixed at enrolment, because
    the lesson's microphone and room move every block's nearness alike."""
    ordered = np.sort(values)
    if len(ordered) < 4:
        return None
    n = np.arange(1, len(ordered))  # cut after n values
    total, squares = np.cumsum(ordered), np.cumsum(ordered ** 2)
    low_mean, high_mean = total[:-1] / n, (total[-1] - total[:-1]) / (len(ordered) - n)
    spread = (squares[:-1] - n * low_mean ** 2) + (squares[-1] - squares[:-1] - (len(ordered) - n) * high_mean ** 2)
    best = int(np.argmin(spread[1:-1])) + 1  # at least two values a side
    line = (ordered[best] + ordered[best + 1]) / 2
    gap = high_mean[best] - low_mean[best]
    return line if gap >= separation else None


def _holds_near_speech(seconds: np.ndarray, near_voice: np.ndarray, labels: np.ndarray) -> bool:
    """Whether `labels` leave the teacher at least TEACHER_NEAR_SHARE of the near voice's speech
    (`near_voice`: the loud blocks). The teacher is the voice holding most of the near speech; a
    split that makes them a small minority of it has cut the teacher's own voice in two (in a
    lively room their nearness to the enrolled voice wanders with the echo while the VAD kept few
    of the pupils' quiet answers), so it is not believed."""
    near_s = seconds[near_voice].sum()
    return near_s == 0 or seconds[near_voice & labels].sum() >= TEACHER_NEAR_SHARE * near_s


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
    blocks = _blocks(voices, lambda i: samples(*spans[i]), spans, progress)
    levels = np.asarray(blocks.level)
    seconds = np.asarray([b - a for a, b in blocks.edges])

    # First labels: the loud voice against the rest (the teacher is the near voice) ...
    labels = levels >= np.percentile(levels, 80) - LEVEL_FREE_DB
    near = None
    if profile is not None:
        near = voices.score(voices.model_from_bytes(profile.model), blocks.reprs)
        near = np.where(np.isfinite(near), near, np.min(near[np.isfinite(near)], initial=0.0))
        quiet_and_unlike = (seconds[~labels].sum() >= MIN_OTHER_S and
                            np.median(near[~labels]) < np.median(near[labels]) - voices.separation / 2)
        if not quiet_and_unlike:  # ... or, where the quiet are the teacher too, where nearness splits
            line = _split_point(near, voices.separation)
            anchor = voices.scale * (near - line) if line is not None else np.full(len(near), voices.scale)
            split = _label(blocks, anchor + _level_cue(levels, anchor > 0))
            if _holds_near_speech(seconds, labels, split):
                labels = split
    for round_ in range(ROUNDS):  # then the lesson's own teacher against its other voices
        interrupt.point()
        if progress:
            progress(0.7 + 0.3 * round_ / ROUNDS)
        if not _enough(seconds, labels):
            break
        score = _contrast(voices, blocks, labels, ~labels) + _level_cue(levels, labels)
        if near is not None:  # the enrolled voice's say: nearer it than the middle of the two sides
            middle = (np.median(near[labels]) + np.median(near[~labels])) / 2
            score += ANCHOR * voices.scale * (near - middle)
        new = _label(blocks, score)
        if (new == labels).all() or not _holds_near_speech(seconds, labels, new):
            break
        labels = new
    if progress:
        progress(1.0)

    if profile is None:
        teacher = [r for r, t in zip(blocks.reprs, labels) if t] or blocks.reprs
        profile = VoiceProfile("dominant", round(float(seconds[labels].sum()), 1), voices.name,
                               voices.model_bytes(voices.fit(teacher)))
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
