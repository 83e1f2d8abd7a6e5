"""Stage 5, timeline: utterances, the pauses between them, the question and the named pupil.

An utterance is a speech segment (from the VAD) carrying the words Whisper placed in it. All
times come from the segments, so the wait time is a true silence: from the end of the question
to the moment speech resumes with the pupil's name.

Structure first, words second. A pose-pause-name attempt has a shape: speech, the wait, speech.
The wait is the longest silence between the teacher's utterances (the later of two equal ones);
the question is the speech before it, and the name is looked for in the speech after it (a forced
choice over the roster, name_evidence.py). Words settle only what the shape cannot: whether a name was
said before the question, and whether the teacher broke the wait with a remark. Whether the
speech before the wait reads as a question is noted, not relied on: tiny.en drops question marks
and mangles first words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .name_sounds import NameMatch, Pupil, find_name
from .name_evidence import vocative
from .speech import Segment
from .words.base import Word

INTERROGATIVES = frozenset(
    "what why how who whom whose which where when can could would will should do does did is are "
    "was were have has might may shall".split()
)
# Words that ask without a question mark: "Tell me why...", "Explain how...", "Think about...".
PROMPTS = re.compile(r"\b(?:tell (?:me|us|your)|explain|describe|think about|talk (?:to|with|about)|discuss|"
                     r"show me|convince|justify|predict|compare|imagine|what if|who can|who knows|wonder)\b")
# Words a question may open with before its interrogative ("So, um, why ...", "Okay, what ...").
LEAD_INS = frozenset("so um uh er erm hmm okay ok right now and then well everyone everybody".split())
FILLERS = frozenset("um umm uh uhh er erm hmm mm".split())

# A remark after the question ("Come on, think.") that breaks the wait comes after a silence at
# least this long; a shorter gap inside the question is a hesitation.
MAX_HESITATION_S = 1.5
# Speech this much quieter than the teacher's just before and after it is someone else's (dB).
OTHER_VOICE_DB = 6.0
# A silence shorter than this, with no name after it, is not a wait: all the speech is the question.
MIN_WAIT_S = 1.0


@dataclass
class Utterance:
    """One stretch of speech and the words said in it."""

    start: float
    end: float
    words: list[Word] = field(default_factory=list)
    loud_db: float | None = None  # how loud the speech is (speech.loudness), when measured

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)


@dataclass(frozen=True)
class Pause:
    """The silence between two utterances, in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 3)


@dataclass
class NamedPupil:
    """A roster name heard in one utterance. `words`: the words written for the name (those the
    match's word indices point at), resolved when the timeline is built; none where no written word
    was the name (the speech model put the name before the words, or heard it in audio Whisper wrote
    nothing for)."""

    match: NameMatch
    utterance: int
    words: tuple[Word, ...] = ()

    @property
    def pupil(self) -> str:
        return self.match.pupil


@dataclass
class Timeline:
    """What happened, in order. Indices point into `utterances`; None where a part is missing."""

    utterances: list[Utterance]
    pauses: list[Pause]
    question: tuple[int, int] | None = None  # first and last utterance of the question
    wait: int | None = None  # the wait is the pause after this utterance (the longest silence)
    named: NamedPupil | None = None  # the pupil named after the question
    # A name said after the wait, but too unclearly to tell whose (named is then None): the match
    # holds the likeliest pupils (name_evidence.py). It keeps the wait; the coach says who it was.
    unclear_name: NamedPupil | None = None
    named_early: NamedPupil | None = None  # a pupil named before or inside the question
    question_worded: bool = False  # do the question's words read as one (a "?", "why", "tell me")?
    room_snr_db: float | None = None  # the teacher's voice above the room's background, when measured

    @property
    def transcript(self) -> str:
        """Everything said, in order."""
        return " ".join(u.text for u in self.utterances)

    @property
    def question_text(self) -> str | None:
        if self.question is None:
            return None
        first, last = self.question
        return " ".join(u.text for u in self.utterances[first: last + 1])

    @property
    def question_start(self) -> float | None:
        return None if self.question is None else self.utterances[self.question[0]].start

    @property
    def question_end(self) -> float | None:
        return None if self.question is None else self.utterances[self.question[1]].end

    @property
    def naming(self) -> NamedPupil | None:
        """The name said after the wait, clear (`named`) or not (`unclear_name`)."""
        return self.named or self.unclear_name

    @property
    def name_start(self) -> float | None:
        return None if self.naming is None else self.utterances[self.naming.utterance].start

    @property
    def named_early_span(self) -> tuple[float, float] | None:
        """Where the pupil named early was said, for the page to mark: the words written for the
        name, else the whole utterance. From word times, so only roughly (a display, never a
        measure)."""
        if self.named_early is None:
            return None
        u = self.utterances[self.named_early.utterance]
        said = self.named_early.words
        if not said:
            return (u.start, u.end)
        return (max(said[0].start, u.start), min(said[-1].end, u.end))

    def roles(self) -> dict[int, str]:
        """Each word's part in the attempt, by the word's id(): "question" for the words of the
        question's utterances, "name" for the words written for the name said after the wait (clear
        or not: the wait is timed to it), "early_name" for those of a pupil named before or inside
        the question. Words with no part (a remark, what follows the name) are left out. Exactly
        what the verdicts were judged on, so that a page's highlight agrees with them."""
        roles: dict[int, str] = {}
        if self.question is not None:
            first, last = self.question
            for u in self.utterances[first: last + 1]:
                roles.update((id(w), "question") for w in u.words)
        for found, role in ((self.naming, "name"), (self.named_early, "early_name")):
            if found is not None:
                roles.update((id(w), role) for w in found.words)
        return roles

    @property
    def pause_after_question(self) -> float | None:
        """The silence right after the question, whatever broke it."""
        if self.question is None or self.question[1] + 1 >= len(self.utterances):
            return None
        last = self.question[1]
        return round(self.utterances[last + 1].start - self.utterances[last].end, 3)

    @property
    def wait_time(self) -> float | None:
        """Silence from the end of the question to the start of the named pupil's utterance.

        If the teacher spoke again before naming, the wait was broken: the wait time is the
        silence actually kept, the pause right after the question.
        """
        if self.question is None or self.naming is None:
            return None
        return self.pause_after_question

    @property
    def spoke_before_naming(self) -> str | None:
        """What the teacher said between the question and the name, if anything."""
        if self.question is None or self.naming is None:
            return None
        between = self.utterances[self.question[1] + 1: self.naming.utterance]
        return " ".join(u.text for u in between) or None


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return re.findall(r"[a-z']+", text.lower())


