"""The baseline way to know a voice: cepstra (MFCC + deltas) and a Gaussian mixture model of them.

The classic text-independent speaker check (Reynolds et al. 2000): a mixture of Gaussians fitted to
a voice's cepstral frames; a stretch belongs to the voice whose mixture explains its frames better.
Each recording's cepstral mean is taken out first (the microphone and the room colour every frame
alike; the rehearsal's microphone is not the lesson's). Frames more than 35 dB under the loud part
are left out: between words there is only the room. Kept runnable as `--method gmm` in
benchmarks/voice_check.py, which measured it against the speaker encoder (voice_encoder.py).
"""

from __future__ import annotations

import io
import warnings
from typing import Sequence

import numpy as np

from .voice_features import deltas, frame_db, mfcc

COMPONENTS = 16
QUIET_DB = 35.0
SCORE_SCALE = 1.0  # mean log-likelihood ratios per frame are already in nats, around +-1..3


class GmmVoices:
    """MFCC frames, a mixture per voice, scores in mean log-likelihood per frame."""

    name = "gmm"
    context = 25  # frames: a block is heard with a quarter second either side
    scale = SCORE_SCALE
    # Under the enrolled model, the teacher's blocks and a pupil's differ by ~20 nats per frame
    # on the dev lessons (medians); one voice's blocks spread over less than 10.
    separation = 10.0

    def frames(self, audio: np.ndarray) -> np.ndarray:
        """(frames, 38) cepstra and their deltas, 10 ms apart; quiet frames are marked NaN."""
        ceps = mfcc(audio)
        feats = np.concatenate([ceps, deltas(ceps)], axis=1)
        level = frame_db(audio)[: len(feats)]
        if len(level):
            feats[level < np.percentile(level, 95) - QUIET_DB] = np.nan
        return feats

    def normalise(self, all_frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Take out the recording's cepstral mean (the channel), over all its speech."""
        stacked = np.concatenate([f for f in all_frames if len(f)]) if any(len(f) for f in all_frames) else None
        if stacked is None:
            return list(all_frames)
        mean = np.nanmean(stacked, axis=0)
        mean[19:] = 0  # deltas carry no channel
        return [f - mean for f in all_frames]

    def represent(self, stretches: Sequence[tuple[np.ndarray, Sequence[tuple[int, int]]]]) -> list[np.ndarray]:
        """Each block's loud frames, with a little context either side (within its stretch)."""
        out = []
        for frames, blocks in stretches:
            for lo, hi in blocks:
                s = frames[max(0, lo - self.context): hi + self.context]
                out.append(s[~np.isnan(s).any(axis=1)])
        return out

    def fit(self, reprs: Sequence[np.ndarray]):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import GaussianMixture

        data = np.concatenate([r for r in reprs if len(r)])
        step = max(1, len(data) // 20000)  # two hundred seconds of frames are plenty
        model = GaussianMixture(COMPONENTS, covariance_type="diag", reg_covar=1e-2, max_iter=30,
                                random_state=0)
        with warnings.catch_warnings():  # a mixture not quite converged in 30 rounds is good enough here
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data[::step])
        return model

    def score(self, model, reprs: Sequence[np.ndarray]) -> np.ndarray:
        """Mean log-likelihood per frame of each representation under the model (-inf for none)."""
        lengths = [len(r) for r in reprs]
        if not sum(lengths):
            return np.full(len(reprs), -np.inf)
        per_frame = model.score_samples(np.concatenate([r for r in reprs if len(r)]))
        out, at = np.full(len(reprs), -np.inf), 0
        for i, n in enumerate(lengths):
            if n:
                out[i] = per_frame[at: at + n].mean()
                at += n
        return out

    def model_bytes(self, model) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, weights=model.weights_, means=model.means_, covariances=model.covariances_)
        return buffer.getvalue()

    def model_from_bytes(self, data: bytes):
        from sklearn.mixture import GaussianMixture

        arrays = np.load(io.BytesIO(data))
        model = GaussianMixture(len(arrays["weights"]), covariance_type="diag")
        model.weights_, model.means_, model.covariances_ = (arrays["weights"], arrays["means"],
                                                             arrays["covariances"])
        model.precisions_cholesky_ = 1.0 / np.sqrt(model.covariances_)
        return model
