"""Stage 4b, name evidence: what the speech model says about which pupil on the roster a piece of
speech names.

Whisper writes names it does not know as other words ("Need" for Niamh, "Carlem" for Callum), so
the written words alone cannot say who was named. Instead the speech model itself is asked, for every
pupil, how likely the piece's audio is with that name in it (`text_scores`: CTranslate2's `align`,
or openai-whisper's decoder; mean log-probability per token):
- *in place*: Whisper's words with the name put where the words sound most like it ("Let's hear
  from ___.");
- *alone*: the name on its own (Whisper's words may all be guesses at the name: "Then in days.").
Beside the speech model's scores: how alike the words sound to the name (name_sounds.py), how alike the words
Whisper writes when told the roster ("Pupils: Zainab, Callum, ...") sound to it (told, Whisper
spells a name it hears as the roster does more often), and whether Whisper wrote the name itself.
Against all of them stands "none of these": Whisper's own words, scored the same way.

A pupil's spellings include how it is said (a typed hint, SAID_AS) and what Whisper wrote when this
teacher said it (learnt: name_sounds.LearntSound). Before the question (`at_start`) only a name opening
the speech is tried: in place of its first words, or before them.

This module only gathers the evidence (`weigh`); name_belief.py turns it into calibrated probabilities
and says what is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

from .name_sounds import (CARRIERS, LEAD_INS, NOT_NAMES, OPEN_CALL, Pupil, find_name, learnt_spelling, letters,
                    sound_similarity, spellings)

# How likely a text is for a piece of audio, for many texts at once: mean log-probability per token.
TextScores = Callable[[Sequence[str]], list[float]]

LEARNT_SOUND = 0.9  # words this like a spelling learnt for the teacher are that spelling said again
LONGEST_SPAN = 4  # a name heard as up to this many words ("Oh, Lou, wash, a -une")
OPENING_WORDS = 2  # before the question, a name is looked for in this many words at the start
SHORTLIST = 12  # pupils whose names are scored by the speech model (those the words sound most like)


@dataclass(frozen=True)
class PupilEvidence:
    """What speaks for one pupil. `first`..`last`: the words that sound most like the name (last <
    first: none does), where it is tried in place; `place` and `alone`: the speech model's scores of
    the name in that place and said alone (before the question: put before the words); `front`:
    before the question, the name before the words scored better than in place; `sound`: how alike
    those words sound to the name; `told`: how alike the words Whisper wrote when told the roster
    sound to it (0..1); `written`: Whisper wrote this very name (its spelling, or a learnt one);
    `plain`: the words in its place are all common words ("Go on."); `learnt`: they are what Whisper
    wrote when this teacher said the name before."""

    pupil: str
    first: int
    last: int
    place: float
    alone: float
    sound: float
    told: float
    written: bool
    plain: bool = False
    learnt: bool = False
    front: bool = False

    @property
    def replaced(self) -> bool:
        """Does the name stand in place of words Whisper wrote (rather than before them, or alone)?"""
        return self.last >= self.first and not self.front


@dataclass(frozen=True)
class Evidence:
    """Everything known about who a piece of speech names: Whisper's words, the speech model's score of them
    ("none of these"; None when Whisper wrote nothing), each pupil's evidence, whether it is the start
    of the speech before the question, and there, how sure Whisper was of its first words (0..1);
    whether every word Whisper wrote is a common word; whether, told the roster, it wrote them again;
    how sure Whisper was of the word it was least sure of (a name it does not know is written as an
    unsure guess, "Need..."; "Okay, I'll give you a clue." is written with every word sure)."""

    words: tuple[str, ...]
    own: float | None
    pupils: tuple[PupilEvidence, ...]
    at_start: bool = False
    sure_start: float | None = None
    plain: bool = False  # every word Whisper wrote is a common word ("Go on.", "Take your time.")
    told_same: bool = False  # told the roster, Whisper wrote the same words again: it heard no name either
    least_sure: float | None = None  # Whisper's probability of the word it was least sure of (0..1)

    def of(self, pupil: str) -> PupilEvidence | None:
        return next((p for p in self.pupils if p.pupil == pupil), None)

    @property
    def open_call(self) -> bool:
        """Do the words call on the whole class ("Anyone?", "Hands up if you know")?"""
        return calls_the_class(self.words)

    def vocative(self, p: PupilEvidence) -> bool:
        """Would the name stand where a name is said to someone? Alone (after lead-ins), opening
        the speech with a break after it ("Summer, what ...", "Priya."), or ending it after a comma
        or a carrier ("Let's hear from Summer", "What do you reckon, Ruby?"). "Will anyone have a
        go?" and "a ray of light" are not."""
        return vocative(self.words, p.first, p.last)


