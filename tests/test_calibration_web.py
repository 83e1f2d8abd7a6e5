"""Calibration in the web app, through Flask's test client over a real store of real scored reps:
keeping a pass of taps (and refusing a wrong one with its reason), forgetting one, and the agreement
on the attempt page, the session summary and the calibration page."""

from __future__ import annotations

import json
import re

import pytest

from rehearse.store.database import Store
from rehearse.web import create_app

from .page_client import page_client
from .test_calibration import REACTION_S, coach_taps, seeded


@pytest.fixture()
def client(history_instance):
    return page_client(create_app({"INSTANCE": history_instance[0], "WARM_UP": False}))


def post_taps(client, attempt_id, source, taps, **kwargs):
    return client.post(f"/api/attempts/{attempt_id}/taps", json={"source": source, "taps": taps}, **kwargs)


def page_data(html: str) -> dict:
    """What a page tells its scripts: its one JSON island (macros.html `app_data`)."""
    (island,) = re.findall(r'<script type="application/json" id="app-data">(.*?)</script>', html, re.S)
    return json.loads(island)


def test_a_pass_of_taps_is_kept_and_the_rep_comes_back_with_its_agreement(client, history_instance):
    store, attempt, label = seeded(history_instance, 0, 1)
    response = post_taps(client, attempt.id, "live", coach_taps(label, "live"))
    assert response.status_code == 201, response.json
    view = response.json
    assert view["taps"][0]["question_end_s"] == pytest.approx(label["question_end"] + REACTION_S, abs=0.001)
    assert view["agreement"]["coach"]["wait_s"] == pytest.approx(label["wait_time"], abs=0.002)
    assert view["agreement"]["verdicts_agree"] is True
    assert view["agreement"]["band"] == {"min_s": 5.0, "max_s": 12.0}
    # The session's own page data carries it too, and the summary of the session.
    session = client.get(f"/api/sessions/{attempt.session_id}").json
    assert session["calibration"]["tapped"] == 1 and session["calibration"]["verdicts_agree"] == 1

    removed = client.delete(f"/api/attempts/{attempt.id}/taps/{view['taps'][0]['id']}", headers={"X-CSRF-Token": client.csrf_token()})
    assert removed.status_code == 200 and removed.json["taps"] == [] and removed.json["agreement"] is None
    again = client.delete(f"/api/attempts/{attempt.id}/taps/{view['taps'][0]['id']}", headers={"X-CSRF-Token": client.csrf_token()})
    assert again.status_code == 404 and "has no pass of taps" in again.json["error"]


@pytest.mark.parametrize("body, message", [
    ({"source": "live", "taps": []}, "no taps to keep"),
    ({"source": "stopwatch", "taps": [{"mark": "name", "clock": {"captured_s": 1}}]}, "unknown tap source 'stopwatch'"),
    ({"source": "live", "taps": [{"mark": "name", "clock": {"captured_s": 99}}]}, "outside the recording"),
    ({"source": "live", "taps": [{"mark": "name", "clock": {"captured_s": "soon"}}]}, "expected a number of seconds"),
    ("not an object", "send the taps as JSON"),
])
def test_a_wrong_pass_is_refused_with_its_reason_and_nothing_is_kept(client, history_instance, body, message):
    store, attempt, _ = seeded(history_instance, 0, 1)
    response = client.post(f"/api/attempts/{attempt.id}/taps", json=body)
    assert response.status_code == 400 and message in response.json["error"]
    assert store.rep(attempt.id).taps == ()


def test_taps_need_the_pages_token_and_a_rep_that_exists(client, history_instance):
    store, attempt, label = seeded(history_instance, 0, 1)
    refused = post_taps(client, attempt.id, "live", coach_taps(label, "live"), csrf=False)
    assert refused.status_code == 403
    assert store.rep(attempt.id).taps == ()
    missing = post_taps(client, 9999, "live", coach_taps(label, "live"))
    assert missing.status_code == 404 and "there is no attempt 9999" in missing.json["error"]


def test_the_attempt_page_offers_tapping_along_and_shows_the_agreement(client, history_instance):
    store, attempt, label = seeded(history_instance, 0, 1)
    page = client.get(f"/attempts/{attempt.id}").text
    assert 'id="tap-play"' in page and 'data-mark="question_end"' in page and 'id="replay"' in page
    assert page_data(page)["rep"]["agreement"] is None
    post_taps(client, attempt.id, "playback", coach_taps(label, "playback"))
    data = page_data(client.get(f"/attempts/{attempt.id}").text)
    assert data["rep"]["agreement"]["source"] == "playback"
    assert data["rep"]["metrics"]["question_end_s"] == pytest.approx(label["question_end"], abs=0.08)  # the replay mark
    # A step with no wait to time offers no tapping: key vocabulary.
    _, ids = history_instance
    vocab = client.get(f"/attempts/{ids['sessions'][3]['attempts'][0]}").text
    assert 'id="tap-play"' not in vocab


def test_the_summary_and_the_calibration_page_show_the_figures(client, history_instance):
    for rep, early in [(0, 0.0), (1, 0.0), (2, 1.8)]:  # the last tapped the question's end 1.8 s early
        store, attempt, label = seeded(history_instance, 0, rep)
        assert post_taps(client, attempt.id, "live", coach_taps(label, "live", question_early_s=early)).status_code == 201
    summary = client.get(f"/sessions/{attempt.session_id}/summary").text
    assert "The timing checked by ear" in summary
    assert re.search(r'data-figure="verdicts">\s*2 of 3', summary)
    assert re.search(r'data-figure="within">\s*2 of 3', summary)
    assert summary.count('class="tapped-wait"') == 3

    page = client.get("/calibration").text
    rows = page_data(page)["rows"]
    assert len(rows) == 3 and page_data(page)["band"] == {"min_s": 5.0, "max_s": 12.0}
    assert [r["agreement"]["verdicts_agree"] for r in rows] == [True, True, False]
    assert re.search(r'data-figure="name-lag">\s*\+0\.[23]\d s', page)
    assert "reaction time" in page and 'id="calibration-chart"' in page
    assert page.count("<tr data-attempt=") == 3

    byrne = store.query_one("SELECT id FROM teachers WHERE name = 'Mr Byrne'")["id"]
    nobody = client.get(f"/calibration?teacher={byrne}").text
    assert 'id="no-taps"' in nobody and page_data(nobody)["rows"] == []
    bad = client.get("/calibration?from=yesterday")
    assert bad.status_code == 400 and "is not a date" in bad.text


def test_every_page_links_to_calibration(client):
    assert 'href="/calibration"' in client.get("/history").text
