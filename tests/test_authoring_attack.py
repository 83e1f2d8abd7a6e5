"""The action-step editor under attack: every text box filled with control characters, quotes,
backslashes, TOML syntax and very long text, posted through the app's own form (Flask's test client
over a real instance folder and SQLite file). Each save either succeeds and the step then loads and
a session on it starts, or is refused with a message under the field and the previous file intact."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode

import pytest

from rehearse.coaching import authoring
from rehearse.coaching.authoring import MAX_TEXT, draft_from_form, form_of, save_step
from rehearse.errors import StepError
from rehearse.scoring.steps import SHIPPED, get_step
from rehearse.web import create_app

from .page_client import page_client

CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9f"]
OTHER = ["\u2028", "\u2029", "\ufeff", "\ufffd", '"', "'", "\\", '"""', "'''", "\\u0000", "\\x7f", "\\",
         "# not a comment", '"\n[[criteria]]\nrule = "asks_question', "a" * (MAX_TEXT - 40), "a" * (MAX_TEXT + 1)]
TEXT = ["title", "goal", "strategy", "prompt", "model", "non_example"]
FIELDS = TEXT + ["roster", "says_phrases.phrases", "says_phrases.id", "wait_time.min_s"]
SHOWN_AT = {"says_phrases.phrases": "says_phrases", "says_phrases.id": "says_phrases", "wait_time.min_s": "wait_time"}


@pytest.fixture()
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("REHEARSE_SCENARIOS", raising=False)
    return create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False})


def cold_call_form() -> dict:
    data, rules = form_of(get_step("cold-call"))
    return {k: v for k, v in data.items() if v not in (False, None)} | {"rule": rules}


def test_every_text_box_saves_a_step_that_loads_or_is_refused_with_the_file_intact(app):
    """The shipped cold-call step, edited: its copy in the instance folder takes its place, so a
    copy that could not be read back refused every session on it."""
    client = page_client(app)
    instance = app.extensions["rehearse"]["store"].instance
    copy = instance / "scenarios" / "cold-call.toml"
    shipped = (SHIPPED / "cold-call.toml").read_bytes()
    form = cold_call_form()
    assert client.post("/steps/cold-call", data=form).status_code == 302
    outcomes = {"saved": 0, "refused": 0}
    for field in FIELDS:
        for bad in CONTROLS + OTHER:
            before = copy.read_bytes()
            typed = str(form[field])[:3] + bad + str(form[field])[3:]
            answer = client.post("/steps/cold-call", data=form | {field: typed})
            what = f"{field} with {bad[:20]!r}"
            if answer.status_code == 302:
                outcomes["saved"] += 1
                step = get_step("cold-call", instance)  # the app's reader
                if field in TEXT:
                    assert getattr(step, field) == " ".join(typed.split()), what  # written as typed
                assert client.get("/steps/cold-call").status_code == 200, what
                session = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "cold-call"})
                assert session.status_code == 302, what
            else:
                outcomes["refused"] += 1
                assert answer.status_code == 400, what
                assert f'data-error-for="{SHOWN_AT.get(field, field)}"' in answer.text, what
                assert copy.read_bytes() == before, what
            assert [p.name for p in copy.parent.iterdir()] == ["cold-call.toml"], what  # nothing left behind
    assert (SHIPPED / "cold-call.toml").read_bytes() == shipped
    assert outcomes["saved"] > 100 and outcomes["refused"] > 100, outcomes


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x1b", "\x7f", "\x9f"])
def test_a_control_character_is_refused_naming_the_field_and_the_character(app, bad):
    client = page_client(app)
    answer = client.post("/steps/cold-call", data=cold_call_form() | {"prompt": f"Cold{bad} call one pupil"})
    assert answer.status_code == 400
    assert f"prompt: holds an invisible control character (U+{ord(bad):04X})" in answer.text
    assert "type the text again without it" in answer.text
    assert not (app.extensions["rehearse"]["store"].instance / "scenarios" / "cold-call.toml").exists()
    assert client.post("/sessions", data={"teacher": "Ms Okafor", "step": "cold-call"}).status_code == 302


