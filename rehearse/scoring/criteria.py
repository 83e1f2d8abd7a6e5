"""Stage 6, criteria: the library of rules a success criterion is made from.

A step picks rules and sets their parameters; each rule reads the timeline and returns
passed + evidence in words a teacher understands ("You paused 3.4 s; the target is at least 5 s.").
Each rule also says, from its parameters, the sentence the teacher reads as the criterion.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Callable

from .name_sounds import term_similarity
from .timeline import FILLERS, INTERROGATIVES, Timeline, words_of


@dataclass(frozen=True)
class Verdict:
    """One success criterion judged: its id, whether it was met, and the evidence in words.

    `if_named`: the verdict ({"passed", "detail"}) this criterion would have had had the app heard
    a pupil named after the wait; it holds when the coach says which pupil it was (progress.py)."""

    id: str
    passed: bool
    detail: str
    if_named: dict[str, Any] | None = None


@dataclass(frozen=True)
class Rule:
    """A rule of the library: its parameters (type, default) and how it describes and checks."""

    name: str
    label: str  # the rule in a word or two, as the verdict line beside the record button says it
    params: dict[str, tuple[type, Any]]
    describe: Callable[..., str]
    check: Callable[..., tuple[bool, str]]
    form: str  # the criterion in plain words with a {slot} per parameter, for the authoring form
    focus: str  # what the teacher attends to; criteria with the same focus count as one focus
    needs_roster: bool = False  # checkable only when the class list is known

RULES: dict[str, Rule] = {}
# The foci a criterion can serve: an action step should ask the teacher to attend to three at most.
QUESTION = "posing the question"
PAUSE_AND_NAME = "pausing, then naming a pupil"
WORDING = "the words used"
BREVITY = "keeping it short"
CHECKING = "checking understanding"
REQUIRED = object()  # a parameter without a default
# What the step editor's form calls each parameter's box (the rules' `form` shows it in place): every
# message about a parameter, on the form, says this, never the key of the step file (min_s, max_s...).
PARAM_LABELS = {"min_s": "the shortest pause", "max_s": "the longest pause", "min_count": "how many key words",
                "words": "the key words", "phrases": "the phrases", "max": "the number", "in_order": "in this order"}


def param_label(param: str) -> str:
    """A rule parameter as the step editor's form names it (PARAM_LABELS)."""
    return PARAM_LABELS.get(param, param)
NOISY_ROOM_DB = 20.0  # the teacher's voice less far than this above the background: said in the evidence


def rule(name: str, label: str, describe: Callable[..., str], form: str, focus: str, needs_roster: bool = False,
         **params: tuple[type, Any]):
    """Register a check function as the rule `name` with typed parameters (type, default): a new
    criterion is one such function, here (docs/steps.md lists it for step writers)."""

    def register(check):
        RULES[name] = Rule(name, label, params, describe, check, form, focus, needs_roster)
        return check

    return register


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def _or(names) -> str:
    """"A, B or C"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _n(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


@rule("asks_question", label="question", describe=lambda: "Ask a question", form="Ask a question", focus=QUESTION)
def asks_question(t: Timeline) -> tuple[bool, str]:
    if t.question is None:
        return False, "No question was heard; pose the question to the whole class first."
    if t.question_worded:
        return True, f'You asked: "{t.question_text}"'
    if t.naming is None and t.named_early is None:
        return False, f'No question was heard (you said "{t.question_text}"); pose a question to the whole class.'
    # The shape was there (speech, the wait, a name; or a name, then the question) but the words were
    # unclear: Whisper drops question marks and mangles first words, a name it does not know most of
    # all. Not failed for that (one mistake, one cross); the coach can overrule.
    return True, (f'Heard before the wait: "{t.question_text}". The words did not make plain that it '
                  "was a question, so it was not counted against you; overrule if it was not one.")


def _early(t: Timeline) -> str:
    """The name said before the question, in words: the pupil's when it was clear whose."""
    m = t.named_early.match
    return m.pupil if m.clear else f"a pupil ({_or(m.likely)}?)"


def _wait_target(min_s: float, max_s: float | None) -> str:
    if max_s is None:
        return f"at least {min_s:g} s"
    return f"{min_s:g}–{max_s:g} s"


@rule("wait_time", label="wait",
      describe=lambda min_s, max_s: f"Pause {_wait_target(min_s, max_s)} after the question before naming a pupil",
      form="Pause at least {min_s} seconds, and at most {max_s} seconds, after the question before naming a pupil",
      focus=PAUSE_AND_NAME, needs_roster=True, min_s=(float, 3.0), max_s=(float, None))
