"""Export resemblyzer's speaker encoder weights for rehearse/observe/voice_encoder.py (run once).

The default install has no torch; this script runs in a throwaway venv that has it:
    python3 -m venv /tmp/rz && /tmp/rz/bin/pip install torch==2.13.0 resemblyzer "setuptools<81"
(webrtcvad, which resemblyzer imports, still needs pkg_resources)
    PYTHONPATH=. /tmp/rz/bin/python benchmarks/export_voice_encoder.py
It writes rehearse/observe/voice_encoder.npz (the LSTM and linear weights as float16; the training
step, the optimiser's state and the similarity scale are left out), then checks on the voice test
clips that the numpy front end gives librosa's mel spectra and that the numpy forward pass with
the float16 weights gives resemblyzer's embeddings (cosine > 0.99 for every 1.6 s partial, and
for every utterance embedding). Exits non-zero if not.

resemblyzer and its weights: Apache License 2.0, Copyright (c) 2019 Resemble AI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLIPS = ROOT / "tests" / "clips" / "voices"


def export() -> Path:
    import resemblyzer
    import torch

    from rehearse.observe.voice_encoder import WEIGHTS

    source = Path(resemblyzer.__file__).parent / "pretrained.pt"
    state = torch.load(source, map_location="cpu")["model_state"]
    kept = {k: v.numpy().astype(np.float16) for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    np.savez_compressed(WEIGHTS, **kept)
    print(f"{source} ({source.stat().st_size / 1e6:.1f} MB) -> {WEIGHTS} ({WEIGHTS.stat().st_size / 1e6:.2f} MB), "
          f"{sum(v.size for v in kept.values()) / 1e6:.2f} M parameters")
    return WEIGHTS


def check() -> bool:
    import librosa
    import torch
    from resemblyzer import VoiceEncoder, audio as rz_audio

    from rehearse.observe import voice_encoder
    from rehearse.observe.voice_features import mel_power

    encoder = VoiceEncoder("cpu", verbose=False)
    spans = json.loads((CLIPS / "sentences.json").read_text())
    worst_mel = worst_partial = worst_utterance = 1.0
    for name, sentences in spans.items():
        wav, _ = librosa.load(str(CLIPS / f"{name}.flac"), sr=16000)
        for a, b in sentences:
            said = rz_audio.normalize_volume(wav[a:b], -30, increase_only=True).astype(np.float32)
            theirs_mel = rz_audio.wav_to_mel_spectrogram(said)
            ours_mel = mel_power(said)
            error = np.abs(theirs_mel - ours_mel).max() / theirs_mel.max()
            worst_mel = min(worst_mel, 1 - float(error))
            _, slices = encoder.compute_partial_slices(len(said), 1.3, 0.75)
            padded = np.pad(said, (0, max(0, slices[-1].stop * 160 - len(said))))
            mels = rz_audio.wav_to_mel_spectrogram(padded)
            batch = np.array([mels[s] for s in slices])
            with torch.no_grad():
                theirs = encoder(torch.from_numpy(batch)).numpy()
            ours = voice_encoder.embed(np.array([mel_power(padded)[s] for s in slices]))
            worst_partial = min(worst_partial, float(np.min(np.sum(theirs * ours, axis=1))))
            utterance_theirs = encoder.embed_utterance(said)
            mean = ours.mean(axis=0)
            worst_utterance = min(worst_utterance, float(mean @ utterance_theirs / np.linalg.norm(mean)))
    print(f"mel spectra: largest difference {1 - worst_mel:.2e} of the largest value")
    print(f"embeddings, numpy (float16 weights) vs torch: lowest cosine per partial {worst_partial:.5f}, "
          f"per utterance {worst_utterance:.5f}")
    return worst_partial > 0.99 and worst_utterance > 0.99


if __name__ == "__main__":
    export()
    sys.exit(0 if check() else 1)
