"""A coach's comments on a rep's recording (store/comments.py, web/comments.py), through Flask's test
client over a real store of real scored reps: kept at their moment, listed in the order they are
heard, edited and deleted; bad input refused in one line with nothing kept; in the CSV and JSON
exports; carried by the archive to another laptop (once, however often it is imported; an older
archive without them still imports; a tampered one is refused); and gone, to the last byte of the
SQLite file, when their teacher is deleted."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile

import pytest

from rehearse.reps import import_archive, open_store
from rehearse.errors import RehearseError
from rehearse.store import archive, comments
from rehearse.reps.export import rep_records, to_csv, to_json
from rehearse.store.schema import SCHEMA_VERSION
from rehearse.web import create_app

from .page_client import page_client
from .test_calibration_web import page_data


@pytest.fixture()
def client(history_instance):
    return page_client(create_app({"INSTANCE": history_instance[0], "WARM_UP": False}))


@pytest.fixture()
def rep(history_instance):
    """The store and the second rep of Ms Okafor's first session (Siobhan, about 9 s long)."""
    folder, ids = history_instance
    store = open_store(folder)
    return store, store.rep(ids["sessions"][0]["attempts"][1])


def post(client, attempt_id, body, **kwargs):
    return client.post(f"/api/attempts/{attempt_id}/comments", json=body, **kwargs)


def change(client, method, url, body=None):
    """A PATCH or DELETE as the page's script sends it: with this browser's CSRF token."""
    return client.open(url, method=method, json=body, headers={"X-CSRF-Token": client.csrf_token()})


def stored(store, attempt_id):
    return [(c.at_s, c.text) for c in store.rep(attempt_id).comments]


def test_comments_are_kept_at_their_moment_in_order_edited_and_deleted(client, rep):
    store, attempt = rep
    first = post(client, attempt.id, {"at_s": 5.0, "text": "  Good: you let the silence sit  "})
    assert first.status_code == 201, first.json
    second = post(client, attempt.id, {"at_s": 1.23456, "text": "Question lands here"})
    assert second.status_code == 201
    # In the order they are heard, the moment to the millisecond, the text trimmed.
    assert [(c["at_s"], c["text"]) for c in second.json["comments"]] == [
        (1.235, "Question lands here"), (5.0, "Good: you let the silence sit")]
    assert stored(store, attempt.id) == [(1.235, "Question lands here"), (5.0, "Good: you let the silence sit")]
    # The rep's page and the session's data (the meeting's page) carry them.
    page = client.get(f"/attempts/{attempt.id}").text
    assert 'id="comments"' in page and "comment-now" in page
    assert len(page_data(page)["rep"]["comments"]) == 2
    session = client.get(f"/api/sessions/{attempt.session_id}").json
    assert [len(a["comments"]) for a in session["reps"] if a["id"] == attempt.id] == [2]
    assert 'id="comments"' in client.get(f"/sessions/{attempt.session_id}").text

    late = second.json["comments"][1]
    edited = change(client, "PATCH", f"/api/attempts/{attempt.id}/comments/{late['id']}", {"text": "Better: 6 s"})
    assert edited.status_code == 200 and edited.json["comments"][1]["text"] == "Better: 6 s"
    assert edited.json["comments"][1]["edited_at"] and edited.json["comments"][1]["at_s"] == 5.0

    removed = change(client, "DELETE", f"/api/attempts/{attempt.id}/comments/{late['id']}")
    assert removed.status_code == 200 and [c["text"] for c in removed.json["comments"]] == ["Question lands here"]
    again = change(client, "DELETE", f"/api/attempts/{attempt.id}/comments/{late['id']}")
    assert again.status_code == 404 and "has no comment" in again.json["error"]
    other_rep = store.reps(attempt.session_id)[0].id  # a comment is deleted only from its own rep
    early = removed.json["comments"][0]["id"]
    assert change(client, "DELETE", f"/api/attempts/{other_rep}/comments/{early}").status_code == 404
    assert stored(store, attempt.id) == [(1.235, "Question lands here")]


