"""Attacks on the sign-in: redirects away after it, guesses sent in parallel, a copied cookie after
sign-out or after its end, a cookie that outlives the browser. Through Flask's test client, and one
real `rehearse serve` process hit by 40 threads at once."""

from __future__ import annotations

import http.cookiejar
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from rehearse.store import passcode
from rehearse.web import create_app
from rehearse.web.security import MAX_FAILURES

from .page_client import page_client, page_token
from .server import running_server

SECRET = "a long passcode 42"

# Each of these, as `next`, must not send the browser anywhere but this server.
AWAY = [
    "//evil.com", "///evil.com", "////evil.com", "/\\evil.com", "/\\/evil.com", "\\\\evil.com",
    "/\t/evil.com", "/%09/evil.com", "/\t\t/evil.com", "/\n/evil.com", "/%0a/evil.com", "/\r/evil.com",
    "/%0d/evil.com", "/%0d%0aSet-Cookie:%20x=1", "/\r\nLocation: //evil.com", "/ /evil.com",
    "/%20/evil.com", "/\x0b/evil.com", "/\x00/evil.com", "/%00/evil.com", "/\u2028/evil.com",
    "/%2f/evil.com", "/%2F%2Fevil.com", "/%5cevil.com", "/%5C%5Cevil.com", "https:evil.com",
    "https://evil.com", "http:/evil.com", "javascript:alert(1)", "evil.com", "  //evil.com",
    "\t//evil.com", "%2f%2fevil.com",
]
SAME_SITE = ["/history", "/steps/pose-pause-name/edit", "/history?teacher=Ms%20Okafor", "/https://evil.com"]


def signed_in_app(tmp_path, **config):
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False, "REQUIRE_PASSCODE": True, **config})
    passcode.set_passcode(app.instance_path, SECRET)
    return app


def sign_in(client, secret=SECRET, next_path="/"):
    token = page_token(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"passcode": secret, "next": next_path}, csrf=False,
                           headers={"X-CSRF-Token": token})
    client.token = None  # a new session after signing in, with a new token
    return response


def test_after_sign_in_no_next_leads_to_another_site(tmp_path):
    app = signed_in_app(tmp_path)
    for target in AWAY + SAME_SITE:
        response = sign_in(page_client(app), next_path=target)
        assert response.status_code == 302, repr(target)  # never a 500 (a CR or LF in the header)
        expected = target if target in SAME_SITE else "/"
        assert response.headers["Location"] == expected, repr(target)
        assert "evil.com" not in response.headers["Location"].split("?")[0].lstrip("/").split("/")[0]
    # the sign-in form carries the same cleaned `next`; and on loopback without a passcode, too
    page = page_client(app).get("/sign-in", query_string={"next": "/\t/evil.com"}).get_data(as_text=True)
    assert 'name="next" value="/"' in page
    loopback = page_client(create_app({"INSTANCE": tmp_path / "open", "WARM_UP": False}))
    for target in AWAY:
        response = loopback.get("/sign-in", query_string={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/", repr(target)


def test_the_sign_in_cookie_ends_with_the_browser_and_on_the_server(tmp_path):
    app = signed_in_app(tmp_path)
    client = page_client(app)
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "Expires" not in cookie and "Max-Age" not in cookie  # a session cookie
    assert client.get("/history").status_code == 200


def test_sign_out_ends_every_copy_of_the_cookie(tmp_path):
    app = signed_in_app(tmp_path)
    browser = page_client(app)
    sign_in(browser)
    copied = browser.get_cookie("rehearse").value  # taken before signing out
    assert browser.post("/sign-out").status_code == 302
    thief = page_client(app)
    thief.set_cookie("rehearse", copied)
    refused = thief.get("/history")
    assert refused.status_code == 302 and "/sign-in" in refused.headers["Location"]
    assert thief.get("/api/sessions/1").status_code == 401
    # another browser's sign-in is not ended by this one's sign-out
    other = page_client(app)
    sign_in(other)
    sign_in(browser)
    browser.post("/sign-out")
    assert other.get("/history").status_code == 200


def test_a_sign_in_ends_on_the_server_after_its_time(tmp_path):
    app = signed_in_app(tmp_path, SIGN_IN_S=1)
    client = page_client(app)
    sign_in(client)
    assert client.get("/history").status_code == 200
    time.sleep(1.5)
    assert client.get("/history").status_code == 302  # the cookie still says signed in: the server does not


def test_guesses_sent_all_at_once_are_counted_before_they_are_checked(tmp_path):
    instance = tmp_path / "instance"
    passcode.set_passcode(instance, SECRET)  # with a passcode set, loopback asks for it too
    with running_server(instance) as url:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = page_token(opener.open(url + "/sign-in", timeout=60).read().decode())
        (cookie,) = list(jar)
        start = threading.Barrier(40)
        answers = []

        def guess(n):
            body = urllib.parse.urlencode({"csrf_token": token, "passcode": f"wrong guess {n}"}).encode()
            request = urllib.request.Request(url + "/sign-in", data=body,
                                             headers={"Cookie": f"{cookie.name}={cookie.value}"})
            start.wait()
            try:
                urllib.request.urlopen(request, timeout=120)
                answers.append(200)
            except urllib.error.HTTPError as error:
                answers.append(error.code)

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 40 and set(answers) <= {401, 429}, answers
        assert answers.count(401) == MAX_FAILURES, answers  # checked; the others never reached scrypt

        body = urllib.parse.urlencode({"csrf_token": token, "passcode": SECRET}).encode()
        with pytest.raises(urllib.error.HTTPError) as right:
            opener.open(url + "/sign-in", data=body, timeout=60)
        assert right.value.code == 429  # the right passcode too, until the minute has passed
