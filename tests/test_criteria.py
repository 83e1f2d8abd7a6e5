"""Stage 6: each rule of the library judges a timeline and says why, in a teacher's words."""

from __future__ import annotations

from rehearse.scoring.criteria import RULES, instruction_steps

from .helpers import timeline_of, unclear_after_the_wait


def judge(rule: str, timeline, **params):
    spec = RULES[rule].params
    full = {k: params.get(k, default) for k, (_, default) in spec.items()}
    return RULES[rule].check(timeline, **full)[:2]


PPN = timeline_of((0.5, 2.0, "Why does ice float on water?"), (5.4, 5.8, "Niamh."))


def test_wait_time_evidence_reads_like_the_design():
    passed, detail = judge("wait_time", PPN, min_s=5.0, max_s=None)
    assert not passed
    assert detail == "You paused 3.4 s; the target is at least 5 s."
    passed, detail = judge("wait_time", PPN, min_s=3.0, max_s=4.0)
    assert passed and "3–4 s" in detail
    assert not judge("wait_time", PPN, min_s=1.0, max_s=3.0)[0]


def test_wait_time_without_a_name_fails_and_says_so():
    t = timeline_of((0.5, 2.0, "Why does ice float?"), (8.0, 8.4, "Anyone?"))
    passed, detail = judge("wait_time", t, min_s=5.0, max_s=None)
    assert not passed and "named no pupil" in detail and "6.0 s" in detail


def test_asks_question_and_names_pupil():
    assert judge("asks_question", PPN) == (True, 'You asked: "Why does ice float on water?"')
    assert judge("names_pupil", PPN)[0]
    silent_after = timeline_of((0.5, 2.0, "Open your books."))
    assert not judge("asks_question", silent_after)[0]
    assert not judge("names_pupil", silent_after)[0]


def test_name_before_question_is_the_non_example():
    t = timeline_of((0.5, 3.0, "Siobhan, why does ice float on water?"), (8.0, 8.4, "Go on."))
    passed, detail = judge("no_name_before_question", t)
    assert not passed and "Siobhan" in detail and "let off" in detail
    assert judge("no_name_before_question", PPN)[0]


def test_key_words_tolerate_endings_and_mishearing():
    t = timeline_of((0.5, 6.0, "Use the words Choro Phil, glucoses and carbon dioxide when you explain."))
    passed, detail = judge("uses_key_words", t, words=["chlorophyll", "glucose", "carbon dioxide"])
    assert passed, detail
    assert not judge("uses_key_words", timeline_of((0.5, 2.0, "Carbon monoxide is a gas.")),
                     words=["carbon dioxide"])[0]
    passed, detail = judge("uses_key_words", t, words=["chlorophyll", "stomata", "glucose"])
    assert not passed and detail.endswith("missing: stomata.")
    assert judge("uses_key_words", t, words=["chlorophyll", "stomata", "glucose"], min_count=2)[0]


def test_steps_are_counted_from_sentences_and_thens():
    t = timeline_of((0.5, 9.0, "Open your books to page 12. Read the first paragraph and then underline the verbs. "
                                "Then write a summary. What will you do first?"))
    assert len(instruction_steps(t)) == 4
    passed, detail = judge("max_steps", t, max=3)
    assert not passed and detail.startswith("You gave 4 steps")
    assert judge("checks_understanding", t)[0]
    assert not judge("checks_understanding", timeline_of((0.5, 3.0, "Open your books. Off you go.")))[0]


def test_fillers_words_and_seconds():
    t = timeline_of((0.5, 2.0, "Um, so, er, what is a noun?"), (3.0, 6.5, "Um, think about it."))
    passed, detail = judge("max_fillers", t, max=2)
    assert not passed and '"um" ×2' in detail and '"er" ×1' in detail
    assert judge("max_words", t, max=11)[0] is True
    assert judge("max_words", t, max=10)[0] is False
    assert judge("max_seconds", t, max=6.0)[0] is True
    assert judge("max_seconds", t, max=5.9)[0] is False


