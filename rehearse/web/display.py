"""What the pages show, as plain dicts: a step, a rep (verdicts, marked transcript) and a session
with its progress, made from the store's records (store/records.py). The session page's script and
the templates both read these."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import url_for

from ..coaching.calibration import band_view, rep_agreement, summarise
from ..coaching.progress import marked, marked_metrics, progress_of, rep_passed, verdicts_of
from ..errors import RehearseError
from ..scoring.criteria import LABELS
from ..scoring.name_sounds import parse_roster
from ..scoring.steps import ActionStep, check_all, get_step
from ..scoring.stored import StoredResult
from ..store import examples, history, learnt
from ..store.database import Store
from ..store.records import Rep, Session
from . import context, figures, typed


def step_or_problem(step_id: str, instance) -> tuple[ActionStep | None, str | None]:
    """An action step, or None and why it cannot be loaded (a rep's history still shows without it)."""
    try:
        return get_step(step_id, instance), None
    except RehearseError as exc:
        return None, str(exc)


def step_titles(store: Store) -> dict[str, str]:
    """Every action step's title by id, to name a step a note agreed on: the library's (archived
    ones too), and, for a step whose file is gone, the title stored with its sessions."""
    titles = {s.id: s.title for s in check_all(store.instance)[0]}
    titles.update({a["step_id"]: a["title"] for a in history.action_steps(store) if a["step_id"] not in titles})
    return titles


def step_view(step: ActionStep) -> dict[str, Any]:
    return {
        "id": step.id, "title": step.title, "goal": step.goal, "strategy": step.strategy,
        "prompt": step.prompt, "model": step.model, "non_example": step.non_example,
        "criteria": [{"id": c.id, "description": c.description} for c in step.criteria],
        "roster": list(step.roster_lines),  # as written, with how names sound
        "wait_band": band_view(step.wait_band),
    }


def playable_examples(store: Store, step: ActionStep | None) -> list[dict[str, Any]]:
    """The step's model and non-example the teacher can play before practising (not one still being
    recorded)."""
    found = examples.examples_of(store, step).values() if step else []
    return [example_view(f, step) for f in found if f and f["status"] != "recording"]


def example_view(found: dict[str, Any] | None, step: ActionStep | None = None) -> dict[str, Any] | None:
    """A step's model or non-example for the page: where to play it, and how it scored."""
    if found is None:
        return None
    words = criterion_words(step)
    result = StoredResult.from_json(found["result"])
    kind, step_row = found["kind"], found["step_id"]
    return {
        "id": found["id"], "kind": kind, "label": "Model" if kind == "model" else "Non-example",
        "source": found["source"], "status": found["status"], "error": found["error"],
        "passed": None if found["passed"] is None else bool(found["passed"]),
        "verdicts": [v.to_json() | words.get(v.id, {"description": v.id, "label": v.id}) for v in result.criteria],
        "transcript": result.transcript if found["result"] else None, "wait_time_s": result.metrics.wait_time_s,
        "audio_url": url_for("steps.example_audio", step_id=step_row, kind=kind, v=found["id"]),
        "score_url": url_for("steps.score_example", step_id=step_row, kind=kind),
    }


def criterion_words(step: ActionStep | None) -> dict[str, dict[str, str]]:
    """Each criterion of the step, by id, in the words a verdict is shown with: its description and
    its short label (criteria.LABELS; the verdict line beside the record button says it)."""
    return {c.id: {"description": c.description, "label": LABELS.get(c.rule, c.description)}
            for c in step.criteria} if step else {}


def rep_view(rep: Rep, step: ActionStep | None) -> dict[str, Any]:
    """A rep for the page: what `rep_facts` gives, where its recording is served, and what it
    taught the app of how its teacher says a name (learnt.taught_by: the coach's one tap)."""
    at = {"rep_id": rep.id}
    urls = {"marks": url_for("api.mark", **at), "score": url_for("api.rescore", **at),
            "taps": url_for("api.add_taps", **at), "comments": url_for("comments.add", **at)}
    return rep_facts(rep, step) | {"audio_url": url_for("pages.rep_audio", **at), "urls": urls,
                                   "taught": learnt.taught_by(context.store(), rep.uid)}


def taps_of(rep: Rep) -> list[dict[str, Any]]:
    """A rep's passes of taps as calibration and the pages read them."""
    return [t.to_json() for t in rep.taps]


def rep_facts(rep: Rep, step: ActionStep | None) -> dict[str, Any]:
    """A rep as the page and the saved report show it, outside any request: its verdicts with the
    coach's marks and the step's words, its figures as the coach agreed them, its transcript marked."""
    words = criterion_words(step)
    verdicts = [v | words.get(v["id"], {"description": v["id"], "label": v["id"]}) for v in verdicts_of(rep)]
    taps = taps_of(rep)
    view = {
        "id": rep.id, "rep": rep.number, "source": rep.source,
        "status": rep.status, "error": rep.error, "created_at": rep.created_at,
        "duration_s": rep.duration_s, "passed": rep_passed(rep), "app_passed": rep.app_passed,
        "overruled": any(v["coach"] is not None and v["coach"] != v["app"] for v in verdicts),
        "verdicts": verdicts,
        "taps": taps,
        "comments": [c.to_json() for c in rep.comments],  # the coach's, each at a moment of the recording
        "agreement": rep_agreement(rep.result, taps, step.wait_band if step else None),
    }
    if rep.result is not None:
        result = rep.result
        view |= {
            "metrics": marked_metrics(rep),  # with the pupil the coach chose, and the wait kept
            "pauses": [asdict(p) for p in result.pauses], "utterances": [asdict(u) for u in result.utterances],
            "words": marked_words(result), "timings": result.timings.to_json(),
        }
    return view


def compare_choice(rep: Rep) -> dict[str, Any]:
    """Another rep to compare with, as the list names it (figures.rep_options): when it was recorded,
    which rep of which session, met or not and the wait, with the coach's marks applied (the figures
    the chart and the feedback show). `rep` is read with its session (history.sibling_reps)."""
    metrics = marked(rep)
    wait = metrics.wait_time_s if metrics else None
    return {"id": rep.id, "rep": rep.number, "at": rep.created_at,
            "session_id": rep.session_id, "started_at": rep.session.started_at if rep.session else None,
            "passed": rep_passed(rep), "wait_time_s": wait,
            "figure": None if wait is None else f"waited {figures.seconds(wait)}"}


def marked_words(result: StoredResult) -> list[dict[str, Any]]:
    """The transcript's words, each with its part as the timeline found it when the rep was scored
    (Timeline.roles): "question", "name", "early_name" or None, so the highlight agrees with the
    verdicts. Results stored before the parts were recorded have them worked out again from what
    was stored (stored.derived_roles). The coach's pick of a pupil changes who was named, not
    which words were heard as the name."""
    return [{"word": w.word, "start": w.start, "end": w.end, "role": w.role} for w in result.words]


def session_pupils(session: Session, step: ActionStep | None) -> list[str]:
    """The names of the session's class (as the coach set it, else the step's), without how they sound."""
    if session.roster:
        return [p.name for p in parse_roster(list(session.roster))]
    return [p.name for p in step.roster] if step else []


def session_facts(session: Session) -> dict[str, Any]:
    """A session as the pages' scripts read it (the JSON island's "session")."""
    return {"id": session.id, "teacher": session.teacher, "teacher_id": session.teacher_id,
            "step_id": session.step_id, "title": session.title, "roster": list(session.roster),
            "reps_target": session.reps_target, "fluent_after": session.fluent_after,
            "started_at": session.started_at, "finished_at": session.finished_at, "mode": session.mode}


def session_view(store: Store, session: Session, step: ActionStep | None) -> dict[str, Any]:
    reps = store.reps(session.id)
    views = [rep_view(r, step) for r in reps]
    return {
        "session": session_facts(session) | {"pupils": session_pupils(session, step)},
        "step": step_view(step) if step else None,
        "reps": views,
        "progress": progress_of(reps, session.fluent_after),
        "calibration": summarise(v["agreement"] for v in views),
    }


def metric(metrics: dict[str, Any] | None, key: str) -> Any:
    return (metrics or {}).get(key)


FILTERS = {"metric": metric} | figures.FILTERS | typed.FILTERS  # dates and seconds: figures.py; typed text: typed.py
