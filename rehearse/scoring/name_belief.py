"""Stage 4c, name belief: how sure, from the evidence about a name (name_evidence.py) as calibrated
probabilities, and what is reported from them.

A wrong pupil on the page costs more trust than "unclear", so a pupil is reported only when the
evidence beats "none of these" by enough that the app is usually right to say so; otherwise a name
said after the wait is "unclear", with the likeliest pupils offered for the coach's one tap; and
speech with no name in it names no one. Three small models, fitted on the dev split of the labelled
set by benchmarks/fit_names.py (which prints these weights, and a reliability table to show that
"90% sure" is right about 90% of the time):
- which pupil, if one was named: a share of belief for each pupil (a softmax, over the pupils
  name_evidence.py shortlisted, of a weighted sum of its evidence, PUPIL_WEIGHTS);
- whether a name was said at all after the wait (a logistic model, NAMED_WEIGHTS): Whisper's own
  words scored well and called on the class ("Anyone?"), or were guesses at something unclear; the
  best name stands where a name is said to someone, or inside other words ("Will anyone ..."); the
  words are all ordinary words Whisper was sure of ("Okay, I'll give you a clue.": no name) or
  ordinary words it was unsure of (a name it does not know: "Glue north.");
- whether a name opened the speech before the question (EARLY_WEIGHTS).
The confidence reported is P(a name was said) x the pupil's share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from .name_sounds import NameMatch
from .name_evidence import SHORTLIST, Evidence, PupilEvidence
from .timeline import PROMPTS, opens_with_question_word, words_of

# Weights of a pupil's evidence in its share of belief (fitted on dev: benchmarks/fit_names.py).
PUPIL_WEIGHTS = {'place': 0.43, 'alone': 1.46, 'sound': 2.94, 'told': 4.47, 'written': 1.59, 'learnt': 0.01}
# Whether a name was said after the wait (logistic; fitted on dev).
NAMED_WEIGHTS = {'bias': 5.0, 'own': 0.09, 'margin': 0.54, 'sound': 1.07, 'told': 1.05, 'written': -1.19, 'vocative': 0.7, 'open_call': -6.33, 'words': -0.71, 'plain': 1.79, 'plain_said': 0.61, 'learnt': 0.49, 'told_same': -0.79, 'least_sure': 0.72, 'sure_plain': -4.96}
# Whether a name opened the speech before the question (logistic; fitted on dev).
EARLY_WEIGHTS = {'bias': -0.05, 'margin': 2.06, 'sound': 0.8, 'pattern': 3.57, 'written': 0.17, 'unsure': 2.02, 'asks': -2.37}

REPORT = 0.9  # a pupil is named on the page at this belief or more (set on dev: wrong pupils <= 1%)
SAID = 0.5  # below REPORT, a name was still said (unclear) at this belief or more
EARLY = 0.6  # a name before the question at this belief or more (dev: 30 of 52 found, 1 of 268 openings taken wrongly)
LIKELY = 3  # pupils offered when the name was unclear
NO_WORDS_OWN = -3.0  # Whisper's own words' score when it wrote none (as unsure as guesses)


@dataclass(frozen=True)
class Belief:
    """How sure the app is: `named`, that a name was said in the piece; `shares`, each pupil's share
    of belief that it was theirs; `best`, the likeliest pupil's evidence (None without a roster)."""

    named: float
    shares: Mapping[str, float]
    best: PupilEvidence | None

    @property
    def sure(self) -> float:
        """That the likeliest pupil was named: P(a name was said) x its share."""
        return self.named * self.shares.get(self.best.pupil, 0.0) if self.best else 0.0

    def likely(self, count: int = LIKELY) -> tuple[str, ...]:
        return tuple(sorted(self.shares, key=self.shares.get, reverse=True)[:count])


def pupil_features(e: Evidence) -> dict[str, dict[str, float]]:
    """Each pupil's features for its share: the speech model's scores relative to the best pupil's, and
    the sound, told and written evidence as they are."""
    if not e.pupils:
        return {}
    top_place = max(p.place for p in e.pupils)
    top_alone = max(p.alone for p in e.pupils)
    return {p.pupil: {"place": p.place - top_place, "alone": p.alone - top_alone, "sound": p.sound,
                      "told": p.told, "written": float(p.written and e.vocative(p)), "learnt": float(p.learnt)}
            for p in e.pupils}


