"""Build a timeline from a written script: (start, end, text) per utterance, words spread evenly."""

from __future__ import annotations

from rehearse.scoring.name_sounds import NameMatch, parse_roster
from rehearse.scoring.speech import Segment
from rehearse.scoring.timeline import Timeline, build_timeline
from rehearse.scoring.words.base import Word

ROSTER = parse_roster(["Siobhan", "Oluwaseun", "Niamh", "Xavier", "Priya", "Tom", "Grace", "Ananya"])


def timeline_of(*script: tuple[float, float, str], roster=ROSTER, choose=None) -> Timeline:
    segments, words = [], []
    for start, end, text in script:
        segments.append(Segment(start, end))
        parts = text.split()
        step = (end - start) / max(len(parts), 1)  # "" is speech Whisper wrote no word for
        words += [Word(p, round(start + i * step, 3), round(start + (i + 1) * step, 3)) for i, p in enumerate(parts)]
    return build_timeline(segments, words, roster, choose)


def unclear_after_the_wait(utterances, at_start):
    """A chooser standing in for the model when the name after the wait was said unclearly."""
    if at_start:
        return None
    said = [w.word for u in utterances for w in u.words]
    return NameMatch("Niamh", " ".join(said), 0.4, 0, max(len(said) - 1, 0), clear=False, likely=("Niamh", "Tom"))


def stored_rep(result: dict | None, marks: dict | None = None, number: int = 1, session=None):
    """A rep as the store gives it (store/rows.py): `result` as stored (its JSON), read once;
    `marks` by criterion as {"passed", "comment", "pupil"}; `session` if read across sessions."""
    from rehearse.scoring.stored import StoredResult
    from rehearse.store.records import Mark, Rep

    return Rep(id=number, session_id=1, number=number, status="scored" if result is not None else "unscored",
               created_at="2026-11-22T09:01:00+00:00", uid=f"uid-{number}", source="upload", audio_path="a.wav",
               duration_s=8.5, app_passed=True, result=None if result is None else StoredResult.from_json(result),
               marks={k: Mark(**v) for k, v in (marks or {}).items()}, session=session)
