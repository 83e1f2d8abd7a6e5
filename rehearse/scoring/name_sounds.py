"""Stage 4a, names by sound: the class roster (`Pupil`, `parse_roster`) and which roster name a heard
word sounds like (`find_name`), with a confidence. 4b (name_evidence.py) and 4c (name_belief.py)
build on it.

Whisper is asked to listen for the roster (hotwords), but tiny models still write what they hear:
"Chivon" for Siobhan, "Neef" for Niamh, "Emojan" for Imogen. So each heard word (and each run of
two or three, for names heard in pieces such as "Oh, Lou, why, shay, oon") is compared with each
roster name by a rough sound key, including how the name is said when its spelling does not tell
an English reader (Siobhan is "shivawn"). A name that is not on the roster is never a match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from ..errors import RosterError
from ..typed_text import name_key, text_problem

# How names are said where the spelling misleads (Irish, Welsh, Yoruba, Polish, ...). Keys are
# lower-case names; values are spellings an English reader would say right. Extend freely, or
# give a roster entry its own: "Siobhan (Shivawn)".
SAID_AS: dict[str, tuple[str, ...]] = {
    "siobhan": ("shivawn", "shevaun", "chevonne"),
    "niamh": ("neev", "neeve"),
    "aoife": ("eefa", "eva"),
    "saoirse": ("seersha", "sersha"),
    "caoimhe": ("keeva",),
    "sinead": ("shinade",),
    "grainne": ("grawnya",),
    "oisin": ("osheen",),
    "ciara": ("keera",),
    "eoin": ("owen",),
    "tadhg": ("tige",),
    "roisin": ("rosheen",),
    "rhys": ("reese",),
    "dafydd": ("davith",),
    "oluwaseun": ("oluwashayun", "shayun"),
    "olumide": ("olumeeday",),
    "chidi": ("cheedee",),
    "nnamdi": ("namdee",),
    "xavier": ("zayvier", "havier", "xavier"),
    "tomasz": ("tomash",),
    "wojciech": ("voycheck",),
    "zofia": ("zofia", "sofia"),
    "ines": ("eeness", "inez"),
    "mateo": ("matayo",),
    "joaquin": ("wakeen",),
    "yusuf": ("yoosuf", "yousef"),
    "kwame": ("kwahmay",),
    "imogen": ("immojen",),
    "mohammed": ("muhammad", "mohamed"),
    "ananya": ("ananya",),
    "nguyen": ("win",),
}

# Common words that sound like names but are not naming anyone ("Anyone?" is not Ananya).
NOT_NAMES = frozenset("""
a an and anyone anybody everyone everybody someone somebody nobody no one who whom you your yes yeah
the class all okay ok right so well now then go on good great thanks thank please hands up
what why how when where which is are do does can could would will think tell me us we they he she
it this that there here um uh er erm hmm mm
""".split())

# Words that open speech to the class rather than name anyone ("Okay, what ...", "So, Jamal, ...").
LEAD_INS = frozenset("so um uh er erm hmm okay ok right now and then well yes yeah good great".split())
# Words that call on the whole class, not on a pupil: "Anyone?", "Hands up if you know", "Who can
# tell me?", "Will you all have a think?", "Any takers?"
OPEN_CALL = re.compile(r"\b(?:any ?(?:one|body)|some ?(?:one|body)|every ?(?:one|body)|no ?(?:one|body)|whoever|hands?|"
                       r"volunteers?|you all|all of you|who (?:can|knows|wants|will|would|has|else)|^any)\b")
# Words a name often follows when it ends what is said: "Let's hear from ___", "Over to you ___".
CARRIERS = frozenset("from to you about then on ahead please thanks okay ok right yes so now go and over "
                     "hear reckon think how what".split())
# Words said around a name that are not it ("Over to you, ___", "Let's hear from ___", "___, go ahead").
AROUND_NAMES = NOT_NAMES | LEAD_INS | CARRIERS | frozenset("lets hear like start ahead thoughts reckon".split())

MATCH_THRESHOLD = 0.8  # below this a heard word is not taken for a roster name
STRICT_THRESHOLD = 0.9  # the same where no name is expected (before or inside the question)


@dataclass(frozen=True)
class LearntSound:
    """How one teacher says one pupil's name, learnt from a rep the coach corrected in one tap (or
    from a recording made to teach it): what Whisper wrote in the name's place, and that piece of
    the recording (16-bit mono PCM at 16 kHz, at most name_learning.MAX_PIECE_S) for an acoustic match."""

    heard: str
    pcm: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Pupil:
    """A roster entry: the spelling to report, the spellings that say how it sounds, and how the
    teacher being scored says it (`learnt`: empty unless the app has learnt it, name_learning.py)."""

    name: str
    sounds: tuple[str, ...]
    learnt: tuple[LearntSound, ...] = ()


@dataclass(frozen=True)
class NameMatch:
    """A roster name heard in the recording: which pupil, what Whisper wrote, and how sure.

    `clear` is False when a name was said but not clearly enough to tell whose: then `pupil` is
    the likeliest guess, `likely` the few pupils it may have been, and `heard` all that was written.
    """

    pupil: str
    heard: str
    confidence: float
    first_word: int  # index into the words searched
    last_word: int
    clear: bool = True
    likely: tuple[str, ...] = ()


def roster_entries(text: str) -> list[str]:
    """A class list as typed or pasted - one per line, or separated by commas or semicolons - as its
    entries, blanks dropped. Every face reads a typed class list this one way."""
    return [entry.strip() for entry in re.split(r"[\n,;]", text or "") if entry.strip()]


def parse_roster(entries: Iterable[str] | str, called: str = "roster") -> list[Pupil]:
    """Build a roster from names ("Siobhan", "Siobhan (Shivawn)") or a typed class list (roster_entries).
    `called`: what the messages call the list, as the form it was typed in does (the step editor's
    "class list")."""
    if isinstance(entries, str):
        entries = roster_entries(entries)
    pupils, seen = [], set()
    for entry in entries:
        entry = unicodedata.normalize("NFC", entry.strip())
        if not entry:
            continue
        if problem := text_problem(f"{called} entry {entry!r}", entry, None):  # the rule of all typed text
            raise RosterError(problem)
        m = re.fullmatch(r"([^()]+?)\s*(?:\(([^()]+)\))?", entry)
        if not m or not re.search(r"[A-Za-z]", m.group(1)):
            raise RosterError(f"bad {called} entry {entry!r}; expected a name, or a name and how it "
                              "sounds in brackets, e.g. \"Siobhan (Shivawn)\"")
        name = m.group(1).strip()
        if name_key(name) in seen:  # any case, accents' form or invisible characters
            raise RosterError(f"{name!r} is on the {called} twice; give each pupil once")
        seen.add(name_key(name))
        sounds = [name] + ([m.group(2).strip()] if m.group(2) else [])
        sounds += SAID_AS.get(letters(name), ())
        pupils.append(Pupil(name, tuple(dict.fromkeys(sounds))))
    if not pupils:
        raise RosterError("the roster is empty; give at least one name, e.g. --roster \"Priya,Tom\"")
    return pupils


def with_learnt(roster: Sequence[Pupil], learnt: Mapping[str, Sequence[LearntSound]]) -> list[Pupil]:
    """The roster with how one teacher says its names (pupil name -> sounds learnt for them); a
    learnt name of a pupil not on this roster is left out."""
    return [replace(p, learnt=tuple(learnt.get(p.name, ()))) for p in roster]


# A name the speech model is likely to mishear: one that its tokenizer cuts into this many pieces or
# more (it has seldom seen it: "Siobhan", "Caoimhe", "Oluwaseun"; "Grace" and "Priya" are fewer).
HARD_TOKENS = 3


def hard_to_hear(pupil: Pupil, tokens_in: Callable[[str], int]) -> bool:
    """Is this a name the app expects to find hard, with nothing yet to help it (no said-as
    spelling, built in or typed, and nothing learnt)? `tokens_in`: the engine's Transcriber.tokens_in."""
    return len(pupil.sounds) == 1 and not pupil.learnt and tokens_in(pupil.name) >= HARD_TOKENS


