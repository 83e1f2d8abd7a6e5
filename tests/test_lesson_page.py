"""An observed lesson's page, report and CSV (web/lesson_page.py), through Flask's test client over a
real store: a lesson of Ms Okafor's (who has rehearsed pose-pause-name in two real sessions, the
seeded history) saved with store.lessons.save_analysis from analysis JSON written here by hand, and a
real WAV as its kept recording. The page says the figures in words, lists the questions, the pupils
never named, the talk's shares and what a recording cannot measure; comments are kept at their
moment; "delete the audio, keep the figures" deletes the file and keeps the figures; the report is
one file that loads nothing; the CSV has a row per question; the teacher's page lists the lesson and
sets its median wait beside the rehearsals'."""

from __future__ import annotations

import csv
import io
import re
import wave
from html import unescape

import numpy as np
import pytest

from rehearse.reps import open_store
from rehearse.store import lessons, plans
from rehearse.web import create_app

from .page_client import page_client
from .test_calibration_web import page_data

ROSTER = ["Siobhan", "Tomasz", "Priya", "Chloe", "Niamh"]
DURATION_S = 60.0


def question(start, end, text, wait_s, named=None, kind="posed", call_out=False, name_at=None):
    next_speech = None if wait_s is None else round(end + wait_s, 3)
    return {"start": start, "end": end, "text": text, "kind": kind, "next_speech": next_speech,
            "next_speaker": "teacher" if named else ("pupil" if call_out else None),
            "named_pupil": named, "name_at": name_at if name_at is not None else (next_speech if named else None),
            "offered_pupil": None, "call_out": call_out, "call_out_at": next_speech if call_out else None,
            "wait_s": wait_s}


ANALYSIS = {
    "version": 1, "file": "lesson.wav", "duration_s": DURATION_S, "voice": {"source": "reps", "enrolled_s": 40.0},
    "timeline": [{"start": 1.0, "end": 4.0, "who": "teacher"}, {"start": 10.0, "end": 14.0, "who": "other"},
                 {"start": 18.0, "end": 21.0, "who": "teacher"}, {"start": 22.0, "end": 26.0, "who": "other"},
                 {"start": 30.0, "end": 33.0, "who": "teacher"}, {"start": 40.0, "end": 45.0, "who": "teacher"}],
    "questions": [
        question(2.0, 4.0, "Why does ice float on water?", 6.0, named="Siobhan"),
        question(18.0, 20.5, "Have you all got a pen?", 1.0, kind="procedural"),
        question(20.5, 21.0, "What happens to the density when it freezes?", 1.0, call_out=True),
        question(30.0, 33.0, "Who can tell me what displacement means?", 2.0, named="Tomasz"),
        question(40.0, 42.0, "And why might a ship float?", None, name_at=43.0),
    ],
    "talk": {"teacher_s": 12.0, "pupils_s": 9.0, "silence_s": 39.0},
    "teacher_speech": [{"start": 2.0, "end": 4.0, "text": "Why does ice float on water?"}],
}


def write_wav(path, seconds: float) -> None:
    """A real recording the length of the lesson: a quiet 220 Hz tone, 16 kHz mono (the page plays and
    seeks it; the report cuts its clips from it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = (np.sin(2 * np.pi * 220 * np.arange(int(16000 * seconds)) / 16000) * 2000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(tone.tobytes())


def saved_lesson(folder, analysis=ANALYSIS):
    """Ms Okafor's lesson on pose-pause-name, analysed (the JSON above) with its recording kept."""
    store = open_store(folder)
    made = lessons.new_lesson(store, "Ms Okafor", "pose-pause-name", "Pose, pause, name", ROSTER, "upload")
    write_wav(lessons.lesson_file(store, made), DURATION_S)
    lessons.save_analysis(store, made.id, analysis, made.audio_path, "voices-silenced", None)
    with store.connect() as db:  # the day it was observed: after the seeded sessions
        db.execute("UPDATE lessons SET created_at = '2026-11-20T10:00:00+00:00' WHERE id = ?", (made.id,))
    return store, lessons.lesson(store, made.id)


@pytest.fixture()
def lesson(history_instance):
    folder, ids = history_instance
    store, made = saved_lesson(folder)
    client = page_client(create_app({"INSTANCE": folder, "WARM_UP": False}))
    return client, store, made


def text_of(html: str) -> str:
    """The page's words, without its tags and the isolates round typed text (web/typed.py)."""
    words = " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u2068", "").replace("\u2069", "").split())
    return re.sub(r" ([,.;:])", r"\1", words)


