"""The words stage on openai-whisper (PyTorch), the second engine: `--engine openai-whisper`.

Only how the words are heard differs from the default engine (faster.py): the same speech
segments are joined the same way, the same prompt is given (the roster and key words first, as
faster-whisper puts its hotwords, then the verbatim prompt), decoding is greedy at temperature 0
with word timestamps, and the words go back into the same timeline and criteria code.

Weights are found offline, in this order:
1. `--speech-model`: an openai-whisper checkpoint (.pt), or a CTranslate2 model folder to convert,
   or a speech model name (`tiny.en`, `base.en`) — taken from whisper's cache, and downloaded only then,
   because it was asked for by name, where the network allows;
2. whisper's own cache (`~/.cache/whisper/tiny.en.pt`), when someone already has it;
3. a checkpoint converted once from the bundled CTranslate2 tiny.en (checkpoint.py), kept in the
   instance folder's speech-models/ and reused after (one an older version kept in the folder's
   old name, models/, is moved there first: it is not converted again).

Needs the optional extra: `pip install -e '.[openai]'` (openai-whisper with torch 2.13.0, CPU).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ...errors import SpeechModelError
from ..interrupt import point
from .base import LOG_FLOOR, MIN_SCORED_S, SCORE_BATCH, VERBATIM_PROMPT, Transcriber, batches, pad_to
from .faster import find_speech_model

DEFAULT_NAME = "tiny.en"
OLD_FOLDER = "models"  # the instance folder's speech-models/ as it was called before issue 30
INSTALL = "install it with `.venv/bin/pip install -e '.[openai]'` (openai-whisper and torch 2.13.0 for the CPU)"


def _whisper():
    try:
        import whisper
    except ImportError:
        raise SpeechModelError(f"the openai-whisper engine is not installed: {INSTALL}") from None
    return whisper


def whisper_cache() -> Path:
    """Where openai-whisper keeps the checkpoints it downloads."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "whisper"


def converted_path(speech_models_dir: str | os.PathLike, ct2_folder: str | os.PathLike) -> Path:
    """Where the checkpoint converted from a CTranslate2 model folder is kept: named after the
    speech model (the bundled one's folder is just called "model")."""
    folder = Path(ct2_folder).resolve()
    bundled = folder == Path(find_speech_model(None)).resolve()
    return Path(speech_models_dir) / f"{DEFAULT_NAME if bundled else folder.name}-converted.pt"


def find_checkpoint(explicit: str | os.PathLike | None, speech_models_dir: str | os.PathLike | None) -> str:
    """The checkpoint file to load (converting the bundled speech model first if that is what there
    is), or a speech model name for openai-whisper to download (only when `explicit` names one)."""
    if speech_models_dir is not None:
        move_old_checkpoints(Path(speech_models_dir))
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file():
            return str(path)
        if (path / "model.bin").is_file():
            return str(convert_once(path, speech_models_dir or path.parent))
        name = str(explicit)
        if name in _whisper().available_models():
            cached = whisper_cache() / f"{name}.pt"
            return str(cached) if cached.is_file() else name
        raise SpeechModelError(f"{explicit}: not an openai-whisper checkpoint (.pt), a CTranslate2 model folder, "
                               f"or a speech model name ({', '.join(_whisper().available_models())})")
    cached = whisper_cache() / f"{DEFAULT_NAME}.pt"
    if cached.is_file():
        return str(cached)
    if speech_models_dir is None:
        raise SpeechModelError("no openai-whisper checkpoint: pass one with --speech-model, or give an instance "
                               "folder to keep the one converted from the bundled speech model")
    return str(convert_once(Path(find_speech_model(None)), speech_models_dir))


_converting = threading.Lock()


def move_old_checkpoints(speech_models_dir: Path) -> None:
    """Checkpoints converted into the folder's old name (the sibling models/) moved into it, so
    that none is converted again; the old folder goes once it is empty (anything else stays)."""
    old = speech_models_dir.parent / OLD_FOLDER
    if not old.is_dir():
        return
    with _converting:
        for checkpoint in old.glob("*-converted.pt"):
            speech_models_dir.mkdir(parents=True, exist_ok=True)
            if not (speech_models_dir / checkpoint.name).exists():
                os.replace(checkpoint, speech_models_dir / checkpoint.name)
        try:
            old.rmdir()
        except OSError:  # not empty: what else is there is not ours to move
            pass


# openai-whisper installs hooks on the shared model for each decoding (its key/value cache, the
# attention weights for word timestamps): two decodings at once would mix them up.
_decoding = threading.Lock()


def convert_once(ct2_folder: Path, speech_models_dir: str | os.PathLike) -> Path:
    """The openai-whisper checkpoint of a CTranslate2 model folder: converted the first time
    (a few seconds), then reused while it is newer than the speech model it came from."""
    from .checkpoint import convert, save_checkpoint

    target = converted_path(speech_models_dir, ct2_folder)
    with _converting:
        source = ct2_folder / "model.bin"
        if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
            save_checkpoint(convert(ct2_folder), target)
    return target


