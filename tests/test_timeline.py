"""Stage 5: the question, the named pupil and the wait time, from utterances and their words."""

from __future__ import annotations

from rehearse.scoring.name_sounds import NameMatch
from rehearse.scoring.speech import Segment
from rehearse.scoring.timeline import build_timeline
from rehearse.scoring.words.base import Word

from .helpers import ROSTER, timeline_of, unclear_after_the_wait


def test_question_pause_name():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Siobhan."))
    assert t.question_text == "Why does ice float on water?"
    assert t.named.pupil == "Siobhan"
    assert t.wait_time == 5.4
    assert t.named_early is None


def test_a_hesitation_inside_the_question_does_not_end_it():
    t = timeline_of((0.5, 1.3, "Why do you think..."), (2.1, 3.6, "the ice melted so quickly?"),
                    (9.3, 9.8, "Priya."))
    assert t.question == (0, 1)
    assert t.question_end == 3.6
    assert t.wait_time == 5.7


def test_question_mark_on_the_first_part_still_takes_the_rest():
    t = timeline_of((0.6, 1.3, "Why do you think?"), (2.1, 3.6, "The ice melted so quickly."), (9.3, 9.8, "Niamh."))
    assert t.question_end == 3.6


def test_a_short_pause_before_the_name_is_not_absorbed_into_the_question():
    t = timeline_of((0.5, 2.0, "What is seven times eight?"), (3.1, 3.5, "Tom."))
    assert t.question == (0, 0) and t.wait_time == 1.1


def test_name_before_the_question():
    t = timeline_of((0.5, 3.0, "Priya, why does ice float on water?"), (8.0, 8.5, "Go on."))
    assert t.named is None and t.wait_time is None
    assert t.named_early.pupil == "Priya"


def test_a_name_inside_the_question_is_marked_where_it_was_said():
    t = timeline_of((0.5, 3.5, "What do you think happens next, Priya?"), (9.0, 9.5, "Go on."))
    assert t.named_early.pupil == "Priya"
    start, end = t.named_early_span
    assert 3.0 <= start < end <= 3.5  # the last of six words, not the whole question
    opening = timeline_of((0.5, 3.0, "Priya, why does ice float on water?"), (8.0, 8.5, "Go on."))
    assert opening.named_early_span[0] == 0.5 and opening.named_early_span[1] < 1.0
    assert timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Siobhan.")).named_early_span is None


def test_no_name_after_the_pause():
    t = timeline_of((0.5, 2.0, "Why might she have lied?"), (7.5, 8.0, "Anyone?"))
    assert t.named is None and t.wait_time is None
    assert t.pause_after_question == 5.5


def test_speech_between_question_and_name_breaks_the_wait():
    t = timeline_of((0.5, 2.0, "Why does ice float?"), (4.0, 5.0, "Come on, think."), (9.0, 9.4, "Grace."))
    assert t.named.pupil == "Grace"
    assert t.wait_time == 2.0
    assert t.spoke_before_naming == "Come on, think."


def test_a_restarted_question_is_all_the_speech_before_the_wait():
    t = timeline_of((0.5, 1.5, "What is a noun?"), (2.5, 3.5, "Which word here is a noun?"), (9.0, 9.4, "Tom."))
    assert t.question == (0, 1)
    assert t.wait_time == 5.5


def test_fillers_before_the_question_belong_to_it():
    t = timeline_of((0.6, 1.8, "Um, so, er,"), (2.2, 3.5, "what do you think happens next?"), (9.0, 9.4, "Xavier."))
    assert t.question == (0, 1) and t.question_end == 3.5
    assert t.named.pupil == "Xavier" and t.wait_time == 5.5


# Structure first: the wait is the longest silence, whatever Whisper wrote around it.

def test_the_names_own_utterance_is_not_taken_for_the_question():
    t = timeline_of((0.5, 3.0, "What evidence supports the idea that the climate is changing?"),
                    (8.6, 9.1, "Grace,"), (9.5, 10.8, "would you like to start?"))
    assert t.question == (0, 0) and t.question_end == 3.0
    assert t.named.pupil == "Grace" and t.wait_time == 5.6
    assert t.named_early is None


def test_a_question_whisper_garbled_still_counts_and_is_not_failed():
    t = timeline_of((0.5, 3.0, "Whatever it and supports the idea changing."), (8.1, 8.5, "Priya."))
    assert t.question == (0, 0) and not t.question_worded
    assert t.named.pupil == "Priya" and t.wait_time == 5.1


def test_prompts_without_a_question_mark_read_as_questions():
    for said in ("Tell me why the ice melted.", "Explain how you got that.", "Think about the ending.",
                 "Who can find the verb"):
        assert timeline_of((0.5, 2.0, said), (7.5, 8.0, "Tom.")).question_worded, said


def test_a_short_silence_with_no_name_after_it_is_not_a_wait():
    t = timeline_of((0.5, 1.0, "Priya,"), (1.4, 3.0, "why does ice float on water?"))
    assert t.question == (0, 1) and t.named is None and t.wait_time is None
    assert t.named_early.pupil == "Priya"


