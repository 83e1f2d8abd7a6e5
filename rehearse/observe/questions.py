"""Questions posed to the class, found by structure first and words second.

A lesson's timeline is stretches of speech, each the teacher's or another voice's, with silence
between. A question posed to the class has a shape: the teacher speaks, then stops — a pause, or
another voice straight after — and what comes next is a pupil, a name, or the teacher resuming. The
shape is found on the VAD's stretches whatever Whisper wrote; Whisper's words only settle whether the
speech before the pause asked something (tiny.en drops question marks, so a question word or a prompt
counts as much as a "?"), whether it was a tag ("..., right?") or a procedural question ("Can everyone
see the board?"), and who was named after it (the naming engine, given as `name_in`).

Every time here is a VAD edge: the question's end is the end of the teacher's stretch, the wait runs to
the start of the next stretch by anyone. Word timestamps only place the question's start inside a
stretch that also holds statements before it (a display, never a measure).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable, Protocol, Sequence

from ..scoring.name_evidence import vocative
from ..scoring.name_sounds import OPEN_CALL, NameMatch
from ..scoring.timeline import LEAD_INS, PROMPTS, Utterance, utterance_of, words_of

# A teacher's stretch followed by at least this much silence before anyone speaks may be a question
# posed to the class; a shorter gap is the teacher drawing breath.
MIN_PAUSE_S = 0.8
# ...and a question without a "?" (dropped by tiny.en, or mangled: "Power the two graphs like...") only
# before a pause this long: a teacher's statements are followed by up to ~1.2 s (dev lessons).
LONG_PAUSE_S = 1.35
MAX_CALL_WORDS = 6  # a pupil called on after a pause, without a question heard: "Let's hear from Priya, then."
# Speech by another voice shorter than this is a cough or a chair, not a pupil answering or calling out.
MIN_OTHER_S = 0.25
# Other voices this short in all, between a question and the teacher's next words, that the teacher
# lets pass — she goes on waiting (LONG_PAUSE_S or more) — are a chair's scrape or a murmur, not an
# answer or a call-out she responds to: a pupil she then plainly calls on was called on to answer the
# question ("How are the two graphs alike?" <scrape> ... "Max, would you like to start?").
MAX_IGNORED_S = 1.0
# A question's start is snapped to its stretch's VAD edge when its first word is this close to it.
SNAP_S = 0.6

# Words that open a question: "What ...", "Why ...", "Can you ...", "Is it ...".
OPENERS = frozenset(
    "what why how who whom whose which where when can could would will should do does did is are "
    "was were have has might may shall isn't aren't doesn't don't didn't wasn't".split())
WH_WORDS = frozenset("what why how who whom whose which where when".split())
# The whole of a tag question: "Right?", "OK?", "Yeah?" — a check, not a question posed to the class.
TAGS = frozenset(
    "right ok okay yeah yes alright all see yep eh isn't it aren't they don't doesn't didn't wasn't you "
    "we is are was do does did got understand".split())
TAG_ENDINGS = re.compile(r"(?:^|\s)(?:right|ok|okay|yeah|alright|all right|isn't it|aren't they|don't they|"
                         r"doesn't it|didn't they|wasn't it|you see|see|got it|yes)\s*$")
# Questions about the room, not the lesson's content.
PROCEDURAL = re.compile(
    r"\b(?:(?:can|could) (?:everyone|everybody|you all|you|we all) (?:see|hear|read)|"
    r"(?:has|have) (?:everyone|everybody|you all|you) (?:got|finished|done|written)|"
    r"(?:everyone|everybody) (?:got|finished|done|ready|see|hear)|"
    r"(?:is|are) (?:everyone|everybody|you all|you) (?:ready|done|finished|ok|okay|set|here|with me)|"
    r"(?:does|do) (?:everyone|everybody|you all) (?:have|know what)|"
    r"(?:got|have) (?:your|a) (?:pen|pencil|book|books|ruler|sheet|calculator|planner)s?|"
    r"who (?:needs|hasn't got|has not got|is missing)|anyone (?:need|needs)|"
    r"(?:can|could|will|would) (?:you|someone|somebody) (?:open|close|shut|hand|pass|give out|turn on|turn off)|"
    r"(?:ready to|shall we) (?:start|begin|go|move on)|everyone ready|all ready|any questions)\b")


class Stretch(Protocol):
    """A stretch of speech on the lesson's timeline (voices.py's): start, end (s) and who."""

    start: float
    end: float
    who: str


@dataclass
class Question:
    """One question the teacher posed: the LessonAnalysis JSON's entry (lesson.py), times in s."""

    start: float
    end: float
    text: str
    kind: str  # "posed" | "procedural"
    next_speech: float | None = None
    next_speaker: str | None = None  # "teacher" | "pupil" | None
    named_pupil: str | None = None
    name_at: float | None = None
    offered_pupil: str | None = None
    call_out: bool = False
    call_out_at: float | None = None
    wait_s: float | None = None

    def to_json(self) -> dict:
        out = asdict(self)
        for key in ("start", "end", "next_speech", "name_at", "call_out_at", "wait_s"):
            if out[key] is not None:
                out[key] = round(out[key], 3)
        return out


