"""The rule of typed text (rehearse/typed_text.py) on its own, the migration that makes look-alike
teachers one (schema 10), and the step file's refusal of a key word that can never be heard. The
attacks themselves, against a real server and the CLI, are in test_attacks_text.py."""

from __future__ import annotations

import sqlite3
import unicodedata

import pytest

from rehearse.reps import open_store
from rehearse.errors import RehearseError, StepError
from rehearse.scoring.criteria import key_words_of
from rehearse.scoring.steps import load_step
from rehearse.store.database import checked_name
from rehearse.typed_text import (for_terminal, isolated, name_key, printable, same_name,
                                 text_problem)


@pytest.mark.parametrize("text, problem", [
    ("fine, with a tab\tand\nlines", None), ("", None), ("   ", None), ("\u200fשלום", None),
    ("bell\x07", "control character (U+0007)"), ("a\x00b", "control character (U+0000)"),
    ("c1\x9b", "control character (U+009B)"), ("\ud800", "control character (U+D800)"),
    ("\u200b \u2060\ufeff", "only invisible characters"), ("\u3164", "only invisible characters"),
    ("x" * 31, "31 characters is too long"),
])
def test_one_rule_for_every_typed_field(text, problem):
    said = text_problem("the field", text, 30)
    assert (said is None) if problem is None else (said.startswith("the field: ") and problem in said)


def test_names_are_nfc_and_look_alikes_share_one_key():
    assert checked_name("  Zoe\u0308   Ng ") == "Zoë Ng" == unicodedata.normalize("NFC", "Zoë Ng")
    assert name_key("ÉVA") == name_key("éva") == name_key("E\u0301va")
    assert name_key("Tom\u200b") == name_key("tom") == name_key("T\u00adom") and name_key("Tom") != name_key("Tim")
    assert name_key("\u200b\x00") == ""
    for bad in ("", "\u200b", "A\x00B", "x" * 101):
        with pytest.raises(RehearseError):
            checked_name(bad)


def test_a_kept_name_is_matched_as_the_page_shows_it():
    assert same_name("AB", "A\x00B") and same_name("a\ufffdb", "A\x00B") and same_name("\ufffd", "\x00")
    assert not same_name("", "\x00") and not same_name("AC", "A\x00B")


def test_output_shows_no_control_character_and_isolates_typed_text():
    assert printable("a\x1b[2Jb\x07\tc\n") == "a\ufffd[2Jb\ufffd\tc\n"
    assert for_terminal("\u202eMs X\x00 ok") == "Ms X\ufffd ok"
    assert isolated("\u202eX") == "\u2068\u202eX\u2069"


def test_key_words_are_words_in_any_script_and_one_of_punctuation_only_is_none():
    assert key_words_of("The Battle of 1066, π and 中文.") == ["the", "battle", "of", "1066", "π", "and", "中文"]
    assert key_words_of("don’t") == ["don't"] and key_words_of("?!—") == []


def test_a_step_file_with_a_key_word_of_no_letter_or_digit_is_refused(tmp_path):
    path = tmp_path / "punct.toml"
    path.write_text('id = "punct"\ntitle = "t"\ngoal = "g"\nstrategy = "s"\nprompt = "p"\nroster = ["Tom"]\n\n'
                    '[[criteria]]\nrule = "uses_key_words"\nwords = ["photosynthesis", "?!"]\n', encoding="utf-8")
    with pytest.raises(StepError, match=r"criteria\[0\]\.words': expected key words that each hold a letter or a digit"):
        load_step(path)


def test_the_migration_makes_look_alike_teachers_one_and_keeps_their_sessions(tmp_path):
    """A store of schema 9 holding "Zoë" as NFC and as NFD, "ÉVA" and "éva" (each with a session),
    and a name of nothing visible: after the migration, one teacher per person, every session kept."""
    store = open_store(tmp_path / "instance")
    with sqlite3.connect(store.path) as db:  # set back to schema 9, as an older rehearse left it
        db.execute("DROP INDEX teachers_by_key")
        db.execute("ALTER TABLE teachers DROP COLUMN name_key")
        db.execute("INSERT INTO action_steps(step_id, title, created_at) VALUES ('s', 'S', '2026-01-01')")
        names = [unicodedata.normalize("NFC", "Zoë"), unicodedata.normalize("NFD", "Zoë"), "ÉVA", "éva", "\u200b"]
        for name in names:
            teacher = db.execute("INSERT INTO teachers(name, created_at) VALUES (?, '2026-01-01')", (name,)).lastrowid
            db.execute("INSERT INTO sessions(uid, teacher_id, action_step_id, roster, reps_target, fluent_after,"
                       " started_at) VALUES (?, ?, 1, 'Tom', 3, 3, '2026-01-01')", (name.encode().hex(), teacher))
        db.execute("PRAGMA user_version=9")
    store = open_store(tmp_path / "instance")
    rows = store.query_all("SELECT t.name, COUNT(s.id) AS sessions FROM teachers t"
                           " LEFT JOIN sessions s ON s.teacher_id = t.id GROUP BY t.id ORDER BY t.id")
    assert [(r["name"], r["sessions"]) for r in rows] == [(names[0], 2), ("ÉVA", 2), ("\u200b", 1)]
    assert store.add_teacher("zoe\u0308") == store.add_teacher("ZOË")  # and found alike from now on
