"""Action steps (steps): TOML files that say what is rehearsed and how it is judged.

Each file holds an id, a title, the goal and the strategy (goal-strategy framing), the prompt the
teacher responds to, a class roster, the success criteria (rules from the library, with their
parameters), optionally a written model and a non-example, and `archived = true` once a step is
no longer offered (its history stays). A malformed file is refused with one line that names the
file, the field and what was expected.

Files are looked for in REHEARSE_SCENARIOS, then the instance folder's `scenarios/` (a school's
own, written by the app's editor), then the shipped examples; an earlier folder wins on the same id.
Shipped model and non-example recordings are `audio/examples/<id>-model.flac` and `-non-example.flac`.
"""

from __future__ import annotations

import math
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import shipped
from ..errors import RehearseError, StepError
from .criteria import REQUIRED, RULES, Verdict, key_words_of, param_label
from .name_sounds import Pupil, parse_roster
from .timeline import Timeline

SHIPPED = shipped.folder("scenarios")
SHIPPED_AUDIO = shipped.folder("audio") / "examples"
TEXT_FIELDS = ("id", "title", "goal", "strategy", "prompt")
OPTIONAL_TEXT = ("model", "non_example")
FIELDS = TEXT_FIELDS + OPTIONAL_TEXT + ("archived", "roster", "criteria")
EXAMPLE_KINDS = {"model": "model", "non_example": "non-example"}  # kind -> file name part


@dataclass(frozen=True)
class Criterion:
    """A success criterion: a rule of the library with the step's parameters."""

    id: str
    rule: str
    params: dict[str, Any]

    @property
    def description(self) -> str:
        return RULES[self.rule].describe(**self.params)

    def judge(self, timeline: Timeline) -> Verdict:
        passed, detail, *if_named = RULES[self.rule].check(timeline, **self.params)
        return Verdict(self.id, bool(passed), detail, if_named[0] if if_named else None)


@dataclass(frozen=True)
class ActionStep:
    """An action step to rehearse."""

    id: str
    title: str
    goal: str
    strategy: str
    prompt: str
    criteria: tuple[Criterion, ...]
    roster: tuple[Pupil, ...] = ()
    model: str | None = None
    non_example: str | None = None
    archived: bool = False
    roster_lines: tuple[str, ...] = field(default=(), compare=False)  # as written: "Siobhan (Shivawn)"
    path: Path | None = field(default=None, compare=False)

    @property
    def shipped(self) -> bool:
        """One of the examples that come with rehearse (edits are saved as a copy elsewhere)."""
        return self.path is not None and self.path.parent == SHIPPED

    @property
    def foci(self) -> list[str]:
        """What the teacher has to attend to, once each, in the order of the criteria."""
        return list(dict.fromkeys(RULES[c.rule].focus for c in self.criteria))

    @property
    def wait_band(self) -> tuple[float, float | None] | None:
        """The wait-time band (min, max seconds) the criteria ask for, or None if they set none."""
        for criterion in self.criteria:
            if criterion.rule == "wait_time":
                return float(criterion.params["min_s"]), criterion.params.get("max_s")
        return None

    @property
    def key_metric(self) -> dict[str, Any]:
        """The one figure a coach follows rep after rep for this step, with its target: the wait time
        if a criterion sets one, else the time spoken or the words used, else the criteria met."""
        by_rule = {c.rule: c for c in self.criteria}
        if "wait_time" in by_rule:
            low, high = self.wait_band
            return {"id": "wait_time_s", "label": "Wait time", "unit": "s", "min": low, "max": high}
        if "max_seconds" in by_rule:
            return {"id": "spoken_s", "label": "Time spoken", "unit": "s", "min": None,
                    "max": float(by_rule["max_seconds"].params["max"])}
        if "max_words" in by_rule:
            return {"id": "word_count", "label": "Words used", "unit": "words", "min": None,
                    "max": by_rule["max_words"].params["max"]}
        return {"id": "criteria_met", "label": "Criteria met", "unit": f"of {len(self.criteria)}",
                "min": len(self.criteria), "max": None}

    @property
    def key_words(self) -> list[str]:
        """The key words and terms the criteria ask for: Whisper listens for them."""
        return [w for c in self.criteria for w in c.params.get("words") or []]


