"""The classroom of a labelled lesson stretch (benchmarks/lesson_set.py): pupils' voices made younger,
farther and quieter, and the room around the speech — a murmur of several distant children's voices
at a low level, chair scrapes, knocks and room tone. Built in 30 s blocks so that a 30-minute
lesson stays within a few hundred MB. The noise functions are labelled_set's (imported).
"""

from __future__ import annotations

import numpy as np

from benchmarks.labelled_set import SR, babble_track, coloured_noise, fft_filter, hum, knock, lowpass, reverb, unit

ROOMS = {  # murmur and room tone in dB below the teacher's speech RMS; events per minute
    "calm": {"murmur_db": (34, 40), "tone_db": (42, 50), "scrapes": (0.5, 1.5), "knocks": (0.3, 1.0)},
    "busy": {"murmur_db": (28, 34), "tone_db": (38, 46), "scrapes": (1.5, 3.0), "knocks": (1.0, 2.0)},
    "lively": {"murmur_db": (24, 29), "tone_db": (36, 42), "scrapes": (2.0, 4.0), "knocks": (1.0, 3.0)},
}
BLOCK = 30 * SR
FADE = SR // 20


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)) + 1e-12)


def pitch_up(x: np.ndarray, semitones: float) -> np.ndarray:
    """Higher and a little faster (formants move too: a younger voice), by resampling."""
    f = 2 ** (semitones / 12)
    n = int(len(x) / f)
    return np.interp(np.arange(n) * f, np.arange(len(x)), x).astype(np.float32)


def pupil_voice(raw: np.ndarray, shift: dict, target_rms: float, rng) -> tuple[np.ndarray, int]:
    """A pupil's line made younger (pitch), farther (low-pass, reverberation) and quieter (its RMS over
    the speech is target_rms). Returns the audio with its reverberant tail and the dry length (the
    labelled span)."""
    dry = pitch_up(raw, shift["semitones"])
    padded = np.concatenate([dry, np.zeros(int(shift["rt60_s"] * SR), np.float32)])
    wet = reverb(lowpass(padded, shift["lowpass_hz"]), shift["rt60_s"], float(rng.uniform(-4, 0)), rng)
    wet *= target_rms / rms(wet[: len(dry)])
    return wet.astype(np.float32), len(dry)


def murmur_pool(sentences: list[np.ndarray], rng) -> list[np.ndarray]:
    """The murmur's sentences (said by 3-5 talkers at once, labelled_set.babble_track): children
    (pitched up 3-6 semitones) far off (low-pass 2.5-3.5 kHz, reverberation)."""
    out = []
    for x in sentences:
        y = pitch_up(x, float(rng.uniform(3, 6)))
        y = np.concatenate([y, np.zeros(int(0.6 * SR), np.float32)])
        y = reverb(lowpass(y, float(rng.uniform(2500, 3500))), float(rng.uniform(0.5, 0.9)), -6.0, rng)
        out.append(unit(y))
    return out


def add_in_blocks(out: np.ndarray, make, gain: float) -> None:
    """Add to `out` a long noise made of 30 s blocks, `make(length)` each (unit RMS), times `gain`, the
    blocks joined by 50 ms equal-power crossfades; a block at a time, so memory stays bounded."""
    n = len(out)
    ramp = np.sqrt(np.linspace(0, 1, FADE, dtype=np.float32))
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK + FADE, n)
        seg = np.asarray(make(b - a), dtype=np.float32) * np.float32(gain)
        if a > 0:
            seg[:FADE] *= ramp[: len(seg)]
        if b < n:
            seg[-FADE:] *= ramp[::-1]
        out[a:b] += seg


def scrape(rng, peak: float) -> np.ndarray:
    """A chair scraping the floor: band-passed noise, stick-slip amplitude wobble, 0.25-0.9 s."""
    n = int(rng.uniform(0.25, 0.9) * SR)
    lo, hi = float(rng.uniform(200, 500)), float(rng.uniform(1200, 3000))
    x = fft_filter(rng.standard_normal(n), lambda f: ((f > lo) & (f < hi)).astype(float))
    t = np.arange(n) / SR
    wobble = 0.55 + 0.45 * np.sin(2 * np.pi * rng.uniform(15, 45) * t + rng.uniform(0, 6.3))
    env = np.minimum(1, np.minimum(t / 0.05, (t[-1] - t) / 0.08))
    y = x * wobble * env
    return (y / np.abs(y).max() * peak).astype(np.float32)


def add_events(out: np.ndarray, rng, per_min: tuple, maker, peak: tuple, ref: float) -> list:
    """Add to `out` sounds from `maker` scattered over the lesson, `per_min` a minute, `peak` x ref high;
    returns their [start, end] in s."""
    n = len(out)
    spots = []
    count = int(round(rng.uniform(*per_min) * n / SR / 60))
    for _ in range(count):
        x = maker(rng, ref * float(rng.uniform(*peak)))
        a = int(rng.integers(0, max(1, n - len(x))))
        out[a: a + len(x)] += x[: n - a]
        spots.append([round(a / SR, 4), round(min(a + len(x), n) / SR, 4)])
    return sorted(spots)


def apply_classroom(dry: np.ndarray, room: str, teacher_rms: float, teacher_peak: float,
                    pool: list[np.ndarray], rng) -> tuple[np.ndarray, dict]:
    """The lesson's speech in its room; returns the mix (peak at most 0.95) and the room's detail."""
    spec = ROOMS[room]
    murmur_db, tone_db = float(rng.uniform(*spec["murmur_db"])), float(rng.uniform(*spec["tone_db"]))
    slope, share = float(rng.choice([1.0, 2.0])), float(rng.uniform(0.2, 0.5))
    mix = dry.astype(np.float32)  # a copy: the room is added in place, block by block
    add_in_blocks(mix, lambda k: babble_track(k, rng, pool), teacher_rms * 10 ** (-murmur_db / 20))
    add_in_blocks(mix, lambda k: unit((1 - share) * coloured_noise(k, rng, slope) + share * hum(k, rng)),
                  teacher_rms * 10 ** (-tone_db / 20))
    scrape_spots = add_events(mix, rng, spec["scrapes"], scrape, (0.05, 0.3), teacher_peak)
    knock_spots = add_events(mix, rng, spec["knocks"], knock, (0.1, 0.6), teacher_peak)
    peak = float(np.abs(mix).max())
    if peak > 0.95:
        mix *= np.float32(0.95 / peak)
    detail = {"murmur_below_db": round(murmur_db, 1), "tone_below_db": round(tone_db, 1),
              "tone": "pink" if slope == 1 else "brown", "scrapes": scrape_spots, "knocks": knock_spots}
    return np.clip(mix, -1, 1, out=mix), detail
