"""Stage 4a: roster names are matched by sound, with a confidence; other words never match."""

from __future__ import annotations

import pytest

from rehearse.errors import RosterError
from rehearse.scoring.name_sounds import find_name, parse_roster, roster_entries, sound_key

from .conftest import LABELS

ROSTER = parse_roster(LABELS["roster"])


@pytest.mark.parametrize("heard,pupil", [
    ("Siobhan", "Siobhan"), ("Chivon", "Siobhan"), ("Neef", "Niamh"), ("Eva", "Aoife"),
    ("Siersha", "Saoirse"), ("Tonnish", "Tomasz"), ("Brys", "Rhys"), ("Reese", "Rhys"),
    ("Yousuf", "Yusuf"), ("Emojan", "Imogen"), ("Zavier", "Xavier"), ("Column", "Callum"),
])
def test_misheard_names_match_the_roster_by_sound(heard, pupil):
    match = find_name([heard], ROSTER)
    assert match is not None and match.pupil == pupil
    assert 0.8 <= match.confidence <= 1.0


@pytest.mark.parametrize("heard", ["Anyone", "Who can tell me", "Go on", "Everyone think about this", "Lou"])
def test_ordinary_words_are_not_names(heard):
    assert find_name(heard.split(), ROSTER) is None


def test_a_name_not_on_the_roster_is_no_match():
    assert find_name(["Bartholomew"], ROSTER) is None
    assert find_name(["Siobhan"], parse_roster("Tom,Priya")) is None


def test_strict_matching_wants_a_capitalised_close_name():
    assert find_name("why might the character have lied to her brother".split(), ROSTER, strict=True) is None
    assert find_name(["Jamal", "what", "do", "you", "think"], ROSTER, strict=True).pupil == "Jamal"


def test_roster_entries_can_say_how_a_name_sounds():
    roster = parse_roster("Tom, Saoirse (Seersha), Dervla (Dervla)")
    assert [p.name for p in roster] == ["Tom", "Saoirse", "Dervla"]
    assert "Seersha" in roster[1].sounds
    assert find_name(["Deerfla"], roster).pupil == "Dervla"


@pytest.mark.parametrize("text,message", [
    ("", "empty"), (" , ,", "empty"), ("Tom,tom", "twice"), ("Tom,(x)", "bad roster entry"), ("123", "bad roster entry"),
])
def test_bad_rosters_are_refused_with_a_reason(text, message):
    with pytest.raises(RosterError, match=message):
        parse_roster(text)


def test_sound_key_folds_spellings_of_one_sound():
    assert sound_key("Shivawn") == sound_key("Chivawn")
    assert sound_key("Zavier") == sound_key("Xavier")


def test_a_class_list_reads_the_same_way_wherever_it_is_typed():
    """One reader for a typed class list (names.roster_entries): lines, commas and semicolons all
    separate pupils - at the start of a session, in the step editor, on the command line."""
    typed = "Tom; Priya\nSaoirse (Seersha), Niamh\n\n"
    assert roster_entries(typed) == ["Tom", "Priya", "Saoirse (Seersha)", "Niamh"]
    assert [p.name for p in parse_roster(typed)] == ["Tom", "Priya", "Saoirse", "Niamh"]
