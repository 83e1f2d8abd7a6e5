"""`rehearse names learn|list|forget` and `rehearse score --teacher`, run as real processes with the
real model over a real instance folder (issue 28): exit codes, one-line errors, and a name learnt
for one teacher heard in that teacher's scoring only. Practice's question is tested directly here
(who_question, read_choice) and at the microphone in tests/test_practice.py."""

from __future__ import annotations

import json

import pytest

from rehearse.reps import open_store
from rehearse.cli.names import MAX_KEYS, read_choice, who_question
from rehearse.errors import RehearseError
from rehearse.reps.scoring import mark_named

from .conftest import CLIPS, LABELS
from .test_cli import rehearse
from .test_learnt import misheard, question_only, upload  # noqa: F401 - misheard: a fixture

ROSTER = ",".join(LABELS["roster"])
STEP = ("--step", "pose-pause-name")


def one_line_error(run, *words: str) -> None:
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("rehearse: "), run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


def named(run) -> str | None:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["metrics"]["named_pupil"]


def test_a_name_learnt_from_a_file_is_that_teachers_and_can_be_listed_and_forgotten(tmp_path, misheard):  # noqa: F811
    pupil = LABELS["clips"][misheard]["pupil"]
    clip, instance = str(CLIPS / misheard), ("--instance", str(tmp_path / "data"))
    one_line_error(rehearse("names", "list", "--teacher", "Ms A", *instance), "no rehearse data in")

    learnt = rehearse("names", "learn", clip, "--pupil", pupil.upper(), "--teacher", "Ms A", *STEP,
                      "--roster", ROSTER, *instance)
    assert learnt.returncode == 0, learnt.stderr
    assert learnt.stdout.count("\n") == 1 and f"learnt how Ms A says {pupil} (" in learnt.stdout
    assert "Ms A is new here" in learnt.stdout
    # Another teacher, with a name of her own (the clean clip of another pupil).
    assert rehearse("names", "learn", str(CLIPS / "ppn-00-correct-siobhan-clean.flac"), "--pupil", "Siobhan",
                    "--teacher", "Mr B", *STEP, "--roster", ROSTER, *instance).returncode == 0

    listed = rehearse("names", "list", "--teacher", "ms a", *instance)  # any case, as elsewhere
    assert listed.returncode == 0 and listed.stdout.count("\n") == 1, listed.stdout
    assert listed.stdout.startswith(f"{pupil} — heard '") and ", learnt from a recording made for it on " in listed.stdout

    assert named(rehearse("score", clip, *STEP, "--roster", ROSTER, "--teacher", "Ms A", "--json", *instance)) == pupil
    assert named(rehearse("score", clip, *STEP, "--roster", ROSTER, "--teacher", "Mr B", "--json", *instance)) != pupil
    assert named(rehearse("score", clip, *STEP, "--roster", ROSTER, "--json")) != pupil  # no teacher: nothing learnt
    one_line_error(rehearse("score", clip, *STEP, "--teacher", "Ms Nobody", *instance),
                   "no teacher called 'Ms Nobody'", "Ms A", "Mr B")

    one_line_error(rehearse("names", "forget", "--teacher", "Ms A", "--pupil", "Caoimhe", *instance),
                   "nothing learnt of how Ms A says 'Caoimhe'", pupil)
    forgot = rehearse("names", "forget", "--teacher", "Ms A", "--pupil", pupil.lower(), *instance)
    assert forgot.returncode == 0 and forgot.stdout.count("\n") == 1 and "1 piece of recording deleted" in forgot.stdout
    assert "no names learnt yet" in rehearse("names", "list", "--teacher", "Ms A", *instance).stdout
    assert named(rehearse("score", clip, *STEP, "--roster", ROSTER, "--teacher", "Ms A", "--json", *instance)) != pupil
    everything = rehearse("names", "forget", "--teacher", "Mr B", *instance)
    assert everything.returncode == 0 and "forgot every name learnt of Mr B" in everything.stdout
    one_line_error(rehearse("names", "forget", "--teacher", "Ms Nobody", *instance), "no teacher called")


