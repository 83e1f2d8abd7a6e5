"""Writing action steps: from the editor's form to a validated TOML file, and guidance on the step.

A coach fills in the title, goal, strategy, prompt, class list and criteria (rules of the library
with their parameters in plain words). `draft_from_form` turns the form into the data of a step
file and says, per field, what is wrong (text no step file should hold, such as an invisible control
character pasted from another program, is refused by name); `save_step` writes it as readable TOML
(the same format as the shipped files, so it can be edited by hand) beside the step, reads it back
with the app's own reader, and only then puts it in place: a save that reports success always
leaves a step that loads, and a failed save leaves the previous file as it was.
`guidance` warns about what the practice advises against: more than three foci, nothing checkable
from the recording, criteria that contradict each other. `strategy_hint` nudges a strategy that
does not say how.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import staging
from ..errors import RehearseError, StepError
from ..scoring.criteria import REQUIRED, RULES, param_label
from ..scoring.name_sounds import parse_roster, roster_entries
from ..scoring.steps import (FIELDS, OPTIONAL_TEXT, TEXT_FIELDS, ActionStep, _parse, _parse_criterion, load_step,
                        save_folder, step_files)
from ..typed_text import text_problem

MAX_FOCI = 3
SLOT = re.compile(r"\{(\w+)\}")
MAX_TEXT = 4000  # characters in one box of the form: a paragraph or a class list, not a document
CRITERION_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # a short name that is safe in a file, a URL and a CSV header
# What the form calls each box of the step (its label): its messages say these, never the file's keys.
FIELD_LABELS = {"title": "the title", "goal": "the goal", "strategy": "the strategy", "prompt": "the prompt",
                "roster": "the class list", "model": "the model, in words", "non_example": "the non-example, in words"}
ID_LABEL = "the criterion's short name"


@dataclass
class Draft:
    """An action step as the editor sends it: the file's data, and what is wrong, per form field."""

    data: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def form_parts(rule_name: str) -> list[tuple[str, str]]:
    """A rule's plain-word form as ("text", words) and ("param", name) parts, for the editor."""
    parts = []
    for i, piece in enumerate(SLOT.split(RULES[rule_name].form)):
        if piece:
            parts.append(("param" if i % 2 else "text", piece))
    return parts


def split_lines(text: str) -> list[str]:
    """A pasted list (one per line, or separated by commas or semicolons), without blanks: read as a
    class list is (names.roster_entries), so every list box in the editor splits the same way."""
    return roster_entries(text)


def draft_from_form(form: dict[str, Any], chosen_rules: list[str], step_id: str) -> Draft:
    """The step data the form describes. `form` maps field names (and "<rule>.<param>") to the
    strings typed; `chosen_rules` are the rules ticked, in the order the criteria are to be shown."""
    data: dict[str, Any] = {"id": step_id}
    errors: dict[str, str] = {}
    chosen = [r for r in dict.fromkeys(chosen_rules) if r in RULES]
    unsavable = _unsavable_fields(form, chosen)
    for name in TEXT_FIELDS[1:] + OPTIONAL_TEXT:
        value = " ".join(str(form.get(name, "")).split())
        if value:
            data[name] = value
        elif name in TEXT_FIELDS:
            errors[name] = f"write {FIELD_LABELS[name]}"
    if form.get("archived"):
        data["archived"] = True
    roster = roster_entries(form.get("roster", ""))
    if roster:
        try:
            parse_roster(roster, called="class list")
            data["roster"] = roster
        except RehearseError as exc:
            errors["roster"] = str(exc)
    criteria = []
    for name in chosen:
        item, problem = _criterion_from_form(name, form)
        if problem:
            errors[name] = problem
            continue
        try:
            _parse_criterion(item, name, Path(f"{step_id}.toml"))
            criteria.append(item)
        except StepError as exc:
            errors[name] = _plain(exc)
    if not chosen_rules:
        errors["criteria"] = "tick at least one success criterion"
    data["criteria"] = criteria
    errors.update(unsavable)  # what cannot be written at all is the first thing to mend
    return Draft(data, errors)


def _unsavable_fields(form: dict[str, Any], chosen: list[str]) -> dict[str, str]:
    """Per form field, text that no step file should hold (typed_text.text_problem, the rule of all
    typed text): a control character (pasted from a terminal or a word processor; TOML refuses
    some, and none means anything in a step), a lone surrogate (no character at all), only invisible
    characters, or more than MAX_TEXT characters."""
    problems: dict[str, str] = {}
    fields = [(name, name, FIELD_LABELS[name]) for name in TEXT_FIELDS[1:] + OPTIONAL_TEXT + ("roster",)]
    for rule in chosen:
        fields += [(f"{rule}.{param}", rule, param_label(param)) for param in RULES[rule].params]
        fields.append((f"{rule}.id", rule, ID_LABEL))
    for key, shown_at, label in fields:
        value = form.get(key)
        if not isinstance(value, str) or shown_at in problems:
            continue
        if (problem := text_problem(label, value, MAX_TEXT)) is not None:
            problems[shown_at] = problem
    return problems


