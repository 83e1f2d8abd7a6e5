"""The pages' scripts (static/*.js) are ES modules that share nothing through `window`: each imports
what it uses. Every request goes through static/api.js (one way to fail: the server's line), every
constant and URL of a page comes in its one JSON island (macros.html `app_data`), and the criteria's
short labels come from the server with each verdict (criteria.LABELS), not from a copy in a script."""
import re
from pathlib import Path

from rehearse.scoring.criteria import LABELS, RULES

ROOT = Path(__file__).parent.parent
SCRIPTS = sorted(p for p in (ROOT / "static").glob("*.js") if p.name != "capture-worklet.js")  # a worklet is no page module
BROWSER_WINDOW = {"innerHeight", "innerWidth", "scrollBy"}  # the browser's own, read by the pages


def test_no_script_shares_or_reads_a_global_of_ours():
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        used = set(re.findall(r"\bwindow\.(\w+)", text))
        assert used <= BROWSER_WINDOW, (script.name, used - BROWSER_WINDOW)


def test_every_request_goes_through_the_api_client():
    for script in SCRIPTS:
        if script.name != "api.js":
            assert not re.search(r"\bfetch\s*\(|XMLHttpRequest", script.read_text(encoding="utf-8")), script.name


def test_every_page_script_is_a_module_and_reads_one_island():
    pages = sorted((ROOT / "templates").glob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if page.name in ("report.html", "lesson_report.html"):  # saved reports: their own one script, by hash (report.py)
            continue
        for tag in re.findall(r"<script\b[^>]*>", text):
            if 'type="application/json"' in tag:
                assert page.name == "macros.html" and 'id="app-data"' in tag, (page.name, tag)
            else:
                assert 'type="module"' in tag and "nonce=" in tag and " src=" in tag, (page.name, tag)  # no inline script
        assert "data-check-url" not in text and "data-score-url" not in text, page.name
    islands = [p.name for p in pages if "app_data(" in p.read_text(encoding="utf-8") and p.name != "macros.html"]
    assert {"rep.html", "session.html", "start.html", "step.html", "step_form.html"} <= set(islands)


def test_every_rule_has_a_short_label_and_no_script_writes_one():
    assert set(LABELS) == set(RULES)
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        literals = {said for _, said in re.findall(r"""(["'`])([^"'`\n]*)\1""", text)}
        # A label of one common word ("time") is a label only beside its rule's name.
        written = {label for rule, label in LABELS.items() if label in literals and (" " in label or rule in text)}
        assert not written, (script.name, written)