@lru_cache(maxsize=2)
def load_checkpoint(where: str):
    """Load an openai-whisper model once per process, on the CPU, in float32, with its alignment
    heads (the ones stored in the checkpoint, else whisper's own for a known model name)."""
    whisper = _whisper()
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.set_num_threads(min(os.cpu_count() or 1, 4))
    if not Path(where).is_file():  # a speech model name, asked for explicitly: whisper downloads it
        try:
            return whisper.load_model(where, device="cpu")
        except Exception as exc:  # noqa: BLE001 - no network, a bad name: one line
            raise SpeechModelError(f"cannot load the openai-whisper model {where!r}: {exc}".splitlines()[0]) from None
    try:
        checkpoint = torch.load(where, map_location="cpu", weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file: one line
        raise SpeechModelError(f"cannot load the openai-whisper checkpoint {where}: {exc}".splitlines()[0]) from None
    heads = checkpoint.get("alignment_heads")
    if heads:
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    elif (name := Path(where).stem) in whisper._ALIGNMENT_HEADS:
        model.set_alignment_heads(whisper._ALIGNMENT_HEADS[name])
    return model.float().eval()


class OpenAITranscriber(Transcriber):
    """The words stage on openai-whisper; see the module's docstring."""

    def __init__(self, speech_model: str | os.PathLike | None = None,
                 speech_models_dir: str | os.PathLike | None = None, beam_size: int = 1):
        _whisper()  # not installed: say so now
        self.where = find_checkpoint(speech_model, speech_models_dir)
        self.beam_size = beam_size

    @property
    def speech_model(self):
        return load_checkpoint(self.where)

    def recognise(self, joined: np.ndarray, hotwords: Sequence[str],
                  max_tokens: int) -> list[tuple[str, float, float, float]]:
        prompt = (", ".join(hotwords) + " " + VERBATIM_PROMPT) if hotwords else VERBATIM_PROMPT
        with _decoding:
            found = _whisper().transcribe(
                self.speech_model, joined, language="en", temperature=0.0, word_timestamps=True,
                condition_on_previous_text=False, initial_prompt=prompt, fp16=False,
                beam_size=None if self.beam_size == 1 else self.beam_size, sample_len=max_tokens)
        return [(w["word"], w["start"], w["end"], w["probability"])
                for segment in found["segments"] for w in segment.get("words", [])]

    def tokens_in(self, text: str) -> int:
        tokenizer = _whisper().tokenizer.get_tokenizer(self.speech_model.is_multilingual, language="en", task="transcribe")
        return len(tokenizer.encode(" " + text))

    def decode(self, piece: np.ndarray, prompt: str, max_tokens: int) -> str:
        with _decoding:
            found = _whisper().transcribe(
                self.speech_model, piece, language="en", temperature=0.0, condition_on_previous_text=False,
                initial_prompt=prompt, fp16=False, without_timestamps=True, sample_len=max_tokens,
                beam_size=None if self.beam_size == 1 else self.beam_size)
        return found["text"].strip()

    def text_scores(self, piece: np.ndarray, texts: Sequence[str]) -> list[float]:
        """As the default engine's: each text's mean log-probability per token for `piece`, from one
        teacher-forced pass of the decoder per SCORE_BATCH texts, on the encoding of the piece alone (as
        CTranslate2 encodes it, not padded to 30 s)."""
        if not texts:
            return []
        whisper = _whisper()
        import torch

        model = self.speech_model
        tokenizer = whisper.tokenizer.get_tokenizer(model.is_multilingual, language="en", task="transcribe")
        prefix = list(tokenizer.sot_sequence_including_notimestamps)
        samples = torch.from_numpy(pad_to(piece, MIN_SCORED_S).astype(np.float32))
        mel = whisper.log_mel_spectrogram(samples, model.dims.n_mels)[:, : 2 * (len(samples) // 320)]
        scores = []
        with _decoding, torch.no_grad():
            audio = encode_short(model, mel.unsqueeze(0))
            for batch in batches(texts, SCORE_BATCH):  # the logits span the vocabulary: ~4 MB a token
                point()  # work ahead gives way to a stopped rep here (interrupt.py)
                rows = [tokenizer.encode(text) + [tokenizer.eot] for text in batch]
                width = max(map(len, rows))
                tokens = torch.tensor([prefix + row + [tokenizer.eot] * (width - len(row)) for row in rows])
                logp = torch.log_softmax(model.logits(tokens, audio.expand(len(rows), -1, -1)).float(), dim=-1)
                for k, row in enumerate(rows):
                    # The log-probability of each text token, predicted from the position before it;
                    # the end-of-text token is left out, as CTranslate2's align leaves it out.
                    at = torch.arange(len(prefix) - 1, len(prefix) - 1 + len(row) - 1)
                    scores.append(float(logp[k, at, torch.tensor(row[:-1])].clamp(min=LOG_FLOOR).mean()))
        return scores


def encode_short(model, mel):
    """whisper's audio encoder on fewer than its 3000 mel frames (a few seconds): the same layers,
    with the positional embedding cut to the length. whisper's own `embed_audio` insists on 30 s,
    which costs ~10 times as much for a 2 s piece."""
    import torch.nn.functional as F

    encoder = model.encoder
    x = F.gelu(encoder.conv2(F.gelu(encoder.conv1(mel)))).permute(0, 2, 1)
    x = x + encoder.positional_embedding[: x.shape[1]]
    for block in encoder.blocks:
        x = block(x)
    return encoder.ln_post(x)
