"""Who may use the app, and proof that every change comes from the app's own pages.

Teachers' voices are personal data, so every request passes these checks (`install` adds them):

- **Host.** Served on loopback, only requests addressed to a loopback address (127.0.0.0/8,
  [::1]) or localhost are answered: a web page elsewhere cannot point a name of its own at this laptop (DNS rebinding) and
  read the recordings through the browser.
- **Sign-in.** Served on any other address, the operator must have set a passcode (`rehearse
  passcode`, stored hashed: see `passcode.py`); every page, recording, export, API call and
  WebSocket then needs a sign-in, except the sign-in page and the static files. A new passcode ends
  every earlier sign-in; signing out ends that one on the server too (`sign_ins.py`), and each ends
  after SIGN_IN_HOURS at the latest. Each address may try MAX_FAILURES wrong passcodes a minute,
  counted before the passcode is checked, so that parallel guesses are counted too.
- **CSRF.** Every POST carries the token of the browser's session: the hidden field `csrf_token` in
  forms, the header `X-CSRF-Token` from scripts (static/api.js adds it). A WebSocket must be opened
  by a page of this server (its Origin), since browsers send cookies with it from any site. A GET
  that costs the server much (the archive, a report) must come from a link of the app's own pages:
  the link carries the token, and the browser must not say another site asked (`require_own_link`).
- **Cookies.** The session cookie is HttpOnly and SameSite=Lax, and ends with the browser (no
  Expires); over HTTPS it is also Secure and named __Host-, so no other site or plain-HTTP page can
  set or read it. Its key lives in the
  instance folder (`secret_key`, owner-only), so open pages survive a restart.
- **Headers.** A Content-Security-Policy allowing only this server's scripts (inline ones need the
  request's nonce), no framing, no sniffing, no caching of pages and recordings, and no other
  site's page may embed them (Cross-Origin-Resource-Policy: same-origin, so an <audio> elsewhere
  cannot play a recording even on loopback without a passcode).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import unicodedata
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import (Blueprint, Flask, current_app, g, redirect, render_template, request, session,
                   url_for)
from markupsafe import Markup

from ..store import passcode
from .connections import BUFFERED_BODY
from .errors import Refused
from .sign_ins import SignIns

SIGN_IN_HOURS = 12  # a school day, at the most; the browser forgets it sooner if it is closed
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_ENDPOINTS = frozenset({"security.sign_in", "static"})
UPLOADS = frozenset({"api.upload", "steps.upload_example", "lessons.upload"})  # the routes that take a recording's file
FORM_BYTES = BUFFERED_BODY  # the largest body of any other route
MAX_FAILURES, FAILURE_WINDOW_S = 5, 60  # wrong passcodes per address before it must wait

bp = Blueprint("security", __name__)


def install(app: Flask) -> None:
    """Add the checks, the cookie settings, the headers and the sign-in page to the app.

    Reads from app.config: REQUIRE_PASSCODE (served beyond loopback), LOOPBACK_ONLY (answer only
    loopback host names) and HTTPS (served over TLS)."""
    https = bool(app.config.get("HTTPS"))
    app.secret_key = _secret_key(Path(app.instance_path))
    app.config.update(
        SESSION_COOKIE_NAME="__Host-rehearse" if https else "rehearse",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
    )
    app.extensions["rehearse_failures"] = _Failures()
    app.extensions["rehearse_sign_ins"] = SignIns(Path(app.instance_path),
                                                  app.config.get("SIGN_IN_S", SIGN_IN_HOURS * 3600))
    app.before_request(_bound_the_body)
    app.before_request(_check_host)
    app.before_request(_check_sign_in)
    app.before_request(_check_origin)
    app.after_request(_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, csrf_field=csrf_field, csp_nonce=csp_nonce,
                                 signed_in=lambda: bool(current_app.config.get("REQUIRE_PASSCODE") and _signed_in()))
    app.register_blueprint(bp)


def _secret_key(instance: Path) -> bytes:
    """The key that signs session cookies: made once per instance folder, readable by its owner only."""
    path = instance / "secret_key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
    except OSError as exc:  # a full disk: say which file could not be written
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    return key


# --- tokens -------------------------------------------------------------------------------------

def csrf_token() -> str:
    """This browser session's token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % csrf_token()


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


# --- the checks, in order -----------------------------------------------------------------------

def _bound_the_body():
    """Every route but the uploads of a recording takes a body of at most FORM_BYTES (the forms and
    scripts of the pages send far less): a larger one is refused (413) before it is read, here
    before any check reads the form. Such a body arrives whole in the server's reception before a
    thread is given to it, so only a recording's upload can be read in a thread, slowly: read up to
    the upload limit at the pace a body must keep, a form posted to /sign-in held a thread 35 minutes."""
    if request.endpoint not in UPLOADS:
        request.max_content_length = FORM_BYTES


def _check_host():
    if not current_app.config.get("LOOPBACK_ONLY"):
        return None
    if is_loopback_name(urlsplit(f"//{request.host}").hostname or ""):
        return None
    raise Refused(f"this server answers only at 127.0.0.1 (the address asked for was {request.host!r}); "
                  "open http://127.0.0.1 with the port shown when rehearse started")


def _check_sign_in():
    if not current_app.config.get("REQUIRE_PASSCODE") or request.endpoint in OPEN_ENDPOINTS:
        return None
    if _signed_in():
        return None
    if request.path.startswith("/api/") or _is_websocket() or request.method in CHANGES:
        raise Refused("sign in first: open the app's front page and enter the passcode", status=401)
    return redirect(url_for("security.sign_in", next=request.full_path.rstrip("?")))


