"""Fenland University: a second demo institution, laid out differently from the first in every
respect a site profile has to describe.

Same students, marks and zips as the first (the same generator and seed), same truth-file
format; different everything else:

* sign-in is identifier-first (a user-ID page, then a password page, each a form with a hidden
  flow token), then an SSO hop: an auto-submitting POST form carrying an assertion. A wrong
  password says nothing: the flow just starts again at the user-ID page.
* URLs carry the course and PI in the path (``/module/{course}/student/{pi}/marks``); the
  module list links to ``/module/{course}/``.
* the cohort table has other headers in another order (``Student name``, ``Identifier``,
  ``Group``, ``Stage``), names as "Surname, Given" and its own status words.
* marks are one row per marker with one column per category (``Design and implementation
  (/8)``), and the marks page never shows third marks (there is no read-back).
* files are a ``<ul>`` listing; the zip is a plain GET link served as
  ``application/octet-stream`` with no Content-Disposition (the name is in the URL).
* a lockout says "try again in N minutes".

Stdlib only; it shares the demo package's data, sessions, zips and truth, never product code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from html import escape
from http import HTTPStatus
from urllib.parse import quote

from gaffertape.demo import pages, zipstream
from gaffertape.demo.app import Institution, Request, Response, thirdmark_problem
from gaffertape.demo.config import DemoConfig
from gaffertape.demo.data import SCHEME, Student

USERNAME = "fen.marker"
PASSWORD = "fenland-password-2"
THIRD_MARKER = "Fen Marker"
COOKIE = "FENLAND_SESSION"
FIELD_KEYS = ("pd", "ra", "di", "ev", "pr")  # score_<key> per category, in scheme order
STAGES = {
    "none": "Nothing submitted",
    "marked": "Marked",
    "required": "Awaiting 3rd marker",
    "done": "3rd marked",
}
STUDENT = r"/module/(?P<course>[^/]+)/student/(?P<pi>[A-Z][0-9]{7})"

Handler = Callable[[Request, dict[str, str]], Response]


class FenlandApp(Institution):
    """Fenland University's module portal and identity provider, request in, response out."""

    username, password, cookie = USERNAME, PASSWORD, COOKIE

    def __init__(self, config: DemoConfig) -> None:
        super().__init__(config, zip_name=zip_name)
        self._flows: dict[str, dict[str, str]] = {}
        routes: list[tuple[str, str, Handler]] = [
            ("GET", r"/", lambda r, m: _page(HTTPStatus.OK, "Fenland University", _LANDING)),
            ("GET", r"/idp/start", self.identify_form),
            ("POST", r"/idp/identify", self.identify),
            ("POST", r"/idp/authenticate", self.authenticate),
            ("POST", r"/portal/acs", self.assertion),
            ("GET", r"/module/", self.modules),
            ("GET", r"/module/(?P<course>[^/]+)/cohort", self.cohort),
            ("GET", STUDENT + r"/marks", self.marks),
            ("GET", STUDENT + r"/moderate", self.moderate_form),
            ("POST", STUDENT + r"/moderate", self.moderate),
            ("GET", STUDENT + r"/submission", self.submission),
            ("GET", STUDENT + r"/bundle/(?P<name>[^/]+\.zip)", self.bundle),
        ]
        self._routes = [(m, re.compile(p + "$"), p, h) for m, p, h in routes]

    # -- routing -------------------------------------------------------------------------------

    def _match(self, request: Request) -> tuple[str, Handler, dict[str, str]] | None:
        for method, pattern, raw, handler in self._routes:
            found = pattern.match(request.path)
            if method == request.method and found:
                return raw, handler, found.groupdict()
        return None

    def route_name(self, request: Request) -> str:
        """The counter name of a request's route, its pattern with {course}/{pi} placeholders."""
        found = self._match(request)
        if found is None:
            return "unknown"
        path = re.sub(r"[(][?]P<(\w+)>[^)]*[)]", r"{\1}", found[0])
        return f"{request.method} {path}"

    def is_download(self, request: Request) -> bool:
        """Whether the answer is a zip body (truncation faults apply to those only)."""
        return "/bundle/" in request.path

    def handle(self, request: Request) -> Response:
        found = self._match(request)
        if found is None:
            return _page(HTTPStatus.NOT_FOUND, "Not found", "<p>There is no such page.</p>")
        _, handler, params = found
        if request.path.startswith("/module/"):
            refusal = self._gate(request)
            if refusal is not None:
                return refusal
        return handler(request, params)

    def _gate(self, request: Request) -> Response | None:
        """To the identity provider without a live session; the lockout page while locked."""
        user = self.sessions.user(request.cookie) if request.cookie else None
        if user is None:
            return _redirect(f"/idp/start?return={quote(request.target, safe='')}")
        wait = self.sessions.locked_for(user)
        if wait:
            self.truth.event("lockouts")
            minutes = max(1, math.ceil(wait / 60))
            return _page(HTTPStatus.OK, "Access temporarily suspended", (
                "<div class=\"alert\">Too many requests from your account. Please try again in "
                f"{minutes} minute{'s' if minutes > 1 else ''}.</div>"))
        return None

    # -- identity provider ---------------------------------------------------------------------

    def _flow(self, **state: str) -> str:
        token = self.sessions.issue_token()
        with self._lock:
            self._flows[token] = state
        return token

    def _spend_flow(self, token: str) -> dict[str, str] | None:
        with self._lock:
            return self._flows.pop(token, None) if self.sessions.spend_token(token) else None

    def identify_form(self, request: Request, _: dict[str, str]) -> Response:
        """``GET /idp/start?return=R``: step 1, the user ID."""
        flow = self._flow(back=_safe_return(request.query.get("return", "/module/")))
        return _page(HTTPStatus.OK, "Fenland sign-in", (
            "<form id=\"identify\" method=\"post\" action=\"/idp/identify\">"
            "<label>University user ID <input type=\"text\" name=\"userid\"></label>"
            f"{_hidden('flow', flow)}<button type=\"submit\">Next</button></form>"))

    def identify(self, request: Request, _: dict[str, str]) -> Response:
        """``POST /idp/identify``: step 2, the password page for that user."""
        state = self._spend_flow(request.form.get("flow", ""))
        if state is None:
            return _page(HTTPStatus.BAD_REQUEST, "Sign-in expired", "<p>Start again.</p>")
        user = request.form.get("userid", "").strip()
        flow = self._flow(back=state["back"], user=user)
        return _page(HTTPStatus.OK, "Fenland sign-in", (
            f"<p>Signing in as <b>{escape(user)}</b></p>"
            "<form id=\"authenticate\" method=\"post\" action=\"/idp/authenticate\">"
            "<label>Passphrase <input type=\"password\" name=\"secret\"></label>"
            f"{_hidden('flow', flow)}<button type=\"submit\">Sign in</button></form>"))

    def authenticate(self, request: Request, _: dict[str, str]) -> Response:
        """``POST /idp/authenticate``: right password, an auto-submitting hop to the portal;
        wrong, silently back to the start (no message at all)."""
        state = self._spend_flow(request.form.get("flow", ""))
        if state is None:
            return _page(HTTPStatus.BAD_REQUEST, "Sign-in expired", "<p>Start again.</p>")
        if (state.get("user"), request.form.get("secret")) != (USERNAME, PASSWORD):
            return _redirect(f"/idp/start?return={quote(state['back'], safe='')}")
        assertion = self._flow(user=USERNAME)
        return Response(html=(
            "<html><head><title>Working...</title></head>"
            "<body onload=\"document.forms[0].submit()\">"
            "<form name=\"hop\" method=\"post\" action=\"/portal/acs\">"
            f"{_hidden('assertion', assertion)}{_hidden('relay', state['back'])}"
            "<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"))

    def assertion(self, request: Request, _: dict[str, str]) -> Response:
        """``POST /portal/acs``: the assertion becomes a session cookie."""
        state = self._spend_flow(request.form.get("assertion", ""))
        if state is None:
            return _page(HTTPStatus.BAD_REQUEST, "Bad assertion", "<p>Sign in again.</p>")
        self.truth.event("logins")
        sid = self.sessions.create(state["user"])
        response = _redirect(_safe_return(request.form.get("relay", "/module/")))
        response.headers["Set-Cookie"] = f"{COOKIE}={sid}; Path=/; HttpOnly"
        return response

    # -- the module portal ---------------------------------------------------------------------

    def modules(self, request: Request, _: dict[str, str]) -> Response:
        items = "".join(
            f"<li><a href=\"/module/{quote(c)}/\">{escape(c)}</a> &mdash; Computing project</li>"
            for c in self.config.courses)
        return _page(HTTPStatus.OK, "My modules", f"<ul class=\"modules\">{items}</ul>")

    def _student(self, params: dict[str, str]) -> Student | None:
        student = self.by_pi.get(params.get("pi", ""))
        return student if student and student.course == params.get("course") else None

    def cohort(self, request: Request, params: dict[str, str]) -> Response:
        course = params["course"]
        if course not in self.config.courses:
            return _page(HTTPStatus.NOT_FOUND, "Unknown module", "<p>No such module.</p>")
        done = self.third_marked()
        rows = "\n".join(_cohort_row(s, s.pi in done) for s in self.students
                         if s.course == course)
        return _page(HTTPStatus.OK, f"Cohort {course}", (
            "<table class=\"grid\"><thead><tr><th>Student name</th><th>Identifier</th>"
            f"<th>Group</th><th>Stage</th><th>&nbsp;</th></tr></thead><tbody>\n{rows}\n"
            "</tbody></table>"))

    def marks(self, request: Request, params: dict[str, str]) -> Response:
        """One row per marker, one column per category; third marks are never shown."""
        student = self._student(params)
        if student is None:
            return _page(HTTPStatus.NOT_FOUND, "Unknown student", "<p>No such student.</p>")
        if not (student.first and student.second):
            return _page(HTTPStatus.OK, "Assessment", "<p>Nothing to mark.</p>")
        heads = "".join(f"<th>{escape(name)} (/{top})</th>" for name, top, _ in SCHEME)
        rows = "".join(
            f"<tr><td>{role}</td><td>{escape(m.marker)}</td>"
            + "".join(f"<td>{mark:g}</td>" for mark in m.marks)
            + f"<td>{escape(m.comments)}</td></tr>"
            for role, m in (("1st", student.first), ("2nd", student.second)))
        return _page(HTTPStatus.OK, f"Assessment: {student.pi}", (
            f"<table class=\"assessment\"><tr><th>Role</th><th>Marker</th>{heads}"
            f"<th>Feedback</th></tr>{rows}</table>"))

    def moderate_form(self, request: Request, params: dict[str, str]) -> Response:
        student = self._student(params)
        if student is None or not student.submitted:
            return _page(HTTPStatus.OK, "Moderation", "<p>Nothing to mark.</p>")
        rows = "".join(
            f"<tr><th scope=\"row\">{escape(name)}</th><td><input name=\"score_{key}\" "
            f"size=\"3\"> / {top}</td></tr>"
            for key, (name, top, _) in zip(FIELD_KEYS, SCHEME, strict=True))
        return _page(HTTPStatus.OK, f"Moderation: {student.pi}", (
            f"<form id=\"moderation\" method=\"post\" action=\"{escape(request.path)}\">"
            f"<table>{rows}<tr><th scope=\"row\">Feedback</th><td><textarea name=\"feedback\">"
            "</textarea></td></tr><tr><th scope=\"row\">Submission receipt</th><td>"
            "<input name=\"receipt\"></td></tr></table>"
            f"{_hidden('nonce', self.sessions.issue_token())}"
            "<button type=\"submit\">Save moderation</button></form>"))

    def moderate(self, request: Request, params: dict[str, str]) -> Response:
        """Record every post in the truth; accept it only with the right receipt."""
        form = request.form
        if not self.sessions.spend_token(form.get("nonce", "")):
            return _page(HTTPStatus.BAD_REQUEST, "Form expired", "<p>Reload the form.</p>")
        student = self._student(params)
        raw = [form.get(f"score_{key}", "") for key in FIELD_KEYS]
        code = form.get("receipt", "").strip()
        reason = thirdmark_problem(student, raw, code)
        self.truth.record_post({
            "course": params["course"], "pi": params["pi"], "marks": raw,
            "comments": form.get("feedback", ""), "code": code,
            "accepted": reason is None, "reason": reason,
        })
        if reason is not None or student is None:
            text = ("Receipt number not recognised." if "code" in (reason or "")
                    else f"Scores must be numbers within each maximum. ({reason})")
            return _page(HTTPStatus.OK, "Not saved", f"<p class=\"error\">{escape(text)}</p>")
        self.accept_third(student, raw, form.get("feedback", ""), THIRD_MARKER)
        return _page(HTTPStatus.OK, "Saved", "<p>Moderation saved. Thank you.</p>")

    def submission(self, request: Request, params: dict[str, str]) -> Response:
        student = self._student(params)
        if student is None or not student.submitted:
            return _page(HTTPStatus.OK, "Submission", "<p>Nothing has been submitted.</p>")
        items = "".join(
            f"<li><span class=\"fname\">{escape(f.name)}</span> (<span class=\"bytes\">"
            f"{f.size:,}</span> bytes, uploaded <span class=\"when\">"
            f"{f.submitted:%d/%m/%Y %H:%M}</span>)</li>"
            for f in student.files)
        bundle = f"{request.path.rsplit('/', 1)[0]}/bundle/{zip_name(student)}"
        return _page(HTTPStatus.OK, f"Submission: {student.pi}", (
            f"<dl class=\"receipt\"><dt>Receipt</dt><dd><code>{student.code}</code></dd></dl>"
            f"<ul class=\"attachments\">{items}</ul>"
            f"<p><a class=\"bundle\" href=\"{escape(bundle)}\">Download everything</a></p>"))

    def bundle(self, request: Request, params: dict[str, str]) -> Response:
        """The zip by GET: no Content-Disposition, the name is the URL's last part."""
        student = self._student(params)
        if student is None or not student.submitted:
            return _page(HTTPStatus.NOT_FOUND, "Not found", "<p>No such file.</p>")
        members = zipstream.entries(student.files, student.evil)
        body = zipstream.stream(members, lambda d: self.truth.record_digests(student.pi, d))
        return Response(body=body, length=zipstream.zip_size(members),
                        headers={"Content-Type": "application/octet-stream"})