def wait_time(t: Timeline, min_s: float, max_s: float | None) -> tuple[bool, str] | tuple[bool, str, dict]:
    target = f"the target is {_wait_target(min_s, max_s)}"
    if t.question is None:
        return False, f"No question was heard, so there was no wait to time; {target}."
    pause = t.pause_after_question
    within = lambda waited: waited >= min_s and (max_s is None or waited <= max_s)  # noqa: E731
    if t.naming is None:
        if pause is None:
            return False, f"Nothing was said after the question, so no pupil was named; {target}."
        if t.named_early is not None:
            # One mistake, one cross: the name came first (no_name_before_question fails for it);
            # the pause after the question was still kept, and is judged as a wait.
            return within(pause), (f"You paused {_s(pause)} after the question ({_early(t)} was "
                                   f"said before it); {target}.")
        # The coach may say a pupil was named after all (the app did not hear it): the pause then
        # was the wait, judged as one.
        return False, f"You paused {_s(pause)} but named no pupil from the roster; {target}.", {
            "passed": within(pause), "detail": f"You paused {_s(pause)}; {target}."}
    waited = t.wait_time
    passed = within(waited)
    detail = f"You paused {_s(waited)}; {target}."
    if t.spoke_before_naming:
        who = t.named.pupil if t.named else "a pupil"
        detail = f'You paused {_s(waited)}, then said "{t.spoke_before_naming}" before naming {who}; {target}.'
    if t.room_snr_db is not None and t.room_snr_db < NOISY_ROOM_DB:
        detail += (f" The room was noisy (your voice {t.room_snr_db:.0f} dB above the background); quieter "
                   "voices were left out of the timing.")
    return passed, detail


@rule("names_pupil", label="pupil named", describe=lambda: "Name one pupil from the class after the pause",
      form="Name one pupil from the class after the pause", focus=PAUSE_AND_NAME, needs_roster=True)
def names_pupil(t: Timeline) -> tuple[bool, str]:
    if t.unclear_name is not None:
        m = t.unclear_name.match
        heard = f'heard "{m.heard}"' if m.heard else "the words were not clear"
        return True, (f"A name was said after the wait, but not clearly enough to tell whose ({heard}): "
                      f"was it {_or(m.likely)}? Not counted against you; overrule if no pupil was named.")
    if t.named is None:
        if t.named_early is not None:  # one mistake, one cross: counted under no_name_before_question
            return True, (f"You named {_early(t)}, but before the question, not after the pause: "
                          "counted once, under \"no name before the question\".")
        return False, "No pupil from the roster was named after the question."
    m = t.named.match
    heard = "" if m.heard.strip(".,?!").lower() == m.pupil.lower() else f', heard as "{m.heard}"'
    return True, f"You named {m.pupil}{heard} ({m.confidence:.0%} sure)."


@rule("no_name_before_question", label="no name first",
      describe=lambda: "Say no name before the question, so that every pupil has to think",
      form="Say no name before the question, so that every pupil has to think", focus=QUESTION,
      needs_roster=True)
def no_name_before_question(t: Timeline) -> tuple[bool, str]:
    if t.named_early is None:
        return True, "No name came before the question: the whole class had to think."
    who = f"{t.named_early.pupil}'s name" if t.named_early.match.clear else f"the name of {_early(t)}"
    return False, (f"You said {who} before the question was finished; "
                   "the rest of the class is let off thinking.")


def key_words_of(text: str) -> list[str]:
    """The words of a key word or of a transcript, compared alike: in any script (NFKC, case-folded;
    letters and digits, "1066", "π", "中文" as well as "glucose"), apostrophes kept within a word.
    Not `words_of`, which keeps a–z only for the rest of the engine: a key word with none of those
    letters had no words, and an empty term was "said" in every rep. (A number said in words,
    "ten sixty-six" for 1066, is not matched.)"""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text)


def _matches_term(term: str, words: list[str]) -> bool:
    """Is `term` (one or more words) said in `words` (key_words_of both), allowing endings and
    mishearing? A term of no words (only punctuation) is never said."""
    target = key_words_of(term)
    if not target:
        return False
    size = len(target)
    joined = "".join(target)
    for i in range(len(words)):
        for n in {size, size + 1, max(size - 1, 1)}:
            window = words[i: i + n]
            if [_stem(w) for w in window] == [_stem(w) for w in target]:
                return True
            if len(joined) >= 5 and term_similarity("".join(window), joined) >= 0.9:
                return True
    return False


def _stem(word: str) -> str:
    return re.sub(r"(ing|ed|es|s)$", "", word) if len(word) > 4 else word


@rule("uses_key_words", label="key words",
      describe=lambda words, min_count: (
          f"Use the key words {', '.join(words)}" if min_count in (None, len(words))
          else f"Use at least {min_count} of the key words {', '.join(words)}"),
      form="Use at least {min_count} of the key words {words}", focus=WORDING,
      words=(list, REQUIRED), min_count=(int, None))
def uses_key_words(t: Timeline, words: list[str], min_count: int | None) -> tuple[bool, str]:
    said = key_words_of(t.transcript)
    used = [w for w in words if _matches_term(w, said)]
    missing = [w for w in words if w not in used]
    need = len(words) if min_count is None else min_count
    detail = f"You used {len(used)} of {len(words)} key words"
    detail += f": {', '.join(used)}" if used else ""
    detail += f"; missing: {', '.join(missing)}." if missing else "."
    return len(used) >= need, detail