@pytest.mark.parametrize("body, message", [
    ({"at_s": 2.0, "text": ""}, "the comment is empty"),
    ({"at_s": 2.0, "text": " \n\t "}, "the comment is empty"),
    ({"at_s": 2.0}, "the comment's text is missing"),
    ({"at_s": 2.0, "text": "x" * 2001}, "2001 characters is too long to save; shorten it to at most 2000"),
    ({"at_s": 2.0, "text": "ring \x07 the bell"}, "invisible control character (U+0007)"),
    ({"at_s": 2.0, "text": "\x1b[31mred"}, "invisible control character (U+001B)"),
    ({"at_s": -0.5, "text": "before it began"}, "outside the recording"),
    ({"at_s": 999, "text": "after it ended"}, "outside the recording"),
    ({"at_s": "soon", "text": "when?"}, "is not a number of seconds"),
    ({"at_s": True, "text": "when?"}, "is not a number of seconds"),
    ({"text": "when?"}, "is not a number of seconds"),
    (["not", "an", "object"], "send the comment as a JSON object"),
])
def test_bad_input_is_one_line_and_nothing_is_kept(client, rep, body, message):
    store, attempt = rep
    response = post(client, attempt.id, body)
    assert response.status_code == 400, response.json
    assert message in response.json["error"] and "\n" not in response.json["error"]
    assert stored(store, attempt.id) == []


@pytest.mark.parametrize("raw, message", [  # what Python's parser takes but no moment can be
    ('{"at_s": NaN, "text": "x"}', "is not a number of seconds"),
    ('{"at_s": Infinity, "text": "x"}', "(past any recording's end) is outside the recording"),
    ('{"at_s": -Infinity, "text": "x"}', "is outside the recording"),
    ('{"at_s": 1' + "0" * 400 + ', "text": "x"}', "(past any recording's end) is outside the recording"),
    ('{"at_s": 1e999, "text": "x"}', "is outside the recording"),
])
def test_a_number_no_moment_can_be_is_refused(client, rep, raw, message):
    store, attempt = rep
    response = client.post(f"/api/attempts/{attempt.id}/comments", data=raw, content_type="application/json")
    assert response.status_code == 400 and message in response.json["error"]
    assert len(response.json["error"]) < 200
    assert stored(store, attempt.id) == []


def test_an_edit_is_checked_as_a_new_comment_is(client, rep):
    store, attempt = rep
    made = post(client, attempt.id, {"at_s": 3.0, "text": "keep me"}).json["comments"][0]
    url = f"/api/attempts/{attempt.id}/comments/{made['id']}"
    assert "the comment is empty" in change(client, "PATCH", url, {"text": "   "}).json["error"]
    assert "outside the recording" in change(client, "PATCH", url, {"text": "x", "at_s": 99}).json["error"]
    assert change(client, "PATCH", f"{url}9", {"text": "x"}).status_code == 404
    assert stored(store, attempt.id) == [(3.0, "keep me")]


def test_a_comment_needs_the_pages_token_and_a_rep_that_exists(client, rep):
    store, attempt = rep
    assert post(client, attempt.id, {"at_s": 1, "text": "forged"}, csrf=False).status_code == 403
    made = post(client, attempt.id, {"at_s": 1, "text": "mine"}).json["comments"][0]
    url = f"/api/attempts/{attempt.id}/comments/{made['id']}"
    assert client.delete(url).status_code == 403  # no token: another site's page
    assert client.patch(url, json={"text": "forged"}).status_code == 403
    assert stored(store, attempt.id) == [(1.0, "mine")]
    missing = post(client, 9999, {"at_s": 1, "text": "x"})
    assert missing.status_code == 404 and "there is no attempt 9999" in missing.json["error"]


def test_the_exports_carry_the_comments(client, rep):
    store, attempt = rep
    post(client, attempt.id, {"at_s": 7.5, "text": "=SUM(A1) then the name, well done"})
    post(client, attempt.id, {"at_s": 2.25, "text": "Siobhán: the question, clear"})
    records = json.loads(client.get("/export.json").text)["attempts"]
    (record,) = [r for r in records if r["session_id"] == attempt.session_id and r["rep"] == attempt.number]
    assert [(c["at_s"], c["text"]) for c in record["comments"]] == [
        (2.25, "Siobhán: the question, clear"), (7.5, "=SUM(A1) then the name, well done")]
    assert all(r["comments"] == [] for r in records if r is not record)
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv").text.lstrip("\ufeff"))))
    (row,) = [r for r in rows if r["Session"] == str(attempt.session_id) and r["Rep"] == str(attempt.number)]
    assert row["Comments on the recording"] == ("at 2.25 s: Siobhán: the question, clear\n"
                                                "at 7.5 s: =SUM(A1) then the name, well done")
    assert to_csv(rep_records(store)) == client.get("/export.csv").text  # the CLI's export is the same


