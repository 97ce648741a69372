"""The token guard on a bare Flask app: every route refused without the token, the cookie flow,
cross-origin requests refused even with the cookie."""

from __future__ import annotations

import pytest
from flask import Flask

from gaffertape.app.security import COOKIE, HEADER, install_guard

TOKEN = "t" * 32


@pytest.fixture
def client():
    server = Flask("guarded")

    @server.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @server.route("/<path:path>", methods=["GET", "POST"])
    def anything(path: str) -> str:
        return "SECRET STUDENT DATA"

    install_guard(server, TOKEN)
    return server.test_client()


@pytest.mark.parametrize("path", ["/", "/allocation", "/_dash-layout", "/_dash-dependencies",
                                  "/_dash-component-suites/dash/dash.js", "/assets/style.css",
                                  "/download/x.csv", "/_favicon.ico"])
def test_every_route_is_refused_without_the_token(client, path: str) -> None:
    for answer in (client.get(path), client.post(path),
                   client.get(path, query_string={"token": "wrong" * 8}),
                   client.get(path, headers={"Cookie": f"{COOKIE}=wrong"})):
        assert answer.status_code == 403
        assert b"SECRET" not in answer.data


def test_token_becomes_a_strict_httponly_cookie_and_leaves_the_url(client) -> None:
    first = client.get("/allocation", query_string={"token": TOKEN, "q": "x"})
    assert first.status_code == 303
    assert first.headers["Location"] == "/allocation?q=x"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN in cookie
    assert client.get("/allocation").data == b"SECRET STUDENT DATA"  # the cookie opens it now
    assert first.headers["Referrer-Policy"] == "no-referrer"


def test_header_token_for_scripts(client) -> None:
    assert client.get("/", headers={HEADER: TOKEN}).status_code == 200


def test_cross_origin_requests_are_refused_even_with_the_token(client) -> None:
    headers = {HEADER: TOKEN}
    assert client.post("/_dash-update-component", headers={
        **headers, "Origin": "http://evil.example"}).status_code == 403
    assert client.post("/x", headers={**headers, "Origin": "http://localhost:9999"}
                       ).status_code == 403  # another port is another origin
    assert client.get("/", headers={**headers, "Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/x", headers={**headers, "Origin": "http://localhost"}).status_code == 200


def test_short_tokens_are_refused() -> None:
    with pytest.raises(ValueError):
        install_guard(Flask("x"), "short")
