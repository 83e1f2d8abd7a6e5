"""Shared fixtures: the labelled clips and one real Scorer (the real tiny.en model) per test run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehearse.scoring.engine import Scorer
from rehearse.scoring.names import parse_roster
from rehearse.scoring.scenarios import get_scenario

CLIPS = Path(__file__).parent / "clips"
LABELS = json.loads((CLIPS / "labels.json").read_text())


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
            scenario = get_scenario(label["scenario"])
            cache[name] = scorer.score_file(CLIPS / name, scenario,
                                            roster if label["scenario"] == "pose-pause-name" else None)
        return cache[name]

    return score


@pytest.fixture(scope="session")
def history_template(tmp_path_factory, scored):
    """A store with two teachers' real scored sessions (tests/seed.py), made once per test run."""
    from rehearse.store.database import Store

    from .seed import seed

    folder = tmp_path_factory.mktemp("history") / "instance"
    ids = seed(Store.open(folder), scored)
    return folder, ids


@pytest.fixture()
def history_instance(history_template, tmp_path):
    """A fresh copy of the seeded store for one test to change as it likes: (folder, ids)."""
    import shutil

    folder, ids = history_template
    copy = tmp_path / "instance"
    shutil.copytree(folder, copy)
    return copy, ids
