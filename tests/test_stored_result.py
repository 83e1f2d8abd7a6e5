"""The typed view of a stored result (scoring/stored.py): what the engine writes reads back the same;
every older shape and a malformed one read; the coaching rules, pages and exports read it; and the
words the page marks are the parts the timeline found, for new results and, worked out again, for old."""

from __future__ import annotations

import copy
import json

import pytest

from rehearse.reps import open_store
from rehearse.coaching.calibration import rep_agreement
from rehearse.coaching.progress import hesitated, marked_metrics, progress_of, verdicts_of
from rehearse.scoring.name_sounds import NameMatch
from rehearse.scoring.result import judge
from rehearse.scoring.steps import get_step
from rehearse.scoring.speech import Segment
from rehearse.scoring.stored import Metrics, StoredResult
from rehearse.reps.export import record_of
from rehearse.store.records import Rep, Session
from rehearse.web.display import marked_words

from .helpers import stored_rep, timeline_of, unclear_after_the_wait

# A result as the first version of the app that kept results stored it (commit 64dca12, 22 Nov
# 2026: rehearse/result.py and pipeline.py then): no word parts, no unclear name, no span of a name
# said early, no room level, no if_named on a verdict, and "words_ready" in the timings.
VERSION_1 = {
    "file": None, "scenario": "pose-pause-name", "passed": True,
    "transcript": "Why does ice float on water? Chivon.",
    "metrics": {"wait_time_s": 5.4, "named_pupil": "Siobhan", "name_confidence": 0.86, "name_heard": "Chivon.",
                "question": "Why does ice float on water?", "question_start_s": 0.5, "question_end_s": 2.0,
                "name_start_s": 7.4, "pause_after_question_s": 5.4, "named_before_question": None,
                "speaking_s": 2.0, "word_count": 7, "filler_count": 0},
    "criteria": [{"id": "asks_question", "passed": True, "detail": "You asked: \"Why does ice float on water?\""},
                 {"id": "wait_time", "passed": True, "detail": "You paused 5.4 s; the target is 5 to 12 s."},
                 {"id": "names_pupil", "passed": True, "detail": "You named Siobhan, heard as \"Chivon.\" (86% sure)."}],
    "words": [{"word": "Why", "start": 0.4, "end": 0.7}, {"word": "does", "start": 0.7, "end": 0.9},
              {"word": "ice", "start": 0.9, "end": 1.2}, {"word": "float", "start": 1.2, "end": 1.5},
              {"word": "on", "start": 1.5, "end": 1.7}, {"word": "water?", "start": 2.1, "end": 2.8},
              {"word": "Chivon.", "start": 7.3, "end": 7.8}],
    "utterances": [{"start": 0.5, "end": 2.0, "text": "Why does ice float on water?"},
                   {"start": 7.4, "end": 7.9, "text": "Chivon."}],
    "pauses": [{"start": 2.0, "end": 7.4, "duration": 5.4}],
    "duration_s": 8.5,
    "timings": {"vad_s": 0.05, "words_s": 0.9, "total_s": 0.97, "words_ready": True},
}


def stored(t) -> dict:
    """A timeline's result as the engine stores it (result.judge, then JSON)."""
    words = [w for u in t.utterances for w in u.words]
    result = judge(get_step("pose-pause-name"), t, [Segment(u.start, u.end) for u in t.utterances], words, 10.0)
    result.timings = {"vad_s": 0.01, "words_s": 0.2, "names_s": 0.1, "total_s": 0.31, "words_reused": False}
    return json.loads(json.dumps(result.to_dict() | {"timings": result.timings}))


def without_parts(data: dict) -> dict:
    """The same result as stored before each word's part was."""
    old = copy.deepcopy(data)
    for w in old["words"]:
        del w["role"]
    return old


SESSION = Session(id=1, teacher_id=1, teacher="Ms Okafor", step_id="pose-pause-name", title="Pose, pause, name",
                  started_at="2026-11-22T09:00:00+00:00")


def attempt(result, marks=None, rep=1) -> Rep:
    """A stored rep as the store gives it (rows.py), holding `result`, read with its session."""
    return stored_rep(result, marks, rep, SESSION)


