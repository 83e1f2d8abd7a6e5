"""Build a timeline from a written script: (start, end, text) per utterance, words spread evenly."""

from __future__ import annotations

from rehearse.names import parse_roster
from rehearse.speech import Segment
from rehearse.timeline import Timeline, build_timeline
from rehearse.transcribe import Word

ROSTER = parse_roster(["Siobhan", "Oluwaseun", "Niamh", "Xavier", "Priya", "Tom", "Grace", "Ananya"])


def timeline_of(*script: tuple[float, float, str], roster=ROSTER) -> Timeline:
    segments, words = [], []
    for start, end, text in script:
        segments.append(Segment(start, end))
        parts = text.split()
        step = (end - start) / len(parts)
        words += [Word(p, round(start + i * step, 3), round(start + (i + 1) * step, 3)) for i, p in enumerate(parts)]
    return build_timeline(segments, words, roster)