def test_an_archive_carries_the_comments_once_however_often_it_is_imported(rep, tmp_path):
    store, attempt = rep
    duration = attempt.duration_s
    comments.add(store, attempt.id, 1.5, "first", duration)
    edited = comments.add(store, attempt.id, 4.0, "second", duration)
    comments.edit(store, attempt.id, edited, "second, edited", duration_s=duration)
    made = tmp_path / "archive.zip"
    archive.write_archive(store, made)
    laptop = tmp_path / "laptop"
    first = import_archive(laptop, made)
    again = import_archive(laptop, made)
    assert first["comments"] == 2 and again["comments"] == 0
    there = open_store(laptop)
    copy = there.query_one("SELECT id FROM attempts WHERE uid = ?", attempt.uid)["id"]
    assert stored(there, copy) == [(1.5, "first"), (4.0, "second, edited")]
    assert there.rep(copy).comments[1].edited_at == store.rep(attempt.id).comments[1].edited_at
    assert to_json(rep_records(there)) == to_json(rep_records(store))

    # Edited again here later: the newer edit wins whichever way the archive goes.
    comments.edit(store, attempt.id, edited, "second, edited twice", duration_s=duration)
    archive.write_archive(store, made)
    assert import_archive(laptop, made)["comments"] == 1
    assert stored(there, copy) == [(1.5, "first"), (4.0, "second, edited twice")]
    older = tmp_path / "older.zip"
    archive.write_archive(there, older)
    assert import_archive(store.instance, older)["comments"] == 0


