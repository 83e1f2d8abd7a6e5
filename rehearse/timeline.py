"""Stage 5, timeline: utterances, the pauses between them, the question and the named pupil.

An utterance is a speech segment (from the VAD) carrying the words Whisper placed in it. All
times come from the segments, so the wait time is a true silence: from the end of the question
to the moment speech resumes with the pupil's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .names import NameMatch, Pupil, find_name
from .speech import Segment
from .transcribe import Word

INTERROGATIVES = frozenset(
    "what why how who whom whose which where when can could would will should do does did is are "
    "was were have has might may shall".split()
)
# Words a question may open with before its interrogative ("So, um, why ...", "Okay, what ...").
LEAD_INS = frozenset("so um uh er erm hmm okay ok right now and then well everyone everybody".split())
FILLERS = frozenset("um umm uh uhh er erm hmm mm".split())

# A question said in two parts ("Why do you think... the ice melted?") has a hesitation inside it.
# A gap shorter than this, not followed by a name, keeps the question going.
MAX_HESITATION_S = 1.5


@dataclass
class Utterance:
    """One stretch of speech and the words said in it."""

    start: float
    end: float
    words: list[Word] = field(default_factory=list)

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
    """A roster name heard in one utterance."""

    match: NameMatch
    utterance: int

    @property
    def pupil(self) -> str:
        return self.match.pupil


@dataclass
class Timeline:
    """What happened, in order. Indices point into `utterances`; None where a part is missing."""

    utterances: list[Utterance]
    pauses: list[Pause]
    question: tuple[int, int] | None = None  # first and last utterance of the question
    named: NamedPupil | None = None  # the pupil named after the question
    named_early: NamedPupil | None = None  # a pupil named before or inside the question

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
    def name_start(self) -> float | None:
        return None if self.named is None else self.utterances[self.named.utterance].start

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
        if self.question is None or self.named is None:
            return None
        return self.pause_after_question

    @property
    def spoke_before_naming(self) -> str | None:
        """What the teacher said between the question and the name, if anything."""
        if self.question is None or self.named is None:
            return None
        between = self.utterances[self.question[1] + 1: self.named.utterance]
        return " ".join(u.text for u in between) or None


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return re.findall(r"[a-z']+", text.lower())


def tokens(text: str) -> list[str]:
    """Words as written (case kept: Whisper capitalises names), without punctuation."""
    return re.findall(r"[\w']+", text)


def assign_words(segments: Sequence[Segment], words: Sequence[Word]) -> list[Utterance]:
    """Put each word in the segment holding its midpoint, else the nearest one."""
    utterances = [Utterance(s.start, s.end) for s in segments]
    for w in words:
        mid = (w.start + w.end) / 2
        nearest = min(range(len(segments)),
                      key=lambda i: max(segments[i].start - mid, mid - segments[i].end, 0.0))
        utterances[nearest].words.append(w)
    return utterances


def is_question_start(text: str) -> bool:
    """Does this utterance open a question (an interrogative first, after lead-ins and a name)?"""
    if "?" in text:
        return True
    for word in words_of(text):
        if word in LEAD_INS:
            continue
        return word in INTERROGATIVES
    return False


def find_questions(utterances: Sequence[Utterance], names: Sequence[NameMatch | None]) -> list[tuple[int, int]]:
    """Each question as (first, last) utterance; a hesitation inside one does not end it."""
    def hesitation_after(k: int) -> bool:
        """Is utterance k followed, after a short gap, by speech that is not a name?"""
        return (k + 1 < len(utterances) and names[k + 1] is None
                and utterances[k + 1].start - utterances[k].end < MAX_HESITATION_S)

    questions, i = [], 0
    while i < len(utterances):
        if not is_question_start(utterances[i].text):
            i += 1
            continue
        last = i
        while not utterances[last].text.rstrip().endswith("?") and hesitation_after(last):
            last += 1
        # "Why do you think?" ... "the ice melted so quickly." Whisper may put the question mark
        # on the first part: a continuation that is no question of its own still belongs to it.
        while (hesitation_after(last) and not is_question_start(utterances[last + 1].text)
               and _continues(utterances[last + 1].text)):
            last += 1
        questions.append((i, last))
        i = last + 1
    return questions


def _continues(text: str) -> bool:
    """Text that reads as the rest of a sentence: it starts in lower case or with an article."""
    words = words_of(text)
    return bool(words) and (text[:1].islower() or words[0] in {"the", "a", "an", "if", "that", "this"})


def build_timeline(segments: Sequence[Segment], words: Sequence[Word],
                   roster: Sequence[Pupil]) -> Timeline:
    """Assemble the timeline: utterances, pauses, the question and the named pupil."""
    utterances = assign_words(segments, words)
    pauses = [Pause(a.end, b.start) for a, b in zip(utterances, utterances[1:])]
    names = [find_name(tokens(u.text), roster) if roster else None for u in utterances]
    timeline = Timeline(utterances, pauses)
    questions = find_questions(utterances, names)
    if not questions:
        return timeline
    # The question is the one the named pupil answers: the last question before the first name
    # said after a question. With no such name, the first question.
    named_at = next((k for k, m in enumerate(names) if m and k > questions[0][1]), None)
    if named_at is not None:
        timeline.question = [q for q in questions if q[1] < named_at][-1]
        timeline.named = NamedPupil(names[named_at], named_at)
    else:
        timeline.question = questions[0]
    for k in range(timeline.question[1] + 1):
        early = find_name(tokens(utterances[k].text), roster, strict=True) if roster else None
        if early:
            timeline.named_early = NamedPupil(early, k)
            break
    return timeline