def assign_words(segments: Sequence[Segment], words: Sequence[Word]) -> list[Utterance]:
    """Put each word in the segment holding its midpoint, else the nearest one."""
    utterances = [Utterance(s.start, s.end) for s in segments]
    for w in words:
        mid = (w.start + w.end) / 2
        nearest = min(range(len(segments)),
                      key=lambda i: max(segments[i].start - mid, mid - segments[i].end, 0.0))
        utterances[nearest].words.append(w)
    return utterances


def teachers_utterances(utterances: Sequence[Utterance]) -> list[Utterance]:
    """The utterances that are the teacher's: those Whisper wrote words for, and the last one
    whatever it holds (a name Whisper could not write, heard again on its own by the name
    chooser). A stretch of "speech" in which Whisper heard no word at all, with the teacher's
    words after it, is the room: a voice next door, a chair, a cough. Left in, it would break or
    end the wait. If Whisper wrote nothing anywhere, all the speech stays. And speech between the
    teacher's, far quieter than the teacher's on both sides of it, is another voice: the coach's
    "Oh my god" in the wait (dev: 9 of 16 murmurs broke the wait before)."""
    kept = [u for k, u in enumerate(utterances) if u.words or k == len(utterances) - 1]
    kept = kept if any(u.words for u in kept) else list(utterances)
    return [u for k, u in enumerate(kept) if not (0 < k < len(kept) - 1 and _quieter(u, kept[k - 1], kept[k + 1]))]


def _quieter(u: Utterance, before: Utterance, after: Utterance) -> bool:
    levels = [x.loud_db for x in (u, before, after)]
    return None not in levels and levels[0] <= min(levels[1], levels[2]) - OTHER_VOICE_DB


def is_question(text: str) -> bool:
    """Do these words ask something? Tolerant on purpose (tiny.en drops question marks and mangles
    first words): a question mark, an interrogative anywhere, or a prompt such as "tell me"."""
    if "?" in text:
        return True
    said = words_of(text)
    return any(w in INTERROGATIVES for w in said) or bool(PROMPTS.search(" ".join(said)))


def opens_with_question_word(text: str) -> bool:
    """Does this speech start (after lead-ins) with an interrogative? Then no name came first."""
    for word in words_of(text):
        if word not in LEAD_INS:
            return word in INTERROGATIVES
    return False


def _continues(text: str) -> bool:
    """Text that reads as the rest of a sentence: it starts in lower case or with an article."""
    words = words_of(text)
    return bool(words) and (text[:1].islower() or words[0] in {"the", "a", "an", "if", "that", "this"})


# Who was named in some utterances: a match (its word indices count over all their words), or None.
# The second argument, `at_start`: only a name opening the speech counts (before the question).
Chooser = Callable[[Sequence["Utterance"], bool], NameMatch | None]


