"""Shared fixtures: the labelled clips and one real Scorer (the real tiny.en model) per test run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehearse.engine import Scorer
from rehearse.names import parse_roster
from rehearse.scenarios import get_scenario

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