def test_names_learn_refuses_a_pupil_off_the_list_and_a_recording_with_no_name(tmp_path):
    instance = ("--instance", str(tmp_path / "data"))
    good = str(CLIPS / "ppn-00-correct-siobhan-clean.flac")
    one_line_error(rehearse("names", "learn", good, "--pupil", "Caoimhe", "--teacher", "Ms A", *STEP,
                            "--roster", "Siobhan,Tom", *instance), "'Caoimhe' is not on the class list (Siobhan, Tom)")
    one_line_error(rehearse("names", "learn", good, "--pupil", "Siobhan", "--teacher", "Ms A", "--step", "nope",
                            *instance), "nope")
    one_line_error(rehearse("names", "learn", str(tmp_path / "missing.wav"), "--pupil", "Siobhan", "--teacher", "Ms A",
                            *STEP, *instance), "missing.wav")
    # The question, then only quiet: nothing after it to learn from.
    one_line_error(rehearse("names", "learn", str(question_only(tmp_path / "question-only.wav")), "--pupil", "Siobhan", "--teacher", "Ms A", *STEP,
                            *instance), "nothing was said after the question")
    assert not (tmp_path / "data").exists()  # nothing to keep: no data folder made


def test_a_name_learnt_from_a_rep_is_listed_with_its_session_and_rep(tmp_path, scorer):
    store = open_store(tmp_path / "data")
    rep = upload(store, scorer, "Ms A", "ppn-02-correct-niamh-clean.flac")
    assert mark_named(store, rep.id, "Niamh") is not None
    listed = rehearse("names", "list", "--teacher", "Ms A", "--instance", str(store.instance))
    assert listed.returncode == 0
    assert listed.stdout.startswith("Niamh — heard '") and f", learnt from session {rep.session_id} rep 1 on " in listed.stdout


# Practice's question, directly (at the microphone: tests/test_practice.py) ------------------------

def result_with(names_pupil: bool, likely: list[str] | None, after_question: bool = True) -> dict:
    """A stored result as the engine writes it, cut down to what the question reads."""
    words = [{"word": "Why?", "start": 0.5, "end": 1.0, "role": "question"}]
    utterances = [{"start": 0.4, "end": 1.0, "text": "Why?"}]
    if after_question:
        words.append({"word": "Kida.", "start": 7.0, "end": 7.4, "role": None})
        utterances.append({"start": 6.9, "end": 7.5, "text": "Kida."})
    return {"criteria": [{"id": "names_pupil", "passed": names_pupil, "detail": ""}], "words": words,
            "utterances": utterances, "metrics": {"question_end_s": 1.0, "name_start_s": None,
                                                  "named_pupil": None, "name_unclear_likely": likely}}


def test_the_question_offers_the_likeliest_first_then_the_class_one_key_each():
    roster = ["Siobhan", "Niamh", "Tom", "Caoimhe"]
    prompt, offered = who_question(result_with(True, ["Caoimhe", "Niamh"]), roster)
    assert offered == ["Caoimhe", "Niamh", "Siobhan", "Tom"]
    assert prompt == "Who did you name? 1 Caoimhe  2 Niamh  3 Siobhan  4 Tom  0 no one  (Enter: skip) "
    # No pupil heard after the wait: the class in order; a long class, its first nine, or a name typed.
    big = [f"Pupil{i}" for i in range(1, 13)]
    prompt, offered = who_question(result_with(False, None), big)
    assert offered == big[:MAX_KEYS] and prompt.endswith("(Enter: skip, or type the name) ")
    assert read_choice("3", offered, big) == "Pupil3" and read_choice(" pupil12 ", offered, big) == "Pupil12"
    assert read_choice("0", offered, big) == "" and read_choice("", offered, big) is None
    assert read_choice(None, offered, big) is None  # the end of input
    for wrong in ("10", "Caoimhe", "-1"):
        with pytest.raises(RehearseError, match="not one of the numbers"):
            read_choice(wrong, offered, big)
    # Nothing to ask: the name was heard; or nothing was said after the question.
    assert who_question(result_with(True, None), roster) is None
    assert who_question(result_with(False, None, after_question=False), roster) is None
    assert who_question(result_with(True, None) | {"criteria": []}, roster) is None  # a step that names no one