def zip_name(student: Student) -> str:
    """The zip's file name: the last part of its URL (Fenland sends no Content-Disposition)."""
    return f"{student.course}-{student.pi}.zip"


_LANDING = "<p><a href=\"/module/\">Module portal</a></p>"


def _cohort_row(student: Student, third_done: bool) -> str:
    """One cohort row; a malformed variant (the ``malformed`` fault) is still recoverable."""
    surname, given = student.name.split(" ", 1)[1], student.name.split(" ", 1)[0]
    if not student.submitted:
        stage = STAGES["none"]
    elif third_done:
        stage = STAGES["done"]
    else:
        stage = STAGES["required" if student.needs_third else "marked"]
    base = f"/module/{quote(student.course)}/student/{student.pi}"
    links = f"<a href=\"{base}/marks\">marks</a>"
    if student.needs_third:
        links += f" | <a href=\"{base}/moderate\">moderate</a>"
    cells = [escape(f"{surname}, {given}"), student.pi, student.tutor_group, stage, links]
    return pages.table_row(cells, student.malformed, pi_at=1)


def _safe_return(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/module/"


def _redirect(location: str) -> Response:
    return Response(HTTPStatus.SEE_OTHER, headers={"Location": location})


def _hidden(name: str, value: str) -> str:
    return f"<input type=\"hidden\" name=\"{name}\" value=\"{escape(value)}\">"


def _page(status: int, title: str, body: str) -> Response:
    """A Fenland page: a modern-ish shell (divs, a nav bar), quite unlike the first demo."""
    return Response(status, html=(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title></head><body><nav class=\"top\">Fenland University "
        "&middot; Module portal</nav><main>"
        f"<h1>{escape(title)}</h1>{body}</main></body></html>\n"))