def test_phrases_in_order():
    t = timeline_of((0.5, 9.0, "I noticed that three pupils answered at once. Your leverage point, therefore, "
                                "is wait time. Your action step is to pause."))
    script = ["I notice that", "your leverage point", "your action step is"]
    assert judge("says_phrases", t, phrases=script, in_order=True)[0]
    passed, detail = judge("says_phrases", t, phrases=list(reversed(script)), in_order=True)
    assert not passed and "Not heard in order" in detail
    assert judge("says_phrases", t, phrases=list(reversed(script)), in_order=False)[0]


def test_every_rule_describes_itself_with_its_defaults_or_example_values():
    examples = {"words": ["a", "b"], "phrases": ["x"], "max": 3}
    for rule in RULES.values():
        params = {k: examples.get(k, d) for k, (_, d) in rule.params.items()}
        sentence = rule.describe(**params)
        assert sentence and sentence[0].isupper()


def test_unclear_question_words_do_not_fail_a_complete_attempt():
    garbled = timeline_of((0.5, 3.0, "Whatever it and supports the idea changing."), (8.4, 8.9, "Grace."))
    passed, detail = judge("asks_question", garbled)
    assert passed and "overrule" in detail
    statement = timeline_of((0.5, 2.0, "Open your books."))
    assert not judge("asks_question", statement)[0]


def test_a_noisy_room_is_said_in_the_evidence():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.5, 8.0, "Niamh."))
    t.room_snr_db = 12.0
    assert "noisy" in judge("wait_time", t, min_s=5.0, max_s=None)[1]
    t.room_snr_db = 45.0
    assert "noisy" not in judge("wait_time", t, min_s=5.0, max_s=None)[1]


def test_a_name_said_unclearly_is_not_failed_and_the_likely_pupils_are_offered():
    t = timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Then in days."),
                    choose=unclear_after_the_wait)
    passed, detail = judge("names_pupil", t)
    assert passed and '"Then in days."' in detail and "Niamh or Tom" in detail and "overrule" in detail
    assert judge("wait_time", t, min_s=5.0, max_s=None) == (True, "You paused 5.4 s; the target is at least 5 s.")
    assert not judge("wait_time", t, min_s=6.0, max_s=None)[0]


def test_a_name_said_first_is_one_cross_not_three():
    """Naming first fails "no name before the question"; the pause kept after the question is
    still judged as the wait, and the pupil named is not failed a second time."""
    t = timeline_of((0.5, 3.0, "Siobhan, why does ice float on water?"), (8.4, 8.8, "Go on."))
    assert not judge("no_name_before_question", t)[0]
    passed, detail = judge("wait_time", t, min_s=5.0, max_s=None)
    assert passed and "5.4 s" in detail and "Siobhan" in detail
    assert not judge("wait_time", t, min_s=6.0, max_s=None)[0]  # a short pause is still a short pause
    passed, detail = judge("names_pupil", t)
    assert passed and "Siobhan" in detail and "before the question" in detail
    no_pause = timeline_of((0.5, 3.0, "Siobhan, why does ice float on water?"))
    assert not judge("wait_time", no_pause, min_s=5.0, max_s=None)[0]


def test_a_pause_without_a_name_carries_the_verdict_it_would_have_if_a_pupil_was_named():
    """The coach may say a pupil was named that the app did not hear: the wait kept then counts."""
    from rehearse.scoring.steps import Criterion

    t = timeline_of((0.5, 2.0, "Why does ice float?"), (8.0, 8.4, "Anyone?"))
    verdict = Criterion("wait_time", "wait_time", {"min_s": 5.0, "max_s": None}).judge(t)
    assert not verdict.passed and "named no pupil" in verdict.detail
    assert verdict.if_named == {"passed": True, "detail": "You paused 6.0 s; the target is at least 5 s."}
    assert Criterion("wait_time", "wait_time", {"min_s": 7.0, "max_s": None}).judge(t).if_named["passed"] is False
    assert Criterion("wait_time", "wait_time", {"min_s": 5.0, "max_s": None}).judge(PPN).if_named is None
