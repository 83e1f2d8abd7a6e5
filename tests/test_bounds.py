"""Numbers out of range, through Flask's test client over a real SQLite file: ids SQLite cannot
hold (2^63 and more) in every route that takes one — found by walking the app's own URL map, so a
route added later is checked too — odd digits and far-off dates in the history's filters, a page
number past any page, and JSON nested deeper than Python parses. Each is a 404 or a 400 with one
line, never a 500."""

from __future__ import annotations

import html
import re

import pytest

from rehearse import cli
from rehearse.web import create_app

from .page_client import page_client

HUGE = [2**63, 2**64, 10**30]
START = {"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "", "reps": "10"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app with session 1, its attempt 1 (a recording on disk, unscored), teacher 1 and step 1."""
    app = create_app({"INSTANCE": tmp_path_factory.mktemp("bounds") / "instance", "WARM_UP": False})
    assert page_client(app).post("/sessions", data=START).status_code == 302
    store = app.extensions["rehearse"]["store"]
    attempt = store.new_rep(1, "upload")
    store.audio_file(attempt).parent.mkdir(parents=True)
    store.audio_file(attempt).write_bytes(b"RIFF")
    store.save_failure(attempt.id, "not scored: a test")
    return app


@pytest.fixture()
def client(app):
    return page_client(app)


def id_routes(app) -> list[tuple[str, str, list[str]]]:
    """(path pattern, method, names of its <int:...> parts) for every route of the app that takes an id."""
    found = []
    for rule in app.url_map.iter_rules():
        names = re.findall(r"<int:(\w+)>", rule.rule)
        for method in sorted((rule.methods or {"GET"}) - {"HEAD", "OPTIONS"}) if names else []:
            found.append((rule.rule, method, names))
    return found


def fill(pattern: str, values: dict[str, int]) -> str:
    return re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), pattern)


def test_every_route_that_takes_an_id_answers_404_to_one_sqlite_cannot_hold(app, client):
    routes = id_routes(app)
    patterns = {pattern for pattern, _, _ in routes}
    # The walk finds pages, API calls and the WebSocket alike (a sample of what it must find).
    assert {"/ws/sessions/<int:session_id>", "/api/attempts/<int:rep_id>/taps",
            "/api/attempts/<int:rep_id>/taps/<int:tap_id>", "/progress/<int:teacher_id>/<int:step_row>",
            "/teachers/<int:teacher_id>/delete", "/api/sessions/<int:session_id>/uploads"} <= patterns
    assert len(routes) >= 15
    for pattern, method, names in routes:
        for huge in HUGE:
            # Every id too large, then each alone beside ids that exist (1).
            for values in [dict.fromkeys(names, huge)] + [dict.fromkeys(names, 1) | {n: huge} for n in names]:
                path = fill(pattern, values)
                response = client.open(path, method=method, headers={"X-CSRF-Token": client.csrf_token()})
                assert response.status_code == 404, (method, path, response.status_code, response.text[:300])
                if path.startswith("/api/"):
                    assert response.json["error"], (method, path)


@pytest.mark.parametrize("query, said", [
    ("teacher=²", "teacher: '²' is not one of the listed choices"),  # passes str.isdigit; int() refuses it
    ("step=٣", "step: '٣' is not one of the listed choices"),  # an Arabic-Indic 3: int() would take it
    (f"teacher={2**63}", "is not one of the listed choices"),
    (f"step={10**30}", "is not one of the listed choices"),
    ("to=9999-12-31", "to: 9999-12-31 is out of range"),
    ("from=0001-01-01", "from: 0001-01-01 is out of range"),
])
def test_history_filters_out_of_range_are_one_line(client, query, said):
    for page in ("/history", "/calibration"):
        response = client.get(f"{page}?{query}")
        assert response.status_code == 400 and said in html.unescape(response.text), page
    export = client.get(f"/export.csv?{query}")
    assert export.status_code == 400 and said in html.unescape(export.text)


def test_a_page_number_past_any_page_is_one_line(client):
    for page in (str(10**20), "²", "-1", "0"):
        response = client.get(f"/history?page={page}")
        assert response.status_code == 400 and "the pages are numbered from 1" in response.text, page
    assert client.get("/history?page=999999").status_code == 200  # past the last page: simply empty


def test_compare_with_ids_sqlite_cannot_hold_is_404(client):
    for huge in HUGE:
        response = client.get(f"/compare?a=1&b={huge}")
        assert response.status_code == 404 and "choose two reps" in response.text


# Deeper than Python parses (its recursion limit is 1000), yet within the smallest route's limit on a
# JSON body (inputs.JSON_BYTES, 4 KB): a larger body is a 413 before it is parsed (test_attacks_bodies.py).
@pytest.mark.parametrize("body", ["[" * 4000, '{"a":' * 800, "[1, 2]", "not json"])
def test_json_nested_too_deep_or_not_an_object_is_400(client, body):
    for endpoint in ("taps", "marks", "comments"):
        response = client.post(f"/api/attempts/1/{endpoint}", data=body, content_type="application/json")
        assert response.status_code == 400 and "JSON" in response.json["error"], (endpoint, response.text[:200])


def test_export_from_the_command_line_with_a_day_out_of_range_is_one_line(app, capsys):
    status = cli.main(["export", "--instance", app.instance_path, "--to", "9999-12-31"])
    assert status == 2
    assert "--to: 9999-12-31 is out of range" in capsys.readouterr().err


def test_rescore_from_the_command_line_with_an_id_sqlite_cannot_hold_is_one_line(app, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["rescore", "--instance", app.instance_path, str(2**63)])
    assert exited.value.code == 2
    assert f"'{2**63}' is not an attempt id (a whole number from 1 to {2**63 - 1})" in capsys.readouterr().err
