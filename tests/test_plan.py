"""The meeting's end (issue 21): the coach's note on a session's summary — what went well, the next
step, the next observation — saved and edited through Flask's test client over a real store of real
scored attempts; shown on the teacher's page; preselecting the step when a session is started; kept
in the exports and the archive; and gone when the teacher is deleted."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import zipfile
from datetime import date, timedelta

import pytest

from rehearse.reps import import_archive, open_store
from rehearse.coaching.authoring import set_archived
from rehearse.errors import RehearseError
from rehearse.scoring.steps import get_step
from rehearse.store import archive as archives
from rehearse.store import history, plans
from rehearse.reps.export import rep_records, to_csv, to_json
from rehearse.store.schema import SCHEMA_VERSION
from rehearse.web import create_app

from .page_client import page_client
from .report_checks import assert_self_contained, save_link
from .test_export import csv_rows

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
LAST_WEEK = (date.today() - timedelta(days=7)).isoformat()


@pytest.fixture()
def store(history_instance):
    return open_store(history_instance[0])


@pytest.fixture()
def client(history_instance):
    return page_client(create_app({"INSTANCE": history_instance[0], "WARM_UP": False}))


def okafor(history_instance) -> list[int]:
    """Ms Okafor's two sessions on pose-pause-name (3 and 10 Nov), oldest first."""
    return [s["id"] for s in history_instance[1]["sessions"] if s["teacher"] == "Ms Okafor"]


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'<[^>]+id="{element_id}"[^>]*>(.*?)</(?:section|dl|p|span|table)>', page, re.S)
    assert found, f"no #{element_id} on the page"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def field_errors(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'data-error-for="(\w+)">([^<]*)<', page)}


def selected(page: str, select_id: str) -> str | None:
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S).group(1)
    found = re.search(r'<option value="([^"]*)" selected', block)
    return found and found.group(1)


def note(client, session_id: int, **fields):
    form = {"went_well": "", "next_step": "", "next_observation": ""} | fields
    return client.post(f"/sessions/{session_id}/note", data=form)


def test_the_summary_takes_the_coachs_note_and_it_can_be_edited(client, store, history_instance):
    first, second = okafor(history_instance)
    page = client.get(f"/sessions/{second}/summary").text
    assert 'id="note-form"' in page and 'name="csrf_token"' in page and 'type="date"' in page
    choices = re.findall(r'<option value="([^"]*)"', re.search(r'<select id="next-step".*?</select>', page, re.S)[0])
    assert choices[:2] == ["", "same"] and "key-vocabulary" in choices and "pose-pause-name" not in choices

    refused = client.post(f"/sessions/{second}/note", data={"went_well": "forged"}, csrf=False)
    assert refused.status_code in (400, 403) and plans.note_of(store, second)["planned_at"] is None

    saved = note(client, second, went_well="The pause held.\r\nNames at the end.", next_step="same",
                 next_observation=TOMORROW)
    assert saved.status_code == 302 and saved.location.endswith(f"/sessions/{second}/summary?saved=1#note")
    kept = plans.note_of(store, second)
    assert kept | {"planned_at": None} == {"went_well": "The pause held.\nNames at the end.",
                                           "next_step_id": "pose-pause-name", "next_observation": TOMORROW,
                                           "planned_at": None}
    page = client.get(f"/sessions/{second}/summary?saved=1").text
    assert 'class="saved"' in page and "The pause held.\nNames at the end.</textarea>" in page
    assert selected(page, "next-step") == "same" and f'value="{TOMORROW}"' in page

    assert note(client, second, went_well="Steadier", next_step="key-vocabulary").status_code == 302  # edited
    assert plans.note_of(store, second) | {"planned_at": None} == {
        "went_well": "Steadier", "next_step_id": "key-vocabulary", "next_observation": None, "planned_at": None}
    assert plans.note_of(store, first)["planned_at"] is None  # only that session's

    assert note(client, second).status_code == 302  # everything emptied: no note at all
    assert set(plans.note_of(store, second).values()) == {None}


