"""Flask test clients that behave like the app's own pages: each POST carries the CSRF token that
a page of the app gave this client (read from its <meta name="csrf-token">), as static/api.js and
the forms' hidden field do in the browser. Pass `csrf=False` to post like another site would."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def page_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no csrf-token meta tag"
    return found.group(1)


class PageClient(FlaskClient):
    token: str | None = None

    def csrf_token(self) -> str:
        """The token of this client's browser session, from a real page (made on the first visit)."""
        if self.token is None:
            self.token = page_token(self.get("/steps/new").get_data(as_text=True))
        return self.token

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            kwargs["headers"] = {"X-CSRF-Token": self.csrf_token(), **dict(kwargs.get("headers") or {})}
        return super().post(*args, **kwargs)


def page_client(app) -> PageClient:
    app.test_client_class = PageClient
    return app.test_client()
