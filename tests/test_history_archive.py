"""The archive of everything, recordings included, downloaded from the History page (Flask's test
client over a real store of real scored attempts) and imported on another laptop with `rehearse
import`; and who may download it."""

from __future__ import annotations

import html
import re

import pytest

from rehearse.reps import open_store
from rehearse.store import passcode
from rehearse.reps.export import rep_records, to_json
from rehearse.web import create_app

from .page_client import page_client
from .test_cli import rehearse


@pytest.fixture()
def app(history_instance):
    return create_app({"INSTANCE": history_instance[0], "WARM_UP": False})


def archive_link(client) -> str:
    page = client.get("/history").get_data(as_text=True)
    found = re.search(r'<a id="export-archive" href="([^"]+)"', page)
    assert found, "the History page has no archive link"
    return html.unescape(found.group(1))


def leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".archive-")]


def test_the_history_page_downloads_an_archive_that_another_laptop_imports(app, history_instance, tmp_path):
    folder, ids = history_instance
    here = open_store(folder)
    here.mark(ids["sessions"][0]["attempts"][0], "wait_time", True, "a long breath counts")
    client = page_client(app)
    response = client.get(archive_link(client))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert re.fullmatch(r'attachment; filename=rehearse-\d{4}-\d\d-\d\d\.zip',
                        response.headers["Content-Disposition"])
    download = tmp_path / "from-the-page.zip"
    download.write_bytes(response.data)
    response.close()
    assert leftovers(folder) == []  # the archive was made in the instance folder, and is gone

    laptop = tmp_path / "other-laptop"
    run = rehearse("import", str(download), "--instance", str(laptop))
    assert run.returncode == 0, run.stderr
    assert "2 new teachers, 4 sessions, 9 attempts, 9 recordings, 1 coach marks" in run.stdout
    there = open_store(laptop)
    assert to_json(rep_records(there)) == to_json(rep_records(here))
    for session in ids["sessions"]:
        for attempt_id in session["attempts"]:
            original = here.rep(attempt_id)
            copy = there.rep(there.query_one("SELECT id FROM attempts WHERE uid = ?", original.uid)["id"])
            assert there.audio_file(copy).read_bytes() == here.audio_file(original).read_bytes()


def test_a_link_without_this_browsers_token_makes_no_archive(app, history_instance):
    """Another site's page could point at the download (an <img> needs no click): making an archive
    reads every recording, so it needs the token of the browser's own session, as a form does."""
    folder, _ = history_instance
    client = page_client(app)
    link = archive_link(client)
    for forged in ["/archive.zip", "/archive.zip?csrf_token=guessed", "/archive.zip?csrf_token="]:
        refused = client.get(forged)
        assert refused.status_code == 403 and "open the History page and use its archive link" in refused.text
    other_browser = page_client(app)
    other_browser.get("/history")
    assert other_browser.get(link).status_code == 403  # a token is bound to its own browser session
    assert leftovers(folder) == []


def test_beyond_loopback_the_archive_needs_the_sign_in(history_instance):
    folder, _ = history_instance
    app = create_app({"INSTANCE": folder, "WARM_UP": False, "REQUIRE_PASSCODE": True})
    passcode.set_passcode(app.instance_path, "a long passcode 42")
    response = page_client(app).get("/archive.zip?csrf_token=x")
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]
    assert leftovers(folder) == []
