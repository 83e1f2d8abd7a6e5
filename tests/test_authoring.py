"""Writing action steps: the editor's form to a TOML file and back, per-field messages, the
practice's warnings, archive and restore, and the pages (Flask's test client over a real instance
folder and SQLite file). The browser end to end is in test_authoring_browser.py."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rehearse.coaching import authoring
from rehearse.coaching.authoring import Draft, draft_from_form, form_of, guidance, new_id, save_step, strategy_hint
from rehearse.errors import StepError
from rehearse.scoring.criteria import RULES as CRITERIA_RULES, param_label
from rehearse.scoring.steps import check_all, get_step, load_step, offered_step
from rehearse.web import create_app

from .page_client import page_client

FORM = {"title": "Think time for everyone", "goal": "So that every pupil has time to think",
        "strategy": "Ask the whole class, pause, then name one pupil", "prompt": "Check recall of the water cycle.",
        "roster": "Xavier\nSiobhan (Shivawn)\nPriya", "wait_time.min_s": "4", "wait_time.max_s": "10"}
RULES = ["asks_question", "wait_time", "names_pupil"]


@pytest.fixture()
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("REHEARSE_SCENARIOS", raising=False)
    return create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False})


@pytest.fixture()
def client(app):
    return page_client(app)


def instance_of(app):
    return app.extensions["rehearse"]["store"].instance


@pytest.mark.parametrize("step", [s for s in check_all()[0]], ids=lambda s: s.id)
def test_every_shipped_step_survives_the_form_and_the_file_unchanged(step, tmp_path):
    form, rules = form_of(step)
    draft = draft_from_form(form, rules, step.id)
    assert draft.errors == {}
    again = load_step(save_step(draft, tmp_path))
    assert again.path == tmp_path / "scenarios" / f"{step.id}.toml"
    for name in ("title", "goal", "strategy", "prompt", "model", "non_example", "criteria", "roster"):
        assert getattr(again, name) == getattr(step, name), name
    assert guidance(step) == []  # the shipped examples follow the practice's advice


def test_a_new_step_is_written_as_readable_toml_that_the_parser_accepts(tmp_path):
    draft = draft_from_form(FORM, RULES, new_id(FORM["title"], tmp_path))
    path = save_step(draft, tmp_path)
    assert path.name == "think-time-for-everyone.toml"
    text = path.read_text()
    assert 'title = "Think time for everyone"' in text and "[[criteria]]" in text and 'rule = "wait_time"' in text
    assert "max_s = 10.0" in text
    data = tomllib.loads(text)
    assert data["roster"] == ["Xavier", "Siobhan (Shivawn)", "Priya"]  # as typed: the sound is kept
    step = load_step(path)
    assert [c.description for c in step.criteria] == [
        "Ask a question", "Pause 4–10 s after the question before naming a pupil",
        "Name one pupil from the class after the pause"]
    assert step.roster[1].sounds[:2] == ("Siobhan", "Shivawn")


def test_text_that_needs_escaping_round_trips(tmp_path):
    tricky = FORM | {"title": 'Say "why?" \\ then wait', "prompt": "Line one\tand tab — ünïcode ✓"}
    step = load_step(save_step(draft_from_form(tricky, RULES, "tricky"), tmp_path))
    assert step.title == 'Say "why?" \\ then wait' and step.prompt == "Line one and tab — ünïcode ✓"


@pytest.mark.parametrize("change,rules,field,message", [
    ({"title": "  "}, RULES, "title", "write the title"),
    ({"goal": ""}, RULES, "goal", "write the goal"),
    ({"roster": "Tom\ntom"}, RULES, "roster", "on the class list twice"),
    ({"roster": "(nobody)"}, RULES, "roster", "bad class list entry"),
    ({"wait_time.min_s": "five"}, RULES, "wait_time", "'five' is not a number"),
    ({"wait_time.min_s": "9", "wait_time.max_s": "4"}, RULES, "wait_time",
     "the longest pause: expected at least the shortest pause (9 s); got 4"),
    ({"uses_key_words.words": " , ;"}, ["uses_key_words"], "uses_key_words", "fill in the key words"),
    ({"max_words.max": ""}, ["max_words"], "max_words", "fill in the number"),
    ({"max_words.max": "2.5"}, ["max_words"], "max_words", "give a whole number"),
    ({"uses_key_words.words": "leaf, root", "uses_key_words.min_count": "3"}, ["uses_key_words"],
     "uses_key_words", "at most the number of key words (2)"),
    ({}, [], "criteria", "tick at least one success criterion"),
])
def test_each_field_gets_its_own_message(change, rules, field, message):
    draft = draft_from_form(FORM | change, rules, "x")
    assert not draft.ok
    assert message in draft.errors[field]
    assert set(draft.errors) == {field}  # the other fields are fine and say nothing


def _bad_forms():
    """Forms with one thing wrong, for every box of the editor: each text box empty, with a control
    character or too long; the class list with a bad name or one twice; each rule's boxes empty, not
    a number, negative, not whole, huge or of no letter; boxes that contradict each other; a
    hand-given criterion name the form cannot keep."""
    for name in authoring.FIELD_LABELS:
        for value in ("", "a\x07b", "x" * (authoring.MAX_TEXT + 1)):
            yield FORM | {name: value}, RULES
    yield FORM | {"roster": "Tom, tom"}, RULES
    yield FORM | {"roster": "(nobody)"}, RULES
    for rule, spec in CRITERIA_RULES.items():
        for param, (kind, _) in spec.params.items():
            for value in ("", "many", "-1", "2.5", "1e999", "nan", "!!, ??", "a\x07b", " ; "):
                yield FORM | {f"{rule}.{param}": value}, [rule]
        yield FORM | {f"{rule}.id": "Not An Id!"}, [rule]
        yield FORM | {f"{rule}.id": "a\x07b"}, [rule]
    yield FORM | {"wait_time.min_s": "9", "wait_time.max_s": "4"}, RULES
    yield FORM | {"uses_key_words.words": "leaf, root", "uses_key_words.min_count": "3"}, ["uses_key_words"]
    yield FORM, []


def test_every_message_of_the_editor_names_what_the_coach_sees_not_the_files_keys():
    """The coach sees labels ("the shortest pause", "the class list"), never a key of the step file
    ("min_s", "roster", "criteria[0]"): every message any form gets speaks of the boxes as labelled."""
    keys = {"roster", "criteria", "archived", "non_example", *CRITERIA_RULES,
            *(param for rule in CRITERIA_RULES.values() for param in rule.params if "_" in param)}
    named = re.compile(r"\b(" + "|".join(sorted(keys, key=len, reverse=True)) + r")\b|\[\d+\]")
    messages = set()
    for form, rules in _bad_forms():
        draft = draft_from_form(form, rules, "x")
        messages.update(draft.errors.values())
        try:
            save_step(draft, Path("/nonexistent"))
        except StepError as exc:
            messages.add(str(exc))
    assert len(messages) > 40  # every box had its say
    assert [m for m in messages if named.search(m)] == []
    labels = [label.removeprefix("the ") for label in (*authoring.FIELD_LABELS.values(), "criterion", "action step",
                                                      *(param_label(p) for r in CRITERIA_RULES.values() for p in r.params))]
    assert [m for m in messages if not any(label in m for label in labels)] == []  # each says which box


def test_the_practice_warns_about_too_many_foci_unjudgeable_and_contradictory_steps():
    busy = draft_from_form(FORM | {"max_words.max": "12", "uses_key_words.words": "evaporation, condensation",
                                   "max_seconds.max": "3"},
                           RULES + ["uses_key_words", "max_words", "checks_understanding", "max_seconds"], "busy")
    warnings = guidance(authoring.as_step(busy))
    assert any("5 things at once" in w and "split it" in w for w in warnings)
    assert any("pause of at least 4 s does not fit in the 3 seconds" in w for w in warnings)
    wordy = draft_from_form(FORM | {"max_words.max": "3", "says_phrases.phrases": "I notice that, your action step is"},
                            ["says_phrases", "max_words"], "wordy")
    assert any("take 7 words, more than the 3 words allowed" in w for w in guidance(authoring.as_step(wordy)))
    blind = draft_from_form(FORM | {"roster": ""}, ["wait_time", "names_pupil"], "blind")
    assert any("None of these criteria can be checked from the recording" in w
               for w in guidance(authoring.as_step(blind)))
    partly = draft_from_form(FORM | {"roster": ""}, RULES, "partly")
    assert any(w.startswith("Without a class list, pause 4–10 s") for w in guidance(authoring.as_step(partly)))


def test_a_strategy_that_does_not_say_how_gets_a_hint():
    assert "Say how" in strategy_hint("Use more wait time")
    assert strategy_hint("Improve questioning by pausing five seconds before naming a pupil") is None
    assert strategy_hint("Pose the question, pause, then name a pupil") is None


def test_new_ids_come_from_the_title_and_never_replace_a_step(tmp_path):
    assert new_id("Pose, pause, name", tmp_path) == "pose-pause-name-2"  # the shipped one keeps its id
    assert new_id("Élan: ¿Qué?", tmp_path) == "elan-que"
    assert new_id("✓✓", tmp_path) == "action-step"


def test_an_archived_step_keeps_its_history_but_is_not_offered(tmp_path):
    path = save_step(draft_from_form(FORM, RULES, "mine"), tmp_path)
    authoring.set_archived(load_step(path), True, tmp_path)
    assert get_step("mine", tmp_path).archived
    with pytest.raises(StepError, match="archived; restore it"):
        offered_step("mine", tmp_path)
    authoring.set_archived(get_step("mine", tmp_path), False, tmp_path)
    assert offered_step("mine", tmp_path).archived is False


def test_an_invalid_draft_is_never_written(tmp_path):
    with pytest.raises(StepError, match="correct the fields"):
        save_step(Draft({"id": "x"}, {"title": "write the title"}), tmp_path)
    assert not (tmp_path / "scenarios").exists()


def test_the_school_folder_wins_and_is_where_the_editor_saves(tmp_path, monkeypatch):
    school = tmp_path / "school"
    monkeypatch.setenv("REHEARSE_SCENARIOS", str(school))
    path = save_step(draft_from_form(FORM, RULES, "pose-pause-name"), tmp_path / "instance")
    assert path == school / "pose-pause-name.toml"
    assert get_step("pose-pause-name", tmp_path / "instance").title == FORM["title"]


# The pages --------------------------------------------------------------------------------------

def test_write_a_step_in_the_app_then_rehearse_it(app, client):
    page = client.get("/steps/new")
    assert page.status_code == 200 and "Pause at least" in page.text and 'name="wait_time.min_s"' in page.text
    saved = client.post("/steps", data=FORM | {"rule": RULES})
    assert saved.status_code == 302 and saved.location.endswith("/steps/think-time-for-everyone?saved=1")
    path = instance_of(app) / "scenarios" / "think-time-for-everyone.toml"
    assert path.is_file()
    step = client.get(saved.location)
    assert "Saved to" in step.text and "Pause 4–10 s after the question before naming a pupil" in step.text
    start = client.get("/")
    assert '<option value="think-time-for-everyone"' in start.text
    session = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "think-time-for-everyone"})
    assert session.status_code == 302
    assert "Think time for everyone" in client.get(session.location).text


def test_the_form_marks_each_wrong_field_and_keeps_what_was_typed(app, client):
    page = client.post("/steps", data=FORM | {"goal": "", "wait_time.min_s": "soon", "rule": RULES})
    assert page.status_code == 400
    assert 'data-error-for="goal"' in page.text and 'data-error-for="wait_time"' in page.text
    assert "&#39;soon&#39; is not a number" in page.text and 'value="Think time for everyone"' in page.text
    assert not (instance_of(app) / "scenarios").exists()


def test_the_live_preview_reads_like_the_saved_step(client):
    body = client.post("/api/steps/check", data=FORM | {"rule": RULES, "strategy": "Wait longer"}).json
    assert body["criteria"] == ["Ask a question", "Pause 4–10 s after the question before naming a pupil",
                                "Name one pupil from the class after the pause"]
    assert body["errors"] == {} and body["warnings"] == [] and "Say how" in body["hint"]


def test_editing_a_shipped_step_saves_a_copy_and_keeps_criteria_ids(app, client):
    form = client.get("/steps/cold-call/edit")
    assert form.status_code == 200 and "shipped example" in form.text
    assert 'name="says_phrases.id" value="whole-class"' in form.text  # stored results refer to it
    data, rules = form_of(get_step("cold-call"))
    saved = client.post("/steps/cold-call", data={k: v for k, v in data.items() if v not in (False, None)}
                        | {"rule": rules, "wait_time.min_s": "3"})
    assert saved.status_code == 302
    copy = get_step("cold-call", instance_of(app))
    assert copy.path == instance_of(app) / "scenarios" / "cold-call.toml"
    assert copy.wait_band == (3.0, 8.0) and copy.criteria[0].id == "whole-class"
    assert get_step("cold-call").wait_band == (2.0, 8.0)  # the shipped file is untouched


def test_archive_and_restore_in_the_app(app, client):
    client.post("/steps", data=FORM | {"rule": RULES})
    session = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "think-time-for-everyone"})
    assert client.post("/steps/think-time-for-everyone/archive").status_code == 302
    assert '<option value="think-time-for-everyone"' not in client.get("/").text
    assert "Archived" in client.get("/steps").text
    refused = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "think-time-for-everyone"})
    assert refused.status_code == 400 and "archived" in refused.text
    assert "Think time for everyone" in client.get(session.location).text  # its session still shows
    assert "Think time for everyone" in client.get("/history").text
    client.post("/steps/think-time-for-everyone/restore")
    assert '<option value="think-time-for-everyone"' in client.get("/").text


def test_a_malformed_file_written_by_hand_is_named_in_the_app(app, client):
    folder = instance_of(app) / "scenarios"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text('id = "broken"\ntitle = "Broken"\ngoal = [\n')
    listing = client.get("/steps")
    assert listing.status_code == 200 and "broken.toml: not valid TOML" in listing.text
    assert "Pose, pause, name" in listing.text
    page = client.get("/steps/broken")
    assert page.status_code == 400 and "not valid TOML" in page.text and "rehearse steps --check" in page.text
    assert client.get("/steps/nothing-here").status_code == 404


def test_steps_check_names_a_malformed_file_in_the_instance_folder(tmp_path, monkeypatch):
    from .test_cli import rehearse

    monkeypatch.delenv("REHEARSE_SCENARIOS", raising=False)
    save_step(draft_from_form(FORM, RULES, "mine"), tmp_path)
    (tmp_path / "scenarios" / "broken.toml").write_text('id = "broken"\ntitle = "Broken"\n[[criteria]\n')
    run = rehearse("scenarios", "--check", "--instance", str(tmp_path))
    assert run.returncode == 2
    assert "mine" in run.stdout and "Pause 4–10 s after the question" in run.stdout  # the good one is listed
    (line,) = [l for l in run.stderr.splitlines() if l.startswith("rehearse:")]
    assert "broken.toml: not valid TOML" in line and "rehearse steps --check" in line
