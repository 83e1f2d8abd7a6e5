"""Learning a name the way this teacher says it, from one scored rep.

Teachers say their pupils' names correctly and the same way every time; tiny.en does not know most
of them ("Kida" for Caoimhe). When the coach says in one tap who was named in a rep the app got
unclear or wrong, the rep's *name piece* (the stretch of the recording where the name was said
after the wait, and what Whisper wrote there) is kept as how this teacher says this pupil's name
(a `name_sounds.LearntSound`); the next reps of the same teacher are scored with it
(name_evidence.py: the learnt spelling in the forced choice, and the piece matched by sound).
Nothing here is stored: the store keeps the pieces per teacher and pupil (store/learnt.py).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .name_sounds import AROUND_NAMES, LearntSound, Pupil, letters, spellings
from .name_evidence import best_place
from .stored import StoredResult, StoredWord

# The pupil the coach names is looked for among the words that sound at least this much like it.
LIKE_ENOUGH = 0.5
# A name piece is the words written for the name, widened by this much each side (word times are
# only rough: Whisper places edges 0.2-0.5 s off), inside the utterance that holds them.
WIDEN_S = 0.25
MAX_PIECE_S = 2.5  # the most audio kept for one learnt name (a name takes ~0.3-1 s to say)


def name_piece(result: StoredResult | Mapping[str, Any], pupil: Pupil | str | None = None
               ) -> tuple[float, float, str] | None:
    """Where in a scored rep the name after the wait was said: (start, end, what Whisper wrote), in
    seconds of the recording; None when nothing was said after the question.

    It is looked for in the utterance that holds the name (the app's, else the first after the
    question): the words that sound most like `pupil` (the pupil the coach says was named), else
    the words the app took for the name, else the utterance without the common words around the
    name ("Over to you, ___", "___, go ahead"); widened by WIDEN_S, inside the utterance, at most
    MAX_PIECE_S. A result as stored or as `Result.to_dict` gives it."""
    stored = result if isinstance(result, StoredResult) else StoredResult.from_json(dict(result))
    question_end, name_at = stored.metrics.question_end_s, stored.metrics.name_start_s
    after = [u for u in stored.utterances if question_end is not None and u.start > question_end - 1e-3]
    if name_at is not None:
        after = [u for u in after if u.start >= name_at - 1e-3] or after
    if not after:
        return None
    u = after[0]
    # Whisper's word edges overrun the speech's ("Need..." 8.80-9.46 s in speech 8.68-8.98 s):
    # the words overlapping the utterance, but none of the question's.
    said = [w for w in stored.words if w.start < u.end and w.end > u.start and w.role != "question"]
    first, last = _name_words(said, pupil)
    if last < first:  # no word was written for the name: the part of the utterance no word covers
        start, end = _unwritten(u, said)
    else:
        start = max(said[first].start - WIDEN_S, u.start)
        end = min(said[last].end + WIDEN_S, u.end, start + MAX_PIECE_S)
    return round(start, 3), round(end, 3), " ".join(w.word for w in said[first: last + 1])


def _unwritten(u, said: Sequence[StoredWord]) -> tuple[float, float]:
    """The longest stretch of an utterance before, after or between its words ("Over to you. ___"),
    widened by WIDEN_S over the words beside it; the utterance's start when no word was written."""
    edges = [u.start] + [t for w in said for t in (w.start, w.end)] + [u.end]
    gaps = [(edges[k + 1] - edges[k], edges[k], edges[k + 1]) for k in range(0, len(edges), 2)]
    _length, start, end = max(gaps)
    start, end = max(start - WIDEN_S, u.start), min(end + WIDEN_S, u.end)
    return start, min(end, start + MAX_PIECE_S)


def _name_words(said: Sequence[StoredWord], pupil: Pupil | str | None) -> tuple[int, int]:
    """Which of an utterance's words were written for the name: (first, last); last < first: none."""
    words = [w.word for w in said]
    if pupil is not None:
        spellings_ = spellings(pupil) if isinstance(pupil, Pupil) else (pupil,)
        found = max((best_place(words, sp, False) for sp in spellings_), default=(0.0, 0, -1))
        if found[0] >= LIKE_ENOUGH:
            return found[1], found[2]
    marked = [k for k, w in enumerate(said) if w.role == "name"]
    if marked and not all(letters(words[k]) in AROUND_NAMES for k in marked):
        return marked[0], marked[-1]  # the app's own guess at the name, unless it took "Over" for one
    first, last = 0, len(words) - 1
    while first <= last and letters(words[first]) in AROUND_NAMES:
        first += 1
    while last >= first and letters(words[last]) in AROUND_NAMES:
        last -= 1
    return first, last  # last < first: every word was said around the name, none for it


def learnt_sound(audio: np.ndarray, result: StoredResult | Mapping[str, Any],
                 pupil: Pupil | str | None = None) -> LearntSound | None:
    """The rep's name piece (name_piece) as a learnt sound: what Whisper wrote there and that piece
    of `audio` (float32 mono 16 kHz, the rep's recording) as 16-bit PCM; None when nothing was said
    after the question. `pupil`: who the coach says was named."""
    found = name_piece(result, pupil)
    if found is None:
        return None
    start, end, heard = found
    piece = audio[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]
    if piece.size == 0:
        return None
    pcm = (np.clip(piece, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return LearntSound(heard.strip(), pcm)


def samples_of(sound: LearntSound) -> np.ndarray:
    """A learnt sound's piece as float32 samples at 16 kHz."""
    return np.frombuffer(sound.pcm, dtype="<i2").astype(np.float32) / 32768.0
