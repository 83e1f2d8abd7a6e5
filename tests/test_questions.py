"""questions.py on timelines built by hand: the shape of speech and pauses, with Whisper's words as evidence."""

from __future__ import annotations

from dataclasses import dataclass

from rehearse.observe.questions import classify, find_questions
from rehearse.scoring.name_sounds import NameMatch
from rehearse.scoring.timeline import Utterance
from rehearse.scoring.words.base import Word


@dataclass
class Said:
    start: float
    end: float
    who: str
    text: str = ""


def lesson(*parts: Said):
    """The timeline and the teacher's utterances (words spread evenly over each of her stretches)."""
    teacher = []
    for p in parts:
        if p.who == "teacher":
            said = p.text.split()
            step = (p.end - p.start) / max(len(said), 1)
            teacher.append(Utterance(p.start, p.end, [Word(w, p.start + k * step, p.start + (k + 1) * step)
                                                      for k, w in enumerate(said)]))
    return list(parts), teacher


def names_from(heard: dict[str, str]):
    """A naming engine that knows which words name whom: a stand-in for the speech model's forced
    choice, so that the structure is tested on its own."""
    def name_in(utterances):
        words = [w.word.strip(".,?!") for u in utterances for w in u.words]
        for k, w in enumerate(words):
            if w in heard:
                return NameMatch(heard[w], w, 0.95, k, k, clear=heard[w] != "?")
        return None
    return name_in


def test_a_question_then_a_wait_then_a_name():
    timeline, teacher = lesson(
        Said(0.0, 3.0, "teacher", "Plants need light to grow."),
        Said(3.4, 5.2, "teacher", "Why do plants need light?"),
        Said(10.3, 11.0, "teacher", "Amira?"),
        Said(11.6, 13.0, "other"),
        Said(13.5, 15.0, "teacher", "Good. Let's move on."),
    )
    found = find_questions(timeline, teacher, 20.0, names_from({"Amira": "Amira"}))
    assert len(found) == 1
    q = found[0]
    assert (q.start, q.end, q.kind) == (3.4, 5.2, "posed")
    assert q.text == "Why do plants need light?"
    assert q.next_speech == 10.3 and q.next_speaker == "teacher"
    assert abs(q.wait_s - 5.1) < 1e-9
    assert (q.named_pupil, q.name_at, q.call_out) == ("Amira", 10.3, False)


def test_a_tag_with_no_pause_is_not_listed_and_a_procedural_question_is_apart():
    timeline, teacher = lesson(
        Said(0.0, 2.0, "teacher", "Has everyone got a pencil?"),
        Said(3.5, 5.0, "teacher", "Plants make food, right?"),
        Said(5.2, 7.0, "teacher", "So what do they make it from?"),
        Said(8.5, 9.5, "other"),
    )
    found = find_questions(timeline, teacher, 12.0)
    assert [(q.kind, q.end) for q in found] == [("procedural", 2.0), ("posed", 7.0)]


def test_a_call_out_is_another_voice_before_any_name():
    timeline, teacher = lesson(
        Said(0.0, 2.5, "teacher", "What is the capital of France?"),
        Said(4.0, 4.8, "other"),
        Said(5.5, 7.0, "teacher", "Hands up, please. Jo?"),
    )
    q, = find_questions(timeline, teacher, 10.0, names_from({"Jo": "Jo"}))
    assert q.call_out and q.call_out_at == 4.0
    assert q.next_speaker == "pupil" and q.named_pupil is None
    assert abs(q.wait_s - 1.5) < 1e-9


def test_a_pupil_called_on_after_a_sound_the_teacher_lets_pass_is_named():
    timeline, teacher = lesson(
        Said(0.0, 2.0, "teacher", "How are the two graphs alike?"),
        Said(6.6, 7.1, "other"),  # a chair's scrape heard as another voice; she goes on waiting
        Said(11.8, 13.7, "teacher", "Max, would you like to start?"),
        Said(15.0, 16.5, "other"),
        Said(20.0, 21.5, "teacher", "What is a rock?"),
        Said(23.0, 23.5, "other"),
        Said(25.0, 27.0, "teacher", "Well, thank you, Max."),  # after a pause, but no one called on
    )
    found = find_questions(timeline, teacher, 30.0, names_from({"Max": "Max"}))
    assert [q.end for q in found] == [2.0, 21.5]
    assert (found[0].named_pupil, found[0].name_at) == ("Max", 11.8)
    assert found[0].call_out and found[0].wait_s == 4.6  # the sound still ends the wait
    assert found[1].named_pupil is None  # "thank you, Max" after another voice calls on no one


def test_a_naming_question_is_not_a_new_question_and_an_unclear_name_is_only_offered():
    timeline, teacher = lesson(
        Said(0.0, 2.0, "teacher", "Why does ice float?"),
        Said(6.0, 7.5, "teacher", "Zed, what do you think?"),
        Said(8.5, 10.0, "other"),
        Said(11.0, 13.0, "teacher", "How do we know?"),
        Said(16.0, 16.6, "teacher", "Mumble."),
    )
    found = find_questions(timeline, teacher, 20.0, names_from({"Zed": "Zed", "Mumble": "?"}))
    assert [q.end for q in found] == [2.0, 13.0]
    assert found[0].named_pupil == "Zed" and found[0].name_at == 6.0
    assert found[1].named_pupil is None and found[1].offered_pupil == "?"


def test_words_are_evidence_without_question_marks():
    assert classify("so what do you think happens next", 3.0) == "posed"
    assert classify("explain why the ice floats", 3.0) == "posed"
    assert classify("the ice floats on the water.", 3.0) is None
    assert classify("Right?", 2.0) is None
    assert classify("Anyone?", 2.0) is None
    assert classify("Can everyone see the board?", 2.0) == "procedural"
