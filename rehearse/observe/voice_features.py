"""The sound of a voice as numbers: power spectra on mel bands, and cepstra (MFCC), in numpy alone.

Both ways of telling the teacher's voice from another (voice_gmm.py, voice_encoder.py) start here,
on 10 ms frames. The mel bands reproduce librosa's (Slaney's mel scale and area normalisation, a
centred STFT with zero padding, a periodic Hann window): the speaker encoder was trained on
librosa's, so any difference here would be a difference in what it hears. No librosa: it pulls in
numba and a long chain of packages for these few lines.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
HOP = 160  # 10 ms
WINDOW = 400  # 25 ms


def _hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    return np.where(log_part, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)


def _mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)


@lru_cache(maxsize=4)
def mel_filters(n_fft: int, n_mels: int) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) triangular filters, as librosa.filters.mel(sr=16000, norm='slaney')."""
    freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + n_fft // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    weights = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lower = -ramps[i] / widths[i]
        upper = ramps[i + 2] / widths[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2: n_mels + 2] - edges[:n_mels]))[:, None]
    return weights.astype(np.float32)


def power_spectrum(audio: np.ndarray, n_fft: int = WINDOW) -> np.ndarray:
    """(frames, 1 + n_fft // 2) power per 10 ms frame: a centred STFT, zero padded, Hann window."""
    audio = np.asarray(audio, dtype=np.float32)
    padded = np.pad(audio, n_fft // 2)
    count = 1 + (len(padded) - n_fft) // HOP if len(padded) >= n_fft else 0
    if count <= 0:
        return np.zeros((0, 1 + n_fft // 2), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::HOP][:count]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    spectrum = np.fft.rfft(frames * window, axis=1)
    return (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)


def mel_power(audio: np.ndarray, n_mels: int = 40) -> np.ndarray:
    """(frames, n_mels) mel-band power, as resemblyzer's wav_to_mel_spectrogram (librosa) makes it."""
    return power_spectrum(audio) @ mel_filters(WINDOW, n_mels).T


@lru_cache(maxsize=2)
def _dct(n_in: int, n_out: int) -> np.ndarray:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis.T.astype(np.float32)


def mfcc(audio: np.ndarray, n_mels: int = 40, n_ceps: int = 20) -> np.ndarray:
    """(frames, n_ceps - 1) cepstra c1.. (c0, the level, is left out: level is judged apart)."""
    log_mel = np.log(mel_power(audio, n_mels) + 1e-8)
    return (log_mel @ _dct(n_mels, n_ceps))[:, 1:]


def deltas(features: np.ndarray, reach: int = 2) -> np.ndarray:
    """Each frame's slope over +-reach frames (the usual regression), same shape as features."""
    if len(features) == 0:
        return features
    padded = np.pad(features, ((reach, reach), (0, 0)), mode="edge")
    n = len(features)
    out = sum(k * (padded[reach + k: reach + k + n] - padded[reach - k: reach - k + n]) for k in range(1, reach + 1))
    return (out / (2 * sum(k * k for k in range(1, reach + 1)))).astype(np.float32)


def frame_db(audio: np.ndarray) -> np.ndarray:
    """Each 10 ms frame's level in dB (RMS over its 25 ms window), aligned with the frames above."""
    power = power_spectrum(audio).sum(axis=1) / (WINDOW * WINDOW * 0.375 / 2)
    return (10 * np.log10(power + 1e-10)).astype(np.float32)
