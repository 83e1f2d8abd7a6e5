"""Calibration: how far the app's timing agrees with a coach who taps along.

A coach taps once when the question has ended and once when the pupil's name is said — live, while
a rep is recorded, or while a stored rep plays back. That is one *pass*. The page reports what its
clocks read at each tap, and `align_tap` turns the readings into seconds on the recording's own clock
(0 = the recording's first sample), correcting for the delay of the audio path itself:

- live: the page's clock counts the samples it has been given, and a sound reaches it only after the
  microphone's input latency, so the tap is moved *later* by that latency;
- playback: the page schedules audio ahead of the speaker by the output latency, so what the coach
  hears at a tap is that much *earlier* in the recording than what the page is playing.

The coach's own reaction time (about 0.2–0.3 s after the sound) is not corrected: it is part of what
the figures show. `rep_agreement` compares one rep's taps with what the app measured, and
`summarise` gives the figures over many reps: the median difference in the wait and the middle half
of the differences, how often the two agree on the verdict against the target, and how late and how
steady the taps are — the tapping's own precision, which is the person's, not the machine's.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import RehearseError
from ..scoring.stored import Metrics, StoredResult

MARKS = {"question_end": "the question's end", "name": "the name"}
CLOCKS = {"live": ("captured_s", "input_latency_s"), "playback": ("rendered_s", "output_latency_s")}
REACTION_S = (0.2, 0.3)  # a person's usual delay between hearing a sound and tapping
AGREE_WITHIN_S = 0.3  # a difference this small is within the precision of tapping by hand
MAX_LATENCY_S = 2.0  # an audio path slower than this is a broken reading, not a latency
TAP_SLACK_S = 1.0  # a tap may land a little after the end (the coach reacts to the last sound)

Band = tuple[float, float | None]


def align_tap(clock: str, reading: Mapping[str, Any]) -> float:
    """Seconds on the recording's clock for one tap, from the page's clock readings.

    live:     {"captured_s": recording time the page had reached, "input_latency_s": microphone's}
    playback: {"rendered_s": recording time the page was playing, "output_latency_s": speaker's}
    """
    if clock == "live":
        return _number(reading, "captured_s") + _latency(reading, "input_latency_s")
    if clock == "playback":
        return _number(reading, "rendered_s") - _latency(reading, "output_latency_s")
    raise RehearseError(f"unknown tap clock {clock!r}; expected one of: {', '.join(CLOCKS)}")


def tap_pass(source: str, taps: list[Mapping[str, Any]], duration_s: float | None) -> dict[str, Any]:
    """One pass of tapping as it is stored: each mark's time on the recording's clock, and the readings
    it came from (only those `align_tap` uses). Refuses, in one line, an unknown source or mark, a
    mark tapped twice, a pass with no tap, and a tap that falls outside the recording."""
    if not isinstance(source, str) or source not in CLOCKS:
        raise RehearseError(f"unknown tap source {source!r}; expected one of: {', '.join(CLOCKS)}")
    if not isinstance(taps, list) or not taps:
        raise RehearseError("no taps to keep: tap when the question ends (Q) and when the name is said (N)")
    end = duration_s if duration_s is not None else math.inf
    times: dict[str, float] = {}
    kept = []
    for tap in taps:
        mark = tap.get("mark") if isinstance(tap, Mapping) else None
        if not isinstance(mark, str) or mark not in MARKS:
            raise RehearseError(f"unknown tap mark {mark!r}; expected one of: {', '.join(MARKS)}")
        if mark in times:
            raise RehearseError(f"{mark!r} was tapped twice in one pass; keep the last tap only")
        reading = tap.get("clock")
        if not isinstance(reading, Mapping):
            raise RehearseError(f"the tap for {MARKS[mark]} has no clock readings; expected an object with "
                                f"{' and '.join(CLOCKS[source])}")
        at = align_tap(source, reading)
        if not 0 <= at <= end + TAP_SLACK_S:
            raise RehearseError(f"the tap for {MARKS[mark]} falls at {at:.2f} s, outside the recording "
                                f"(0–{end:.1f} s); tap again while it plays")
        times[mark] = round(min(at, end), 3)
        kept.append({"mark": mark, "clock": {k: reading[k] for k in CLOCKS[source] if k in reading}})
    return {"source": source, "question_end_s": times.get("question_end"), "name_s": times.get("name"),
            "clock": kept}


def band_view(band: Band | None) -> dict[str, float | None] | None:
    """A wait band as the pages and exports show it: {"min_s", "max_s"}, or None."""
    return None if band is None else {"min_s": band[0], "max_s": band[1]}


def in_band(wait_s: float | None, band: Band) -> bool:
    """Does a wait meet the target? No wait (no name after the question) does not."""
    low, high = band
    return wait_s is not None and wait_s >= low and (high is None or wait_s <= high)


def pass_wait(tapped: Mapping[str, Any]) -> float | None:
    """The wait a pass of taps measured: from the question's end to the name; None without both."""
    q, n = tapped.get("question_end_s"), tapped.get("name_s")
    return None if q is None or n is None else round(n - q, 3)


def rep_agreement(result: StoredResult | Mapping[str, Any] | None, passes: Sequence[Mapping[str, Any]],
                      band: Band | None) -> dict[str, Any] | None:
    """The coach's latest pass of taps against the app's measurement of the same rep; None if the rep
    has no taps. Differences are coach minus app, in seconds (positive: the coach heard it later).
    Earlier passes of the same rep show how far the coach's own tapping varies (`repeat_spread_s`).
    `result`: the rep's stored result, typed or as stored (its JSON); None if it is not scored."""
    if not passes:
        return None
    latest = passes[-1]
    if isinstance(result, Mapping):
        result = StoredResult.from_json(result) if result else None
    scored = result is not None
    metrics = result.metrics if scored else Metrics()
    app = {"question_end_s": metrics.question_end_s, "name_start_s": metrics.name_start_s,
           "wait_s": metrics.wait_time_s}
    coach = {"question_end_s": latest.get("question_end_s"), "name_s": latest.get("name_s"),
             "wait_s": pass_wait(latest)}
    waits = [w for w in (pass_wait(p) for p in passes) if w is not None]
    difference = _minus(coach["wait_s"], app["wait_s"]) if scored else None
    app_verdict = in_band(app["wait_s"], band) if band and scored else None
    coach_verdict = _coach_verdict(coach, band)
    return {
        "id": latest.get("id"), "source": latest.get("source"), "tapped_at": latest.get("tapped_at"),
        "passes": len(passes), "coach": coach, "app": app if scored else None,
        "difference_s": difference,
        "question_offset_s": _minus(coach["question_end_s"], app["question_end_s"]) if scored else None,
        "name_offset_s": _minus(coach["name_s"], app["name_start_s"]) if scored else None,
        "within_tolerance": None if difference is None else abs(difference) <= AGREE_WITHIN_S,
        "app_verdict": app_verdict,
        "coach_verdict": coach_verdict,
        "verdicts_agree": None if app_verdict is None or coach_verdict is None else app_verdict == coach_verdict,
        "repeat_spread_s": round(max(waits) - min(waits), 3) if len(waits) >= 2 else None,
        "band": band_view(band),
    }


def summarise(agreements: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """The figures over many tapped reps: how far apart the two waits are (median, middle half, and
    the 95% limits of agreement), how often the verdicts agree, and the taps' lag and spread."""
    tapped = [a for a in agreements if a]
    differences = [a["difference_s"] for a in tapped if a["difference_s"] is not None]
    verdicts = [a["verdicts_agree"] for a in tapped if a["verdicts_agree"] is not None]
    question_lags = [a["question_offset_s"] for a in tapped if a["question_offset_s"] is not None]
    name_lags = [a["name_offset_s"] for a in tapped if a["name_offset_s"] is not None]
    repeats = [a["repeat_spread_s"] for a in tapped if a["repeat_spread_s"] is not None]
    return {
        "tapped": len(tapped),
        "compared": len(differences),
        "median_difference_s": _median(differences),
        "middle_half_s": _quartiles(differences),
        "limits_s": _limits(differences),
        "within_tolerance": sum(abs(d) <= AGREE_WITHIN_S for d in differences),
        "verdicts_compared": len(verdicts),
        "verdicts_agree": sum(verdicts),
        "question_lag_s": _median(question_lags),
        "name_lag_s": _median(name_lags),
        "question_spread_s": _spread(question_lags),
        "name_spread_s": _spread(name_lags),
        "repeat_spread_s": _median(repeats),
        "repeated": len(repeats),
        "agree_within_s": AGREE_WITHIN_S,
        "reaction_s": list(REACTION_S),
    }


def _coach_verdict(coach: Mapping[str, Any], band: Band | None) -> bool | None:
    """The verdict the coach's taps give: both taps -> the wait against the band; a question end but
    no name tapped -> no pupil was named, so the wait was not met; otherwise none."""
    if band is None or coach["question_end_s"] is None:
        return None
    return in_band(coach["wait_s"], band)


def _number(reading: Mapping[str, Any], key: str) -> float:
    value = reading.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RehearseError(f"the tap's clock reading {key!r} is {value!r}; expected a number of seconds")
    return float(value)


def _latency(reading: Mapping[str, Any], key: str) -> float:
    """A latency reading: 0 when the browser does not report one, refused when it cannot be one."""
    if reading.get(key) is None:
        return 0.0
    value = _number(reading, key)
    if not 0 <= value <= MAX_LATENCY_S:
        raise RehearseError(f"the tap's {key!r} is {value} s; expected 0 to {MAX_LATENCY_S} s")
    return value


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 3)


def _median(values: Sequence[float]) -> float | None:
    return round(float(np.median(values)), 3) if values else None


def _quartiles(values: Sequence[float]) -> list[float] | None:
    if len(values) < 2:
        return None
    return [round(float(q), 3) for q in np.percentile(values, [25, 75])]


def _spread(values: Sequence[float]) -> float | None:
    """The standard deviation (n - 1): how much the taps vary from one rep to the next."""
    return round(float(np.std(values, ddof=1)), 3) if len(values) >= 2 else None


def _limits(values: Sequence[float]) -> list[float] | None:
    """Bland–Altman's 95% limits of agreement: mean difference ± 1.96 standard deviations."""
    if len(values) < 3:
        return None
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    return [round(mean - 1.96 * sd, 3), round(mean + 1.96 * sd, 3)]
