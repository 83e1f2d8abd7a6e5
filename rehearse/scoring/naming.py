"""Stage 4, naming: which pupil on the roster a piece of speech names, as a forced choice.

Whisper writes names it does not know as other words ("Need" for Niamh, "Carlem" for Callum), so
the written words alone cannot say who was named. Instead the model itself is asked: for each
roster name, how likely is the utterance with that name in the place where the name was heard
("Let's hear from ___.", the other words as Whisper wrote them), scored by mean log-probability per
token (`text_scores`: CTranslate2's `align`, or openai-whisper's decoder). Against them stands "none
of these": the words as Whisper wrote them ("Anyone?", "Hands up if you know"). A name wins only if
the model finds it nearly as likely as what it wrote itself.

A second opinion: the same speech transcribed again with the roster as Whisper's prompt ("Pupils:
Zainab, Callum, ..."). Told the names, Whisper spells the one it hears as the roster does more
often; a pupil it writes then is favoured in the ranking and taken. (Not for the whole transcript:
told names, Whisper "hears" them in babble.)

The sound match of names.py picks, for each pupil, where in the words the name most likely sits
and shortlists the pupils worth scoring (a roster of 30 costs ~10 texts, not 30 x every place).
A respelling on the roster ("Krzysztof (Kshishtof)") is one more text for that pupil.

What is reported: a pupil, with its share of belief among those scored; or, when a name was said
but no pupil holds enough of the belief (or Whisper's words were guesses), an unclear name with the
likeliest pupils, for the coach to pick in one tap; or "none of these".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from .names import MATCH_THRESHOLD, NOT_NAMES, NameMatch, Pupil, find_name, letters, sound_similarity, spellings

# How likely a text is for a piece of audio, for many texts at once: mean log-probability per token.
TextScores = Callable[[Sequence[str]], list[float]]

SHORTLIST = 8  # pupils scored by the model: the best by sound, plus any whose spelling was written
LONGEST_SPAN = 4  # a name heard as up to this many words ("Oh, Lou, wash, a -une")
# The pupils are ranked by the model's score plus this much of the sound match (0..1) between the
# name and the words it replaces: together they rank the right pupil first more often than either
# (dev split: model alone 57%, sound alone 53%, both 65% of named pupils).
SOUND_WEIGHT = 3.0
# A name is taken when its text scores at most this much below Whisper's own words (mean natural
# log-probability per token). Set on the dev split of the labelled set (benchmarks/labelled_set.py).
NONE_MARGIN = 2.0
# With no words written at all, a name must score at least this on its own.
ALONE_MIN = -5.0
# Where no name is expected (before the question) a name may score at most this much below Whisper's
# words, and must sound at least this much like the words it replaces.
EARLY_MARGIN = 0.5
EARLY_SOUND = 0.6
# Told the roster's names (as its prompt), Whisper spells a name it heard as the roster does more
# often ("Kida" becomes "Caoimhe"), and invents one in "Anyone?" rarely: a pupil written then gets
# this much added to its rank (dev split: named pupils right 90 -> 100 of 138, no false names added).
TOLD_BONUS = 2.0
# Whisper's own words for the speech after the wait scoring below this (mean log-probability per
# token) were guesses: "Then in days." for Kehinde. If no pupil wins there, a name was still said,
# unclearly; it is not failed for that, and the likeliest pupils are offered to the coach. Set on
# the dev split. Words of an open call ("Anyone?", "Hands up") are never an unclear name, and
# with them a pupil counts only if Whisper wrote the name itself.
UNCLEAR_WORDS = -1.5
OPEN_CALL = frozenset("anyone anybody someone somebody everyone everybody hands hand volunteer nobody "
                      "whoever".split())
LIKELY = 3  # pupils offered when the name was unclear
# A pupil chosen after the wait with less than this share of belief is not reported as named: the
# name was unclear, and the likeliest pupils are offered to the coach instead. On the dev split it
# turned 10 of 22 wrong pupils into questions to the coach, and 16 of 101 right ones (each then the
# first offered); "You named Xavier (2% sure)" was a wrong fact on the page half the time.
MIN_SURE = 0.3
CONFIDENCE_SCALE = 3.0  # turns differences of mean log-probability into a share of belief


@dataclass(frozen=True)
class Hypothesis:
    """One text to score: the words with `pupil` put in place of words[first..last] (an empty span,
    last < first, puts the name in before words[first]); `sound`: how alike they sound (0..1)."""

    pupil: str
    text: str
    first: int
    last: int
    sound: float


def hypotheses(words: Sequence[str], roster: Sequence[Pupil], at_start: bool = False,
               also: Sequence[str] = ()) -> list[Hypothesis]:
    """The texts worth scoring: for each shortlisted pupil and each of its spellings, the words with
    the name in the place that sounds most like it, and the name alone (when the other words are
    Whisper's guesses at the name itself: "Then in days." for Kehinde). `at_start`: the name may
    only open the speech (a name said before the question). `also`: pupils to score whatever
    their sound (the name Whisper wrote when told the roster)."""
    places = {p.name: [(spelling, *_best_place(words, spelling, at_start)) for spelling in spellings(p)]
              for p in roster}
    written = {letters(w) for w in words}
    ranked = sorted(roster, key=lambda p: -max(found[1] for found in places[p.name]))
    shortlist = ranked[:SHORTLIST] + [p for p in ranked[SHORTLIST:] if letters(p.name) in written or p.name in also]
    out: dict[str, Hypothesis] = {}
    for pupil in shortlist:
        for spelling, sound, first, last in places[pupil.name]:
            texts = [_substitute(words, first, last, spelling)]
            if not at_start:
                texts.append(_substitute([], 0, -1, spelling))
            for text in texts:
                out.setdefault(text, Hypothesis(pupil.name, text, first, last, sound))
    return list(out.values())


def _best_place(words: Sequence[str], spelling: str, at_start: bool) -> tuple[float, int, int]:
    """(similarity, first, last): the run of words that sounds most like `spelling`."""
    best = (0.0, 0, -1)  # nothing alike: put the name in front
    starts = range(min(len(words), 2) if at_start else len(words))
    for i in starts:
        if at_start and i == 1 and letters(words[0]) not in NOT_NAMES:
            break  # "Jamal, why ..." - only a lead-in word ("So, Jamal") may come first
        if at_start and letters(words[i]) in NOT_NAMES:
            continue  # "Will you ..." opens a question, not with a name
        for j in range(i, min(i + LONGEST_SPAN, len(words))):
            similarity = sound_similarity(" ".join(words[i: j + 1]), spelling) - 0.02 * (j - i)
            if similarity > best[0]:
                best = (similarity, i, j)
    return best


def _substitute(words: Sequence[str], first: int, last: int, spelling: str) -> str:
    name = spelling[:1].upper() + spelling[1:]
    if last < first:
        return " " + " ".join([name + ","] + list(words)) if words else f" {name}."
    tail = words[last][len(words[last].rstrip(".,?!;:")):]  # keep the punctuation Whisper wrote
    return " " + " ".join(list(words[:first]) + [name + tail] + list(words[last + 1:]))


def choose_pupil(words: Sequence[str], roster: Sequence[Pupil], score: TextScores,
                 at_start: bool = False, told: Callable[[], Sequence[str]] | None = None) -> NameMatch | None:
    """The pupil named in the speech whose written words are `words`, or None ("none of these").

    `score` rates texts against the audio of that same speech. `told` gives the words Whisper
    writes for it when told the roster's names (asked only when its own words hold no roster
    name: it costs a second decoding); a pupil it writes there is favoured (TOLD_BONUS) and taken
    whatever the margin. `at_start` is for the speech before the question, where a name is not
    expected: only a name opening it counts, its words must sound like it, and the model must find
    it about as likely as Whisper's own words.
    """
    if not roster:
        return None
    cue = None
    if told is not None and not at_start and find_name(words, roster) is None:
        cue = find_name(told(), roster)
    candidates = hypotheses(words, roster, at_start, also=[cue.pupil] if cue else [])
    own = " " + " ".join(words) if words else None
    scores = score([h.text for h in candidates] + ([own] if own else []))
    own_score = scores[-1] if own else None
    by_pupil: dict[str, tuple[float, Hypothesis]] = {}
    for h, s in zip(candidates, scores):
        if h.pupil not in by_pupil or s > by_pupil[h.pupil][0]:
            by_pupil[h.pupil] = (s, h)
    sounds: dict[str, float] = {}
    for h in candidates:
        sounds[h.pupil] = max(sounds.get(h.pupil, 0.0), h.sound)
    bonus = {cue.pupil: TOLD_BONUS} if cue else {}
    rank = {p: s + SOUND_WEIGHT * sounds[p] + bonus.get(p, 0.0) for p, (s, _h) in by_pupil.items()}
    best_score, best = by_pupil[max(rank, key=rank.get)]
    if calls_the_class(words):
        # "Hands up if you know", "Anyone?": the class was asked; a pupil only if written plainly too.
        if sounds[best.pupil] < MATCH_THRESHOLD:
            return None
    elif best.text == own or (cue and best.pupil == cue.pupil):
        pass  # Whisper wrote the name itself, on its own or when told the roster
    elif at_start:
        # Where no name is expected, the words opening the speech must sound like the name and the
        # model must find the name about as likely as what Whisper wrote ("Fred, which ..." for
        # Freya): a garbled first word alone ("Whatever it and ...") is no name.
        if own_score is None or best_score < own_score - EARLY_MARGIN or sounds[best.pupil] < EARLY_SOUND:
            return None
    elif sounds[best.pupil] >= MATCH_THRESHOLD:
        pass  # what Whisper wrote sounds like the name the model ranks first ("Tonnish", Tomasz)
    elif (best_score < ALONE_MIN) if own_score is None else (best_score < own_score - NONE_MARGIN):
        return _unclear(words, rank, own_score)
    else:
        # Taken on the model's scores alone, within the margin of Whisper's own words: those words
        # are one more rival in the confidence, so a name the model found less likely than what
        # Whisper wrote is not reported as "96% sure".
        rank = {**rank, "": rank[best.pupil] + (own_score - best_score if own_score is not None else 0.0)}
    # The share of belief the winner holds against the other pupils scored.
    confidence = _share(rank, best.pupil)
    heard = " ".join(words[best.first: best.last + 1]) if best.last >= best.first else ""
    if confidence < MIN_SURE and not at_start:
        # what was heard as the name: the words in its place, else all of them (as _unclear says)
        first, last = (best.first, best.last) if heard else (0, max(len(words) - 1, 0))
        return NameMatch(best.pupil, heard or " ".join(words), confidence, first, last,
                         clear=False, likely=_likely(rank))
    return NameMatch(best.pupil, heard, confidence, best.first, max(best.last, best.first))


def calls_the_class(words: Sequence[str]) -> bool:
    """Do these words call on the whole class ("Anyone?", "Hands up if you know")?"""
    return any(letters(w) in OPEN_CALL for w in words)


def _share(rank: dict[str, float], pupil: str) -> float:
    """The share of belief `pupil` holds against the other pupils ranked."""
    others = [v for p, v in rank.items() if p != pupil]
    return round(1 / (1 + sum(math.exp(CONFIDENCE_SCALE * (v - rank[pupil])) for v in others)), 3)


def _unclear(words: Sequence[str], rank: dict[str, float], own_score: float | None) -> NameMatch | None:
    """No pupil won: "none of these", unless Whisper's own words were guesses (or it wrote none)
    and they do not call on the whole class. Then a name was said, unclearly."""
    if (own_score is not None and own_score >= UNCLEAR_WORDS) or calls_the_class(words):
        return None
    likely = _likely(rank)
    return NameMatch(likely[0], " ".join(words), _share(rank, likely[0]), 0, max(len(words) - 1, 0),
                     clear=False, likely=likely)


def _likely(rank: dict[str, float]) -> tuple[str, ...]:
    """The LIKELY pupils ranked highest (not Whisper's own words, ranked as "")."""
    return tuple(sorted((p for p in rank if p), key=rank.get, reverse=True)[:LIKELY])
