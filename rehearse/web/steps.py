"""The coach's action steps: list, write, edit, archive and restore them; record and score their
model and non-example.

Steps are files (see scenarios.py); the editor writes them with authoring.py and the file parser
checks them, so a step written here and one written by hand are the same thing. A file that does not
parse is named, with its message, on the list and on its own page.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for

from ..coaching import authoring
from ..errors import RehearseError, ScenarioError
from ..scoring.criteria import REQUIRED, RULES
from ..scoring.scenarios import EXAMPLE_KINDS, Scenario, check_all, get_scenario, save_folder, scenario_files
from ..store import examples
from .uploads import AUDIO_TYPES, checked_suffix
from .views import example_view, scenario_view, services

bp = Blueprint("steps", __name__)


def _instance() -> Path:
    return services()[0].instance


def _step(scenario_id: str) -> Scenario:
    """The step, or 404 if there is no such file; a file that does not parse is a 400 naming why."""
    if scenario_id not in scenario_files(_instance()):
        abort(404, description=f"there is no action step {scenario_id!r}; the Action steps page lists them")
    try:
        return get_scenario(scenario_id, _instance())
    except ScenarioError as exc:
        abort(400, description=f"{exc}. Fix the file by hand (rehearse scenarios --check says what is wrong), "
                               "then reload this page")


@bp.get("/steps")
def index():
    scenarios, problems = check_all(_instance())
    return render_template("steps.html", active=[s for s in scenarios if not s.archived],
                           archived=[s for s in scenarios if s.archived], problems=problems,
                           folder=save_folder(_instance()), warnings={s.id: authoring.guidance(s) for s in scenarios})


@bp.get("/steps/new")
def new():
    return _form(None, {}, [], {})


@bp.post("/steps")
def create():
    title = request.form.get("title", "")
    draft = authoring.draft_from_form(request.form.to_dict(), request.form.getlist("rule"),
                                      authoring.new_id(title, _instance()))
    if not draft.ok or not _saved(draft):
        return _form(None, request.form.to_dict(), request.form.getlist("rule"), draft.errors, 400)
    return redirect(url_for("steps.show", scenario_id=draft.data["id"], saved=1))


@bp.get("/steps/<scenario_id>")
def show(scenario_id: str):
    scenario = _step(scenario_id)
    store, _ = services()
    found = {kind: example_view(f, scenario) for kind, f in examples.examples_of(store, scenario).items()}
    return render_template("step.html", view=scenario_view(scenario), scenario=scenario, examples=found,
                           warnings=authoring.guidance(scenario), hint=authoring.strategy_hint(scenario.strategy),
                           saved=request.args.get("saved"), problem=request.args.get("problem"))


@bp.get("/steps/<scenario_id>/edit")
def edit(scenario_id: str):
    scenario = _step(scenario_id)
    blocked = authoring.editable(scenario)
    if blocked:
        abort(400, description=blocked)
    form, rules = authoring.form_of(scenario)
    return _form(scenario, form, rules, {})


@bp.post("/steps/<scenario_id>")
def update(scenario_id: str):
    scenario = _step(scenario_id)
    form = request.form.to_dict() | ({"archived": True} if scenario.archived else {})
    draft = authoring.draft_from_form(form, request.form.getlist("rule"), scenario.id)
    if not draft.ok or not _saved(draft):
        return _form(scenario, request.form.to_dict(), request.form.getlist("rule"), draft.errors, 400)
    return redirect(url_for("steps.show", scenario_id=scenario.id, saved=1))


def _saved(draft: authoring.Draft) -> bool:
    """Save the draft; if it cannot be (the file would not read back, the folder is not writable),
    say why on the form under "save" and leave the previous file as it was."""
    try:
        authoring.save_step(draft, _instance())
        return True
    except ScenarioError as exc:
        draft.errors["save"] = str(exc)
        return False


@bp.post("/steps/<scenario_id>/archive")
def archive(scenario_id: str):
    _set_archived(scenario_id, True)
    return redirect(url_for("steps.index"))


@bp.post("/steps/<scenario_id>/restore")
def restore(scenario_id: str):
    _set_archived(scenario_id, False)
    return redirect(url_for("steps.show", scenario_id=scenario_id))


def _set_archived(scenario_id: str, archived: bool) -> None:
    try:
        authoring.set_archived(_step(scenario_id), archived, _instance())
    except ScenarioError as exc:
        abort(400, description=f"{exc}; the step was left as it was")


@bp.post("/api/steps/check")
def check():
    """The editor's live preview: the criteria as the teacher will read them, errors per field,
    the practice's warnings, and the strategy hint."""
    form = request.form.to_dict()
    draft = authoring.draft_from_form(form, request.form.getlist("rule"), form.get("id") or "draft")
    scenario = authoring.as_scenario(draft)
    return {"criteria": authoring.preview(draft), "errors": draft.errors,
            "warnings": authoring.guidance(scenario) if scenario else [],
            "hint": authoring.strategy_hint(form.get("strategy", ""))}


