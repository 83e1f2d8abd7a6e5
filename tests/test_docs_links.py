"""The documentation's links (the README, docs/, benchmarks/RESULTS.md, CHANGELOG.md): every link to
a file of the repository leads to one that exists, and no link leads outside the repository — no
web address (the laptop may be offline, and the docs must be true of what is here) and no path out of
the folder (`../shared/DESIGN.md` was one)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "benchmarks" / "RESULTS.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_of_the_repository(doc):
    for target in LINK.findall(doc.read_text()):
        path = target.split("#")[0]
        assert not re.match(r"[a-z]+:", target), f"{doc.name} links outside the repository: {target}"
        if path:
            resolved = (doc.parent / path).resolve()
            assert resolved.is_relative_to(ROOT), f"{doc.name} links out of the repository: {target}"
            assert resolved.exists(), f"{doc.name} links to {target}, which is not there"