def _criterion_from_form(name: str, form: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    item: dict[str, Any] = {"rule": name}
    given = str(form.get(f"{name}.id") or "").strip()
    if given:  # a hand-given id is kept: stored results and coach marks use it
        item["id"] = given
        if not CRITERION_ID.fullmatch(given):
            return item, (f"{ID_LABEL} {given[:40]!r} may use only lower-case letters, "
                          "digits, - and _, starting with a letter or digit, at most 40 (e.g. whole-class)")
    for param, (kind, default) in RULES[name].params.items():
        raw = form.get(f"{name}.{param}")
        if kind is bool:
            item[param] = bool(raw)
            continue
        text = str(raw or "").strip()
        if kind is list:
            text = ", ".join(split_lines(text))  # only commas or semicolons: nothing typed
        if not text:
            if default is REQUIRED:
                return item, f"fill in {param_label(param)}"
            continue  # optional: the rule's default
        if kind is list:
            item[param] = split_lines(text)
            continue
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):  # "1e999" and "nan" read as floats, but no one means them
            return item, f"{param_label(param)}: {text!r} is not a number"
        if kind is int and number != int(number):
            return item, f"{param_label(param)}: give a whole number, not {text}"
        item[param] = int(number) if kind is int else number
    return item, None


def _plain(exc: StepError) -> str:
    """A file parser's message without the file and field (the form shows those by place)."""
    reason = getattr(exc, "reason", str(exc))
    where = getattr(exc, "field", "")
    param = where.rsplit(".", 1)[-1] if "." in where else ""
    label = ID_LABEL if param == "id" else param_label(param)
    return f"{label}: {reason}" if param else reason


def preview(draft: Draft) -> list[str]:
    """The sentences the teacher will read for the criteria that are valid so far."""
    return [_criterion(item).description for item in draft.data["criteria"]]


def _criterion(item: dict[str, Any]):
    return _parse_criterion(item, item["rule"], Path("draft.toml"))


def as_step(draft: Draft) -> ActionStep | None:
    """The draft as the file parser reads it, if it is valid."""
    if not draft.ok:
        return None
    return _parse(draft.data, Path(f"{draft.data['id']}.toml"))


def guidance(step: ActionStep) -> list[str]:
    """Warnings from the practice the step serves; saving is still allowed."""
    warnings = []
    foci = step.foci
    if len(foci) > MAX_FOCI:
        warnings.append(f"This step asks the teacher to attend to {len(foci)} things at once ({', '.join(foci)}). "
                        f"An action step works best with {MAX_FOCI} at most: split it into two steps.")
    if not step.roster:
        blind = [c for c in step.criteria if RULES[c.rule].needs_roster]
        if blind and len(blind) == len(step.criteria):
            warnings.append("None of these criteria can be checked from the recording: each needs a class list "
                            "to hear a pupil's name. Paste the class list, or add a criterion such as "
                            "\"Ask a question\".")
        elif blind:
            warnings.append("Without a class list, " + _and(c.description.lower() for c in blind)
                            + " cannot be checked unless the coach pastes one when starting a session.")
    warnings.extend(contradictions(step))
    return warnings


def contradictions(step: ActionStep) -> list[str]:
    """Criteria that cannot all be met in one rep."""
    by_rule = {c.rule: c.params for c in step.criteria}
    found = []
    wait, limit = by_rule.get("wait_time"), by_rule.get("max_seconds")
    if wait and limit and wait["min_s"] >= limit["max"]:
        found.append(f"The pause of at least {wait['min_s']:g} s does not fit in the {limit['max']:g} seconds "
                     "the step may take: one of them has to change.")
    words = by_rule.get("max_words")
    if words:
        needed = sum(len(p.split()) for p in (by_rule.get("says_phrases") or {}).get("phrases") or [])
        keys = by_rule.get("uses_key_words")
        if keys:
            counted = sorted((len(w.split()) for w in keys["words"]))[: keys["min_count"] or len(keys["words"])]
            needed += sum(counted)
        if needed > words["max"]:
            found.append(f"The phrases and key words asked for take {needed} words, more than the "
                         f"{words['max']} words allowed.")
    return found


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def strategy_hint(strategy: str) -> str | None:
    """A nudge when the strategy names an aim but not how to reach it (no "by …", no steps)."""
    words = strategy.split()
    if not words or re.search(r"\b(by|then|after|before|when)\b", strategy, re.I) or len(words) >= 12:
        return None
    return ("Say how: a strategy works best when it names the move the teacher makes, e.g. "
            "\"… by pausing five seconds after the question, then naming a pupil\".")