def test_a_bad_note_gets_one_line_under_its_field_and_keeps_the_note_before(client, store, history_instance):
    _, second = okafor(history_instance)
    note(client, second, went_well="Good wait", next_step="same", next_observation=TOMORROW)
    before = plans.note_of(store, second)
    for fields, where, says in [
        ({"next_observation": "next Tuesday"}, "next_observation", "is not a date; pick a day in the calendar"),
        ({"next_observation": "2026-02-30"}, "next_observation", "is not a date"),
        ({"next_observation": "20261130"}, "next_observation", "is not a date"),
        ({"went_well": "x" * 4001}, "went_well", "4001 characters is too long to save; shorten it to at most 4000"),
        ({"went_well": "ok\x1b[31m"}, "went_well", "invisible control character (U+001B)"),
        ({"next_step": "no-such-step"}, "next_step", "is not one of the steps listed"),
    ]:
        response = note(client, second, **({"went_well": "typed", "next_step": "same"} | fields))
        assert response.status_code == 400, fields
        errors = field_errors(response.text)
        assert list(errors) == [where] and says in errors[where], (fields, errors)
        assert "\n" not in errors[where]
        assert plans.note_of(store, second) == before  # nothing recorded is lost
    kept = note(client, second, went_well="typed", next_observation="soon")  # what was typed stays in the form
    assert "typed</textarea>" in kept.text and 'value="soon"' in kept.text
    assert note(client, 10**9).status_code == 404


def test_an_archived_step_is_not_offered_but_a_note_that_holds_it_keeps_it(client, store, history_instance):
    first, second = okafor(history_instance)
    note(client, first, next_step="cold-call")
    set_archived(get_step("cold-call"), True, history_instance[0])
    page = client.get(f"/sessions/{second}/summary").text
    assert 'value="cold-call"' not in page
    refused = note(client, second, next_step="cold-call")
    assert refused.status_code == 400 and "next_step" in field_errors(refused.text)
    page = client.get(f"/sessions/{first}/summary").text  # held before it was archived: still there
    assert selected(page, "next-step") == "cold-call" and "cold-call (archived)" in page
    assert note(client, first, next_step="cold-call", went_well="again").status_code == 302
    assert plans.note_of(store, first)["next_step_id"] == "cold-call"


def test_the_teacher_page_shows_the_current_step_its_history_and_what_was_agreed(client, store, history_instance):
    first, second = okafor(history_instance)
    teacher = history.teacher_named(store, "Ms Okafor")["id"]
    page = client.get(f"/teachers/{teacher}").text
    assert text_of(page, "current-step") == "Pose, pause, name"  # no note: the step of the last session
    assert "The step of the last session" in page and 'id="agreed-none"' in page
    rows = re.findall(r"<tr><td>(.*?)</tr>", page.split('class="attempts step-history"')[1].split("</table>")[0], re.S)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]
    assert len(cells) == 2 and cells[0].endswith("3 from rep 2 not yet") and cells[1].endswith("3 from rep 1 from rep 3")
    assert "3 Nov 2026" in cells[0] and "10 Nov 2026" in cells[1]  # oldest first, across both meetings

    note(client, first, went_well="Owned the silence", next_step="same", next_observation=LAST_WEEK)
    page = client.get(f"/teachers/{teacher}").text
    agreed = text_of(page, "agreed")
    assert "Owned the silence" in agreed and "The same step again: Pose, pause, name" in agreed
    assert "this date has passed" in agreed and "3 Nov 2026" in agreed

    note(client, second, went_well="Fluent by rep 3", next_step="key-vocabulary", next_observation=TOMORROW)
    page = client.get(f"/teachers/{teacher}").text
    assert text_of(page, "current-step") == "Key vocabulary in partner talk"
    assert "The next step agreed at the last meeting" in page and 'id="step-history-empty"' in page
    agreed = text_of(page, "agreed")
    assert "Fluent by rep 3" in agreed and "Key vocabulary in partner talk" in agreed and "same step" not in agreed
    assert "to come" in agreed and "passed" not in agreed and "10 Nov 2026" in agreed
    assert f'href="/?teacher=Ms+Okafor"' in page


