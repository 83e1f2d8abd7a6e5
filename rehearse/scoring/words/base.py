"""Stage 3, words: what was said, as Whisper hears it — what every engine shares.

Only the speech segments are transcribed, joined with short gaps: Whisper then cannot give up at a
long silence (it used to drop the pupil's name after a 5 s wait), and a 10 s attempt costs one
short decoding pass. Word timestamps are kept for display and for placing words in segments, never
for timing a pause. An engine (faster.py, the default; openai.py, `--engine openai-whisper`) adds
to `Transcriber` only how it hears: `recognise` (what Whisper hears in the joined audio),
`tokens_in`, `decode`, and `text_scores` (how likely the speech model finds given texts for a piece of
audio: the forced choice of the named pupil, name_evidence.py).

No invented words: decoding is bounded by the length of the speech (MAX_TOKENS_PER_S), and words
piled up at one instant, words placed in the silence between pieces, and runs of a repeated word or
phrase (Whisper's "hey, hey, hey..." in a silent tail) are dropped before any rule sees them.

While an attempt is recorded, its words can be worked out ahead, on the speech so far; a
`WordCache` keeps them, and scoring at the end takes them from there when the speech found in the
whole recording is the same. Live and batch scoring thus give the same words by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..audio import SAMPLE_RATE
from ..speech import Segment


# Whisper drops "um" and "er" unless its context shows them kept: a prompt in that style helps.
VERBATIM_PROMPT = "Um, so, er, let me think. Hmm, okay."

PAD_S = 0.2  # context kept around each speech segment, so no word is clipped
GAP_S = 0.3  # silence put between segments, so Whisper hears them as separate phrases
CACHE_TOLERANCE_S = 0.05  # speech found again with edges this close is the same speech
# Fast speech is ~4 words, ~6 tokens a second: a transcript far longer than that was invented.
MAX_TOKENS_PER_S = 12
MIN_TOKENS = 24
MAX_TOKENS = 300  # per 30 s window, leaving room for the prompt within Whisper's 448
WHISPER_TOKENS = 448  # what Whisper's decoder reads at most: prompt and new tokens together
MAX_HOTWORD_TOKENS = 100
# The roster as a prompt ("Pupils: Zainab, Callum, ..."): ~3 tokens a name, so a class of ~60.
MAX_NAMES_TOKENS = 200
# A word or phrase said this many times in a row is Whisper looping, not the teacher.
MAX_REPEATS = 3
# The speech model is run on a short piece (the speech after the wait) padded to at least this long: the
# encoder's cost grows with its input, and a piece padded to Whisper's 30 s costs ~10 times as much.
MIN_SCORED_S = 2.0
# A token's log-probability is floored here, so that one impossible token does not make a text -inf.
LOG_FLOOR = -20.7  # ln(1e-9)
# A word Whisper gave no length ("my" at 1.445-1.445 s in jfk.flac) is given at most this much of
# the time before it, where that time is free (else a share of the word after it).
MIN_WORD_S = 0.12
# Texts scored against one piece of audio in one pass of the speech model. The decoder keeps the piece's
# encoding for every text of a pass: all ~30 texts of a roster at once took the process from
# ~300 MB to ~500 MB; eight at a time was no slower on the labelled set.
SCORE_BATCH = 8


@dataclass(frozen=True)
class Word:
    """One recognised word: its text (stripped) and where Whisper placed it, in seconds."""

    word: str
    start: float
    end: float
    probability: float = 1.0


class Transcriber:
    """Turns the speech segments of a recording into words, with a vocabulary to listen for. An
    engine's subclass says how it hears: `recognise`, `tokens_in`, `decode`, `text_scores`."""

    # How many calls into the speech model run at once from different threads; more wait their turn.
    # The live worker (capture/worker.py) keeps that many going for reps recorded side by side.
    parallel_calls = 1

    def words(self, audio: np.ndarray, segments: Sequence[Segment],
              hotwords: Sequence[str] = ()) -> list[Word]:
        """Transcribe only `segments` of `audio`; `hotwords` (names, key terms) bias recognition."""
        if not segments:
            return []
        joined, pieces = join_segments(audio, segments)
        words = []
        for text, start, end, probability in self.recognise(joined, hotwords, max_tokens_for(joined)):
            text = text.strip()
            # A word placed in a gap between pieces was heard in silence: Whisper repeating itself
            # ("Xavier. Xavier.") or inventing a tail. Drop it.
            if text and in_piece((start + end) / 2, pieces):
                words.append(Word(text, to_original_time(start, pieces), to_original_time(end, pieces),
                                  float(probability)))
        return give_length(drop_repeats(drop_piled_up(words)))

    def heard_told(self, piece: np.ndarray, names: Sequence[str]) -> list[str]:
        """The words Whisper writes for `piece` (a few seconds of speech) when told the names it may
        hear, as its prompt: "Pupils: Zainab, Callum, ...". Told them, it spells a name it hears as
        the roster does more often ("Kida." becomes "Caoimhe."); name_evidence.py weighs this against the
        model's scores. Not used for the transcript: in babble, names it was told get "heard"."""
        if not names:
            return []
        listed = list(names)
        prompt = "Pupils: " + ", ".join(listed) + "."
        while len(listed) > 1 and self.tokens_in(prompt) > MAX_NAMES_TOKENS:  # a class list far longer than a class
            listed.pop()
            prompt = "Pupils: " + ", ".join(listed) + "."
        return self.decode(piece, prompt, max_tokens_for(piece)).split()


