"""The package's layout: its folders are the layers, each on a floor (rehearse/__init__.py), and the
wheel is a whole app.

- No module imports one on a floor above it (nor one in another folder of its own floor), and no
  imports go round a cycle — read from the source with `ast`, lazy imports inside functions too.
- The store runs nothing: of the app it imports floor 0 and only the engine's value types and
  constants listed in STORE_MAY_IMPORT (no Scorer, capture, coaching or reps/).
- No module is longer than MAX_LINES.
- `import rehearse.cli` loads neither numpy nor the engine.
- The wheel (slow): built from a copy of the source, installed into a fresh virtual environment,
  then `rehearse serve` run from another folder serves every page it links to, scores a rep
  streamed over the WebSocket, and `rehearse score` scores the shipped example.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import urllib.parse
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rehearse.scoring.audio import load_audio

from .conftest import CLIPS
from .server import Visitor, new_session, server_process

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rehearse"
MAX_LINES = 400
TOO_LONG: dict[str, str] = {}  # module -> why it may be longer than MAX_LINES (none today)

# Bottom to top. A module may import from its own folder, or from a folder on a lower floor.
FLOORS = {
    "errors": 0, "typed_text": 0, "staging": 0, "shipped": 0, "rehearse": 0,  # rehearse: the package itself (__init__.py: the version)
    "scoring": 1,
    "capture": 2, "coaching": 2, "observe": 2,
    "store": 3,
    "reps": 4, "lessons": 4,
    "web": 5,
    "cli": 6,
    "__main__": 7,  # `python -m rehearse`
}
SHIPPED = ("scenarios", "audio", "templates", "static")

# The store keeps rows and files and runs nothing: of the app it may import floor 0 and, of the
# engine, only these value types, constants and paths (module -> names) — no Scorer, no decoding,
# no capture, no coaching (its progress function is given to it: Store.open), no reps/.
STORE_MAY_IMPORT = {
    "rehearse.scoring.audio": {"SAMPLE_RATE"},
    "rehearse.scoring.name_learning": {"MAX_PIECE_S"},
    "rehearse.scoring.name_sounds": {"LearntSound", "Pupil", "with_learnt"},
    "rehearse.scoring.result": {"Result"},
    "rehearse.scoring.steps": {"ActionStep", "EXAMPLE_KINDS", "SHIPPED", "SHIPPED_AUDIO", "shipped_example",
                               "step_dirs"},
    "rehearse.scoring.stored": {"StoredResult"},  # a rep's result, read once (store/records.py)
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    """The layer a module belongs to: its folder under rehearse/, or its own name at the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "rehearse"


def imports_of(module: str) -> set[str]:
    """The rehearse modules `module` imports (at the top, or anywhere inside it)."""
    found = {source for source, _ in names_imported(module)}
    unknown = {m for m in found if m not in MODULES}
    assert not unknown, f"{module} imports what rehearse does not have: {unknown}"
    return found - {module}


def names_imported(module: str) -> set[tuple[str, str]]:
    """(rehearse module, name) for each name `module` takes from one (`import rehearse.x`: the
    module, name "*"), at the top or anywhere inside it."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {(a.name, "*") for a in node.names if a.name.split(".")[0] == "rehearse"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] == "rehearse":
                found |= {(f"{source}.{a.name}", "*") if f"{source}.{a.name}" in MODULES else (source, a.name)
                          for a in node.names}
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_is_in_a_layer():
    assert {layer(m) for m in MODULES} <= set(FLOORS), "a new folder needs a floor in FLOORS (and in rehearse/__init__.py)"
    for folder in PACKAGE.iterdir():
        if folder.is_dir() and folder.name != "__pycache__":
            init = folder / "__init__.py"
            assert init.is_file() and ast.get_docstring(ast.parse(init.read_text())),\
                f"{folder.name}/ needs an __init__.py whose docstring says what the layer is and what it may import"


def test_no_module_imports_a_floor_above_it():
    wrong = [f"{m} (floor {FLOORS[layer(m)]}) imports {d} (floor {FLOORS[layer(d)]})"
             for m, deps in GRAPH.items() for d in deps
             if layer(d) != layer(m) and FLOORS[layer(d)] >= FLOORS[layer(m)]]
    assert not wrong, "\n".join(wrong)


def test_the_engine_knows_nothing_of_the_faces():
    for m, deps in GRAPH.items():
        if layer(m) in ("scoring", "capture", "coaching", "store", "reps"):
            assert not {d for d in deps if layer(d) in ("web", "cli")}, m


def test_the_store_runs_nothing_of_the_engine():
    """The store (floor 3) imports only floor 0, its own folder, and of the engine STORE_MAY_IMPORT:
    scoring, rescoring, live reps, salvage and export are reps/'s (floor 4)."""
    wrong = []
    for m in (m for m in MODULES if layer(m) == "store"):
        for source, name in sorted(names_imported(m)):
            if FLOORS[layer(source)] == 0 or layer(source) == "store":
                continue
            if name not in STORE_MAY_IMPORT.get(source, ()):
                wrong.append(f"{m} imports {source}" + ("" if name == "*" else f".{name}"))
    assert not wrong, "the store may import only floor 0 and the engine's value types:\n" + "\n".join(wrong)