def calls_the_class(words: Sequence[str]) -> bool:
    return bool(OPEN_CALL.search(" ".join(re.findall(r"[a-z']+", " ".join(words).lower()))))


def vocative(words: Sequence[str], first: int, last: int) -> bool:
    """Is words[first..last] (or a name put in before words[first], when last < first) in a place
    where a name is said to someone?"""
    start = 0
    while start < len(words) and letters(words[start]) in LEAD_INS:
        start += 1
    if last < first:  # put in before words[first]: at the start, or where nothing was written
        return first <= start or not words
    if first <= start and last >= len(words) - 1:
        return True  # the name alone, after lead-ins
    if first <= start and words[last][-1:] in ",.?!;:":
        return True  # "Summer, what do you think?"
    if last >= len(words) - 1:
        before = words[first - 1] if first > 0 else ""
        return first == 0 or before[-1:] == "," or letters(before) in CARRIERS
    return False


def weigh(words: Sequence[str], roster: Sequence[Pupil], score: TextScores, at_start: bool = False,
          told: Callable[[], Sequence[str]] | None = None, common: Callable[[str], bool] | None = None,
          sure_start: float | None = None, least_sure: float | None = None) -> Evidence:
    """The evidence for the roster's pupils (the SHORTLIST likeliest) in the speech written as `words`;
    `score` rates texts against the audio of that same speech. `told` gives the words Whisper writes
    for it when told the roster's names: asked for only after the wait, and only when Whisper's own
    words hold no roster name plainly (it costs a second decoding; otherwise the own words stand in).
    `common` says whether a word is a common English word (the speech model's tokenizer has it whole);
    `sure_start`, before the question, how sure Whisper was of its first words; `least_sure`, the
    probability of the word Whisper was least sure of."""
    words = tuple(words)
    if not roster:
        return Evidence(words, None, (), at_start, sure_start, least_sure=least_sure)
    told_words: Sequence[str] = ()
    told_same = False
    if not at_start:
        asked_told = told is not None and find_name(words, roster) is None
        told_words = told() if asked_told else words
        told_same = asked_told and [letters(w) for w in told_words] == [letters(w) for w in words]
    tried = _shortlist([_try(words, pupil, spelling, at_start, told_words) for pupil in roster
                        for spelling in spellings(pupil)])
    texts = {t: None for t_ in tried for t in _texts(words, t_.spelling, t_.first, t_.last, at_start)}
    own = " " + " ".join(words) if words else None
    asked = list(texts) + ([own] if own else [])
    scored = dict(zip(asked, score(asked)))
    best: dict[str, PupilEvidence] = {}
    for t in tried:
        placed, other = _texts(words, t.spelling, t.first, t.last, at_start)
        in_place = words[t.first: t.last + 1]
        plain = bool(common) and bool(in_place) and not t.learnt and all(common(letters(w)) for w in in_place)
        found = PupilEvidence(t.pupil.name, t.first, t.last, scored[placed], scored[other], t.sound, t.told, t.written,
                              plain, t.learnt, at_start and scored[other] > scored[placed])
        best[t.pupil.name] = found if t.pupil.name not in best else _better(best[t.pupil.name], found)
    plain = bool(common) and bool(words) and all(common(letters(w)) for w in words if letters(w))
    return Evidence(words, scored.get(own) if own else None, tuple(best.values()), at_start, sure_start, plain, told_same,
                    least_sure)