def new_id(title: str, instance: Path) -> str:
    """A file name for a new step from its title: lower-case words joined by hyphens, made unique."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:48].strip("-") or "action-step"
    taken = set(step_files(instance))
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def save_step(draft: Draft, instance: Path) -> Path:
    """Write a valid draft as `<id>.toml` in the save folder (replacing the step's own copy there;
    a shipped step gets a copy that takes its place: the shipped file is never written). Returns
    the file written.

    The file is first written in a hidden folder beside it and read back with the app's own reader
    (steps.load_step); only if it reads back as the very step the form described does it
    replace the old file, in one rename, so a reader never sees half a file and a failed save
    leaves the previous one as it was. Raises StepError saying why it was not saved."""
    if not draft.ok:
        raise StepError("the action step has errors; correct the fields marked on the form")
    expected = as_step(draft)  # the file parser must accept what is written
    folder = save_folder(instance)
    path = folder / f"{draft.data['id']}.toml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stage = staging.stage(folder, "saving")  # not *.toml: never listed as a step; swept if killed
    except OSError as exc:
        raise StepError(f"cannot save the action step in {folder} ({exc.strerror or exc}); "
                            "check that the folder exists and may be written") from None
    with stage:
        written = stage.folder / path.name
        try:
            written.write_text(to_toml(draft.data), encoding="utf-8")
            again = load_step(written)
        except (OSError, UnicodeError) as exc:
            raise StepError(f"cannot save the action step in {folder} ({exc}); nothing was changed") from None
        except StepError as exc:
            raise StepError(f"the action step was not saved: the file written would not read back "
                                f"({getattr(exc, 'reason', exc)}); nothing was changed") from None
        if again != expected:
            raise StepError("the action step was not saved: the file written would not read back as typed; "
                                "check the text for unusual characters. Nothing was changed")
        try:
            os.replace(written, path)
        except OSError as exc:
            raise StepError(f"cannot save the action step as {path} ({exc.strerror or exc}); "
                                "nothing was changed") from None
    return path


def set_archived(step: ActionStep, archived: bool, instance: Path) -> Path:
    """Archive (or restore) a step: it is no longer offered for rehearsal; its history stays."""
    data = tomllib.loads(step.path.read_text(encoding="utf-8"))
    data.pop("archived", None)
    if archived:
        data["archived"] = True
    return save_step(Draft(data), instance)


def form_of(step: ActionStep) -> tuple[dict[str, Any], list[str]]:
    """The editor's form filled in from a step: field values, and the ticked rules."""
    form: dict[str, Any] = {name: getattr(step, name) or "" for name in TEXT_FIELDS + OPTIONAL_TEXT}
    form["roster"] = "\n".join(step.roster_lines)  # as typed: the sounds given in brackets stay
    form["archived"] = step.archived
    for c in step.criteria:
        if c.id != c.rule:
            form[f"{c.rule}.id"] = c.id
        for param, value in c.params.items():
            if value is None:
                continue
            if isinstance(value, list):
                value = ", ".join(value)
            elif isinstance(value, float):
                value = f"{value:g}"
            form[f"{c.rule}.{param}"] = value
    return form, [c.rule for c in step.criteria]


def editable(step: ActionStep) -> str | None:
    """Why the form cannot show this step (a rule used twice, as only a hand-written file can), or None."""
    rules = [c.rule for c in step.criteria]
    twice = sorted({r for r in rules if rules.count(r) > 1})
    if twice:
        return (f"this step uses {', '.join(twice)} more than once, which the form cannot show; "
                f"edit {step.path} by hand")
    return None


def to_toml(data: dict[str, Any]) -> str:
    """The step as a TOML file laid out like the shipped ones, for people to read and edit."""
    # A comment ends at a line break and may hold no control character: anything unprintable is a space.
    title = "".join(ch if ch.isprintable() else " " for ch in str(data.get("title", data["id"])))
    lines = [f"# {title}: written with rehearse's action-step editor. You may edit it by hand;",
             "# `rehearse steps --check` checks it. Saving from the editor again rewrites this file."]
    for name in FIELDS:
        if name in ("roster", "criteria") or name not in data:
            continue
        lines.append(f"{name} = {_value(data[name])}")
    if data.get("roster"):
        lines.append("roster = [")
        row: list[str] = []
        for pupil in data["roster"]:
            row.append(_value(pupil))
            if len(", ".join(row)) > 90:
                lines.append("  " + ", ".join(row) + ",")
                row = []
        if row:
            lines.append("  " + ", ".join(row) + ",")
        lines.append("]")
    for item in data.get("criteria", []):
        lines += ["", "[[criteria]]"]
        for key in ["id", "rule"] + [k for k in item if k not in ("id", "rule")]:
            if key in item and item[key] is not None:
                lines.append(f"{key} = {_value(item[key])}")
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value) if isinstance(value, int) else repr(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    # A TOML basic string has JSON's escapes, but must escape DEL too (JSON leaves it raw).
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
