"""The coach's action steps: list, write, edit, archive and restore them; record and score their
model and non-example.

Steps are files (see steps.py); the editor writes them with authoring.py and the file parser
checks them, so a step written here and one written by hand are the same thing. A file that does not
parse is named, with its message, on the list and on its own page.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for

from ..coaching import authoring
from ..errors import RehearseError, StepError
from ..scoring.criteria import REQUIRED, RULES
from ..scoring.steps import EXAMPLE_KINDS, ActionStep, check_all, get_step, save_folder, step_files
from ..reps.scoring import score_example as score_stored_example
from ..store import examples
from ..scoring.formats import mime_type
from .errors import Refused
from .uploads import checked_suffix
from . import context
from .display import example_view, step_view

bp = Blueprint("steps", __name__)


def _instance() -> Path:
    return context.store().instance


def _step(step_id: str) -> ActionStep:
    """The step, or 404 if there is no such file; a file that does not parse is a 400 naming why."""
    if step_id not in step_files(_instance()):
        abort(404, description=f"there is no action step {step_id!r}; the Action steps page lists them")
    try:
        return get_step(step_id, _instance())
    except StepError as exc:
        abort(400, description=f"{exc}. Fix the file by hand (rehearse steps --check says what is wrong), "
                               "then reload this page")


@bp.get("/steps")
def index():
    steps, problems = check_all(_instance())
    return render_template("steps.html", active=[s for s in steps if not s.archived],
                           archived=[s for s in steps if s.archived], problems=problems,
                           folder=save_folder(_instance()), warnings={s.id: authoring.guidance(s) for s in steps})


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
    return redirect(url_for("steps.show", step_id=draft.data["id"], saved=1))


@bp.get("/steps/<step_id>")
def show(step_id: str):
    step = _step(step_id)
    store = context.store()
    found = {kind: example_view(f, step) for kind, f in examples.examples_of(store, step).items()}
    return render_template("step.html", view=step_view(step), step=step, examples=found,
                           warnings=authoring.guidance(step), hint=authoring.strategy_hint(step.strategy),
                           saved=request.args.get("saved"), problem=request.args.get("problem"))


@bp.get("/steps/<step_id>/edit")
def edit(step_id: str):
    step = _step(step_id)
    blocked = authoring.editable(step)
    if blocked:
        abort(400, description=blocked)
    form, rules = authoring.form_of(step)
    return _form(step, form, rules, {})


@bp.post("/steps/<step_id>")
def update(step_id: str):
    step = _step(step_id)
    form = request.form.to_dict() | ({"archived": True} if step.archived else {})
    draft = authoring.draft_from_form(form, request.form.getlist("rule"), step.id)
    if not draft.ok or not _saved(draft):
        return _form(step, request.form.to_dict(), request.form.getlist("rule"), draft.errors, 400)
    return redirect(url_for("steps.show", step_id=step.id, saved=1))


def _saved(draft: authoring.Draft) -> bool:
    """Save the draft; if it cannot be (the file would not read back, the folder is not writable),
    say why on the form under "save" and leave the previous file as it was."""
    try:
        authoring.save_step(draft, _instance())
        return True
    except StepError as exc:
        draft.errors["save"] = str(exc)
        return False


@bp.post("/steps/<step_id>/archive")
def archive(step_id: str):
    _set_archived(step_id, True)
    return redirect(url_for("steps.index"))


@bp.post("/steps/<step_id>/restore")
def restore(step_id: str):
    _set_archived(step_id, False)
    return redirect(url_for("steps.show", step_id=step_id))


def _set_archived(step_id: str, archived: bool) -> None:
    try:
        authoring.set_archived(_step(step_id), archived, _instance())
    except StepError as exc:
        abort(400, description=f"{exc}; the step was left as it was")


@bp.post("/api/steps/check")
def check():
    """The editor's live preview: the criteria as the teacher will read them, errors per field,
    the practice's warnings, and the strategy hint."""
    form = request.form.to_dict()
    draft = authoring.draft_from_form(form, request.form.getlist("rule"), form.get("id") or "draft")
    step = authoring.as_step(draft)
    return {"criteria": authoring.preview(draft), "errors": draft.errors,
            "warnings": authoring.guidance(step) if step else [],
            "hint": authoring.strategy_hint(form.get("strategy", ""))}


@bp.get("/steps/<step_id>/examples/<kind>/audio")
def example_audio(step_id: str, kind: str):
    store = context.store()
    found = _example_or_404(step_id, kind)
    path = examples.example_file(store, found)
    if not path.is_file():
        abort(404, description=f"the {EXAMPLE_KINDS[kind]} recording is missing from {path.parent}")
    return send_file(path, mimetype=mime_type(path.suffix),
                     conditional=True)


@bp.post("/steps/<step_id>/examples/<kind>")
def upload_example(step_id: str, kind: str):
    """A model or non-example recorded elsewhere, kept and scored; back to the step's page."""
    step = _step(step_id)
    store, scorer = context.store(), context.scorer()
    _kind_or_404(kind)
    file = request.files.get("recording")
    try:
        suffix = checked_suffix(file)
    except RehearseError as exc:
        return redirect(url_for("steps.show", step_id=step_id, problem=str(exc)))
    found = examples.new_example(store, step.id, kind, "upload", suffix)
    path = examples.example_file(store, found)
    path.parent.mkdir(parents=True, exist_ok=True)
    file.save(path)
    score_stored_example(store, scorer, step, kind)
    return redirect(url_for("steps.show", step_id=step_id) + f"#{kind}")


@bp.post("/api/steps/<step_id>/examples/<kind>/score")
def score_example(step_id: str, kind: str):
    """Score the current model or non-example (a shipped one is scored the first time it is shown)."""
    step = _step(step_id)
    store, scorer = context.store(), context.scorer()
    _example_or_404(step_id, kind)
    try:
        return example_view(score_stored_example(store, scorer, step, kind), step)
    except RehearseError as exc:
        raise Refused(str(exc)) from exc


def _example_or_404(step_id: str, kind: str) -> dict:
    store = context.store()
    found = examples.example(store, step_id, _kind_or_404(kind))
    if found is None:
        abort(404, description=f"{step_id!r} has no {EXAMPLE_KINDS[kind]} recording yet")
    return found


def _kind_or_404(kind: str) -> str:
    try:
        return examples.check_kind(kind)
    except RehearseError as exc:
        abort(404, description=str(exc))


def _form(step: ActionStep | None, form: dict, chosen: list[str], errors: dict[str, str], status: int = 200):
    """The editor: the step's own criteria first (in their order), then the rest of the library."""
    order = list(dict.fromkeys([r for r in chosen if r in RULES] + list(RULES)))
    rules = [{"name": name, "focus": RULES[name].focus, "parts": authoring.form_parts(name),
              "kinds": {p: kind.__name__ for p, (kind, _) in RULES[name].params.items()},
              "defaults": {p: ("" if d is REQUIRED or d is None else f"{d:g}" if isinstance(d, float) else d)
                           for p, (_, d) in RULES[name].params.items()},
              "needs_roster": RULES[name].needs_roster} for name in order]
    return render_template("step_form.html", step=step, form=form, chosen=set(chosen), rules=rules,
                           errors=errors, folder=save_folder(_instance())), status