def _check_origin():
    """A change (or a WebSocket) must come from this server's own pages."""
    if _is_websocket():
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise Refused(f"a page of another site ({origin}) tried to record here; "
                          "record from rehearse's own page", status=403)
        return None
    if request.method not in CHANGES:
        return None
    if _is_sessions_token(request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""):
        return None
    raise Refused("this form is out of date or came from another site; "
                  "reload the page and try again", status=403)


def require_own_link(where: str) -> None:
    """Refused (403, one line ending with `where`: how to ask again) unless this GET came from a
    link of the app's own pages. For the downloads that cost the server much to make
    (the archive, a report): a GET is no change, so _check_origin lets any through, and an <img>
    or a link on another site would make the server build them with the teacher's cookies. The
    link carries this browser's CSRF token (`csrf_token` in the query, put there by the page), and
    the browser must not say another site asked (Sec-Fetch-Site, Origin): browsers that send
    neither header still need the token."""
    site = request.headers.get("Sec-Fetch-Site", "same-origin")
    origin = request.headers.get("Origin")
    foreign = site not in ("same-origin", "none") or (origin is not None and urlsplit(origin).netloc != request.host)
    if foreign or not _is_sessions_token(request.args.get("csrf_token", "")):
        raise Refused(f"this download link is out of date or came from another site; {where}", status=403)


def _is_sessions_token(sent: str) -> bool:
    """Is `sent` the CSRF token of this browser's session (compared in constant time)?"""
    expected = session.get("csrf")
    return bool(expected and hmac.compare_digest(sent.encode(), expected.encode()))


def is_loopback_name(host: str) -> bool:
    """localhost, or a loopback address (127.0.0.0/8, ::1): the names `serve` counts as loopback."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _signed_in() -> bool:
    """Signed in with the current passcode, and that sign-in not signed out nor ended."""
    stored = passcode.stored_hash(Path(current_app.instance_path))
    return bool(stored and session.get("signed_in") == passcode.fingerprint(stored)
                and current_app.extensions["rehearse_sign_ins"].valid(session.get("sign_in")))


def _is_websocket() -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _headers(response):
    nonce = g.get("csp_nonce", "")
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    response.headers.setdefault("Content-Security-Policy", (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' blob:; connect-src 'self' ws://{request.host} wss://{request.host}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # pages and recordings stay out of shared caches
    return response


# --- the sign-in page ---------------------------------------------------------------------------

class _Failures:
    """Passcode attempts per address in the last FAILURE_WINDOW_S, to slow down guessing.

    An attempt takes its place (`reserve`) before its passcode is checked, in one step under the
    lock: checked first and counted after, 40 guesses sent at once would all pass the check before
    any was counted. A right passcode gives its place back (`release`)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._times: dict[str, deque] = defaultdict(deque)

    def reserve(self, address: str) -> float | None:
        """Count one attempt from `address`; None (not counted) if it has had MAX_FAILURES already."""
        with self._lock:
            now = time.monotonic()
            times = self._times[address]
            while times and times[0] < now - FAILURE_WINDOW_S:
                times.popleft()
            if len(times) >= MAX_FAILURES:
                return None
            times.append(now)
            return now

    def release(self, address: str, place: float) -> None:
        with self._lock:
            try:
                self._times[address].remove(place)
            except ValueError:
                pass


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    instance = Path(current_app.instance_path)
    target = _local(request.values.get("next"))
    if not current_app.config.get("REQUIRE_PASSCODE"):
        return redirect(target)
    if request.method == "GET":
        return render_template("sign_in.html", next=target, error=None)
    failures = current_app.extensions["rehearse_failures"]
    address = request.remote_addr or "?"
    place = failures.reserve(address)
    if place is None:
        return render_template("sign_in.html", next=target, error=(
            "too many wrong passcodes from this computer; wait a minute and try again")), 429
    stored = passcode.stored_hash(instance)
    if not stored or not passcode.matches(stored, request.form.get("passcode", "")):
        return render_template("sign_in.html", next=target, error=(
            "that is not the passcode; ask whoever runs rehearse on this network")), 401
    failures.release(address, place)
    current_app.extensions["rehearse_sign_ins"].end(session.get("sign_in"))
    session.clear()  # a fresh session (and CSRF token) after sign-in; a session cookie, not permanent
    session["signed_in"] = passcode.fingerprint(stored)
    session["sign_in"] = current_app.extensions["rehearse_sign_ins"].start()
    return redirect(target)


@bp.post("/sign-out")
def sign_out():
    current_app.extensions["rehearse_sign_ins"].end(session.get("sign_in"))  # copies of the cookie too
    session.clear()
    return redirect(url_for("security.sign_in") if current_app.config.get("REQUIRE_PASSCODE") else "/")


def _local(target: str | None) -> str:
    """Only a path on this server is a place to go after signing in (no open redirects): one "/"
    then no "/" or "\\" (a browser reads "//x" and "/\\x" as another site), and no control
    character or space, even percent-encoded (a browser drops a tab or newline, so "/<tab>/x" is
    "//x"; CR or LF would break the Location header). Anything else goes to the front page."""
    if not target or not target.startswith("/"):
        return "/"
    if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in target):
        return "/"
    decoded = unquote(target)  # "?teacher=Ms%20Okafor" is fine; an encoded tab, space or "//" is not
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in decoded):
        return "/"
    if any(ch.isspace() for ch in unquote(target.partition("?")[0])):
        return "/"
    if any(text.startswith(("//", "/\\")) or "\\" in text for text in (target, decoded)):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
