"""Stages 4b and 4c, name evidence and name belief: the named pupil as a forced choice over the
roster against "none of these", scored against the audio, and what is reported from it.

The rules are tested with a stand-in for the model's scores (what a score means is the model's
business; what the choice does with scores is ours); the scores themselves are tested on real
audio with the real tiny.en model, and whole reps in tests/test_engine.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rehearse.scoring.audio import load_audio
from rehearse.scoring.name_belief import REPORT, belief_of, decide
from rehearse.scoring.name_sounds import LearntSound, parse_roster, with_learnt
from rehearse.scoring.name_evidence import SHORTLIST, vocative, weigh

ROSTER = parse_roster(["Niamh (Neev)", "Callum", "Krzysztof (Kshishtof)", "Will", "Ananya", "Grace", "Caoimhe",
                       "Summer", "Tom", "Priya"])
JFK = Path(__file__).resolve().parent.parent.parent / "shared" / "audio" / "jfk.flac"


def favouring(word: str | None, own: str | None = None, own_score: float = -2.0):
    """A stand-in for the model: texts holding `word` score -0.5, Whisper's own words (`own`)
    `own_score`, other texts -4. Also records the texts it was asked about."""
    asked: list[str] = []

    def score(texts):
        asked.extend(texts)
        return [own_score if text == own else (-0.5 if word and word in text else -4.0) for text in texts]
    score.asked = asked
    return score


def common(word: str) -> bool:
    """A stand-in for the tokenizer's common words."""
    return word in {"will", "anyone", "have", "a", "go", "on", "over", "to", "you", "summer", "grace", "tom",
                    "lets", "hear", "from", "all", "think", "sorry"}


def told(*words: str):
    return lambda: list(words)


def test_every_name_is_tried_where_the_words_sound_like_it_and_alone():
    score = favouring(None)
    weigh(["Let's", "hear", "from", "Neath."], ROSTER, score)
    niamh = {t for t in score.asked if "Niamh" in t or "Neev" in t}
    assert {" Let's hear from Niamh.", " Let's hear from Neev.", " Niamh.", " Neev."} <= niamh
    assert " Let's hear from Neath." in score.asked  # "none of these": Whisper's own words


def test_in_a_big_class_only_the_names_the_words_sound_like_are_scored():
    names = ["Callum", "Aisha", "Ben", "Chloe", "Dev", "Ella", "Finn", "Gita", "Hugo", "Isla", "Jack", "Kofi", "Lena",
             "Mia", "Noah", "Omar", "Pia", "Quinn", "Rosa", "Sami", "Theo", "Uma", "Vik", "Wren", "Xena", "Yara", "Zac",
             "Amir", "Bea", "Cleo"]
    score = favouring(None)
    evidence = weigh(["Over", "to", "you,", "Carlem."], parse_roster(names), score)
    tried = {p.pupil for p in evidence.pupils}
    assert "Callum" in tried and len(tried) == SHORTLIST
    assert all(any(n in t for n in tried) for t in score.asked if t != " Over to you, Carlem.")


def test_a_class_of_one_or_two_names_a_pupil_only_on_evidence_not_for_being_the_only_one():
    for names in (["Priya"], ["Priya", "Tom"]):
        roster = parse_roster(names)
        for words in (["Then", "in", "days."], ["Over", "to", "you,", "Carlem."]):
            found = decide(weigh(words, roster, favouring(None, " " + " ".join(words)), told=told(*words), common=common))
            assert found is None or not found.clear, (names, words)
        words = ["Priya,", "go", "ahead."]
        found = decide(weigh(words, roster, favouring("Priya", " Priya, go ahead."), told=told(*words), common=common))
        assert found is not None and found.clear and found.pupil == "Priya"


def test_before_the_question_a_name_is_tried_at_the_start_only():
    score = favouring(None)
    weigh(["Neath,", "why", "does", "ice", "float?"], ROSTER, score, at_start=True)
    assert " Neev, why does ice float?" in score.asked  # in place of the first word
    assert " Neev, Neath, why does ice float?" in score.asked  # before the words
    assert not any("why Neev" in t or "does Neev" in t for t in score.asked)


def test_a_respelling_and_a_learnt_spelling_are_tried_but_not_a_learnt_common_phrase():
    learnt = with_learnt(ROSTER, {"Caoimhe": [LearntSound("Kida."), LearntSound("Go on.")]})
    score = favouring(None)
    weigh(["Christoph."], learnt, score)
    assert " Kshishtof." in score.asked and " Krzysztof." in score.asked and " Kida." in score.asked
    assert not any(t.startswith(" Go on") for t in score.asked)


def test_a_pupil_the_model_favours_and_whisper_wrote_when_told_the_roster_is_named():
    words = ["Over", "to", "you,", "Carlem."]
    found = decide(weigh(words, ROSTER, favouring("Callum", " Over to you, Carlem."), told=told("Over", "to", "you,", "Callum."),
                         common=common))
    assert found is not None and found.clear and found.pupil == "Callum" and found.heard == "Carlem."
    assert REPORT <= found.confidence <= 1


def test_a_name_whisper_wrote_itself_is_named():
    found = decide(weigh(["Priya,", "go", "ahead."], ROSTER, favouring("Priya", " Priya, go ahead."), common=common))
    assert found is not None and found.clear and found.pupil == "Priya"