def spellings(pupil: Pupil) -> tuple[str, ...]:
    """Every way of writing the pupil's name that the forced choice tries: the roster's spelling, how
    it is said (SAID_AS, a typed hint) and what Whisper wrote when this teacher said it (learnt,
    learnt_spelling)."""
    learnt = tuple(filter(None, (learnt_spelling(s.heard) for s in pupil.learnt)))
    return tuple(dict.fromkeys(pupil.sounds + learnt))


MAX_LEARNT_WORDS = 3  # what Whisper wrote for a name, learnt: longer is a sentence, not a name


def learnt_spelling(heard: str) -> str | None:
    """What Whisper wrote where this teacher said a name, as a spelling of the name: its words that
    are no common word of speech to a class ("Go on." is not how anyone says a name), or None when
    nothing is left or it was a whole sentence ("What are you going to do first?")."""
    said = [w for w in re.findall(r"[A-Za-z'-]+", heard) if letters(w)]
    if not said or len(said) > MAX_LEARNT_WORDS:
        return None
    kept = [w.strip("'-") for w in said if letters(w) not in AROUND_NAMES]
    return " ".join(kept) or None


def letters(text: str) -> str:
    """The letters of `text`, lower case: how two spellings of one word are compared."""
    return re.sub(r"[^a-z]", "", text.lower())