@bp.get("/steps/<scenario_id>/examples/<kind>/audio")
def example_audio(scenario_id: str, kind: str):
    store, _ = services()
    found = _example_or_404(scenario_id, kind)
    path = examples.example_file(store, found)
    if not path.is_file():
        abort(404, description=f"the {EXAMPLE_KINDS[kind]} recording is missing from {path.parent}")
    return send_file(path, mimetype=AUDIO_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                     conditional=True)


@bp.post("/steps/<scenario_id>/examples/<kind>")
def upload_example(scenario_id: str, kind: str):
    """A model or non-example recorded elsewhere, kept and scored; back to the step's page."""
    scenario = _step(scenario_id)
    store, scorer = services()
    _kind_or_404(kind)
    file = request.files.get("recording")
    try:
        suffix = checked_suffix(file)
    except RehearseError as exc:
        return redirect(url_for("steps.show", scenario_id=scenario_id, problem=str(exc)))
    found = examples.new_example(store, scenario.id, kind, "upload", suffix)
    path = examples.example_file(store, found)
    path.parent.mkdir(parents=True, exist_ok=True)
    file.save(path)
    examples.score_example(store, scorer, scenario, kind)
    return redirect(url_for("steps.show", scenario_id=scenario_id) + f"#{kind}")


@bp.post("/api/steps/<scenario_id>/examples/<kind>/score")
def score_example(scenario_id: str, kind: str):
    """Score the current model or non-example (a shipped one is scored the first time it is shown)."""
    scenario = _step(scenario_id)
    store, scorer = services()
    _example_or_404(scenario_id, kind)
    try:
        return example_view(examples.score_example(store, scorer, scenario, kind), scenario)
    except RehearseError as exc:
        return {"error": str(exc)}, 400


def _example_or_404(scenario_id: str, kind: str) -> dict:
    store, _ = services()
    found = examples.example(store, scenario_id, _kind_or_404(kind))
    if found is None:
        abort(404, description=f"{scenario_id!r} has no {EXAMPLE_KINDS[kind]} recording yet")
    return found


def _kind_or_404(kind: str) -> str:
    try:
        return examples.check_kind(kind)
    except RehearseError as exc:
        abort(404, description=str(exc))


def _form(scenario: Scenario | None, form: dict, chosen: list[str], errors: dict[str, str], status: int = 200):
    """The editor: the step's own criteria first (in their order), then the rest of the library."""
    order = list(dict.fromkeys([r for r in chosen if r in RULES] + list(RULES)))
    rules = [{"name": name, "focus": RULES[name].focus, "parts": authoring.form_parts(name),
              "kinds": {p: kind.__name__ for p, (kind, _) in RULES[name].params.items()},
              "defaults": {p: ("" if d is REQUIRED or d is None else f"{d:g}" if isinstance(d, float) else d)
                           for p, (_, d) in RULES[name].params.items()},
              "needs_roster": RULES[name].needs_roster} for name in order]
    return render_template("step_form.html", scenario=scenario, form=form, chosen=set(chosen), rules=rules,
                           errors=errors, folder=save_folder(_instance())), status