def test_the_page_says_the_figures_lists_the_questions_and_the_never_named(lesson):
    client, _, made = lesson
    response = client.get(f"/lessons/{made.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    words = text_of(html)
    # four posed (the procedural one apart); waited 5 s (the step's least) then named on one of them
    assert ("4 questions posed to the class; waited 5 s or more before naming a pupil on 1 (25%); "
            "median wait 2.0 s; 2 pupils named, 3 never; 1 call-out") in words
    for said in ("Why does ice float on water?", "Who can tell me what displacement means?", "Have you all got a pen?"):
        assert said in words
    assert re.search(r'id="procedural".*Have you all got a pen\?', html, re.S)
    assert "Never named (3): Priya, Chloe, Niamh" in words
    assert "unclear" in words  # a name said after the last question, not one of the class list
    assert "a call-out" in words
    assert "The teacher: 20%" in words and "Other voices: 15%" in words and "Silence: 65%" in words
    assert "Not measurable from a lesson recording" in words
    assert "every other voice is silenced" in words  # saved as 'voices-silenced'
    data = page_data(html)["lesson"]
    assert [q["index"] for q in data["questions"]] == [0, 1, 2, 3, 4]
    assert data["audio"] and data["urls"]["audio"] == f"/lessons/{made.id}/audio"
    assert data["questions"][0]["from_s"] == pytest.approx(1.5)


def test_the_recording_is_served_in_ranges(lesson):
    client, _, made = lesson
    whole = client.get(f"/lessons/{made.id}/audio")
    assert whole.status_code == 200 and whole.mimetype.startswith("audio/")
    part = client.get(f"/lessons/{made.id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.data) == 100


def test_the_coach_overrules_a_questions_verdict_and_takes_it_back(lesson):
    client, store, made = lesson
    rows = page_data(client.get(f"/lessons/{made.id}").get_data(as_text=True))["lesson"]["questions"]
    verdict = rows[0]["verdicts"][0]
    answer = client.post(f"/api/lessons/{made.id}/marks", json={"question": 0, "criterion": verdict["id"],
                                                                 "passed": not verdict["app"]})
    assert answer.status_code == 200
    shown = answer.get_json()["questions"][0]["verdicts"][0]
    assert shown["coach"] is (not verdict["app"]) and shown["passed"] is (not verdict["app"])
    assert lessons.marks(store, made.id) == {(0, verdict["id"]): not verdict["app"]}
    assert "Undo overrule" in client.get(f"/lessons/{made.id}").get_data(as_text=True)
    client.post(f"/api/lessons/{made.id}/marks", json={"question": 0, "criterion": verdict["id"], "passed": None})
    assert lessons.marks(store, made.id) == {}


def test_a_mark_on_no_question_or_criterion_is_refused_and_nothing_kept(lesson):
    client, store, made = lesson
    for body in ({"question": 9, "criterion": "wait_time", "passed": True},
                 {"question": 0, "criterion": "no-such-criterion", "passed": True},
                 {"question": True, "criterion": "wait_time", "passed": True}):
        answer = client.post(f"/api/lessons/{made.id}/marks", json=body)
        assert answer.status_code == 400 and answer.get_json()["error"]
    assert lessons.marks(store, made.id) == {}
    assert client.post(f"/api/lessons/{made.id}/marks", json={"question": 0}, csrf=False).status_code == 403


def test_comments_are_kept_at_their_moment_edited_and_deleted(lesson):
    client, store, made = lesson
    answer = client.post(f"/api/lessons/{made.id}/comments", json={"at_s": 21.5, "text": "Called out: wait longer"})
    assert answer.status_code == 201
    (comment,) = answer.get_json()["comments"]
    assert comment["at_s"] == 21.5 and comment["text"] == "Called out: wait longer"
    edited = client.patch(f"/api/lessons/{made.id}/comments/{comment['id']}", json={"text": "A call-out"},
                          headers={"X-CSRF-Token": client.csrf_token()}).get_json()["comments"]
    assert [(c["at_s"], c["text"]) for c in edited] == [(21.5, "A call-out")]
    for bad in ({"at_s": 61, "text": "after the end"}, {"at_s": 3, "text": "  "}, {"text": "no moment"}):
        refused = client.post(f"/api/lessons/{made.id}/comments", json=bad)
        assert refused.status_code == 400 and refused.get_json()["error"]
    assert len(lessons.comments(store, made.id)) == 1
    gone = client.delete(f"/api/lessons/{made.id}/comments/{edited[0]['id']}",
                         headers={"X-CSRF-Token": client.csrf_token()})
    assert gone.status_code == 200 and gone.get_json()["comments"] == []


def test_delete_the_audio_keeps_the_figures(lesson):
    client, store, made = lesson
    kept = lessons.lesson_file(store, made)
    assert kept.is_file()
    unconfirmed = client.post(f"/lessons/{made.id}/delete-audio", data={})
    assert unconfirmed.status_code == 400 and kept.is_file()
    answer = client.post(f"/lessons/{made.id}/delete-audio", data={"confirm": "yes"})
    assert answer.status_code == 303
    assert not kept.exists()
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    words = text_of(page)
    assert "The recording was deleted. The figures are kept." in words
    assert "4 questions posed to the class" in words and "Never named (3)" in words
    assert page_data(page)["lesson"]["audio"] is False
    assert client.get(f"/lessons/{made.id}/audio").status_code == 404


def report_href(page: str) -> str:
    """The page's "Save as report" link (it carries this browser's CSRF token)."""
    (href,) = re.findall(r'id="save-report" class="[^"]*" href="([^"]+)"', page)
    return unescape(href)


def test_the_report_is_one_file_that_loads_nothing(lesson):
    client, _, made = lesson
    href = report_href(client.get(f"/lessons/{made.id}").get_data(as_text=True))
    assert client.get(f"/lessons/{made.id}/report").status_code == 403  # only the page's own link
    report = client.get(href)
    assert report.status_code == 200 and report.headers["Content-Disposition"].startswith("attachment")
    html = report.get_data(as_text=True)
    (policy,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert unescape(policy).startswith("default-src 'none'")
    assert not re.search(r'\b(src|href)="(?!data:)[^"#]', html)  # nothing outside the file
    words = text_of(html)
    assert "4 questions posed to the class" in words and "Never named (3): Priya, Chloe, Niamh" in words
    assert "Why does ice float on water?" in words
    # a clip of each question posed, the pupils' voices silenced in it (saved as 'voices-silenced')
    assert len(re.findall(r'<audio class="question-clip" controls preload="none" src="data:audio/mpeg;base64,', html)) == 4


def test_a_report_of_a_recording_with_the_pupils_voices_holds_no_sound(history_instance):
    folder, _ = history_instance
    store, made = saved_lesson(folder)
    with store.connect() as db:  # as a school that keeps the original recording would have it
        db.execute("UPDATE lessons SET audio_state = 'original' WHERE id = ?", (made.id,))
    client = page_client(create_app({"INSTANCE": folder, "WARM_UP": False}))
    html = client.get(report_href(client.get(f"/lessons/{made.id}").get_data(as_text=True))).get_data(as_text=True)
    assert "<audio" not in html and "data:audio" not in html
    assert "the kept recording has the pupils' voices in it" in unescape(html)


def test_the_csv_has_a_row_per_question(lesson):
    client, _, made = lesson
    answer = client.get(f"/lessons/{made.id}.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 5
    assert rows[0]["Question asked"] == "Why does ice float on water?" and rows[0]["Wait (s)"] == "6.0"
    assert rows[0]["Pupil named"] == "Siobhan" and rows[2]["Call-out"] == "yes" and rows[1]["Kind"] == "procedural"


def test_a_formula_in_a_question_is_not_run_by_a_spreadsheet(history_instance):
    folder, _ = history_instance
    analysis = dict(ANALYSIS, questions=[question(2.0, 4.0, "=HYPERLINK(\"x\")?", 6.0, named="Siobhan")])
    _, made = saved_lesson(folder, analysis)
    client = page_client(create_app({"INSTANCE": folder, "WARM_UP": False}))
    rows = list(csv.reader(io.StringIO(client.get(f"/lessons/{made.id}.csv").get_data(as_text=True))))
    assert rows[1][4] == "'=HYPERLINK(\"x\")?"


def test_the_teacher_page_sets_the_lessons_wait_beside_the_rehearsals(lesson):
    client, store, made = lesson
    teacher_id = made.teacher_id
    html = client.get(f"/teachers/{teacher_id}").get_data(as_text=True)
    words = text_of(html)
    assert f'href="/lessons/{made.id}"' in html
    assert "in the lesson 2.0 s" in words and "in rehearsal" in words
    charts = page_data(html)["lesson_charts"]
    (chart,) = charts
    assert chart["step_id"] == "pose-pause-name" and len(chart["sessions"]) == 2
    assert [p["median_wait_s"] for p in chart["lessons"]] == [2.0]


def test_a_lesson_not_yet_analysed_says_so(history_instance):
    folder, _ = history_instance
    store = open_store(folder)
    made = lessons.new_lesson(store, "Mr Byrne", "pose-pause-name", "Pose, pause, name", ROSTER, "upload")
    client = page_client(create_app({"INSTANCE": folder, "WARM_UP": False}))
    page = client.get(f"/lessons/{made.id}")
    assert page.status_code == 200 and "once it is analysed" in text_of(page.get_data(as_text=True))
    assert client.get(f"/lessons/{made.id}.csv").status_code == 404
    assert client.get("/lessons/999999").status_code == 404


def test_the_plans_next_observation_links_to_the_lesson_observed_after_it(lesson):
    """On the teacher's page (the plan agreed last) and on the summary of the meeting that agreed it."""
    client, store, made = lesson
    html = client.get(f"/teachers/{made.teacher_id}").get_data(as_text=True)
    assert 'id="observed-lesson"' not in html  # no plan written yet
    latest = plans.latest_session(store, made.teacher_id)  # 10 Nov; the lesson is of 20 Nov
    plans.save_note(store, latest.id, "Waited the whole five seconds", None, "2026-11-20")
    html = client.get(f"/teachers/{made.teacher_id}").get_data(as_text=True)
    assert re.search(rf'id="observed-lesson"><a href="/lessons/{made.id}"', html)
    summary = client.get(f"/sessions/{latest.id}/summary").get_data(as_text=True)  # the meeting's own page
    assert re.search(rf'id="observed-lesson">Observed since: <a href="/lessons/{made.id}"', summary)
    with store.connect() as db:  # a lesson before the meeting is not the one it planned
        db.execute("UPDATE lessons SET created_at = '2026-11-01T10:00:00+00:00' WHERE id = ?", (made.id,))
    assert 'id="observed-lesson"' not in client.get(f"/teachers/{made.teacher_id}").get_data(as_text=True)


def test_a_lesson_whose_step_is_gone_shows_its_questions_and_why_no_verdicts(tmp_path):
    store = open_store(tmp_path / "instance")
    made = lessons.new_lesson(store, "Ms Okafor", "a-step-since-deleted", "A step since deleted", ROSTER, "upload")
    lessons.save_analysis(store, made.id, ANALYSIS, None, "deleted", None)
    client = page_client(create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False}))
    page = client.get(f"/lessons/{made.id}")
    assert page.status_code == 200
    words = text_of(page.get_data(as_text=True))
    assert "a-step-since-deleted" in words  # the problem, in its one line
    assert "Why does ice float on water?" in words and "Overrule" not in words
    assert "The recording of this lesson has been deleted" in words
    assert client.get(f"/lessons/{made.id}.csv").status_code == 200
    assert client.get(report_href(page.get_data(as_text=True))).status_code == 200
    refused = client.post(f"/api/lessons/{made.id}/marks", json={"question": 0, "criterion": "wait_time", "passed": True})
    assert refused.status_code == 400


@pytest.mark.slow  # the speech model, the voices and a minute of a lesson analysed by the real job
def test_a_lesson_analysed_by_the_job_shows_on_its_page_report_and_csv(tmp_path, scorer):
    from rehearse.lessons.analysis import analyse_stored

    from .conftest import CLIPS

    clip = CLIPS / "lessons" / "lesson-a.flac"
    store = open_store(tmp_path / "instance")
    made = lessons.new_lesson(store, "Mr Byrne", "pose-pause-name", "Pose, pause, name",
                              ["Priya", "Callum", "Zainab", "Oliver", "Freya", "Kofi"], "upload", suffix=".flac")
    lessons.lesson_file(store, made).write_bytes(clip.read_bytes())
    lessons.recorded(store, made.id)
    assert analyse_stored(store, scorer, made.id).status == "done"
    done = lessons.lesson(store, made.id)
    client = page_client(create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False}))
    page = client.get(f"/lessons/{made.id}").get_data(as_text=True)
    shown = page_data(page)["lesson"]
    assert [q["text"] for q in shown["questions"]] == [q["text"] for q in done.result["questions"]]
    posed = [q for q in done.result["questions"] if q["kind"] == "posed"]
    assert f"{len(posed)} question" in text_of(page)  # the summary's count, whatever was heard
    assert all(q["verdicts"] for q in shown["questions"] if q["kind"] == "posed")  # each judged on the step
    report = client.get(report_href(page)).get_data(as_text=True)
    assert report.count('class="question-clip"') == len(posed)  # kept with other voices silenced
    rows = list(csv.reader(io.StringIO(client.get(f"/lessons/{made.id}.csv").get_data(as_text=True))))
    assert len(rows) == 1 + len(done.result["questions"])