def older_archive(made, dest, version=5):
    """`made` as a rehearse from before comments wrote it: no table of them, schema `version`."""
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(dest, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == archive.DATABASE:
                work = dest.with_suffix(".sqlite")
                work.write_bytes(data)
                with sqlite3.connect(work) as db:
                    db.execute("DROP TABLE comments")
                    db.execute(f"PRAGMA user_version={version}")
                db.close()
                data = work.read_bytes()
            elif info.filename == archive.MANIFEST:
                data = json.dumps(json.loads(data) | {"schema": version}).encode()
            out.writestr(info, data)
    return dest


def test_an_archive_from_before_comments_still_imports(rep, tmp_path):
    store, attempt = rep
    made = tmp_path / "now.zip"
    archive.write_archive(store, made)
    laptop = tmp_path / "laptop"
    counts = import_archive(laptop, older_archive(made, tmp_path / "older.zip"))
    assert counts["attempts"] == 9 and counts["comments"] == 0
    there = open_store(laptop)
    assert there.query_one("PRAGMA user_version")[0] == SCHEMA_VERSION
    copy = there.query_one("SELECT id FROM attempts WHERE uid = ?", attempt.uid)["id"]
    assert stored(there, copy) == []
    comments.add(there, copy, 2.0, "now it can take them", there.rep(copy).duration_s)
    assert stored(there, copy) == [(2.0, "now it can take them")]


@pytest.mark.parametrize("sql, problem", [
    ("UPDATE comments SET attempt_id = 999", "is on an attempt that is not in the archive"),
    ("UPDATE comments SET at_s = -1", "no unique id, moment on the recording or date"),
    ("UPDATE comments SET at_s = 'soon'", "no unique id, moment on the recording or date"),
    ("UPDATE comments SET uid = CAST('abc' AS BLOB)", "no unique id, moment on the recording or date"),
    ("UPDATE comments SET text = 'ring ' || char(7)", "without control characters"),
    ("UPDATE comments SET text = 'nul ' || char(0) || ' inside'", "without control characters"),
    ("UPDATE comments SET text = ''", "not text of 1 to 2000 characters"),
    (f"UPDATE comments SET text = '{'x' * 2001}'", "not text of 1 to 2000 characters"),
    ("UPDATE comments SET text = CAST('abc' AS BLOB)", "not text of 1 to 2000 characters"),
    ("DROP TABLE comments", "has no table comments"),
])
def test_a_tampered_archives_comments_are_refused_in_one_line(rep, tmp_path, sql, problem):
    store, attempt = rep
    comments.add(store, attempt.id, 1.5, "genuine", attempt.duration_s)
    made = tmp_path / "genuine.zip"
    archive.write_archive(store, made)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(tampered, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == archive.DATABASE:
                work = tmp_path / "work.sqlite"
                work.write_bytes(data)
                with sqlite3.connect(work) as db:
                    db.execute(sql)
                db.close()
                data = work.read_bytes()
            out.writestr(info, data)
    laptop = tmp_path / "laptop"
    with pytest.raises(RehearseError) as refused:
        import_archive(laptop, tampered)
    assert problem in str(refused.value) and "nothing was imported" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not laptop.exists()  # the folder the import would have made is not made


def test_a_store_from_before_comments_gets_their_table(rep):
    store, attempt = rep
    with sqlite3.connect(store.path) as db:  # as rehearse left it before issue 21
        db.execute("DROP TABLE comments")
        db.execute("PRAGMA user_version=5")
    reopened = open_store(store.instance)
    assert reopened.query_one("PRAGMA user_version")[0] == SCHEMA_VERSION
    assert reopened.rep(attempt.id).comments == ()
    comments.add(reopened, attempt.id, 0.0, "from the very start", attempt.duration_s)
    assert stored(reopened, attempt.id) == [(0.0, "from the very start")]


def test_deleting_the_teacher_deletes_their_comments_to_the_last_byte(client, rep, history_instance):
    store, attempt = rep
    folder, ids = history_instance
    byrne = store.rep(ids["sessions"][2]["attempts"][0])  # the other teacher's: it stays
    assert post(client, attempt.id, {"at_s": 2.0, "text": "Quokka-remark-31 on the pause"}).status_code == 201
    assert post(client, byrne.id, {"at_s": 1.0, "text": "Wombat-remark-17 stays"}).status_code == 201
    on_disk = b"".join(p.read_bytes() for p in folder.glob("rehearse.sqlite*"))
    assert b"Quokka-remark-31" in on_disk

    okafor = store.query_one("SELECT id FROM teachers WHERE name = 'Ms Okafor'")["id"]
    deleted = client.post(f"/teachers/{okafor}/delete", data={"confirm": "Ms Okafor"})
    assert deleted.status_code == 302

    # Not in the database, nor its write-ahead log, nor its free pages.
    on_disk = b"".join(p.read_bytes() for p in folder.glob("rehearse.sqlite*"))
    assert b"Quokka-remark-31" not in on_disk
    assert b"Wombat-remark-17" in on_disk
    assert store.query_one("SELECT COUNT(*) FROM comments")[0] == 1
    assert stored(store, byrne.id) == [(1.0, "Wombat-remark-17 stays")]


def test_the_timeline_and_list_are_on_both_pages(client, rep):
    """The scripts that draw and take the comments are on the rep's page and the meeting's page."""
    store, attempt = rep
    for url in (f"/attempts/{attempt.id}", f"/sessions/{attempt.session_id}"):
        page = client.get(url).text
        assert re.search(r'<script type="module" nonce="[^"]+" src="/static/(session|rep_page)\.js"></script>', page), url
        assert 'class="comment-list"' in page and "<kbd>C</kbd>" in page
        entry = "session.js" if url.startswith("/sessions/") else "rep_page.js"
        assert 'from "./comments.js"' in client.get(f"/static/{entry}").text, entry
    assert client.get("/static/comments.js").status_code == 200


def test_a_teachers_page_lists_every_comment_on_her_reps(client, rep, history_instance):
    store, attempt = rep
    session = store.session(attempt.session_id)
    later = history_instance[1]["sessions"][1]  # Ms Okafor's second session, a week later
    assert later["teacher"] == session.teacher
    post(client, attempt.id, {"at_s": 2.0, "text": "Lovely pause <here>"})
    post(client, later["attempts"][0], {"at_s": 1.0, "text": "A week on"})
    page = client.get(f"/teachers/{session.teacher_id}/comments")
    assert page.status_code == 200
    assert "Lovely pause &lt;here&gt;" in page.text and f"/attempts/{attempt.id}" in page.text
    assert page.text.index("A week on") < page.text.index("Lovely pause")  # newest session first
    assert f"/teachers/{session.teacher_id}/comments" in client.get(f"/teachers/{session.teacher_id}").text
    assert client.get("/teachers/999999/comments").status_code == 404