class _Try(NamedTuple):
    """One spelling of a pupil's name, before the speech model scores it: where in the words it would
    stand (`first`..`last`) and how alike they sound; how alike the words written when Whisper was
    told the roster sound (`told`); whether Whisper wrote it; whether the words in its place are
    what Whisper wrote when this teacher said the name before (`learnt`)."""

    pupil: Pupil
    spelling: str
    sound: float
    first: int
    last: int
    told: float
    written: bool
    learnt: bool


def _try(words: Sequence[str], pupil: Pupil, spelling: str, at_start: bool, told_words: Sequence[str]) -> _Try:
    sound, first, last = best_place(words, spelling, at_start)
    learnt = (last >= first and sound >= LEARNT_SOUND
              and spelling in {learnt_spelling(s.heard) for s in pupil.learnt})
    return _Try(pupil, spelling, sound, first, last, best_place(told_words, spelling, False)[0] if told_words else 0.0,
                any(letters(w) == letters(spelling) for w in words), learnt)


def _shortlist(tried: list[_Try]) -> list[_Try]:
    """The spellings of the SHORTLIST pupils whose names the written words (or the words written
    when Whisper was told the roster) sound most like, or that Whisper wrote, or this teacher's learnt
    spelling: only those are scored by the speech model (scoring every pupil of a class of 30 took half the
    rep's scoring time; on dev the shortlist of 12 changed 1 in 50 choices)."""
    rank: dict[str, float] = {}
    for t in tried:
        rank[t.pupil.name] = max(rank.get(t.pupil.name, 0.0), max(t.sound, t.told) + t.written + t.learnt)
    kept = set(sorted(rank, key=rank.get, reverse=True)[:SHORTLIST])  # sorted() is stable: the roster's order on ties
    return [t for t in tried if t.pupil.name in kept]


def _texts(words: Sequence[str], spelling: str, first: int, last: int, at_start: bool) -> tuple[str, str]:
    """The two texts tried for a spelling: in place of words[first..last], and (after the wait)
    alone or (before the question) before the words."""
    return substitute(words, first, last, spelling), substitute(words if at_start else (), 0, -1, spelling)


def _better(a: PupilEvidence, b: PupilEvidence) -> PupilEvidence:
    """One pupil's evidence over two of its spellings: the better of each."""
    pick = b if b.place > a.place else a
    return PupilEvidence(pick.pupil, pick.first, pick.last, max(a.place, b.place), max(a.alone, b.alone),
                         max(a.sound, b.sound), max(a.told, b.told), a.written or b.written,
                         pick.plain and not (a.learnt or b.learnt), a.learnt or b.learnt, pick.front)


def best_place(words: Sequence[str], spelling: str, at_start: bool) -> tuple[float, int, int]:
    """(similarity, first, last): the run of words that sounds most like `spelling`; (0, 0, -1)
    when none does at all (the name would go in front). `at_start`: only the opening words."""
    best = (0.0, 0, -1)
    starts = range(min(len(words), OPENING_WORDS) if at_start else len(words))
    for i in starts:
        if at_start and i >= 1 and letters(words[i - 1]) not in LEAD_INS:
            break  # "Jamal, why ..." - only a lead-in word ("So, Jamal") may come first
        if at_start and letters(words[i]) in NOT_NAMES:
            continue  # "Why does ...", "Will you ...": a question's first word, not a name
        for j in range(i, min(i + LONGEST_SPAN, len(words))):
            similarity = sound_similarity(" ".join(words[i: j + 1]), spelling) - 0.02 * (j - i)
            if similarity > best[0]:
                best = (similarity, i, j)
    return best


def substitute(words: Sequence[str], first: int, last: int, spelling: str) -> str:
    """The words with `spelling` in place of words[first..last] (before words[first] when last <
    first), as a text to score: "Let's hear from Niamh."; the name alone when there are no words."""
    name = spelling[:1].upper() + spelling[1:]
    if last < first:
        return " " + " ".join([name + ","] + list(words)) if words else f" {name}."
    tail = words[last][len(words[last].rstrip(".,?!;:")):]  # keep the punctuation Whisper wrote
    return " " + " ".join(list(words[:first]) + [name + tail] + list(words[last + 1:]))
