"""Helpers for the demo university tests: a client that knows the demo's forms, and parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from lxml import html as lxml_html

from gaffertape.demo import DemoUniversity

COURSE = "TM470-25J"


class Client:
    """An httpx client that knows the demo's forms: sign in, fetch tokens, post, download."""

    def __init__(self, demo: DemoUniversity) -> None:
        self.demo = demo
        self.http = httpx.Client(base_url=demo.base_url, timeout=30)

    def login(self, next_path: str = "/oscar/") -> httpx.Response:
        """Sign in through the SSO form and follow the redirect back."""
        form = self.http.get("/sso/login", params={"next": next_path})
        return self.http.post("/sso/login", data={
            "username": self.demo.username, "password": self.demo.password,
            "csrf_token": token(form.text), "next": next_path,
        }, follow_redirects=True)

    def get(self, url: str, **params: str) -> httpx.Response:
        """A GET that does not follow redirects, so tests see them."""
        return self.http.get(url, params=params or None)

    def download(self, pi: str, course: str = COURSE) -> httpx.Response:
        """Open the student's eTMA page and post its download form."""
        page = self.get("/etma/student", course=course, pi=pi)
        return self.http.post("/etma/download", data={
            "fileset": "all", "course": course, "pi": pi, "csrf_token": token(page.text),
        })

    def third_mark(self, pi: str, marks: list[str], code: str, comments: str = "ok") -> str:
        """Fetch the third-mark form and post it; the answer page's text."""
        url = f"/oscar/thirdmark?pres={COURSE}&pi={pi}"
        data = {f"mark_{i}": m for i, m in enumerate(marks, start=1)}
        data |= {"comments": comments, "confirmation_code": code,
                 "csrf_token": token(self.get(url).text)}
        return self.http.post(url, data=data).text


def token(page: str) -> str:
    """The hidden ``csrf_token`` of the (first) form on a page."""
    return lxml_html.fromstring(page).xpath("//input[@name='csrf_token']/@value")[0]


def table_rows(page: str, css_class: str) -> list[list[str]]:
    """Data rows of ``<table class=css_class>`` as whitespace-normalised cell texts."""
    tree = lxml_html.fromstring(page)
    rows = tree.xpath(f"//table[@class='{css_class}']//tr[td]")
    return [[" ".join(td.text_content().split()) for td in row.xpath("./td")] for row in rows]


def first_submitted(truth: dict[str, Any], *, third: bool | None = None) -> dict[str, Any]:
    """The first student with a submission (optionally: who does or does not need a third mark)."""
    return next(
        s for s in truth["students"]
        if s["submitted"] and third in (None, s["flag"]["third_marking_required"])
    )


def read_truth(path: Path) -> dict[str, Any]:
    """The truth file as written on disk."""
    return json.loads(path.read_text(encoding="utf-8"))
