"""Accuracy, then fluency, from a session's reps with the coach's marks applied."""

from __future__ import annotations

from rehearse.coaching.progress import hesitated, progress_of, rep_passed, verdicts_of

from .helpers import stored_rep


def attempt(rep, passed=True, wait=5.5, fillers=0, marks=None, pauses=(), scored=True):
    criteria = [{"id": "wait_time", "passed": passed, "detail": f"waited {wait} s"},
                {"id": "names_pupil", "passed": True, "detail": "named Priya"}]
    result = {"criteria": criteria, "pauses": [{"start": a, "end": b, "duration": b - a} for a, b in pauses],
              "metrics": {"wait_time_s": wait, "filler_count": fillers,
                          "question_start_s": 0.5, "question_end_s": 2.5}}
    return stored_rep(result if scored else None, marks, rep)


def test_coach_mark_overrides_the_app_and_both_are_kept():
    a = attempt(1, passed=False, marks={"wait_time": {"passed": True, "comment": "the clock was on"}})
    v = verdicts_of(a)[0]
    assert (v["app"], v["coach"], v["passed"], v["comment"]) == (False, True, True, "the clock was on")
    assert rep_passed(a) is True
    assert rep_passed(attempt(2, scored=False)) is None


def test_accurate_at_first_full_pass_and_fluent_after_three_steady_smooth_reps():
    reps = [attempt(1, passed=False, wait=2.0), attempt(2, wait=5.2), attempt(3, wait=6.0, fillers=2),
            attempt(4, wait=5.5), attempt(5, wait=5.8), attempt(6, wait=6.1)]
    p = progress_of(reps, fluent_after=3)
    assert p["accurate_at"] == 2
    assert p["fluent_at"] == 6  # rep 3 hesitated (fillers): the run restarts at 4
    assert (p["scored"], p["passed"]) == (6, 5)


def test_unsteady_waits_are_not_fluent_yet():
    reps = [attempt(1, wait=5.0), attempt(2, wait=9.0), attempt(3, wait=5.1)]
    assert progress_of(reps, 3)["fluent_at"] is None


def test_an_unscored_rep_neither_counts_nor_breaks_the_run():
    reps = [attempt(1), attempt(2, scored=False), attempt(3), attempt(4)]
    p = progress_of(reps, 3)
    assert p["fluent_at"] == 4 and p["scored"] == 3
    assert p["reps"][1] == {"rep": 2, "passed": None, "wait_time_s": None, "hesitated": None}


def test_a_pause_inside_the_question_is_a_hesitation():
    assert hesitated(attempt(1, pauses=[(1.0, 1.8)]).result)
    assert not hesitated(attempt(1, pauses=[(1.0, 1.3), (2.5, 8.0)]).result)