def test_silence_only_after_the_question():
    t = timeline_of((0.5, 2.5, "Why does ice float on water?"))
    assert t.question == (0, 0) and t.named is None and t.pause_after_question is None


def test_a_name_said_unclearly_after_the_wait_keeps_the_wait():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Then in days."),
                    choose=unclear_after_the_wait)
    assert t.named is None and t.unclear_name.match.likely == ("Niamh", "Tom")
    assert t.wait_time == 5.4 and t.name_start == 7.4 and t.question == (0, 0)


def test_unclear_words_after_a_short_gap_are_the_question_going_on():
    t = timeline_of((0.5, 2.0, "Why does ice"), (2.6, 3.5, "float on water?"), choose=unclear_after_the_wait)
    assert t.unclear_name is None and t.wait_time is None and t.question == (0, 1)


def test_speech_with_no_words_in_it_during_the_wait_is_the_room():
    # A voice next door at 5 s, where Whisper heard no word: not the teacher, and no break of the wait.
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (5.0, 5.6, ""), (7.4, 7.9, "Siobhan."))
    assert t.named.pupil == "Siobhan" and t.wait_time == 5.4 and len(t.utterances) == 2
    # The last speech stays, words or none: it may be a name Whisper could not write.
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, ""))
    assert len(t.utterances) == 2 and t.pause_after_question == 5.4


# Each word's part (Timeline.roles), for the page's highlight: exactly what the verdicts were judged on.

def parts(t) -> dict[str, str]:
    """The words of each part, in order; "" for a part no word plays."""
    roles = t.roles()
    said = [w for u in t.utterances for w in u.words]
    return {part: " ".join(w.word for w in said if roles.get(id(w)) == part) for part in ("question", "name", "early_name")}


def test_the_question_is_its_utterances_words_and_the_name_the_words_heard_as_it():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 9.0, "Siobhan, what do you think?"))
    assert parts(t) == {"question": "Why does ice float on water?", "name": "Siobhan,", "early_name": ""}
    assert t.wait == 0


def test_a_name_heard_as_two_words_is_both_words():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Chiv on."),
                    choose=lambda utterances, at_start: None if at_start else NameMatch("Siobhan", "Chiv on.", 0.9, 0, 1))
    assert parts(t)["name"] == "Chiv on." == t.named.match.heard


def test_a_name_in_a_remark_before_the_wait_is_not_the_name_the_wait_was_timed_to():
    t = timeline_of((0.5, 2.0, "Why does ice float?"), (4.0, 5.0, "Grace, no, think."), (9.0, 9.4, "Grace."))
    assert t.spoke_before_naming == "Grace, no, think."
    assert parts(t) == {"question": "Why does ice float?", "name": "Grace.", "early_name": ""}


def test_a_name_said_early_is_marked_as_such_inside_the_question():
    t = timeline_of((0.5, 3.5, "What do you think happens next, Priya?"), (9.0, 9.5, "Go on."))
    assert parts(t) == {"question": "What do you think happens next,", "name": "", "early_name": "Priya?"}
    t = timeline_of((0.5, 3.0, "Priya, why does ice float on water?"), (8.0, 8.5, "Go on."))
    assert parts(t)["early_name"] == "Priya,"


def test_an_unclear_name_is_all_the_words_heard_for_it():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Then in days."),
                    choose=unclear_after_the_wait)
    assert parts(t)["name"] == "Then in days." == t.unclear_name.match.heard


def test_a_name_the_model_put_before_the_words_marks_no_word():
    # "[Grace,] would you start?": the model found the name said before the words Whisper wrote
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 8.9, "would you start?"),
                    choose=lambda utterances, at_start: None if at_start else NameMatch("Grace", "", 0.9, 0, -1))
    assert t.named.pupil == "Grace" and parts(t)["name"] == ""


def test_word_times_near_the_boundary_do_not_move_a_word_to_another_part():
    """Whisper places words up to half a second off at a pause. A word belongs where the timeline
    put it (in the utterance nearest its middle), whatever a window around the question's end says:
    the page's old guess (0.6 s of slack) got both of these wrong."""
    question = [Word("Why", 0.5, 0.8), Word("does", 0.8, 1.1), Word("ice", 1.1, 1.5)]
    # the question's last word placed 0.7 s past the end of its speech: still the question's
    late = question + [Word("float?", 2.4, 3.0), Word("Anyone", 3.7, 4.0), Word("else?", 4.0, 4.4)]
    t = build_timeline([Segment(0.5, 2.0), Segment(3.6, 4.4)], late, ROSTER)
    assert t.question == (0, 0) and t.question_text == "Why does ice float?"
    assert [t.roles().get(id(w)) for w in late] == ["question"] * 4 + [None, None]
    # the first word after the wait placed 0.55 s after the question's end: not the question's
    early = question + [Word("float?", 1.5, 2.0), Word("Anyone", 2.4, 2.7), Word("else?", 3.1, 3.6)]
    t = build_timeline([Segment(0.5, 2.0), Segment(3.0, 3.6)], early, ROSTER)
    assert t.question == (0, 0) and t.pause_after_question == 1.0
    assert [t.roles().get(id(w)) for w in early] == ["question"] * 4 + [None, None]