TIMELINES = {
    "pose, pause, name": lambda: timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 9.0, "Siobhan, go on.")),
    "a name in two words": lambda: timeline_of(
        (0.5, 2.0, "Why does ice float?"), (7.4, 7.9, "Chiv on."),
        choose=lambda us, at_start: None if at_start else NameMatch("Siobhan", "Chiv on.", 0.9, 0, 1)),
    "a remark, then the name": lambda: timeline_of((0.5, 2.0, "Why does ice float?"), (4.0, 5.0, "Grace, no, think."),
                                                   (9.0, 9.4, "Grace.")),
    "a name inside the question": lambda: timeline_of((0.5, 3.5, "What do you think happens next, Priya?"),
                                                      (9.0, 9.5, "Go on.")),
    "a name first": lambda: timeline_of((0.5, 3.0, "Priya, why does ice float on water?"), (8.0, 8.5, "Go on.")),
    "an unclear name": lambda: timeline_of((0.5, 2.0, "Why does ice float on water?"), (7.4, 7.9, "Then in days."),
                                           choose=unclear_after_the_wait),
    "a hesitation": lambda: timeline_of((0.5, 1.3, "Why do you think..."), (2.1, 3.6, "the ice melted so quickly?"),
                                        (9.3, 9.8, "Priya.")),
    "no name": lambda: timeline_of((0.5, 2.0, "Why might she have lied?"), (7.5, 8.0, "Anyone?")),
}


@pytest.mark.parametrize("case", TIMELINES)
def test_a_result_reads_back_as_stored_with_each_words_part(case):
    t = TIMELINES[case]()
    data = stored(t)
    view = StoredResult.from_json(data)
    assert view.to_json() == data  # the stored shape, unchanged
    roles = t.roles()
    assert [w.role for w in view.words] == [roles.get(id(w)) for u in t.utterances for w in u.words]
    assert [w["role"] for w in marked_words(view)] == [w.role for w in view.words]
    assert view.metrics.question == t.question_text and view.metrics.wait_time_s == t.wait_time
    assert [(v.id, v.passed, v.detail) for v in view.criteria] == [(c["id"], c["passed"], c["detail"]) for c in data["criteria"]]
    assert view.timings.words_reused is False and view.roles_recorded


@pytest.mark.parametrize("case", TIMELINES)
def test_a_result_stored_before_the_parts_gets_those_the_timeline_found(case):
    data = stored(TIMELINES[case]())
    old = StoredResult.from_json(without_parts(data))
    assert not old.roles_recorded
    assert [w.role for w in old.words] == [w["role"] for w in data["words"]]
    assert old.to_json() == without_parts(data)  # still not rewritten


def test_a_result_stored_by_the_first_version_reads():
    view = StoredResult.from_json(VERSION_1)
    m = view.metrics
    assert (m.wait_time_s, m.named_pupil, m.name_heard, m.question_end_s) == (5.4, "Siobhan", "Chivon.", 2.0)
    assert m.name_unclear_likely is None and m.named_early_span_s is None and m.room_snr_db is None
    assert all(v.if_named is None for v in view.criteria) and len(view.criteria) == 3
    assert view.timings.words_reused is True and view.timings.names_s is None  # "words_ready" then
    assert m.to_json() == VERSION_1["metrics"]  # the figures exported as stored
    # its parts worked out again: "water?" was placed past the question's end, still the question's
    assert [(w.word, w.role) for w in view.words] == [(w, "question") for w in "Why does ice float on water?".split()] + [
        ("Chivon.", "name")]
    assert view.pauses[0].duration == 5.4 and view.utterances[1].text == "Chivon."


def test_the_coaching_rules_and_the_export_read_a_first_version_result():
    rep = attempt(copy.deepcopy(VERSION_1))
    assert [v["passed"] for v in verdicts_of(rep)] == [True, True, True]
    assert marked_metrics(rep) == VERSION_1["metrics"]
    assert not hesitated(rep.result)
    assert progress_of([rep], 1)["fluent_at"] == 1
    record = record_of(rep)
    assert record["metrics"] == VERSION_1["metrics"] and record["transcript"] == VERSION_1["transcript"]
    taps = [{"id": 1, "source": "playback", "question_end_s": 2.2, "name_s": 7.5, "tapped_at": "t"}]
    assert rep_agreement(rep.result, taps, (5.0, 12.0))["difference_s"] == pytest.approx(-0.1)
    assert rep_agreement(VERSION_1, taps, (5.0, 12.0)) == rep_agreement(rep.result, taps, (5.0, 12.0))