def test_the_store_hands_out_reps_and_sessions_as_records():
    """What the store gives of a rep or a session is a record (store/records.py), never a row dict:
    no public function of the store whose name speaks of reps or sessions is annotated to return
    a `dict[str, Any]` (read from the annotations, as the source has them)."""
    wrong = []
    for m in (m for m in MODULES if layer(m) == "store"):
        for node in ast.walk(ast.parse(MODULES[m].read_text())):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.returns is not None:
                returns = ast.unparse(node.returns)
                if re.search(r"rep|session|recording", node.name) and "dict[str, Any]" in returns:
                    wrong.append(f"{m}.{node.name} -> {returns}")
    assert not wrong, "return a record (store/records.py), not a row dict:\n" + "\n".join(wrong)


def test_no_import_cycle():
    """Tarjan's strongly connected components: any with more than one module is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"modules that import each other: {cycles}"


def test_tests_and_scripts_import_what_rehearse_has():
    """The tests, benchmarks and audio/make_examples.py import rehearse's modules where they now are
    (code in strings too: a child process's). An editable install of another checkout can otherwise
    answer an old path from there."""
    stale = []
    for path in [*(ROOT / "tests").glob("*.py"), *(ROOT / "benchmarks").glob("*.py"), ROOT / "audio" / "make_examples.py"]:
        tree = ast.parse(path.read_text())
        fallbacks = {id(n) for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)
                     and getattr(h.type, "id", None) == "ImportError" for n in ast.walk(h)}  # an older layout's
        named = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rehearse"\
                    and id(node) not in fallbacks:
                named.append((node.lineno, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                named += [(node.lineno, m, n.replace(" ", "").split(","))
                          for m, n in re.findall(r"from (rehearse[\w.]*) import ([\w, ]+)", node.value)]
        for line, module, names in named:
            if module not in MODULES or (module == "rehearse" and any(f"rehearse.{n}" not in MODULES for n in names)):
                stale.append(f"{path.relative_to(ROOT)}:{line}: from {module} import {', '.join(names)}")
    assert not stale, "\n".join(stale)


def test_no_module_is_too_long():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert set(long) <= set(TOO_LONG), f"over {MAX_LINES} lines (split them): {long}"


def test_importing_the_command_is_light():
    """`rehearse --help` and every command start without numpy or the engine: each loads what it needs."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, rehearse.cli; print(' '.join(sorted(sys.modules)))"],
                            capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert "numpy" not in loaded
    assert {m for m in loaded if m.startswith("rehearse")} <= {"rehearse", "rehearse.errors", "rehearse.cli",
                                                               "rehearse.cli.main", "rehearse.cli.common",
                                                               "rehearse.cli.records"}


def test_the_wheel_is_configured_with_every_package_and_shipped_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = config["tool"]["setuptools"]
    packages = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    assert packages <= set(setuptools["packages"]), "a package folder is missing from pyproject's packages"
    assert {f"rehearse.shipped.{f}": f for f in SHIPPED}.items() <= setuptools["package-dir"].items()
    assert config["project"]["dynamic"] == ["version"] and "version" not in config["project"]


# ---- the wheel, installed and served --------------------------------------------------------------


def shipped_files() -> set[str]:
    """What the wheel must carry of the shipped folders, as paths inside it."""
    patterns = {"scenarios": ["*.toml"], "audio": ["*.flac", "examples/*.flac"], "templates": ["*.html"],
                "static": ["*.js", "*.css", "*.svg"]}
    return {f"rehearse/shipped/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
            for folder, globs in patterns.items() for g in globs for p in (ROOT / folder).glob(g)}


PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
WHERE = ("import json, importlib.metadata as m, rehearse, rehearse.shipped as s; print(json.dumps("
         "[rehearse.__file__, str(s.folder('templates')), str(s.folder('scenarios')), rehearse.__version__,"
         " m.version('rehearse')]))")


def copy_source(tmp: Path) -> Path:
    """What a wheel is built from, copied: pyproject.toml, README.md, the package, the shipped folders."""
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("rehearse", *SHIPPED):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return source