def match_by_sound(roster: Sequence[Pupil]) -> Chooser:
    """A chooser from the written words alone (name_sounds.py's sound match): for timelines built
    without the audio, and where no speech model is at hand."""
    def choose(utterances: Sequence[Utterance], at_start: bool) -> NameMatch | None:
        return find_name([w.word for u in utterances for w in u.words], roster, strict=at_start)
    return choose


def build_timeline(segments: Sequence[Segment], words: Sequence[Word], roster: Sequence[Pupil],
                   choose: Chooser | None = None, loudness: Sequence[float] | None = None) -> Timeline:
    """Assemble the timeline: utterances, pauses, the question and the named pupil.

    `choose` finds the pupil named in some utterances (the engine's forced choice on the audio);
    without it, names are matched on the written words by sound. `loudness`: each segment's level
    (speech.loudness), to tell another, quieter voice from the teacher's.
    """
    utterances = assign_words(segments, words)
    for u, loud in zip(utterances, loudness or ()):
        u.loud_db = loud
    utterances = teachers_utterances(utterances)
    pauses = [Pause(a.end, b.start) for a, b in zip(utterances, utterances[1:])]
    timeline = Timeline(utterances, pauses)
    if not utterances:
        return timeline
    if not roster:
        choose = None
    elif choose is None:
        choose = match_by_sound(roster)
    n = len(utterances)
    wait = max(range(n - 1), key=lambda k: (pauses[k].duration, k)) if n > 1 else None
    timeline.wait = wait
    if wait is not None and choose is not None:
        after = utterances[wait + 1:]
        match = choose(after, False)
        if match is not None:
            found = NamedPupil(match, wait + 1 + utterance_of(after, match.first_word), _words_named(after, match))
            if match.clear:
                timeline.named = found
            elif pauses[wait].duration >= MIN_WAIT_S:  # after a short gap it is the question going on
                timeline.unclear_name = found
    if timeline.naming is None and (wait is None or pauses[wait].duration < MIN_WAIT_S):
        last = n - 1  # no wait: all the speech is the question (a name first, or no name at all)
    else:
        last = _before_remark(utterances, pauses, wait) if timeline.named else wait
    timeline.question = (0, last)
    timeline.question_worded = is_question(timeline.question_text or "")
    if choose is not None:
        timeline.named_early = _named_early(utterances[: last + 1], roster, choose)
    return timeline


def utterance_of(utterances: Sequence[Utterance], word: int) -> int:
    """Which of `utterances` holds their `word`-th word (counted over all of them)."""
    for k, u in enumerate(utterances):
        if word < len(u.words):
            return k
        word -= len(u.words)
    return 0


def _before_remark(utterances: Sequence[Utterance], pauses: Sequence[Pause], wait: int) -> int:
    """The last utterance of the question, when a remark may sit between it and the wait: "Why does
    ice float? [2 s] Come on, think. [4 s] Grace." - the remark broke the wait, which was 2 s. Only
    when the words are plain: a worded question, then a long silence, then speech that neither asks
    nor continues the sentence."""
    if is_question(utterances[wait].text):
        return wait
    for j in range(wait - 1, -1, -1):
        if (is_question(utterances[j].text) and pauses[j].duration >= MAX_HESITATION_S
                and not _continues(utterances[j + 1].text)):
            return j
    return wait


def _named_early(question: Sequence[Utterance], roster: Sequence[Pupil], choose: Chooser) -> NamedPupil | None:
    """A pupil named before or inside the question: a name opening it ("Jamal, which ...": the
    forced choice of name_evidence.py against "none of these", name_belief.py), or a roster name written
    plainly inside it where a name is said to someone ("What do you think, Priya?"; not "on a hot
    summer afternoon")."""
    # The first utterance that says more than "um, so": a name would open it.
    first = next((k for k, u in enumerate(question) if any(w not in LEAD_INS for w in words_of(u.text))), None)
    if first is not None:
        match = choose(question[first: first + 1], True)
        if match is not None:
            return NamedPupil(match, first, _words_named(question[first: first + 1], match))
    for k, u in enumerate(question):
        said = [w.word for w in u.words]
        match = find_name(said, roster, strict=True)
        if match is not None and vocative(said, match.first_word, match.last_word):
            return NamedPupil(match, k, _words_named([u], match))
    return None


def _words_named(utterances: Sequence[Utterance], match: NameMatch) -> tuple[Word, ...]:
    """The words of `utterances` written for the name `match` heard: its word indices count over
    all their words. None when the words there do not spell what the match heard: the speech model put the name
    before the words ("[Grace,] would you ..."), or heard it where Whisper had written nothing and
    the speech was transcribed again on its own (pipeline.py)."""
    picked = [w for u in utterances for w in u.words][match.first_word: match.last_word + 1]
    if not match.heard or " ".join(w.word for w in picked) != match.heard:
        return ()
    return tuple(picked)