def test_the_coachs_pick_of_a_pupil_leaves_the_name_words_as_heard():
    """The app heard a name it could not place ("Then in days."); the coach says it was Niamh. The
    pupil changes, the wait stands, and the words heard as the name are still the name's."""
    data = stored(TIMELINES["an unclear name"]())
    for result in (data, without_parts(data)):
        picked = attempt(result, marks={"names_pupil": {"passed": True, "comment": "", "pupil": "Niamh"}})
        metrics = marked_metrics(picked)
        assert metrics["named_pupil"] == "Niamh" and metrics["name_chosen_by_coach"] is True
        words = marked_words(picked.result)
        assert " ".join(w["word"] for w in words if w["role"] == "name") == "Then in days." == metrics["name_heard"]


def test_the_coach_keeps_the_wait_when_the_app_heard_no_name():
    data = stored(TIMELINES["no name"]())
    picked = attempt(data, marks={"names_pupil": {"passed": True, "comment": "", "pupil": "Tom"}})
    metrics = marked_metrics(picked)
    assert metrics["wait_time_s"] == metrics["wait_kept_s"] == data["metrics"]["pause_after_question_s"]
    assert list(metrics)[-2:] == ["name_chosen_by_coach", "wait_kept_s"]  # added, the stored keys as they were
    assert not any(w["role"] == "name" for w in marked_words(picked.result))  # no word was heard as a name


@pytest.mark.parametrize("junk", [
    {}, {"metrics": 5, "words": "x", "criteria": [1, {"id": 3}, {"id": "a"}], "pauses": [{"start": "a"}],
         "utterances": None, "timings": []},
    {"metrics": {"wait_time_s": "5", "named_early_span_s": [1], "name_unclear_likely": "Tom", "word_count": 2.5},
     "words": [{"word": 3, "start": 0.1, "end": 0.2, "role": "boss"}, {"start": None}],
     "criteria": [{"id": "wait_time", "passed": True, "if_named": {"passed": "yes"}}], "passed": "yes"},
])
def test_a_malformed_result_reads_as_far_as_it_goes(junk):
    """An imported archive is only checked to hold a JSON object per result: its pages must still load."""
    view = StoredResult.from_json(junk)
    assert isinstance(view.metrics, Metrics) and view.metrics.wait_time_s is None and view.passed is None
    assert all(w.role is None for w in view.words)
    rep = attempt(junk)
    verdicts_of(rep), marked_metrics(rep), progress_of([rep]), record_of(rep), marked_words(view)
    rep_agreement(junk, [{"question_end_s": 2.0, "name_s": 7.0}], (5.0, 12.0))


def test_a_stored_first_version_result_is_shown_marked_up_and_the_coach_can_pick_a_pupil(tmp_path):
    """Through the app, over a real store: a rep kept by the first version is shown with its words
    marked (worked out again), exported, and a coach's pick of a pupil keeps the words heard."""
    from rehearse.web import create_app

    from .page_client import page_client

    store = open_store(tmp_path / "instance")
    session_id = store.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan", "Niamh"])
    rep = store.new_rep(session_id, "upload", ".flac")
    store.save_result(rep.id, VERSION_1)
    client = page_client(create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False}))
    shown = client.get(f"/api/sessions/{session_id}").json["reps"][0]
    assert [(w["word"], w["role"]) for w in shown["words"]][-2:] == [("water?", "question"), ("Chivon.", "name")]
    assert shown["metrics"] == VERSION_1["metrics"] and shown["timings"]["words_reused"] is True
    assert client.get(f"/attempts/{rep.id}").status_code == 200
    assert client.get("/export.json").json["attempts"][0]["metrics"] == VERSION_1["metrics"]
    picked = client.post(f"/api/attempts/{rep.id}/marks",
                         json={"criterion": "names_pupil", "pupil": "Niamh", "comment": ""}).json
    assert picked["metrics"]["named_pupil"] == "Niamh"
    assert [w["word"] for w in picked["words"] if w["role"] == "name"] == ["Chivon."]