def step_dirs(instance: Path | None = None) -> list[Path]:
    """Where steps are looked for: REHEARSE_SCENARIOS (os.pathsep-separated), then the instance
    folder's scenarios/, then the shipped ones."""
    own = [Path(instance) / "scenarios"] if instance else []
    return _env_folders() + own + [SHIPPED]


def _env_folders() -> list[Path]:
    return [Path(p) for p in os.environ.get("REHEARSE_SCENARIOS", "").split(os.pathsep) if p]


def save_folder(instance: Path) -> Path:
    """Where the editor writes: the first REHEARSE_SCENARIOS folder (a school's shared folder) if
    one is set, else the instance folder's scenarios/."""
    return (_env_folders() or [Path(instance) / "scenarios"])[0]


def shipped_example(step_id: str, kind: str) -> Path | None:
    """The shipped model (or non-example) recording of a shipped step, if there is one."""
    path = SHIPPED_AUDIO / f"{step_id}-{EXAMPLE_KINDS[kind]}.flac"
    return path if path.is_file() else None


def load_step(path: str | Path) -> ActionStep:
    """Read and validate one step file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StepError(f"{path}: cannot read the file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StepError(f"{path}: not valid TOML ({exc}); fix the file or run `rehearse steps --check`") from None
    except RecursionError:
        raise StepError(f"{path}: not valid TOML (lists or tables nested too deeply); fix the file") from None
    except ValueError:  # tomllib lets int()'s own limit through
        raise StepError(f"{path}: not valid TOML (a number of over {sys.get_int_max_str_digits()} digits); "
                            "fix the file") from None
    return _parse(data, path)


def _fail(path: Path, where: str, expected: str, got: Any = REQUIRED, on_form: str | None = None) -> StepError:
    """The file's error at field `where`. Its `reason` is for the step editor, which shows it by the
    field: `on_form` says what is expected there in the form's words, where `expected` names another
    key of the file."""
    found = "it is missing" if got is REQUIRED else f"got {_shown(got)}"
    error = StepError(f"{path}: field '{where}': expected {expected}; {found}")
    error.field, error.reason = where, f"expected {on_form or expected}; {found}"  # for the editor's form
    return error


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"  # 3, as typed, not 3.0
    try:
        return repr(value)
    except ValueError:  # an integer of more digits than Python will print (a hexadecimal one in TOML)
        return "a number too long to show"


def _parse(data: dict, path: Path) -> ActionStep:
    text = {}
    for name in TEXT_FIELDS + OPTIONAL_TEXT:
        value = data.get(name, REQUIRED if name in TEXT_FIELDS else None)
        if value is REQUIRED or (value is not None and not (isinstance(value, str) and value.strip())):
            raise _fail(path, name, "a non-empty string", value)
        text[name] = value.strip() if value else None
    if text["id"] != path.stem:
        raise _fail(path, "id", f"the file name without .toml, {path.stem!r}", text["id"])
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise _fail(path, sorted(unknown)[0], "one of " + ", ".join(FIELDS), data[sorted(unknown)[0]])
    archived = data.get("archived", False)
    if not isinstance(archived, bool):
        raise _fail(path, "archived", "true or false", archived)
    roster = data.get("roster", [])
    if not isinstance(roster, list) or not all(isinstance(n, str) for n in roster):
        raise _fail(path, "roster", "a list of names, e.g. [\"Siobhan\", \"Tom\"]", roster)
    try:
        pupils = tuple(parse_roster(roster)) if roster else ()
    except RehearseError as exc:
        error = StepError(f"{path}: field 'roster': {exc}")
        error.field, error.reason = "roster", str(exc)
        raise error from None
    criteria = data.get("criteria", REQUIRED)
    if not isinstance(criteria, list) or not criteria:
        raise _fail(path, "criteria", "at least one [[criteria]] table", criteria)
    parsed = tuple(_parse_criterion(c, f"criteria[{i}]", path) for i, c in enumerate(criteria))
    ids = [c.id for c in parsed]
    if len(set(ids)) != len(ids):
        raise _fail(path, "criteria", "each criterion once (give repeats their own id)", ids)
    return ActionStep(criteria=parsed, roster=pupils, archived=archived, roster_lines=tuple(r.strip() for r in roster),
                    path=path, **text)


def _parse_criterion(item: Any, where: str, path: Path) -> Criterion:
    if not isinstance(item, dict):
        raise _fail(path, where, "a table with a rule", item)
    name = item.get("rule", REQUIRED)
    if not isinstance(name, str) or name not in RULES:  # a list or table is no rule (nor hashable)
        raise _fail(path, f"{where}.rule", "one of " + ", ".join(sorted(RULES)), name)
    spec = RULES[name].params
    params = {}
    for key, value in item.items():
        if key in ("rule", "id"):
            continue
        if key not in spec:
            raise _fail(path, f"{where}.{key}", f"a parameter of {name} ({', '.join(spec) or 'none'})", value)
        params[key] = _check_value(value, spec[key][0], f"{where}.{key}", path)
    for key, (_, default) in spec.items():
        if key not in params:
            if default is REQUIRED:
                raise _fail(path, f"{where}.{key}", f"a value for {name}")
            params[key] = default
    if params.get("min_s") is not None and params.get("max_s") is not None and params["min_s"] > params["max_s"]:
        shortest = f"({params['min_s']:g} s)"
        raise _fail(path, f"{where}.max_s", f"at least min_s {shortest}", params["max_s"],
                    on_form=f"at least {param_label('min_s')} {shortest}")
    if params.get("min_count") is not None and params["min_count"] > len(params["words"]):
        raise _fail(path, f"{where}.min_count", f"at most the number of key words ({len(params['words'])})",
                    params["min_count"])
    for word in params.get("words") or ():  # a key word of no letter or digit could never be heard
        if isinstance(word, str) and not key_words_of(word):
            raise _fail(path, f"{where}.words", "key words that each hold a letter or a digit", word)
    cid = item.get("id", name)
    if not isinstance(cid, str) or not cid:
        raise _fail(path, f"{where}.id", "a short name", cid)
    return Criterion(cid, name, params)


def _check_value(value: Any, kind: type, where: str, path: Path) -> Any:
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool) and (
            0 <= value <= sys.float_info.max):  # not NaN, inf, nor an integer too big for a float
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:  # TOML's range
        return value
    if kind is bool and isinstance(value, bool):
        return value
    if kind is list and isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    expected = {float: "a number (0 or more)", int: "a whole number (0 or more)", bool: "true or false",
                list: "a non-empty list of words or phrases"}[kind]
    raise _fail(path, where, expected, value)


def step_files(instance: Path | None = None) -> dict[str, Path]:
    """Every step file by id; an earlier folder wins over a later one with the same id."""
    found: dict[str, Path] = {}
    for folder in step_dirs(instance):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            found.setdefault(path.stem, path)
    return found


def get_step(step_id: str, instance: Path | None = None) -> ActionStep:
    """Load the step with this id (archived ones too: their history is shown), or explain which
    ids exist."""
    files = step_files(instance)
    if step_id not in files:
        raise StepError(f"unknown action step {step_id!r}; expected one of: {', '.join(files) or '(none found)'}")
    return load_step(files[step_id])


def offered_step(step_id: str, instance: Path | None = None) -> ActionStep:
    """A step to start rehearsing: like get_step, but an archived one is refused."""
    step = get_step(step_id, instance)
    if step.archived:
        raise StepError(f"the action step {step_id!r} is archived; restore it on the Action steps "
                            "page to rehearse it again")
    return step


def check_all(instance: Path | None = None) -> tuple[list[ActionStep], list[str]]:
    """Load every step file: the good ones (archived too), and one error line per bad one."""
    good, bad = [], []
    for path in step_files(instance).values():
        try:
            good.append(load_step(path))
        except StepError as exc:
            bad.append(str(exc))
    return good, bad


def wait_bands(instance: Path | None = None) -> Callable[[str], tuple[float, float | None] | None]:
    """A lookup of each action step's wait band by id (None where it sets none, or its file can no
    longer be loaded), reading each file once: for pages and exports over many attempts."""
    bands: dict[str, tuple[float, float | None] | None] = {}

    def band(step_id: str) -> tuple[float, float | None] | None:
        if step_id not in bands:
            try:
                bands[step_id] = get_step(step_id, instance).wait_band
            except RehearseError:
                bands[step_id] = None
        return bands[step_id]

    return band
