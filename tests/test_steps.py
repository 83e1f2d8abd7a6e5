"""Action steps: the shipped action steps are valid; a malformed file gets one line naming file and field."""

from __future__ import annotations

import pytest

from rehearse.errors import StepError
from rehearse.scoring.steps import check_all, get_step, load_step

SHIPPED = {"pose-pause-name", "key-vocabulary", "clear-instructions", "cold-call", "feedback-script"}

GOOD = '''
id = "mine"
title = "Mine"
goal = "So that"
strategy = "By doing"
prompt = "Do it"
roster = ["Tom", "Priya"]
[[criteria]]
rule = "wait_time"
min_s = 4
'''


def test_shipped_steps_are_all_valid():
    good, bad = check_all()
    assert bad == []
    assert SHIPPED <= {s.id for s in good}


def test_pose_pause_name_defaults():
    s = get_step("pose-pause-name")
    wait = next(c for c in s.criteria if c.rule == "wait_time")
    assert wait.params["min_s"] == 5.0
    assert len(s.roster) == 25 and s.model and s.non_example
    assert {c.rule for c in s.criteria} >= {"asks_question", "names_pupil", "no_name_before_question"}


def test_unknown_step_lists_the_known_ones():
    with pytest.raises(StepError) as info:
        get_step("pose-pause")
    message = str(info.value)
    assert "unknown action step 'pose-pause'" in message
    assert all(s in message for s in SHIPPED)


def test_a_good_file_loads_with_defaults_filled(tmp_path):
    (tmp_path / "mine.toml").write_text(GOOD)
    s = load_step(tmp_path / "mine.toml")
    assert s.criteria[0].params == {"min_s": 4.0, "max_s": None}
    assert s.criteria[0].description == "Pause at least 4 s after the question before naming a pupil"


@pytest.mark.parametrize("change,field,expected", [
    (lambda t: t.replace('title = "Mine"\n', ""), "title", "a non-empty string"),
    (lambda t: t.replace('id = "mine"', 'id = "other"'), "id", "the file name"),
    (lambda t: t.replace('rule = "wait_time"', 'rule = "wait"'), "criteria[0].rule", "one of"),
    (lambda t: t.replace("min_s = 4", 'min_s = "five"'), "criteria[0].min_s", "a number"),
    (lambda t: t.replace("min_s = 4", "min_s = 6\nmax_s = 2"), "criteria[0].max_s", "at least min_s"),
    (lambda t: t.replace("min_s = 4", "seconds = 4"), "criteria[0].seconds", "a parameter of wait_time"),
    (lambda t: t.replace('roster = ["Tom", "Priya"]', 'roster = "Tom"'), "roster", "a list of names"),
    (lambda t: t.replace('roster = ["Tom", "Priya"]', 'roster = ["Tom", "tom"]'), "roster", "twice"),
    (lambda t: t.split("[[criteria]]")[0], "criteria", "at least one"),
    (lambda t: "colour = 3\n" + t, "colour", "one of"),
])
def test_malformed_files_name_the_file_and_field(tmp_path, change, field, expected):
    path = tmp_path / "mine.toml"
    path.write_text(change(GOOD))
    with pytest.raises(StepError) as info:
        load_step(path)
    message = str(info.value)
    assert str(path) in message and f"'{field}'" in message and expected in message
    assert "\n" not in message


def test_toml_syntax_errors_are_reported(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('id = "mine\n')
    with pytest.raises(StepError, match="not valid TOML"):
        load_step(path)


def test_extra_folder_comes_first_and_bad_files_are_listed(tmp_path, monkeypatch):
    (tmp_path / "mine.toml").write_text(GOOD)
    (tmp_path / "broken.toml").write_text("id = ")
    monkeypatch.setenv("REHEARSE_SCENARIOS", str(tmp_path))
    good, bad = check_all()
    assert "mine" in {s.id for s in good}
    assert len(bad) == 1 and "broken.toml" in bad[0]
