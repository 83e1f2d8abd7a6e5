"""What makes a saved report self-contained and safe, read off the file itself, and where a page's
"Save as report" link leads: shared by the test-client tests (test_report.py), the browser test
(test_report_browser.py) and the attacks on reports (test_attacks_reports.py)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from html.parser import HTMLParser

from rehearse.store.database import Store

HOSTILE = "</script><img src=x onerror=alert(1)>"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name draw.js creates its elements in, never loaded
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "background", "xlink:href",
                  "manifest", "ping", "cite", "longdesc", "codebase", "archive", "usemap", "icon"}


SAVE_LINK = re.compile(r'<a id="save-report"[^>]*\shref="([^"]+)"')


def save_link(page: str) -> str:
    """The address of a page's "Save as report" link (a rep's page, a session's summary)."""
    found = SAVE_LINK.search(page)
    assert found, "the page has no Save as report link"
    return html.unescape(found.group(1))


class Parsed(HTMLParser):
    """Every tag with its attributes, and the text of each <script> and <style>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


def assert_self_contained(html: str) -> Parsed:
    """No address outside the file, nothing that could make a request, and a policy that forbids
    loading anything but data: audio, with the one inline script allowed by its hash; the charts'
    figures in one JSON island (not run)."""
    parsed = Parsed(html)
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES and value is not None:
                assert value.startswith(("data:", "#")), f"<{tag} {name}={value[:60]!r}> points outside the file"
            assert not name.startswith("on"), f"<{tag}> has an inline handler {name}"
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html.replace(SVG_NAMESPACE, ""), re.I), "an address in the file"
    for word in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon", "import(", "@import",
                 "url(", "<link", "<iframe", "<object", "<embed", "<img", "<base", "<form"):
        assert word.lower() not in html.lower(), f"{word} in the report"
    island, script = parsed.named("script")  # the data, then the one inline script, no src
    assert island == {"type": "application/json", "id": "app-data"}
    assert script == {"type": "module"}
    json.loads(parsed.scripts[0])
    policy = [m for m in parsed.named("meta") if (m.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(policy) == 1
    rules = dict((part.split()[0], part.split()[1:]) for part in policy[0]["content"].split(";") if part.strip())
    assert rules["default-src"] == ["'none'"]
    assert rules["media-src"] == ["data:"]
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[1].encode()).digest()).decode()
    assert rules["script-src"] == [f"'sha256-{digest}'"]  # only this script runs, and nothing it loads
    assert tag_index(html, "meta http-equiv") < tag_index(html, "<style") < tag_index(html, "<script")
    return parsed


def chart_data(html: str) -> dict:
    """The report's JSON island: what its script draws (report.py `chart_data`)."""
    return json.loads(Parsed(html).scripts[0])


def tag_index(html: str, start: str) -> int:
    return html.lower().index(start.lower())


def make_hostile(store: Store, attempt_id: int) -> None:
    """The rep's teacher, its transcript and a coach's comment on a criterion all carry markup."""
    attempt = store.rep(attempt_id)
    result = attempt.result.stored
    result["words"][0]["word"] = HOSTILE
    result["transcript"] = HOSTILE + result["transcript"]
    with store.connect() as db:
        db.execute("UPDATE attempts SET result = ? WHERE id = ?", (json.dumps(result), attempt_id))
        db.execute("UPDATE teachers SET name = ? WHERE id = (SELECT teacher_id FROM sessions WHERE id = ?)",
                   (HOSTILE, attempt.session_id))
    store.mark(attempt_id, "asks_question", None, HOSTILE)