STEP_MARKERS = re.compile(r"\b(?:and then|then|next|after that|finally)\b", re.I)


def sentences_of(text: str) -> list[str]:
    """The sentences of a transcript (split at . ! ?), stripped, each with at least one word."""
    return [s.strip() for s in re.findall(r"[^.!?]+[.!?]?", text) if words_of(s)]


def _is_question(sentence: str) -> bool:
    return sentence.endswith("?") or words_of(sentence)[0] in INTERROGATIVES


def instruction_steps(t: Timeline) -> list[str]:
    """The instructions given, one per step: sentences and 'then'-clauses that are not questions."""
    steps = []
    for sentence in sentences_of(t.transcript):
        if _is_question(sentence):
            continue
        for clause in STEP_MARKERS.split(sentence):
            if len([w for w in words_of(clause) if w not in FILLERS]) >= 2:
                steps.append(clause.strip(" ,"))
    return steps


@rule("max_steps", label="steps", describe=lambda max: f"Give the instructions in at most {max} steps",
      form="Give the instructions in at most {max} steps", focus=BREVITY, max=(int, 3))
def max_steps(t: Timeline, max: int) -> tuple[bool, str]:
    steps = instruction_steps(t)
    if not steps:
        return False, "No instructions were heard."
    listing = "; ".join(f"({i}) {s}" for i, s in enumerate(steps, 1))
    return len(steps) <= max, f"You gave {_n(len(steps), 'step')} (aim for at most {max}): {listing}."


@rule("checks_understanding", label="checks understanding",
      describe=lambda: "End with a question that checks the class understood",
      form="End with a question that checks the class understood", focus=CHECKING)
def checks_understanding(t: Timeline) -> tuple[bool, str]:
    sentences = sentences_of(t.transcript)
    if sentences and _is_question(sentences[-1]):
        return True, f'You checked for understanding: "{sentences[-1]}"'
    return False, "You did not finish with a question that checks understanding (e.g. \"What will you do first?\")."


@rule("max_fillers", label="fillers", describe=lambda max: f"Say at most {max} filler words (um, er)",
      form="Say at most {max} filler words (um, er)", focus=BREVITY, max=(int, 2))
def max_fillers(t: Timeline, max: int) -> tuple[bool, str]:
    said = [w for u in t.utterances for w in words_of(u.text) if w in FILLERS]
    if not said:
        return True, "No filler words (um, er) were heard."
    counts = ", ".join(f'"{w}" ×{said.count(w)}' for w in dict.fromkeys(said))
    return len(said) <= max, f"You said {_n(len(said), 'filler word')} ({counts}); aim for at most {max}."


@rule("max_words", label="words", describe=lambda max: f"Use at most {max} words", form="Use at most {max} words",
      focus=BREVITY, max=(int, REQUIRED))
def max_words(t: Timeline, max: int) -> tuple[bool, str]:
    count = len(words_of(t.transcript))
    return count <= max, f"You used {_n(count, 'word')}; aim for at most {max}."


@rule("max_seconds", label="time", describe=lambda max: f"Finish within {max:g} seconds", form="Finish within {max} seconds",
      focus=BREVITY, max=(float, REQUIRED))
def max_seconds(t: Timeline, max: float) -> tuple[bool, str]:
    if not t.utterances:
        return False, "Nothing was said."
    spoken = t.utterances[-1].end - t.utterances[0].start
    return spoken <= max, f"You spoke for {_s(spoken)}; aim for at most {max:g} s."


def _find_phrase(phrase: str, words: list[str], start: int) -> int | None:
    """Index just after `phrase` in `words` (from `start`), tolerating small mishearings."""
    target = "".join(words_of(phrase))
    size = len(words_of(phrase))
    for i in range(start, len(words)):
        for n in (size, size - 1, size + 1):
            if n > 0 and SequenceMatcher(None, "".join(words[i: i + n]), target).ratio() >= 0.85:
                return i + n
    return None


@rule("says_phrases", label="phrases",
      describe=lambda phrases, in_order: ("Say, in this order: " if in_order else "Say: ")
      + " … ".join(f'"{p}"' for p in phrases),
      form="Say the phrases {phrases} ({in_order} in this order)", focus=WORDING,
      phrases=(list, REQUIRED), in_order=(bool, True))
def says_phrases(t: Timeline, phrases: list[str], in_order: bool) -> tuple[bool, str]:
    words = words_of(t.transcript)
    position, missing = 0, []
    for phrase in phrases:
        found = _find_phrase(phrase, words, position if in_order else 0)
        if found is None:
            missing.append(phrase)
        elif in_order:
            position = found
    if not missing:
        return True, "You said " + ", then ".join(f'"{p}"' for p in phrases) + "."
    where = " in order" if in_order else ""
    return False, "Not heard" + where + ": " + ", ".join(f'"{p}"' for p in missing) + "."


# Each rule in a word or two (Rule.label), as the verdict line beside the record button says it: sent
# with each verdict (rehearse/web/display.py `label`), so the page's script holds no copy.
LABELS = {name: r.label for name, r in RULES.items()}
