"""Fenland University, the second demo institution: its page contract, checked with a plain
HTTP client (no gaffertape code), against the same data as the first demo."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import httpx
import pytest

from gaffertape.demo import DemoUniversity, Faults

COURSE = "TM470-25J"


def _hidden(text: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', text)[1]


def _sign_in(demo: DemoUniversity, password: str | None = None) -> tuple[httpx.Client,
                                                                         httpx.Response]:
    http = httpx.Client(base_url=demo.base_url, timeout=30)
    start = http.get("/module/", follow_redirects=True)
    assert 'id="identify"' in start.text
    step2 = http.post("/idp/identify", data={"userid": demo.username,
                                             "flow": _hidden(start.text, "flow")})
    assert 'type="password"' in step2.text and 'id="authenticate"' in step2.text
    hop = http.post("/idp/authenticate", data={"secret": password or demo.password,
                                               "flow": _hidden(step2.text, "flow")})
    return http, hop


@pytest.fixture
def fenland(make_demo: Callable[..., DemoUniversity]) -> DemoUniversity:
    return make_demo(institution="fenland", students=20)


def test_sign_in_is_identifier_first_then_an_sso_hop(fenland: DemoUniversity) -> None:
    http, hop = _sign_in(fenland)
    assert 'onload="document.forms[0].submit()"' in hop.text and 'name="hop"' in hop.text
    done = http.post("/portal/acs", data={"assertion": _hidden(hop.text, "assertion"),
                                          "relay": "/module/"}, follow_redirects=True)
    assert '<ul class="modules">' in done.text and f'href="/module/{COURSE}/"' in done.text
    assert fenland.truth()["counters"]["logins"] == 1
    # the assertion is single use
    again = http.post("/portal/acs", data={"assertion": _hidden(hop.text, "assertion")})
    assert again.status_code == 400


def test_wrong_password_silently_starts_again(fenland: DemoUniversity) -> None:
    _, answer = _sign_in(fenland, password="wrong")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/idp/start?return=")
    assert fenland.truth()["counters"]["logins"] == 0


def test_pages_have_their_own_layout_and_the_same_data(fenland: DemoUniversity) -> None:
    http, hop = _sign_in(fenland)
    http.post("/portal/acs", data={"assertion": _hidden(hop.text, "assertion"),
                                   "relay": "/module/"})
    truth = fenland.truth()
    student = next(s for s in truth["students"] if s["submitted"])
    surname_first = "{1}, {0}".format(*student["name"].split(" ", 1))
    cohort = http.get(f"/module/{COURSE}/cohort").text
    assert "<th>Identifier</th>" in cohort and surname_first.replace("'", "&#x27;") in cohort
    base = f"/module/{COURSE}/student/{student['pi']}"
    marks = http.get(f"{base}/marks").text
    assert "<th>Design and implementation (/8)</th>" in marks
    assert f"<td>1st</td><td>{student['marks']['first']['marker']}</td>" in marks
    page = http.get(f"{base}/submission").text
    assert f"<code>{student['confirmation_code']}</code>" in page
    assert page.count('<span class="fname">') == len(student["files"])
    link = re.search(r'<a class="bundle" href="([^"]+)"', page)[1]
    assert link.endswith(student["zip"]["filename"])
    body = http.get(link)
    assert body.headers["content-type"] == "application/octet-stream"
    assert "content-disposition" not in body.headers
    names = zipfile.ZipFile(io.BytesIO(body.content)).namelist()
    assert sorted(names) == sorted(f["name"] for f in student["files"])


def test_third_marks_are_recorded_but_never_shown(fenland: DemoUniversity) -> None:
    http, hop = _sign_in(fenland)
    http.post("/portal/acs", data={"assertion": _hidden(hop.text, "assertion"),
                                   "relay": "/module/"})
    student = next(s for s in fenland.truth()["students"] if s["submitted"])
    url = f"/module/{COURSE}/student/{student['pi']}/moderate"
    form = http.get(url).text
    data = {f"score_{k}": "5" for k in ("pd", "ra", "di", "ev", "pr")}
    data |= {"feedback": "ok", "receipt": student["confirmation_code"],
             "nonce": _hidden(form, "nonce")}
    assert "Moderation saved" in http.post(url, data=data).text
    wrong = {**data, "receipt": "XXXX-XXXX", "nonce": _hidden(http.get(url).text, "nonce")}
    assert "Receipt number not recognised" in http.post(url, data=wrong).text
    marks = http.get(f"/module/{COURSE}/student/{student['pi']}/marks").text
    assert "3rd" not in marks and "Fen Marker" not in marks
    posts = fenland.truth()["third_marks"]
    assert [p["accepted"] for p in posts] == [True, False]


def test_lockout_speaks_in_minutes(make_demo: Callable[..., DemoUniversity]) -> None:
    demo = make_demo(institution="fenland", students=5,
                     faults=Faults(lockout=True, lockout_burst=3, lockout_cooldown_s=900))
    http, hop = _sign_in(demo)
    http.post("/portal/acs", data={"assertion": _hidden(hop.text, "assertion"),
                                   "relay": "/module/"})
    pages = [http.get("/module/").text for _ in range(6)]
    assert "Please try again in 15 minutes." in pages[-1]
    assert "<title>Access temporarily suspended</title>" in pages[-1]