def max_tokens_for(joined: np.ndarray) -> int:
    """The most tokens the speech in `joined` can hold, per 30 s window: the bound on decoding."""
    seconds = min(len(joined) / SAMPLE_RATE, 30.0)
    return min(int(MIN_TOKENS + MAX_TOKENS_PER_S * seconds), MAX_TOKENS)


def batches(items: Sequence, size: int) -> list[Sequence]:
    """`items` in consecutive runs of at most `size`."""
    return [items[i: i + size] for i in range(0, len(items), size)]


def pad_to(piece: np.ndarray, seconds: float) -> np.ndarray:
    """`piece` with silence after it up to `seconds` long (unchanged if already longer)."""
    short = int(seconds * SAMPLE_RATE) - len(piece)
    return np.pad(piece, (0, short)) if short > 0 else piece


def mean_log_probability(probabilities: Sequence[float]) -> float:
    """The mean natural log of token probabilities, each floored at LOG_FLOOR."""
    p = np.asarray(probabilities, dtype=np.float64)
    return float(np.mean(np.maximum(np.log(np.maximum(p, 1e-300)), LOG_FLOOR))) if p.size else float("-inf")


def _key(word: Word) -> str:
    return "".join(ch for ch in word.word.lower() if ch.isalnum())


def drop_piled_up(words: Sequence[Word]) -> list[Word]:
    """Drop words of no length piled up at one instant (jfk.flac's tail: "hey," twenty times at the
    same moment): no one says two words in no time. One word of no length alone is kept (Whisper
    gives real words no length now and then, "glucose" in a list of key words)."""
    at: dict[float, int] = {}
    for w in words:
        if w.end <= w.start:
            at[w.start] = at.get(w.start, 0) + 1
    return [w for w in words if not (w.end <= w.start and at[w.start] > 1)]


def drop_repeats(words: Sequence[Word]) -> list[Word]:
    """Keep the first of MAX_REPEATS or more back-to-back repeats of a word or a phrase of up to four
    words ("hey, hey, hey", "Ngozi, Ngozi, Ngozi", "mm-hmm. mm-hmm."): Whisper looping, not speech.
    A word said twice ("no, no") stays."""
    words = list(words)
    keys = [_key(w) for w in words]
    out: list[Word] = []
    i = 0
    while i < len(words):
        for size in range(1, 5):
            phrase = keys[i: i + size]
            repeats = 1
            while keys[i + repeats * size: i + (repeats + 1) * size] == phrase:
                repeats += 1
            if len(phrase) == size and repeats >= MAX_REPEATS:
                out.extend(words[i: i + size])
                i += repeats * size
                break
        else:
            out.append(words[i])
            i += 1
    return out


