"""The app's door: a per-run token on every route, and no cross-origin requests.

Student data is personal data and a browser app on 127.0.0.1 is reachable by any web page the
user visits (through the browser) and by any local user. So, as Jupyter does, the app makes a
random token per run and prints it in its URL. The first request carrying ``?token=`` gets the
token as an HttpOnly, SameSite=Strict cookie and is redirected to the same URL without it (so
the token does not stay in the address bar or the history). From then on the cookie is the key.

The check is a Flask ``before_request`` hook, so it covers every route Dash has: pages,
``/_dash-layout``, ``/_dash-update-component`` (callbacks), ``/_dash-component-suites`` and
``/assets`` (scripts), downloads, and anything a page module adds. A refused request gets a
403 with one sentence and no data.

Cross-origin requests are refused even with the cookie (SameSite=Strict already keeps it off
cross-site requests; the ``Origin`` and ``Sec-Fetch-Site`` checks also stop same-site
neighbours such as another port on localhost).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, redirect, request

COOKIE = "gaffertape_token"
HEADER = "X-Gaffertape-Token"
REFUSED = "Forbidden: open the app with the URL (and token) that `gaffertape app` printed.\n"
CROSS_ORIGIN = "Forbidden: cross-origin request.\n"


def new_token() -> str:
    """A random per-run token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def install_guard(server: Flask, token: str) -> None:
    """Refuse every request to ``server`` that lacks ``token`` or comes from another origin."""
    if len(token) < 16:
        raise ValueError("the app token must be at least 16 characters")

    def matches(candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), token.encode())

    @server.before_request
    def check_token() -> Response | None:
        if _cross_origin():
            return _refuse(CROSS_ORIGIN)
        if matches(request.args.get("token")):
            return _accept_token(token)
        if matches(request.cookies.get(COOKIE)) or matches(request.headers.get(HEADER)):
            return None
        return _refuse(REFUSED)

    @server.after_request
    def harden(response: Response) -> Response:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def _cross_origin() -> bool:
    """True when the browser says the request comes from a page of another origin."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin or (origin == "null" and request.method in {"GET", "HEAD"}):
        return False
    own = urlsplit(request.host_url)
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) != (own.scheme, own.netloc)


def _accept_token(token: str) -> Response:
    """Set the cookie and send the browser to the same URL without the token in it."""
    others = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
    target = request.path + (f"?{urlencode(others)}" if others else "")
    response = redirect(target, code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.scheme == "https")
    return response


def _refuse(message: str) -> Response:
    return Response(message, status=403, mimetype="text/plain")
