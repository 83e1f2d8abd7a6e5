"""A speaker encoder in numpy: resemblyzer's voice encoder, run without torch.

The network is resemblyzer's (Resemble AI, after Wan et al. 2018, "Generalized end-to-end loss for
speaker verification"): three LSTM layers of 256 over 40 mel bands (power, not log) of 10 ms frames,
a linear layer and a ReLU, L2-normed: a 256-d embedding of 1.6 s of speech (160 frames) in which
one speaker's stretches lie close together. Its weights ship beside this module as
voice_encoder.npz (float16, ~2.8 MB), exported once from the `resemblyzer` 0.1.4 package's
pretrained.pt by benchmarks/export_voice_encoder.py, which also checks that this forward pass and
this front end (voice_features.mel_power: librosa's mel bands, reproduced) give the same embeddings
as resemblyzer with torch and librosa.

License: resemblyzer and its pretrained weights are under the Apache License 2.0,
Copyright (c) 2019 Resemble AI (https://github.com/resemble-ai/Resemblyzer); the weights file is a
conversion of theirs (float32 to float16, the same values otherwise), redistributed under that
license. No file of theirs is changed; the forward pass is written anew here.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .voice_features import mel_power

WEIGHTS = Path(__file__).with_name("voice_encoder.npz")
PARTIAL_FRAMES = 160  # the 1.6 s the encoder was trained on
TARGET_DBFS = -30.0  # resemblyzer's preprocess_wav: quiet speech raised to this level (never lowered)
BATCH = 64

_lock = threading.Lock()
_weights: dict[str, np.ndarray] | None = None


def weights() -> dict[str, np.ndarray]:
    """The encoder's weights as float32, loaded once."""
    global _weights
    with _lock:
        if _weights is None:
            with np.load(WEIGHTS) as data:
                _weights = {k: data[k].astype(np.float32) for k in data.files}
        return _weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow, and one call


def embed(mels: np.ndarray) -> np.ndarray:
    """(batch, frames, 40) mel power -> (batch, 256) L2-normed embeddings (the last hidden state)."""
    w = weights()
    x = np.ascontiguousarray(mels.transpose(1, 0, 2), dtype=np.float32)  # time first
    steps, batch, _ = x.shape
    for layer in range(3):
        w_ih, w_hh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
        bias = w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
        # the input's part of the gates for every step at once; the loop only adds the recurrence
        gates_in = (x.reshape(steps * batch, -1) @ w_ih.T + bias).reshape(steps, batch, -1)
        w_hh_t = np.ascontiguousarray(w_hh.T)
        h = np.zeros((batch, 256), dtype=np.float32)
        c = np.zeros((batch, 256), dtype=np.float32)
        out = np.empty((steps, batch, 256), dtype=np.float32)
        for t in range(steps):
            gates = gates_in[t] + h @ w_hh_t
            i, f = _sigmoid(gates[:, :256]), _sigmoid(gates[:, 256:512])  # PyTorch's order: i, f, g, o
            g, o = np.tanh(gates[:, 512:768]), _sigmoid(gates[:, 768:])
            c = f * c + i * g
            h = o * np.tanh(c)
            out[t] = h
        x = out
    raw = np.maximum(h @ w["linear.weight"].T + w["linear.bias"], 0.0)
    return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-8)


def raised(audio: np.ndarray) -> np.ndarray:
    """resemblyzer's volume normalisation: quiet audio raised to -30 dBFS, loud audio left alone."""
    rms = np.sqrt(np.mean(np.square(audio, dtype=np.float64))) if len(audio) else 0.0
    if rms <= 0:
        return audio
    change = TARGET_DBFS - 20 * np.log10(rms)
    return audio if change < 0 else (audio * 10 ** (change / 20)).astype(np.float32)


def windows(mel: np.ndarray, centres: Sequence[int]) -> list[np.ndarray]:
    """1.6 s windows of one stretch's mel frames, each around a centre frame and moved to lie
    inside the stretch; a stretch shorter than 1.6 s is padded with silence (zeros), as
    resemblyzer pads its last partial."""
    if len(mel) < PARTIAL_FRAMES:
        mel = np.pad(mel, ((0, PARTIAL_FRAMES - len(mel)), (0, 0)))
    starts = [min(max(0, c - PARTIAL_FRAMES // 2), len(mel) - PARTIAL_FRAMES) for c in centres]
    return [mel[s: s + PARTIAL_FRAMES] for s in starts]


def embed_all(batch: Sequence[np.ndarray]) -> np.ndarray:
    """Embeddings of any number of 160-frame windows, BATCH at a time."""
    if not len(batch):
        return np.zeros((0, 256), dtype=np.float32)
    return np.concatenate([embed(np.stack(batch[i: i + BATCH])) for i in range(0, len(batch), BATCH)])


class EncoderVoices:
    """Embeddings per block; a voice is the mean direction of its blocks; scores are cosines."""

    name = "encoder"
    scale = 20.0  # cosines differ by 0.05-0.3 between voices: this puts them on the level cue's scale
    # Two voices' blocks differ in cosine to the enrolled voice by 0.2-0.4 on the dev lessons; one
    # voice's blocks (a lesson with no other voice) spread over less than 0.1.
    separation = 0.12

    def frames(self, audio: np.ndarray) -> np.ndarray:
        return mel_power(raised(np.asarray(audio, dtype=np.float32)))

    def normalise(self, all_frames):
        return list(all_frames)

    def represent(self, stretches) -> list[np.ndarray]:
        """One embedding per block: of the 1.6 s around the block's middle, inside its stretch."""
        batch = [w for frames, blocks in stretches for w in windows(frames, [(lo + hi) // 2 for lo, hi in blocks])]
        return list(embed_all(batch))

    def fit(self, reprs):
        mean = np.mean(np.stack(list(reprs)), axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-8)

    def score(self, model, reprs) -> np.ndarray:
        if not len(reprs):
            return np.zeros(0)
        return np.stack(list(reprs)) @ model

    def model_bytes(self, model) -> bytes:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(model, dtype=np.float32))
        return buffer.getvalue()

    def model_from_bytes(self, data: bytes):
        return np.load(io.BytesIO(data))