# Who the teacher named in some of her utterances (the naming engine, lesson.py), or None.
NameIn = Callable[[Sequence[Utterance]], NameMatch | None]


def find_questions(timeline: Sequence[Stretch], teacher: Sequence[Utterance], duration_s: float,
                   name_in: NameIn | None = None,
                   progress: Callable[[float], None] | None = None) -> list[Question]:
    """The questions posed (and procedural ones) in a lesson. `timeline`: its stretches in order;
    `teacher`: the teacher's stretches in the same order, as utterances holding Whisper's words;
    `name_in`: who is named in some utterances (None: names are not looked for); `progress`: told
    the fraction of the timeline gone through."""
    spoken = [s for s in timeline if s.who == "teacher" or s.end - s.start >= MIN_OTHER_S]
    utterance_at = {(round(u.start, 3), round(u.end, 3)): u for u in teacher}
    questions: list[Question] = []
    skip_until = -1.0  # the teacher's naming utterance after a question is not itself a question
    for i, s in enumerate(spoken):
        if progress is not None:
            progress(i / len(spoken))
        if s.who != "teacher" or s.start < skip_until:
            continue
        after = spoken[i + 1] if i + 1 < len(spoken) else None
        gap = (after.start if after else duration_s) - s.end
        if gap < MIN_PAUSE_S:
            continue  # the teacher carried on (or a pupil came straight in): no room was left to think
        said = _last_sentence([w for u in _teacher_run(spoken, i, utterance_at) for w in u.words])
        text = " ".join(w.word for w in said)
        kind = classify(text, gap)
        naming, past_other = _naming_run(spoken, i + 1, utterance_at)
        match = None
        if naming and name_in is not None and (kind == "posed" or (kind is None and said and gap >= LONG_PAUSE_S
                                                                   and not is_tag(text))):
            match = name_in(naming)
            if match is not None and not match.clear and classify(_text(naming), gap) is not None:
                match = None  # a rephrase ("What is the water doing ...?") that only sounds like a name
            if past_other and not (_calls_on(match, naming) and _opens_with_name(naming, match)):
                match = None  # after a sound she let pass, only a pupil called on first ("Jo, go on."), not praised
        if kind is None and not _calls_on(match, naming):
            continue  # a statement; but a long pause and then a pupil called on by name is a question's shape
        q = Question(_start_of(said, _teacher_run(spoken, i, utterance_at)), s.end, text, kind or "posed")
        if after is not None:
            q.next_speech, q.next_speaker = after.start, ("teacher" if after.who == "teacher" else "pupil")
            q.wait_s = after.start - s.end
            if after.who != "teacher":
                q.call_out, q.call_out_at = True, after.start  # another voice before the teacher named anyone
        if match is not None:
            if match.clear:
                q.named_pupil, q.name_at = match.pupil, naming[utterance_of(naming, match.first_word)].start
            else:
                q.offered_pupil = match.pupil
            skip_until = naming[-1].end  # "Amira, what do you think?" names a pupil; it poses nothing
        questions.append(q)
    return questions


def _calls_on(match: NameMatch | None, naming: Sequence[Utterance]) -> bool:
    """Does the teacher call on a pupil, plainly: a clear name, said where a name is said to someone
    ("Priya?", "Let's hear from Priya.", "Priya, what do you think?"), in a few words?"""
    words = [w.word for u in naming for w in u.words]
    return (match is not None and match.clear and len(words) <= MAX_CALL_WORDS
            and vocative(words, match.first_word, match.last_word))


def _opens_with_name(naming: Sequence[Utterance], match: NameMatch) -> bool:
    """Does the name open the teacher's words (after "So,", "Yes,"): "Max, would you like to start?",
    not "Thank you, Max." (a response to a pupil who spoke)?"""
    before = [" ".join(words_of(w.word)) for u in naming for w in u.words][:match.first_word]
    return all(w in LEAD_INS or w in ("", "yes", "yeah") for w in before)


def _text(utterances: Sequence[Utterance]) -> str:
    return " ".join(u.text for u in utterances)