# Spelling-to-sound rewrites, applied in order. Rough on purpose: they only need to bring two
# spellings of one sound together, not to be phonetics.
_SOUND_RULES = [(re.compile(p), r) for p, r in [
    (r"^x", "z"), (r"x", "ks"), (r"sch|sh|ch(?![lr])|ti(?=[ao])|ci(?=[ao])|zh|sz|cz", "S"),
    (r"ch", "k"), (r"ph", "f"), (r"[bm]h", "v"), (r"th", "t"), (r"gh", "g"), (r"ck|q|c(?![eiy])", "k"),
    (r"c", "s"), (r"dg|g(?=[eiy])", "j"), (r"w(?=[^aeiou]|$)", ""), (r"h(?![aeiou])", ""),
    (r"z", "s"), (r"v", "f"), (r"m", "n"), (r"y", "i"), (r"([a-zS])\1+", r"\1"),
]]


@lru_cache(maxsize=8192)
def sound_key(text: str) -> str:
    """A rough sound spelling: digraphs folded; s/z, f/v and m/n merged (often misheard); vowels kept."""
    key = letters(text)
    for pattern, repl in _SOUND_RULES:
        key = pattern.sub(repl, key)
    return key


def _skeleton(key: str) -> str:
    """The consonants of a sound key: the part of a name that mishearing changes least."""
    return re.sub(r"[aeiou]+", "", key) or key


def term_similarity(heard: str, term: str) -> float:
    """Like sound_similarity, for technical terms: "ch" is also read as in "chlorophyll"."""
    return max(sound_similarity(a, b) for a in _ch_readings(heard) for b in _ch_readings(term))


def _ch_readings(text: str) -> set[str]:
    return {text, re.sub("ch", "k", text, flags=re.I)}


def sound_similarity(heard: str, said: str) -> float:
    """0..1: how alike two spellings sound (consonants weigh more than vowels)."""
    a, b = sound_key(heard), sound_key(said)
    if not a or not b:
        return 0.0
    whole = SequenceMatcher(None, a, b).ratio()
    bones_a, bones_b = _skeleton(a), _skeleton(b)
    bones = SequenceMatcher(None, bones_a, bones_b).ratio()
    # One or two consonants say little ("Lou" and "Leo" share an l): lean on the vowels there.
    weight = 0.55 if min(len(bones_a), len(bones_b)) >= 3 else 0.3
    return (1 - weight) * whole + weight * bones


def name_score(heard: str, pupil: Pupil) -> float:
    """How well `heard` matches `pupil`: 1.0 for the roster spelling itself, else by sound."""
    if letters(heard) == letters(pupil.name):
        return 1.0
    return max(sound_similarity(heard, s) for s in spellings(pupil))


def find_name(words: Sequence[str], roster: Sequence[Pupil], strict: bool = False) -> NameMatch | None:
    """The best roster match among `words` (runs of 1-3 words), or None below the threshold.

    Words that are common English ("anyone", "who") are not names, alone or as a run's first word.
    `strict` is for speech where a name is not expected (inside a question): only single words
    that Whisper wrote as a name (capitalised) and that match closely, so that "brother" or
    "think about this" never pass for a pupil.
    """
    best: NameMatch | None = None
    longest = 1 if strict else 3
    threshold = STRICT_THRESHOLD if strict else MATCH_THRESHOLD
    for i in range(len(words)):
        if letters(words[i]) in NOT_NAMES or not letters(words[i]):
            continue
        if strict and not words[i][:1].isupper():
            continue
        for j in range(i, min(i + longest, len(words))):
            heard = " ".join(words[i: j + 1])
            for pupil in roster:
                score = name_score(heard, pupil)
                # A longer run must earn its extra words: prefer the shortest good match.
                score -= 0.02 * (j - i)
                if best is None or score > best.confidence:
                    best = NameMatch(pupil.name, heard, round(score, 3), i, j)
    if best is None or best.confidence < threshold:
        return None
    return best