def give_length(words: Sequence[Word]) -> list[Word]:
    """Every word with some length: no one says a word in no time, and a word of no length cannot be
    marked on a timeline or played from. A word Whisper placed at one instant ends there and takes
    up to MIN_WORD_S of the free time before it (after the previous word); with none free, it takes
    the first half of the word after it, which Whisper placed at the same instant."""
    out = list(words)
    for i, w in enumerate(out):
        if w.end > w.start:
            continue
        before = out[i - 1].end if i else 0.0
        start = max(before, w.start - MIN_WORD_S)
        if start < w.start:
            out[i] = Word(w.word, round(start, 3), w.start, w.probability)
            continue
        after = out[i + 1] if i + 1 < len(out) else None
        if after is not None and after.end > w.start:
            middle = round((w.start + after.end) / 2, 3)
            out[i] = Word(w.word, w.start, middle, w.probability)
            out[i + 1] = Word(after.word, middle, after.end, after.probability)
        else:
            out[i] = Word(w.word, w.start, round(w.start + MIN_WORD_S, 3), w.probability)
    return out


class WordCache:
    """Words already worked out for an attempt, found again by the speech segments they came from.

    Ahead of time the segments are found on the audio so far; at the end, on the whole recording,
    where an edge may sit a frame or two apart (the background level is measured on more audio).
    Within CACHE_TOLERANCE_S it is the same speech, so the same words.
    """

    def __init__(self):
        self._entries: list[tuple[list[Segment], list[Word]]] = []
        self.hits = 0  # times the words were taken from here when the attempt was scored
        self.names: dict = {}  # the pupils chosen for these words (engine.Scorer.name_chooser)

    def get(self, segments: Sequence[Segment]) -> list[Word] | None:
        for known, words in self._entries:
            if same_speech(known, segments):
                return words
        return None

    def put(self, segments: Sequence[Segment], words: list[Word]) -> None:
        if self.get(segments) is None:
            self._entries.append((list(segments), list(words)))


def same_speech(a: Sequence[Segment], b: Sequence[Segment]) -> bool:
    """Are these the same speech segments, found twice (edges within CACHE_TOLERANCE_S)?"""
    return len(a) == len(b) and all(abs(x.start - y.start) <= CACHE_TOLERANCE_S
                                    and abs(x.end - y.end) <= CACHE_TOLERANCE_S for x, y in zip(a, b))


# A piece of the joined audio: (offset in the joined audio, start in the original, length), in s.
Piece = tuple[float, float, float]


def join_segments(audio: np.ndarray, segments: Sequence[Segment]) -> tuple[np.ndarray, list[Piece]]:
    """Cut each segment (padded) out of `audio` and join them with short silences between."""
    parts, pieces, offset, end_of_last = [], [], 0.0, 0
    gap = np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)
    for seg in segments:
        a = max(int((seg.start - PAD_S) * SAMPLE_RATE), 0)
        b = min(int((seg.end + PAD_S) * SAMPLE_RATE), len(audio))
        if pieces and a < end_of_last:  # padding overlaps the previous piece: start after it
            a = end_of_last
        end_of_last = b
        pieces.append((offset, a / SAMPLE_RATE, (b - a) / SAMPLE_RATE))
        parts.extend([audio[a:b], gap])
        offset += (b - a) / SAMPLE_RATE + GAP_S
    return np.concatenate(parts).astype(np.float32), pieces


def in_piece(t: float, pieces: list[Piece]) -> bool:
    """Does time `t` of the joined audio fall inside a piece (not in a gap between pieces)?"""
    return any(o <= t <= o + length for o, _, length in pieces)


def to_original_time(t: float, pieces: list[Piece]) -> float:
    """Map a time in the joined audio back to the original recording."""
    offset, start, _ = pieces[0]
    for o, s, _ in pieces:
        if o <= t:
            offset, start = o, s
        else:
            break
    return round(start + (t - offset), 3)