def _start_of(said: list, run: Sequence[Utterance]) -> float:
    """Where the question starts: its stretch's VAD edge when it opens the stretch (or nearly), else
    its first word's time (a display only: the question opened mid-stretch, after a statement)."""
    if not said:
        return run[-1].start
    first = next((u for u in run if any(w is said[0] for w in u.words)), run[-1])
    return first.start if said[0].start - first.start <= SNAP_S else said[0].start


def is_tag(text: str) -> bool:
    """Is this sentence a tag question or a statement ending in one ("..., right?", "OK?")?"""
    said = words_of(text)
    return bool(said) and ((len(said) <= 3 and all(w in TAGS for w in said))
                           or (bool(TAG_ENDINGS.search(" ".join(said))) and not _opens_with_question(said)))


def classify(text: str, pause_s: float) -> str | None:
    """What the teacher's last sentence before a pause of `pause_s` was: "posed", "procedural" or None
    (a statement, a tag, an open call, nothing written). Tolerant of dropped question marks, as long as
    the pause says more: a "?" or a prompt ("tell me", "explain") is enough after MIN_PAUSE_S; a
    question word opening the sentence, or one inside a longer one, needs LONG_PAUSE_S (statements
    open with "When ..." too, and tiny.en turns "Wood and ..." into "Would ...")."""
    said = words_of(text)
    if not said or is_tag(text):
        return None  # "Right?", "OK?", "Plants need light, right?"
    plain = " ".join(said)
    if PROCEDURAL.search(plain) and ("?" in text or _opens_with_question(said) or pause_s >= LONG_PAUSE_S):
        return "procedural"
    if len(said) <= 5 and OPEN_CALL.search(plain) and not any(w in WH_WORDS - {"who"} for w in said):
        return None  # "Anyone?", "Anybody want to have a go?": the question before it, still open
    # A "?" alone is evidence only on more than a word: "Jo?" calls on a pupil, it asks nothing.
    asks = ("?" in text and len(said) >= 2) or bool(PROMPTS.search(plain))
    if not asks and pause_s >= LONG_PAUSE_S:
        asks = _opens_with_question(said) or (len(said) >= 4 and any(w in WH_WORDS for w in said[1:]))
    if not asks:
        return None
    return "procedural" if PROCEDURAL.search(plain) else "posed"


def _opens_with_question(said: Sequence[str]) -> bool:
    for word in said:
        if word not in LEAD_INS and word not in ("everyone", "everybody", "class", "guys"):
            return word in OPENERS
    return False


def _last_sentence(words: list) -> list:
    """The words of the last sentence (after the last . ! or ? before the final word)."""
    start = 0
    for k, w in enumerate(words[:-1]):
        if w.word[-1:] in ".!?":
            start = k + 1
    return words[start:]


def _teacher_run(spoken: Sequence[Stretch], i: int, utterance_at: dict) -> list[Utterance]:
    """The teacher's utterances that end at stretch i: hers back to the last pause or other voice."""
    k = i
    while k > 0 and spoken[k - 1].who == "teacher" and spoken[k].start - spoken[k - 1].end < MIN_PAUSE_S:
        k -= 1
    return [_utterance(spoken[j], utterance_at) for j in range(k, i + 1)]


def _naming_run(spoken: Sequence[Stretch], i: int, utterance_at: dict) -> tuple[list[Utterance], bool]:
    """The teacher's utterances where she may name a pupil after a question: her run from stretch i
    on, or, when other voices come first but last MAX_IGNORED_S in all and she lets them pass (a
    chair, a murmur), her run after them; and whether other voices came first."""
    k, other_s = i, 0.0
    while k < len(spoken) and spoken[k].who != "teacher":
        other_s += spoken[k].end - spoken[k].start
        k += 1
    if k >= len(spoken) or (k > i and (other_s > MAX_IGNORED_S or spoken[k].start - spoken[k - 1].end < LONG_PAUSE_S)):
        return [], False
    return _teacher_run_from(spoken, k, utterance_at), k > i


def _teacher_run_from(spoken: Sequence[Stretch], i: int, utterance_at: dict) -> list[Utterance]:
    """The teacher's utterances from stretch i on, up to the next pause or other voice."""
    run = []
    for j in range(i, len(spoken)):
        if spoken[j].who != "teacher" or (run and spoken[j].start - spoken[j - 1].end >= MIN_PAUSE_S):
            break
        run.append(_utterance(spoken[j], utterance_at))
    return run


def _utterance(s: Stretch, utterance_at: dict) -> Utterance:
    return utterance_at.get((round(s.start, 3), round(s.end, 3))) or Utterance(s.start, s.end)