def fresh_venv(tmp: Path, wheel: Path) -> tuple[Path, dict[str, str], Path]:
    """`wheel` installed into a fresh virtual environment. Its dependencies (numpy, faster-whisper,
    flask...) are this environment's, reached through a .pth file, since none can be downloaded
    here; rehearse itself is only the wheel's. Returns (the venv, an environment for its processes
    without PYTHONPATH, a folder that is not the source, to run it from)."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Installed before the dependencies' folder is added: pip sees nothing but the new environment.
    subprocess.run([*PIP, "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True, text=True)
    ours = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dependencies = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(ours, "_rehearse_test_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("REHEARSE_")}
    return venv, env, elsewhere


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from a copy of the source, checked, and installed into a fresh virtual
    environment (fresh_venv). Yields (the venv's bin folder, an environment, a folder elsewhere)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = copy_source(tmp)
    dist = tmp / "dist"
    subprocess.run([*PIP, "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(dist)], check=True, capture_output=True, text=True)
    (wheel,) = dist.glob("rehearse-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    code = {p.relative_to(ROOT).as_posix() for p in MODULES.values()}
    assert code <= inside, f"modules missing from the wheel: {code - inside}"
    assert shipped_files() <= inside, f"shipped files missing from the wheel: {shipped_files() - inside}"

    venv, env, elsewhere = fresh_venv(tmp, wheel)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", WHERE], capture_output=True, text=True, check=True,
                           cwd=elsewhere, env=env).stdout
    package, templates, steps, version, installed_version = json.loads(where)
    for path in (package, templates, steps):  # the wheel's, not the source tree's
        assert Path(path).is_relative_to(venv), path
    assert version == installed_version  # the version is written once: rehearse.__version__
    yield venv / "bin", env, elsewhere


@pytest.mark.slow
def test_an_editable_install_reads_the_checkouts_shipped_folders(tmp_path):
    """`pip install -e .` (what `make run` and `make test` use): the package and the shipped folders
    are the checkout's, and the app finds its templates and static files there."""
    source = copy_source(tmp_path)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_editable({str(dist)!r})"],
                   check=True, capture_output=True, text=True, cwd=source)
    (wheel,) = dist.glob("rehearse-*.whl")
    venv, env, elsewhere = fresh_venv(tmp_path, wheel)
    python = str(venv / "bin" / "python")
    package, templates, steps, version, installed_version = json.loads(subprocess.run(
        [python, "-c", WHERE], capture_output=True, text=True, check=True, cwd=elsewhere, env=env).stdout)
    assert Path(package) == source / "rehearse" / "__init__.py"
    assert (Path(templates), Path(steps)) == (source / "templates", source / "scenarios")
    assert version == installed_version
    page = ("from rehearse.web import create_app; c = create_app({'INSTANCE': 'instance', 'WARM_UP': False})"
            ".test_client(); print(c.get('/steps').status_code, c.get('/static/rehearse.css').status_code)")
    shown = subprocess.run([python, "-c", page], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert shown.stdout.split() == ["200", "200"], shown.stderr


def links(html: str) -> set[str]:
    """The app's own addresses a page links to or loads (href and src)."""
    found = set()
    for link in re.findall(r'(?:href|src)="([^"]+)"', html):
        link = link.replace("&amp;", "&")
        if link.startswith("/") and not link.startswith("//"):
            found.add(link)
    return found


@pytest.mark.slow
def test_the_installed_wheel_serves_scores_a_streamed_rep_and_the_shipped_example(installed):
    from .test_stream import connect, stop, stream

    bin_folder, env, elsewhere = installed
    instance = elsewhere.parent / "instance"
    with server_process(instance, command=[str(bin_folder / "rehearse")], cwd=elsewhere, env=env) as (url, _):
        session_id = new_session(url)
        ws, started = connect(url, session_id)
        clip = "ppn-01-correct-oluwaseun-clean.flac"
        audio = np.concatenate([load_audio(CLIPS / clip), np.zeros(16000, dtype=np.float32)])
        stream(ws, audio, real_time=False)
        reply = stop(ws)
        ws.close()
        assert reply["type"] == "result", reply
        assert reply["attempt"]["status"] == "scored" and reply["attempt"]["passed"] is True

        # Every page the app links to, from the start page, the history, the steps and the session.
        visitor = Visitor(url)
        to_visit = ["/", "/history", "/steps", "/steps/new", f"/sessions/{session_id}",
                    f"/attempts/{started['attempt']}"]
        seen: set[str] = set()
        while to_visit and len(seen) < 300:
            path = to_visit.pop()
            if path in seen or "/delete" in path or urllib.parse.urlsplit(path).path == "/sign-out":
                continue
            seen.add(path)
            with visitor.get(path) as response:
                assert response.status == 200, path
                body = response.read()
            if response.headers.get_content_type() == "text/html":
                to_visit += sorted(links(body.decode()) - seen)
        for expected in ("/static/rehearse.css", "/static/session.js", "/steps/pose-pause-name/examples/model/audio",
                         f"/attempts/{started['attempt']}/audio", f"/sessions/{session_id}/summary", "/progress/",
                         "/teachers/", "/calibration", "/export.csv", "/steps/pose-pause-name/edit"):
            assert any(p.startswith(expected) for p in seen), f"{expected} was not linked from any page"

    example = bin_folder.parent / "lib"
    (shipped,) = example.glob("python3*/site-packages/rehearse/shipped/audio/example-pose-pause-name.flac")
    done = subprocess.run([str(bin_folder / "rehearse"), "score", str(shipped), "--step", "pose-pause-name",
                           "--instance", str(instance)], capture_output=True, text=True, cwd=elsewhere, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Pose, pause, name: PASSED" in done.stdout
