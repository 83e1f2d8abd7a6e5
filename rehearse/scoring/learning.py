"""Learning a name the way this teacher says it, from one scored rep.

Teachers say their pupils' names correctly and the same way every time; tiny.en does not know most
of them ("Kida" for Caoimhe). When the coach says in one tap who was named in a rep the app got
unclear or wrong, the rep's *name piece* (the stretch of the recording where the name was said
after the wait, and what Whisper wrote there) is kept as how this teacher says this pupil's name
(a `names.LearntSound`); the next reps of the same teacher are scored with it (naming.py: the
learnt spelling in the forced choice, and the piece matched by sound). Nothing here is stored:
the store keeps the pieces per teacher and pupil (store/learnt.py).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .audio import SAMPLE_RATE
from .names import LearntSound
from .stored import StoredResult

# A name piece is the words written for the name, widened by this much each side (word times are
# only rough: Whisper places edges 0.2-0.5 s off), inside the utterance that holds them.
WIDEN_S = 0.25
MAX_PIECE_S = 2.5  # the most audio kept for one learnt name (a name takes ~0.3-1 s to say)


def name_piece(result: StoredResult | Mapping[str, Any]) -> tuple[float, float, str] | None:
    """Where in a scored rep the name after the wait was said: (start, end, what Whisper wrote),
    in seconds of the recording; None when nothing was said after the question.

    The words written for the name (role "name"), widened by WIDEN_S within their utterance; where
    the app heard no name, the first utterance after the question (the name the coach says was
    said is in it), its first MAX_PIECE_S. A result as stored or as `Result.to_dict` gives it."""
    stored = result if isinstance(result, StoredResult) else StoredResult.from_json(dict(result))
    named = [w for w in stored.words if w.role == "name"]
    utterances = stored.utterances
    if named:
        holder = next((u for u in utterances if u.start - WIDEN_S <= named[0].start < u.end + WIDEN_S), None)
        low, high = (holder.start, holder.end) if holder else (named[0].start - WIDEN_S, named[-1].end + WIDEN_S)
        start = max(named[0].start - WIDEN_S, low)
        end = min(named[-1].end + WIDEN_S, high, start + MAX_PIECE_S)
        return round(start, 3), round(end, 3), " ".join(w.word for w in named)
    question_end = stored.metrics.question_end_s
    name_at = stored.metrics.name_start_s
    after = [u for u in utterances if question_end is not None and u.start > question_end - 1e-3]
    if name_at is not None:
        after = [u for u in after if u.start >= name_at - 1e-3] or after
    if not after:
        return None
    u = after[0]
    end = min(u.end, u.start + MAX_PIECE_S)
    heard = " ".join(w.word for w in stored.words if u.start - 1e-3 <= (w.start + w.end) / 2 <= end + 1e-3)
    return round(u.start, 3), round(end, 3), heard


def learnt_sound(audio: np.ndarray, result: StoredResult | Mapping[str, Any]) -> LearntSound | None:
    """The rep's name piece (name_piece) as a learnt sound: what Whisper wrote there and that piece
    of `audio` (float32 mono 16 kHz, the rep's recording) as 16-bit PCM; None when nothing was said
    after the question."""
    found = name_piece(result)
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
