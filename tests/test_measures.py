"""measures.py on analysis JSON built by hand (no model: the numbers are exact)."""

from __future__ import annotations

from rehearse.observe.lesson import LessonAnalysis
from rehearse.observe.measures import measure
from rehearse.scoring.steps import get_step

ROSTER = ["Amira", "Jo", "Tom", "Priya", "Zainab"]


def question(start, end, text, next_speech, next_speaker, named=None, name_at=None, call_out=False,
             kind="posed", offered=None):
    return {"start": start, "end": end, "text": text, "kind": kind, "next_speech": next_speech,
            "next_speaker": next_speaker, "named_pupil": named, "name_at": name_at, "offered_pupil": offered,
            "call_out": call_out, "call_out_at": next_speech if call_out else None,
            "wait_s": round(next_speech - end, 3) if next_speech is not None else None}


def analysis() -> dict:
    """A 100 s stretch: four posed questions (a 6 s wait then Amira; a 2 s wait then Jo; a call-out
    after 1.5 s; a 5.5 s wait then Amira again) and a procedural one."""
    timeline = [
        (0.0, 4.0, "teacher"), (5.0, 7.0, "teacher"), (13.0, 13.6, "teacher"), (14.0, 16.0, "other"),
        (20.0, 23.0, "teacher"), (25.0, 25.5, "teacher"), (26.0, 28.0, "other"),
        (30.0, 33.0, "teacher"), (34.5, 35.5, "other"), (37.0, 39.0, "teacher"),
        (50.0, 53.0, "teacher"), (58.5, 59.0, "teacher"), (60.0, 62.0, "other"), (70.0, 72.0, "teacher"),
    ]
    speech = {0.0: "Everyone, look at the board.", 5.0: "Why does ice float on water?", 13.0: "Amira?",
              20.0: "So how do we know that it floats?", 25.0: "Jo?", 30.0: "What is seven times eight?",
              37.0: "Hands up, please.", 50.0: "What makes a fair test?", 58.5: "Amira.",
              70.0: "Has everyone got a pencil?"}
    data = LessonAnalysis(
        "lesson.wav", 100.0, {"source": "reps", "enrolled_s": 75.0},
        [{"start": a, "end": b, "who": w} for a, b, w in timeline],
        [], {"teacher_s": 20.1, "pupils_s": 7.0, "silence_s": 72.9},
        [{"start": a, "end": b, "text": speech[a]} for a, b, w in timeline if w == "teacher"]).to_json()
    data["questions"] = [
        question(5.0, 7.0, "Why does ice float on water?", 13.0, "teacher", "Amira", 13.0),
        question(20.0, 23.0, "So how do we know that it floats?", 25.0, "teacher", "Jo", 25.0),
        question(30.0, 33.0, "What is seven times eight?", 34.5, "pupil", call_out=True),
        question(50.0, 53.0, "What makes a fair test?", 58.5, "teacher", "Amira", 58.5),
        question(70.0, 72.0, "Has everyone got a pencil?", None, None, kind="procedural"),
    ]
    return data


def test_the_round_trip_keeps_the_shape():
    data = analysis()
    again = LessonAnalysis.from_json(data).to_json()
    assert again == data
    assert set(data) == {"version", "file", "duration_s", "voice", "timeline", "questions", "talk", "teacher_speech"}


def test_pose_pause_name_counts_and_summary():
    m = measure(get_step("pose-pause-name"), analysis(), ROSTER).to_json()
    c = m["counts"]
    assert (c["posed"], c["procedural"], c["waited"], c["waited_pct"], c["call_outs"]) == (4, 1, 2, 50, 1)
    assert c["median_wait_s"] == 3.75  # waits 6, 2, 1.5, 5.5
    assert c["per_pupil"]["Amira"] == 2 and c["per_pupil"]["Jo"] == 1
    assert c["never_named"] == ["Tom", "Priya", "Zainab"]
    assert m["summary"] == ("4 questions posed to the class; waited 5 s or more before naming a pupil on 2 (50%); "
                            "median wait 3.8 s; 2 pupils named, 3 never; 1 call-out")
    assert m["talk"] == {"teacher": 0.201, "pupils": 0.07, "silence": 0.729}
    assert m["not_measurable"] == []


def test_each_question_is_judged_by_the_steps_criteria_and_a_mark_overrules():
    m = measure(get_step("pose-pause-name"), analysis(), ROSTER).to_json()
    verdicts = [{v["id"]: v["passed"] for v in q["verdicts"]} for q in m["questions"]]
    assert [v["wait_time"] for v in verdicts] == [True, False, False, True]
    assert [v["names_pupil"] for v in verdicts] == [True, True, False, True]
    assert all(v["asks_question"] and v["no_name_before_question"] for v in verdicts)
    assert "called out" in next(v["detail"] for v in m["questions"][2]["verdicts"] if v["id"] == "wait_time")
    row = next(r for r in m["criteria"] if r["id"] == "wait_time")
    assert (row["met"], row["of"], row["how"]) == (2, 4, "per question")
    marked = measure(get_step("pose-pause-name"), analysis(), ROSTER, {(1, "wait_time"): True}).to_json()
    wait = next(v for v in marked["questions"][1]["verdicts"] if v["id"] == "wait_time")
    assert wait["passed"] and wait["overruled"]


def test_a_name_said_first_fails_no_name_before_question():
    data = analysis()
    data["questions"][0]["text"] = "Tom, why does ice float on water?"
    m = measure(get_step("pose-pause-name"), data, ROSTER).to_json()
    first = {v["id"]: v["passed"] for v in m["questions"][0]["verdicts"]}
    assert first["no_name_before_question"] is False


def test_cold_call_looks_for_everyone_around_the_question():
    m = measure(get_step("cold-call"), analysis(), ROSTER).to_json()
    whole_class = [next(v["passed"] for v in q["verdicts"] if v["id"] == "whole-class") for q in m["questions"]]
    assert whole_class == [True, False, False, False]
    assert "waited 2 s or more before naming a pupil on 3 (75%)" in m["summary"]


def test_steps_not_about_questions_say_what_cannot_be_measured():
    m = measure(get_step("key-vocabulary"), analysis(), ROSTER).to_json()
    assert [r["id"] for r in m["not_measurable"]] == ["max_seconds"]
    assert "not measurable from a lesson recording" in m["summary"].lower()
    key = next(v for v in m["lesson_verdicts"] if v["id"] == "uses_key_words")
    assert key["passed"] is False and "0 of 3" in key["detail"]
    instructions = measure(get_step("clear-instructions"), analysis(), ROSTER).to_json()
    assert {r["id"] for r in instructions["not_measurable"]} == {"max_steps", "checks_understanding", "max_fillers",
                                                                "max_words"}
    assert all(r["why"].startswith("not measurable from a lesson recording") for r in instructions["criteria"]
               if not r["measured"])