def test_bytes_that_are_no_text_never_arrive_as_a_lone_surrogate(app):
    """A lone surrogate cannot come through the form: the UTF-8 bytes of U+D800, or other invalid
    UTF-8, in a form or a multipart body arrive as other characters, which save and read back."""
    client = page_client(app)
    rest = urlencode([(k, v) for k, v in cold_call_form().items() if k not in ("title", "rule")]
                     + [("rule", r) for r in cold_call_form()["rule"]]).encode()
    bodies = [(b"title=Cold%ED%A0%80call&" + rest, "application/x-www-form-urlencoded"),
              (b"title=Cold%FF%FEcall&" + rest, "application/x-www-form-urlencoded")]
    for body, content_type in bodies:
        answer = client.post("/steps/cold-call", data=body, content_type=content_type)
        assert answer.status_code == 302, answer.text
        title = get_step("cold-call", app.extensions["rehearse"]["store"].instance).title
        assert title.startswith("Cold") and not any(unicodedata.category(c) == "Cs" for c in title)
    parts = [(k, str(v).encode()) for k, v in cold_call_form().items() if k not in ("title", "rule")]
    parts += [("rule", r.encode()) for r in cold_call_form()["rule"]] + [("title", b"Cold\xed\xa0\x80call")]
    body = b"".join(b'--XX\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (k.encode(), v)
                    for k, v in parts) + b"--XX--\r\n"
    answer = client.post("/steps/cold-call", data=body, content_type="multipart/form-data; boundary=XX")
    assert answer.status_code == 302, answer.text
    assert get_step("cold-call", app.extensions["rehearse"]["store"].instance).title == "Cold\ufffd\ufffd\ufffdcall"


def test_a_lone_surrogate_is_refused_before_it_is_written(tmp_path):
    form, rules = form_of(get_step("cold-call"))
    draft = draft_from_form(form | {"goal": "So that \ud800 everyone"}, rules, "cold-call")
    assert "U+D800" in draft.errors["goal"]
    with pytest.raises(StepError):
        save_step(draft, tmp_path)
    assert not (tmp_path / "scenarios").exists()


def test_a_file_that_would_not_read_back_is_not_saved_and_the_old_one_stays(app, monkeypatch):
    """The last line of defence: whatever the form lets through, the file written is read back
    with the app's reader before it replaces the old one."""
    client = page_client(app)
    instance = app.extensions["rehearse"]["store"].instance
    form = cold_call_form()
    assert client.post("/steps/cold-call", data=form | {"wait_time.min_s": "3"}).status_code == 302
    copy = instance / "scenarios" / "cold-call.toml"
    before = copy.read_bytes()
    written = authoring.to_toml
    for broken in (lambda data: written(data) + "title = \x7f\n",  # not TOML
                   lambda data: written(data).replace("max_s = 8.0", "max_s = 9.0")):  # not what was typed
        monkeypatch.setattr(authoring, "to_toml", broken)
        answer = client.post("/steps/cold-call", data=form | {"wait_time.min_s": "4"})
        assert answer.status_code == 400 and 'data-error-for="save"' in answer.text
        assert "the action step was not saved: the file written would not read back" in answer.text
        assert copy.read_bytes() == before
        assert [p.name for p in copy.parent.iterdir()] == ["cold-call.toml"]
        assert get_step("cold-call", instance).wait_band == (3.0, 8.0)
    assert client.post("/sessions", data={"teacher": "Ms Okafor", "step": "cold-call"}).status_code == 302


def test_a_folder_that_cannot_be_written_is_named_and_nothing_changes(app, tmp_path, monkeypatch):
    school = tmp_path / "school-share"
    school.write_text("a file where the folder should be")
    monkeypatch.setenv("REHEARSE_SCENARIOS", str(school))
    answer = page_client(app).post("/steps/cold-call", data=cold_call_form())
    assert answer.status_code == 400 and "cannot save the action step in" in answer.text
    assert get_step("cold-call", app.extensions["rehearse"]["store"].instance).path.parent == SHIPPED


@pytest.mark.parametrize("given", ['=HYPERLINK("http://example.com","x")', "+1", "-1", "@SUM(A1)", "Whole class",
                                   "a/b", "x" * 41, "x y"])
def test_a_criterion_id_is_a_short_safe_name(app, given):
    """The id names the criterion's columns in the CSV export, so it may not start a formula."""
    client = page_client(app)
    answer = client.post("/steps/cold-call", data=cold_call_form() | {"says_phrases.id": given})
    assert answer.status_code == 400 and 'data-error-for="says_phrases"' in answer.text
    assert "may use only lower-case letters, digits, - and _" in answer.text
    ok = client.post("/steps/cold-call", data=cold_call_form() | {"says_phrases.id": "whole_class-2"})
    assert ok.status_code == 302
    assert get_step("cold-call", app.extensions["rehearse"]["store"].instance).criteria[0].id == "whole_class-2"