def test_the_session_report_holds_the_plan_as_the_summary_has_it(client, store, history_instance):
    """The one-file report of a session keeps what was agreed at its meeting's end, as its summary
    page shows it (a day without "to come": the file is read on later days too)."""
    first, second = okafor(history_instance)

    def report(session_id: int) -> str:
        return client.get(save_link(client.get(f"/sessions/{session_id}/summary").text)).text

    def plan_in(made: str) -> str:
        found = re.search(r'<dl class="agreed" id="plan">(.*?)</dl>', made, re.S)
        return found and html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))).strip()

    assert 'id="plan-none"' in report(second) and 'id="plan"' not in report(second)  # nothing agreed yet
    note(client, second, went_well="The pause held.\r\nNames at the end.", next_step="key-vocabulary",
         next_observation="2026-11-17")
    page = client.get(f"/sessions/{second}/summary").text
    assert "The pause held.\nNames at the end.</textarea>" in page and selected(page, "next-step") == "key-vocabulary"
    made = report(second)
    assert 'id="plan-none"' not in made
    assert_self_contained(made)
    assert plan_in(made) == ("What went well The pause held. Names at the end. The next step Key vocabulary in partner talk "
                    "The next observation 17 Nov 2026")
    assert "The pause held.\nNames at the end." in made  # its lines kept, as on the page
    note(client, first, next_step="same")
    assert plan_in(report(first)) == ("What went well — The next step The same step again: Pose, pause, name "
                                      "The next observation no date set")
    assert 'id="plan"' in report(second)  # each session its own plan


def test_starting_a_session_preselects_the_step_agreed_at_the_last_meeting(client, history_instance):
    _, second = okafor(history_instance)
    assert selected(client.get("/?teacher=Ms%20Okafor").text, "step") != "key-vocabulary"  # nothing agreed
    note(client, second, next_step="key-vocabulary")
    page = client.get("/?teacher=ms%20okafor").text  # as typed: the name matched whatever its case
    assert selected(page, "step") == "key-vocabulary" and 'id="agreed-hint" ' in page
    assert 'id="agreed-hint" hidden' not in page
    agreed = json.loads(re.search(r'<script type="application/json" id="app-data">(.*?)</script>', page).group(1))["agreed"]
    assert agreed == {"Ms Okafor": "key-vocabulary"}  # for start.js, as a name is typed
    assert selected(client.get("/?teacher=Ms%20Okafor&step=cold-call").text, "step") == "cold-call"
    assert selected(client.get("/?teacher=Mr%20Byrne").text, "step") != "key-vocabulary"
    bad = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "pose-pause-name", "reps": "x"})
    assert bad.status_code == 400 and selected(bad.text, "step") == "pose-pause-name"  # the coach's choice stays
    # A session started since on another step is the last meeting now: it agreed nothing.
    started = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "cold-call", "reps": "5"})
    assert started.status_code == 302
    assert 'id="agreed-hint" hidden' in client.get("/?teacher=Ms%20Okafor").text


def test_an_agreed_step_archived_since_is_not_preselected(client, history_instance):
    _, second = okafor(history_instance)
    note(client, second, next_step="cold-call")
    set_archived(get_step("cold-call"), True, history_instance[0])
    page = client.get("/?teacher=Ms%20Okafor").text
    assert selected(page, "step") != "cold-call" and 'id="agreed-hint" hidden' in page


def test_the_note_is_in_the_csv_and_json_exports(client, store, history_instance):
    first, second = okafor(history_instance)
    note(client, second, went_well="=HYPERLINK(1)\nsecond line", next_step="same", next_observation=TOMORROW)
    rows = csv_rows(to_csv(rep_records(store)))
    mine = [r for r in rows if r["Session"] == str(second)]
    assert len(mine) == 3 and all(r["Went well (coach's note)"] == "'=HYPERLINK(1)\nsecond line" for r in mine)
    assert {(r["Next step agreed"], r["Next observation"]) for r in mine} == {("pose-pause-name", TOMORROW)}
    assert {r["Went well (coach's note)"] for r in rows if r["Session"] == str(first)} == {""}
    records = json.loads(to_json(rep_records(store)))["attempts"]
    one = next(r for r in records if r["session_id"] == second)
    assert (one["went_well"], one["next_step"], one["next_observation"]) == (
        "=HYPERLINK(1)\nsecond line", "pose-pause-name", TOMORROW)


def test_the_note_survives_archive_export_and_import_and_a_later_edit_wins(client, store, history_instance, tmp_path):
    _, second = okafor(history_instance)
    note(client, second, went_well="Names after the pause", next_step="key-vocabulary", next_observation=TOMORROW)
    archives.write_archive(store, tmp_path / "a.zip")
    laptop = tmp_path / "laptop"
    import_archive(laptop, tmp_path / "a.zip")
    there = open_store(laptop)
    assert to_json(rep_records(there)) == to_json(rep_records(store))
    uid = store.session(second).uid
    copy = there.query_one("SELECT id FROM sessions WHERE uid = ?", uid)["id"]
    assert plans.note_of(there, copy) == plans.note_of(store, second)

    with store.connect() as db:  # edited later on the first laptop (a later save time)
        db.execute("UPDATE sessions SET went_well = 'changed my mind', planned_at = '2999-01-01T00:00:00+00:00'"
                   " WHERE id = ?", (second,))
    archives.write_archive(store, tmp_path / "b.zip")
    import_archive(laptop, tmp_path / "b.zip")
    assert plans.note_of(there, copy)["went_well"] == "changed my mind"
    with there.connect() as db:  # an older note in an archive does not overwrite a newer one here
        db.execute("UPDATE sessions SET went_well = 'newest', planned_at = '3000-01-01T00:00:00+00:00' WHERE id = ?",
                   (copy,))
    import_archive(laptop, tmp_path / "b.zip")
    assert plans.note_of(there, copy)["went_well"] == "newest"


