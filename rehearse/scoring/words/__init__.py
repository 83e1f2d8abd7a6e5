"""Stage 3, words: what was said, by Whisper — the speech-to-text engines (`--engine`).

- base.py: what every engine shares: the `Word`, the `Transcriber` that joins the speech segments
  and drops invented words, the `WordCache` of words worked out while a rep is recorded;
- faster.py: the default engine, faster-whisper (CTranslate2, no torch), and the bundled speech model;
- openai.py: the second engine, openai-whisper (PyTorch), with checkpoint.py, which makes its
  checkpoint from the bundled speech model so that it works offline.

`make_transcriber` chooses one; each engine is imported only when chosen (openai-whisper needs
the optional extra). May import: the scoring stages below it (audio, speech, interrupt) and errors.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ...errors import SpeechModelError

if TYPE_CHECKING:
    from .base import Transcriber

ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_ENGINE = "faster-whisper"


def make_transcriber(engine: str = DEFAULT_ENGINE, speech_model: str | os.PathLike | None = None,
                     speech_models_dir: str | os.PathLike | None = None) -> Transcriber:
    """The words stage on the chosen engine. `speech_models_dir`: where openai-whisper's checkpoint,
    converted from the bundled speech model, is kept (the instance folder's speech-models/)."""
    if engine == "faster-whisper":
        from .faster import FasterTranscriber

        return FasterTranscriber(speech_model)
    if engine == "openai-whisper":
        from .openai import OpenAITranscriber

        return OpenAITranscriber(speech_model, speech_models_dir)
    raise SpeechModelError(f"unknown engine {engine!r}: choose {' or '.join(ENGINES)}")
