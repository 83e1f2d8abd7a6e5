"""The teacher's voice as their rehearsal reps give it: the speech of their scored reps, newest
first, up to a few minutes, enrolled by the engine (observe/voices.py) to tell their speech from
other voices in a lesson. A teacher with no reps yet has none: the engine then takes the lesson's
dominant near voice."""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np

from ..errors import AudioError
from ..observe.voices import VoiceProfile, enrol
from ..scoring.audio import SAMPLE_RATE, load_audio
from ..store.database import Store

MAX_ENROL_S = 240.0  # this much of the teacher's speech is plenty to know the voice by
MAX_REPS = 40
PAD_S = 0.05  # around each utterance the rep's result holds

def teacher_voice(store: Store, teacher_id: int) -> VoiceProfile | None:
    """The teacher's voice from their scored reps' utterances; None if they have no usable reps."""
    rows = store.query_all(
        "SELECT a.audio_path, a.result FROM attempts a JOIN sessions s ON s.id = a.session_id"
        " WHERE s.teacher_id = ? AND a.status = 'scored' ORDER BY a.created_at DESC, a.id DESC LIMIT ?",
        teacher_id, MAX_REPS)
    pieces: list[np.ndarray] = []
    total = 0.0
    for row in rows:
        if total >= MAX_ENROL_S:
            break
        spans = _utterances(row["result"])
        if not spans:
            continue
        try:
            audio = load_audio(store.recording_at(row["audio_path"]), max_s=max(e for _, e in spans) + 1)
        except (AudioError, OSError, ValueError):
            continue  # a rep's recording deleted or damaged: the others are enough
        for start, end in spans:
            piece = audio[int(max(start - PAD_S, 0) * SAMPLE_RATE): int((end + PAD_S) * SAMPLE_RATE)]
            if len(piece) >= SAMPLE_RATE // 4:
                pieces.append(piece)
                total += len(piece) / SAMPLE_RATE
    return enrol(pieces) if pieces else None

def _utterances(result_json: str | None) -> Sequence[tuple[float, float]]:
    """The (start, end) of each utterance a stored result holds (the teacher's speech in a rep)."""

    try:
        data = json.loads(result_json or "{}")
        return [(float(u["start"]), float(u["end"])) for u in data.get("utterances", [])
                if float(u["end"]) > float(u["start"])]
    except (ValueError, TypeError, KeyError, AttributeError):
        return []