def rewrite_database(src, dest, change, schema=None):
    """A copy of the archive `src` at `dest` whose database `change(db)` has altered."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dest, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == archives.DATABASE:
                work = dest.with_suffix(".sqlite")
                work.write_bytes(data)
                with sqlite3.connect(work) as db:
                    change(db)
                db.close()
                data = work.read_bytes()
            elif item.filename == archives.MANIFEST and schema is not None:
                data = json.dumps(json.loads(data) | {"schema": schema}).encode()
            new.writestr(item, data)


def test_an_archive_from_before_the_note_still_imports(store, tmp_path):
    archives.write_archive(store, tmp_path / "new.zip")

    def as_before(db):  # as rehearse wrote it before schema 7
        for column in plans.NOTE_COLUMNS:
            db.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
        db.execute("PRAGMA user_version=5")

    rewrite_database(tmp_path / "new.zip", tmp_path / "old.zip", as_before, schema=5)
    counts = import_archive(tmp_path / "laptop", tmp_path / "old.zip")
    assert counts["sessions"] == 4 and counts["attempts"] == 9
    there = open_store(tmp_path / "laptop")
    assert {tuple(r) for r in there.query_all("SELECT went_well, next_step_id, next_observation FROM sessions")} == {
        (None, None, None)}


@pytest.mark.parametrize("column, value", [("next_observation", "next week"), ("next_observation", "2026-02-30"),
                                           ("went_well", "x" * 4001), ("next_step_id", b"cold-call"),
                                           ("next_step_id", "x" * 201)])
def test_an_archive_with_a_note_rehearse_never_writes_is_refused(store, tmp_path, column, value):
    archives.write_archive(store, tmp_path / "a.zip")
    rewrite_database(tmp_path / "a.zip", tmp_path / "bad.zip",
                     lambda db: db.execute(f"UPDATE sessions SET {column} = ? WHERE id = 1", (value,)))
    with pytest.raises(RehearseError, match=r"the archive is damaged \(session 1's note"):
        import_archive(tmp_path / "laptop", tmp_path / "bad.zip")
    assert not (tmp_path / "laptop").exists()


def test_a_store_from_before_the_note_gets_its_columns(history_instance):
    folder, _ = history_instance
    with sqlite3.connect(folder / "rehearse.sqlite") as db:  # as rehearse left it at schema 5
        for column in plans.NOTE_COLUMNS:
            db.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
        db.execute("PRAGMA user_version=5")
    db.close()
    store = open_store(folder)
    with store.connect() as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert plans.note_of(store, 1) == dict.fromkeys(plans.NOTE_COLUMNS)
    plans.save_note(store, 1, "kept", None, None)
    assert plans.note_of(store, 1)["went_well"] == "kept"


def test_deleting_the_teacher_deletes_their_notes(client, store, history_instance):
    first, second = okafor(history_instance)
    byrne = [s["id"] for s in history_instance[1]["sessions"] if s["teacher"] == "Mr Byrne"]
    note(client, second, went_well="Quokka-went-well-9", next_step="same", next_observation="2031-07-19")
    note(client, byrne[0], went_well="Byrne-note-stays")
    folder = history_instance[0]
    on_disk = b"".join(p.read_bytes() for p in folder.glob("rehearse.sqlite*"))
    assert b"Quokka-went-well-9" in on_disk and b"2031-07-19" in on_disk

    store.delete_teacher(history.teacher_named(store, "Ms Okafor")["id"])

    on_disk = b"".join(p.read_bytes() for p in folder.glob("rehearse.sqlite*"))
    assert b"Quokka-went-well-9" not in on_disk and b"2031-07-19" not in on_disk  # not in free pages or the log
    assert b"Byrne-note-stays" in on_disk
    assert plans.note_of(store, second) is None
