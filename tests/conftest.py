"""Shared fixtures: the labelled clips and one real Scorer (the real tiny.en model) per test run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehearse.reps import open_store
from rehearse.scoring.pipeline import Scorer
from rehearse.scoring.name_sounds import parse_roster
from rehearse.scoring.steps import get_step

CLIPS = Path(__file__).parent / "clips"
LABELS = json.loads((CLIPS / "labels.json").read_text())

# What `make check` (pytest -m "not slow") leaves out, so a developer's loop stays under two minutes:
# whole modules that drive a browser, the microphone, a minute of load or a fuzzer, start several
# server processes, or score many clips with the speech model. `make test` runs everything.
SLOW_MODULES = {
    "test_browser": "a browser", "test_session_browser": "a browser", "test_review_browser": "a browser",
    "test_authoring_browser": "a browser", "test_dates_browser": "a browser", "test_comments_browser": "a browser",
    "test_crash": "a browser and a killed server",
    "test_practice": "the microphone", "test_load": "a minute of load", "test_fuzz": "a fuzzer",
    "test_openai_engine": "torch and the second engine", "test_serving": "hundreds of connections",
    "test_races": "several servers", "test_decoding_bomb": "hours of audio decoded in subprocesses",
    "test_examples": "every shipped step's recordings scored", "test_engine": "every clip scored",
    "test_stream": "a server per test", "test_calibration": "many clips scored",
    "test_sign_in": "a server per test", "test_hostile_archive": "an import per test",
    "test_report_browser": "a browser", "test_charts_browser": "a browser",
    "test_names_cli": "a process that loads the speech model per command",
    "test_voices": "the speaker encoder over a minute of speech per test",
    "test_attacks_bodies": "a server fed large bodies", "test_rescore": "the speech model in a process",
    "test_learnt": "reps scored to learn names from",
    "test_observe": "lessons analysed with the speech model",
    "test_lesson_jobs": "lessons analysed by the speech model, and servers killed",
    "test_observe_cli": "a process that loads the speech model per command",
    "test_observe_browser": "a browser and a server",
    "test_lesson_page_browser": "a browser",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    return Scorer()


@pytest.fixture(scope="session")
def roster():
    return parse_roster(LABELS["roster"])


@pytest.fixture(scope="session")
def scored(scorer, roster):
    """Score a clip once per test run, by file name; later calls reuse the result."""
    cache = {}

    def score(name: str):
        if name not in cache:
            label = LABELS["clips"][name]
            step = get_step(label["scenario"])
            cache[name] = scorer.score_file(CLIPS / name, step,
                                            roster if label["scenario"] == "pose-pause-name" else None)
        return cache[name]

    return score


@pytest.fixture(scope="session")
def history_template(tmp_path_factory, scored):
    """A store with two teachers' real scored sessions (tests/seed.py), made once per test run."""
    from .seed import seed

    folder = tmp_path_factory.mktemp("history") / "instance"
    ids = seed(open_store(folder), scored)
    return folder, ids


@pytest.fixture()
def history_instance(history_template, tmp_path):
    """A fresh copy of the seeded store for one test to change as it likes: (folder, ids)."""
    import shutil

    folder, ids = history_template
    copy = tmp_path / "instance"
    shutil.copytree(folder, copy)
    return copy, ids