def shares_of(e: Evidence, weights: Mapping[str, float] = PUPIL_WEIGHTS) -> dict[str, float]:
    """Each pupil's share of belief that it was the one named. The weights were fitted choosing
    among SHORTLIST pupils; a class list shorter than that gets stand-ins for the rest (a name not
    on the list, with the weakest evidence of those on it), so that one or two pupils are not named
    merely for being the only ones: then the shares sum to less than 1."""
    features = pupil_features(e)
    logits = {p: sum(weights[k] * v for k, v in f.items()) for p, f in features.items()}
    if not logits:
        return {}
    weakest = {k: min(f[k] for f in features.values()) if k in ("place", "alone") else 0.0 for k in weights}
    stand_ins = max(SHORTLIST - len(logits), 0) * [sum(weights[k] * v for k, v in weakest.items())]
    top = max(logits.values())
    exp = {p: math.exp(v - top) for p, v in logits.items()}
    total = sum(exp.values()) + sum(math.exp(v - top) for v in stand_ins)
    return {p: v / total for p, v in exp.items()}


def named_features(e: Evidence, best: PupilEvidence) -> dict[str, float]:
    """The piece's features for "a name was said here" (after the wait), `best` the likeliest pupil."""
    own = e.own if e.own is not None else NO_WORDS_OWN
    plain = float(e.plain and not best.learnt)
    return {"bias": 1.0, "own": max(own, -6.0), "margin": min(max(best.place - own, -6.0), 3.0),
            "sound": best.sound, "told": best.told, "written": float(best.written),
            "vocative": float(e.vocative(best)), "open_call": float(e.open_call), "words": math.log1p(len(e.words)),
            "plain": plain, "plain_said": plain * max(own, -6.0), "learnt": float(best.learnt),
            "told_same": float(e.told_same), "least_sure": least_sure(e), "sure_plain": plain * math.exp(least_sure(e))}


def least_sure(e: Evidence) -> float:
    """Whisper's log-probability of the word it was least sure of (-3 when it wrote none)."""
    return math.log(max(e.least_sure, 0.001)) if e.least_sure is not None else -3.0


def early_features(e: Evidence, best: PupilEvidence) -> dict[str, float]:
    """The opening's features for "a name came before the question": the likeliest name's score
    against Whisper's words, how alike its first words sound, whether words stand where a name is
    said ("Shivon, why ...") and are no common words, how sure Whisper was of its first words, and
    whether they open a question as questions open ("Why ...", "Tell me ...")."""
    own = e.own if e.own is not None else NO_WORDS_OWN
    asks = float(opens_with_question_word(" ".join(e.words)) or bool(PROMPTS.match(" ".join(words_of(" ".join(e.words))))))
    unsure = 1.0 - (e.sure_start if e.sure_start is not None else 0.5)
    placed = best.last >= best.first
    return {"bias": 1.0, "margin": min(max(max(best.place, best.alone) - own, -6.0), 3.0),
            "sound": best.sound, "pattern": float(placed and e.vocative(best) and not best.plain),
            "written": float(best.written), "unsure": unsure, "asks": asks}


def logistic(features: Mapping[str, float], weights: Mapping[str, float]) -> float:
    z = sum(weights[k] * v for k, v in features.items())
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


def belief_of(e: Evidence) -> Belief:
    """The calibrated belief about a piece of speech: after the wait, or before the question."""
    shares = shares_of(e)
    if not shares:  # no class list: nobody to name
        return Belief(0.0, shares, None)
    best = e.of(max(shares, key=shares.get))
    if e.at_start:
        return Belief(logistic(early_features(e, best), EARLY_WEIGHTS), shares, best)
    return Belief(logistic(named_features(e, best), NAMED_WEIGHTS), shares, best)


def decide(e: Evidence) -> NameMatch | None:
    """What is reported about a piece of speech: a pupil named (sure enough), a name said unclearly
    (with the likeliest pupils), or no name (None). Before the question, a name is reported (it fails
    "no name before the question") whenever one was likely said; which pupil is the likeliest."""
    b = belief_of(e)
    if b.best is None:
        return None
    heard = " ".join(e.words[b.best.first: b.best.last + 1]) if b.best.replaced else ""
    first, last = (b.best.first, b.best.last) if b.best.replaced else (0, max(len(e.words) - 1, 0))
    if e.at_start:
        if b.named < EARLY:
            return None
        return NameMatch(b.best.pupil, heard, round(b.sure, 3), first, last,
                         clear=b.sure >= REPORT, likely=b.likely())
    if b.sure >= REPORT:
        return NameMatch(b.best.pupil, heard, round(b.sure, 3), first, last)
    if b.named >= SAID:
        return NameMatch(b.best.pupil, heard or " ".join(e.words), round(b.sure, 3), first, last,
                         clear=False, likely=b.likely())
    return None