def test_a_call_to_the_class_names_no_one_however_like_a_name_it_sounds():
    for words in (["Anyone?"], ["Who", "can", "tell", "me?"], ["Hands", "up", "if", "you", "know."]):
        own = " " + " ".join(words)
        evidence = weigh(words, ROSTER, favouring("Ananya", own, own_score=-0.4), told=told(*words), common=common)
        assert decide(evidence) is None, words


def test_a_roster_name_that_is_a_word_used_as_a_word_names_no_one():
    for words in (["Will", "anyone", "have", "a", "go?"], ["Will", "you", "all", "have", "a", "think?"]):
        own = " " + " ".join(words)
        evidence = weigh(words, ROSTER, favouring("Will", own, own_score=-0.4), told=told(*words), common=common)
        found = decide(evidence)
        assert found is None or (not found.clear and found.pupil != "Will"), words


def test_ordinary_words_whisper_was_sure_of_name_no_one_and_unsure_ones_may_be_a_name():
    words = ["Okay,", "take", "your", "time."]
    own = " " + " ".join(words)
    ordinary = {"okay", "take", "your", "time"}

    def evidence(least_sure: float):
        return weigh(words, ROSTER, favouring(None, own, own_score=-1.5), told=told(*words),
                     common=lambda w: w in ordinary, least_sure=least_sure)
    assert decide(evidence(0.95)) is None  # "Okay, take your time.": said, and no name in it
    assert belief_of(evidence(0.05)).named > belief_of(evidence(0.95)).named  # guesses at a name it did not know


def test_a_name_said_unclearly_is_unclear_with_the_likeliest_pupils():
    # Whisper's words were guesses; told the roster it still wrote no pupil; the model favours
    # Caoimhe over the rest, but not by enough to say so on the page.
    def score(texts):
        return [-3.0 if t == " Then in days." else (-1.8 if "Caoimhe" in t else -4.0) for t in texts]
    found = decide(weigh(["Then", "in", "days."], ROSTER, score, told=told("Then", "in", "days."), common=common))
    assert found is not None and not found.clear
    assert found.likely[0] == "Caoimhe" and len(found.likely) == 3 and found.confidence < REPORT


def test_a_learnt_spelling_said_again_names_its_pupil_for_that_teacher_only():
    words = ["Let's", "hear", "from", "Kida."]
    own = " Let's hear from Kida."
    flat = favouring(None, own, own_score=-1.0)
    learnt = with_learnt(ROSTER, {"Caoimhe": [LearntSound("Kida.")]})
    found = decide(weigh(words, learnt, flat, told=told(*words), common=common))
    assert found is not None and found.clear and found.pupil == "Caoimhe"
    other_teacher = decide(weigh(words, ROSTER, favouring(None, own, own_score=-1.0), told=told(*words), common=common))
    assert other_teacher is None or other_teacher.pupil != "Caoimhe" or not other_teacher.clear


def test_a_name_opening_the_speech_with_a_break_is_a_name_before_the_question():
    words = ["Callum,", "why", "does", "ice", "float?"]
    found = decide(weigh(words, ROSTER, favouring("Callum", " Callum, why does ice float?", -0.5), at_start=True,
                         common=common, sure_start=0.9))
    assert found is not None and found.pupil == "Callum"


def test_a_question_that_opens_as_questions_do_has_no_name_before_it():
    words = ["Why", "does", "ice", "float", "on", "water?"]
    own = " " + " ".join(words)
    evidence = weigh(words, ROSTER, favouring(None, own, own_score=-0.3), at_start=True, common=common, sure_start=0.95)
    assert decide(evidence) is None and belief_of(evidence).named < 0.5


def test_where_a_name_is_said_to_someone():
    assert vocative(["Summer,", "what", "do", "you", "think?"], 0, 0)
    assert vocative(["Let's", "hear", "from", "Summer."], 3, 3)
    assert vocative(["What", "do", "you", "reckon,", "Ruby?"], 4, 4)
    assert vocative(["Okay,", "Priya."], 1, 1)
    assert not vocative(["Will", "anyone", "have", "a", "go?"], 0, 0)
    assert not vocative(["on", "a", "hot", "summer", "afternoon"], 3, 3)


def test_no_roster_no_name():
    assert decide(weigh(["Grace."], [], favouring("Grace"))) is None


@pytest.mark.skipif(not JFK.is_file(), reason="the shared recordings are not beside the project")
def test_the_model_scores_what_was_said_above_what_was_not(scorer):
    piece = load_audio(JFK)[: 16000 * 3]  # "And so, my fellow Americans"
    said, other = scorer.transcriber.text_scores(piece, [" And so my fellow Americans,", " And so my yellow bananas,"])
    assert said > other


@pytest.mark.skipif(not JFK.is_file(), reason="the shared recordings are not beside the project")
def test_told_a_long_roster_whisper_still_writes_what_was_said(scorer):
    """The roster as a prompt is cut to fit Whisper's 448 tokens, however long the class list."""
    piece = load_audio(JFK)[: 16000 * 3]  # "And so, my fellow Americans"
    told_words = scorer.transcriber.heard_told(piece, [f"Pupil{k} Surname{k}" for k in range(300)])
    assert any("merican" in word for word in told_words)
