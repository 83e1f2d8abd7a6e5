"""Attacks through the text people type (issue 29, items 3 and 4), against a real `rehearse serve`
and the real CLI: a teacher's name with NUL kept and then not deletable from its page; control
characters reaching `rehearse export` and the terminal raw; a right-to-left override in a name
reversing the app's own words after it (report, summary); names that look the same kept as
separate teachers; a comment of zero-width characters only kept; and key words with no letter a–z
(1066, π, 中文) counted as used in a rep that never said them.

A row "kept before the rule" (a name with NUL or ESC, an overrule note with BEL) cannot be made
through the app any more: such rows are written into the database with sqlite3, as an older
rehearse (or a hand-edited file) left them — the closest to the real condition there is.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
import urllib.error
import urllib.request
import uuid

import pytest

from .conftest import CLIPS
from .server import Visitor, running_server
from .test_cli import rehearse

pytestmark = pytest.mark.slow  # one real server for the module (its model loads at start)

CLIP = "ppn-00-correct-siobhan-clean.flac"  # a rep that names Siobhan after a wait; says none of the key words
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # what a terminal acts on (not tab or line breaks)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("typed") / "instance"
    with running_server(instance) as url:
        yield url, instance


def send(visitor: Visitor, path: str, fields: dict) -> tuple[int, str, str]:
    """POST a form as the page does; (status, body, final address), a refusal included."""
    try:
        with visitor.post(path, fields) as response:
            return response.status, response.read().decode(), response.url
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.url


def start(url: str, teacher: str) -> tuple[int, str, str]:
    return send(Visitor(url), "/sessions", {"teacher": teacher, "step": "pose-pause-name", "roster": "", "reps": "3"})


def teachers(instance) -> list[str]:
    with sqlite3.connect(instance / "rehearse.sqlite") as db:
        return [r[0] for r in db.execute("SELECT name FROM teachers ORDER BY id")]


def api(visitor: Visitor, path: str, body: dict | None = None, data: bytes | None = None,
        content_type: str = "application/json") -> tuple[int, dict]:
    """A JSON or upload request as the pages' scripts send it (with the page's CSRF token)."""
    request = urllib.request.Request(visitor.url + path, method="POST",
                                     data=data if data is not None else json.dumps(body).encode(),
                                     headers={"Content-Type": content_type, "X-CSRF-Token": visitor.token})
    try:
        with visitor.opener.open(request, timeout=300) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


def scored_rep(url: str, teacher: str) -> tuple[Visitor, int, int]:
    """A session of `teacher` started from the form, and a recording uploaded to it as its first
    rep (scored by the real model): (the visitor, the session's id, the attempt's id)."""
    status, _, address = start(url, teacher)
    assert status == 200, address
    session_id = int(address.rstrip("/").rsplit("/", 1)[1])
    visitor = Visitor(url)
    html = visitor.get(f"/sessions/{session_id}").read().decode()
    visitor.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="recording"; filename="{CLIP}"\r\n'
            "Content-Type: audio/flac\r\n\r\n").encode() + (CLIPS / CLIP).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, attempt = api(visitor, f"/api/sessions/{session_id}/uploads", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 201, attempt
    return visitor, session_id, attempt["id"]


@pytest.mark.parametrize("name, said", [
    ("A\x00B", "invisible control character (U+0000)"),
    ("Ms \x1b[31mRed", "invisible control character (U+001B)"),
    ("\u200b\u200c\u2060", "only invisible characters"),
])
def test_a_name_no_one_can_see_or_type_is_refused_at_the_start_form(server, name, said):
    url, instance = server
    status, page, _ = start(url, name)
    assert status == 400 and said in page
    assert name not in teachers(instance)


def test_a_name_with_nul_kept_before_the_rule_is_deleted_from_its_page(server):
    url, instance = server
    with sqlite3.connect(instance / "rehearse.sqlite") as db:
        teacher_id = db.execute("INSERT INTO teachers(name, created_at) VALUES (?, '2026-11-01T09:00:00+00:00')",
                                ("C\x00D",)).lastrowid
    visitor = Visitor(url)
    shown = visitor.get(f"/teachers/{teacher_id}/delete").read().decode()
    assert "\x00" not in shown  # a browser drops a NUL: the page shows what cannot be typed as �
    # What a person reads there is "CD" (or "C�D"): typing it deletes the teacher.
    status, page, address = send(visitor, f"/teachers/{teacher_id}/delete", {"confirm": "CD"})
    assert status == 200 and "/history" in address and "Deleted the teacher" in page
    assert "C\x00D" not in teachers(instance)


def test_names_that_look_the_same_are_one_teacher(server):
    url, instance = server
    for typed in (unicodedata.normalize("NFC", "Zoë Ng"), unicodedata.normalize("NFD", "Zoë Ng"),
                  "ÉVA Lund", "éva lund", "Tom Hale\u200b", "Tom\u200b Hale", "Tom  Hale"):
        assert start(url, typed)[0] == 200, typed
    kept = teachers(instance)
    assert kept.count(unicodedata.normalize("NFC", "Zoë Ng")) == 1 and "Zoe\u0308 Ng" not in kept
    assert [n for n in kept if n.casefold() == "éva lund"] == ["ÉVA Lund"]  # as first typed
    assert [n for n in kept if n.replace("\u200b", "") in ("Tom Hale", "TomHale")] == ["Tom Hale\u200b"]


def test_a_comment_of_invisible_characters_and_an_overrule_note_with_esc_are_refused(server):
    url, instance = server
    visitor, _, attempt_id = scored_rep(url, "Ms Comment")
    status, answer = api(visitor, f"/api/attempts/{attempt_id}/comments", {"at_s": 1.0, "text": "\u200b\u200d\ufeff"})
    assert status == 400 and "only invisible characters" in answer["error"]
    status, answer = api(visitor, f"/api/attempts/{attempt_id}/marks",
                         {"criterion": "names_pupil", "passed": False, "comment": "ok\x1b]0;owned\x07"})
    assert status == 400 and "invisible control character (U+001B)" in answer["error"]
    with sqlite3.connect(instance / "rehearse.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM comments WHERE attempt_id = ?", (attempt_id,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM coach_marks WHERE attempt_id = ?", (attempt_id,)).fetchone()[0] == 0


def test_export_prints_no_raw_control_characters_of_rows_kept_before_the_rule(server):
    url, instance = server
    _, _, attempt_id = scored_rep(url, "Ms Export")
    with sqlite3.connect(instance / "rehearse.sqlite") as db:  # as an older rehearse kept them
        db.execute("UPDATE teachers SET name = ? WHERE name = 'Ms Export'", ("Ms \x1b[2JExport\x07\x00",))
        db.execute("INSERT INTO coach_marks(attempt_id, criterion, passed, comment, marked_at)"
                   " VALUES (?, 'wait_time', 0, ?, '2026-11-01T09:00:00+00:00')", (attempt_id, "see \x1b]0;owned\x07 \x9b31m"))
    for options in ((), ("--format", "json")):
        run = rehearse("export", "--instance", str(instance), *options)
        assert run.returncode == 0, run.stderr
        assert "Export" in run.stdout and not RAW_CONTROL.search(run.stdout), RAW_CONTROL.findall(run.stdout)
    run = rehearse("export", "--instance", str(instance), "--teacher", "No One")  # the error names the teachers
    assert run.returncode == 2 and "Export" in run.stderr and not RAW_CONTROL.search(run.stderr)


def test_a_right_to_left_override_in_a_name_reverses_nothing_of_the_apps_own(server, tmp_path):
    url, instance = server
    name = "\u202eMs Rtl"  # an override left open: the app's words after it would read backwards
    visitor, session_id, attempt_id = scored_rep(url, name)
    summary = visitor.get(f"/sessions/{session_id}/summary").read().decode()
    assert f"<p class=\"muted\"><bdi>{name}</bdi> · " in summary
    run = rehearse("report", "--attempt", str(attempt_id), "--instance", str(instance), "-o", str(tmp_path / "rep.html"))
    assert run.returncode == 0, run.stderr
    report = (tmp_path / "rep.html").read_text()
    assert f"<bdi>{name}</bdi> · recorded" in report  # isolated: the date after it reads as written
    title = re.search(r"<title>(.*?)</title>", report).group(1)
    assert f"\u2068{name}\u2069 · " in title  # where no element can go, between FSI and PDI


def test_key_words_without_letters_a_to_z_are_not_used_in_a_rep_that_never_said_them(tmp_path):
    """`rehearse score` (the real engine and model) on a rep that says none of 1066, π or 中文."""
    instance = tmp_path / "instance"
    (instance / "scenarios").mkdir(parents=True)
    (instance / "scenarios" / "dates-and-symbols.toml").write_text(
        'id = "dates-and-symbols"\ntitle = "Dates and symbols"\ngoal = "g"\nstrategy = "s"\nprompt = "p"\n'
        'roster = ["Siobhan", "Tomasz"]\n\n[[criteria]]\nrule = "uses_key_words"\nwords = ["1066", "π", "中文"]\n',
        encoding="utf-8")
    run = rehearse("score", str(CLIPS / CLIP), "--step", "dates-and-symbols", "--instance", str(instance), "--json")
    assert run.returncode == 0, run.stderr
    verdict = next(c for c in json.loads(run.stdout)["criteria"] if c["id"] == "uses_key_words")
    assert verdict["passed"] is False and verdict["detail"].startswith("You used 0 of 3 key words"), verdict
