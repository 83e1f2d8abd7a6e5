"""Stage 3, words: what was said, by Whisper — the speech-to-text engines (`--engine`).

- base.py: what every engine shares: the `Word`, the `Transcriber` that joins the speech segments
  and drops invented words, the `WordCache` of words worked out while a rep is recorded;
- faster.py: the default engine, faster-whisper (CTranslate2, no torch), and the bundled model;
- openai.py: the second engine, openai-whisper (PyTorch), with checkpoint.py, which makes its
  checkpoint from the bundled model so that it works offline.

`make_transcriber` chooses one; each engine is imported only when chosen (openai-whisper needs
the optional extra). May import: the scoring stages below it (audio, speech, interrupt) and errors.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ...errors import ModelError

if TYPE_CHECKING:
    from .base import Transcriber

ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_ENGINE = "faster-whisper"


def make_transcriber(engine: str = DEFAULT_ENGINE, model_path: str | os.PathLike | None = None,
                     models_dir: str | os.PathLike | None = None) -> Transcriber:
    """The words stage on the chosen engine. `models_dir`: where openai-whisper's checkpoint,
    converted from the bundled model, is kept (the instance folder's models/)."""
    if engine == "faster-whisper":
        from .faster import FasterTranscriber

        return FasterTranscriber(model_path)
    if engine == "openai-whisper":
        from .openai import OpenAITranscriber

        return OpenAITranscriber(model_path, models_dir)
    raise ModelError(f"unknown engine {engine!r}: choose {' or '.join(ENGINES)}")
