"""What the demo university answers, independent of sockets: request in, response out.

Routing, sign-in checks and the two systems' pages live here; :mod:`gaffertape.demo.server`
only moves bytes and injects the network-level faults. Keeping them apart means the page logic
reads like the spec and the socket tricks (resets, throttling, truncation) stay in one place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import quote

from gaffertape.demo import pages, zipstream
from gaffertape.demo.config import DemoConfig
from gaffertape.demo.data import SCHEME, MarkSet, Student, generate
from gaffertape.demo.sessions import Sessions
from gaffertape.demo.truth import Truth

USERNAME = "demo.marker"
PASSWORD = "demo-password-1"
THIRD_MARKER = "Demo Marker"
COOKIE = "DEMO_SSO"
PROTECTED = ("/oscar/", "/etma/")


@dataclass
class Request:
    """The parts of an HTTP request the pages need."""

    method: str
    path: str
    target: str
    query: dict[str, str]
    form: dict[str, str]
    cookie: str | None


@dataclass
class Response:
    """An answer: HTML by default, or a streamed body of known length."""

    status: int = 200
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Iterable[bytes] | None = None
    length: int = 0

    def encoded(self) -> tuple[Iterable[bytes], int]:
        """The body as chunks and its exact length."""
        if self.body is not None:
            return self.body, self.length
        data = self.html.encode("utf-8")
        return (data,), len(data)


class Institution:
    """What every demo institution holds: its students (from the seed), sign-in state, the
    third marks it has accepted, and its truth. Subclasses add the routes and pages."""

    username, password, cookie = USERNAME, PASSWORD, COOKIE

    def __init__(self, config: DemoConfig, zip_name: Callable[[Student], str] | None = None
                 ) -> None:
        self.config = config
        self.students = generate(config)
        self.by_pi = {s.pi: s for s in self.students}
        self.sessions = Sessions(config.faults)
        self.truth = Truth(config, self.students, self.username, zip_name=zip_name)
        self._third: dict[str, MarkSet] = {}
        self._lock = threading.Lock()

    def accept_third(self, student: Student, marks: list[str], comments: str, marker: str
                     ) -> None:
        """Keep an accepted third mark (a re-post overwrites)."""
        with self._lock:
            self._third[student.pi] = MarkSet(marker, tuple(float(m) for m in marks), comments)

    def third_marked(self) -> set[str]:
        """PIs whose third marks have been accepted."""
        with self._lock:
            return set(self._third)


class App(Institution):
    """The demo university's state and pages."""

    def __init__(self, config: DemoConfig) -> None:
        super().__init__(config)
        self._routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/"): lambda _: Response(html=pages.landing()),
            ("GET", "/sso/login"): self.login_form,
            ("POST", "/sso/login"): self.login,
            ("GET", "/oscar/"): lambda _: Response(html=pages.oscar_home(config.courses)),
            ("GET", "/oscar/allocation"): self.allocation,
            ("GET", "/oscar/marks"): self.marks,
            ("GET", "/oscar/thirdmark"): self.thirdmark_form,
            ("POST", "/oscar/thirdmark"): self.thirdmark,
            ("GET", "/etma/admin"): lambda _: Response(html=pages.etma_admin()),
            ("GET", "/etma/student"): self.etma_student,
            ("POST", "/etma/download"): self.download,
        }

    def route_name(self, request: Request) -> str:
        """The counter name of a request's route (unknown paths share one)."""
        known = (request.method, request.path) in self._routes
        return f"{request.method} {request.path}" if known else "unknown"

    def is_download(self, request: Request) -> bool:
        """Whether the answer is a zip body (truncation faults apply to those only)."""
        return request.path == "/etma/download"

    def handle(self, request: Request) -> Response:
        """Check sign-in where needed, then answer from the route table."""
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            return _message(HTTPStatus.NOT_FOUND, "Not found", "No such page.")
        if request.path.startswith(PROTECTED):
            refusal = self._gate(request)
            if refusal is not None:
                return refusal
        return handler(request)

    def _gate(self, request: Request) -> Response | None:
        """Redirect, expired-session page or lockout page; None when the request may proceed."""
        if request.cookie is None:
            return Response(HTTPStatus.FOUND, headers={
                "Location": f"/sso/login?next={quote(request.target, safe='')}",
            })
        user = self.sessions.user(request.cookie)
        if user is None:
            return self._login_page(request.target, "Your session has expired. Sign in again.")
        wait = self.sessions.locked_for(user)
        if wait:
            self.truth.event("lockouts")
            return Response(html=pages.lockout(wait))
        return None

    def _login_page(self, next_path: str, notice: str = "") -> Response:
        """The sign-in form with a fresh token."""
        return Response(html=pages.login(next_path, self.sessions.issue_token(), notice))

    def login_form(self, request: Request) -> Response:
        """``GET /sso/login``."""
        return self._login_page(request.query.get("next", "/"))

    def login(self, request: Request) -> Response:
        """``POST /sso/login``: check token and password, start a session, go back to ``next``."""
        form = request.form
        if not self.sessions.spend_token(form.get("csrf_token", "")):
            return _message(HTTPStatus.BAD_REQUEST, "Bad request", "The form has expired.")
        target = _safe_next(form.get("next", "/"))
        if (form.get("username"), form.get("password")) != (USERNAME, PASSWORD):
            return self._login_page(target, "Invalid username or password.")
        self.truth.event("logins")
        sid = self.sessions.create(USERNAME)
        return Response(HTTPStatus.FOUND, headers={
            "Location": target, "Set-Cookie": f"{COOKIE}={sid}; Path=/; HttpOnly",
        })

    def allocation(self, request: Request) -> Response:
        """``GET /oscar/allocation?pres=P``: every student of the presentation."""
        pres = request.query.get("pres", "")
        if pres not in self.config.courses:
            return _message(HTTPStatus.NOT_FOUND, "Unknown presentation", f"No {pres} here.")
        cohort = [s for s in self.students if s.course == pres]
        return Response(html=pages.allocation(pres, cohort, self.third_marked()))

    def _student(self, request: Request, course_field: str) -> Student | None:
        """The student named by ``pi`` if they belong to the given course."""
        student = self.by_pi.get(request.query.get("pi") or request.form.get("pi", ""))
        course = request.query.get(course_field) or request.form.get(course_field)
        return student if student and student.course == course else None

    def marks(self, request: Request) -> Response:
        """``GET /oscar/marks``: first, second and (once posted) third marks."""
        student = self._student(request, "pres")
        if student is None:
            return _message(HTTPStatus.NOT_FOUND, "Unknown student", "No such student.")
        with self._lock:
            third = self._third.get(student.pi)
        return Response(html=pages.marks(student.course, student, third))

    def thirdmark_form(self, request: Request) -> Response:
        """``GET /oscar/thirdmark``: the form, with a fresh token."""
        student = self._student(request, "pres")
        if student is None or not student.submitted:
            return _message(HTTPStatus.OK, "Nothing to mark", "No submission: nothing to mark.")
        return Response(html=pages.thirdmark_form(
            student.course, student, self.sessions.issue_token()))

    def thirdmark(self, request: Request) -> Response:
        """``POST /oscar/thirdmark``: record every post; accept it only with the right code."""
        form = request.form
        if not self.sessions.spend_token(form.get("csrf_token", "")):
            return _message(HTTPStatus.BAD_REQUEST, "Bad request", "The form has expired.")
        student = self._student(request, "pres")
        raw = [form.get(f"mark_{i}", "") for i in range(1, len(SCHEME) + 1)]
        code = form.get("confirmation_code", "").strip()
        reason = thirdmark_problem(student, raw, code)
        self.truth.record_post({
            "course": request.query.get("pres"), "pi": request.query.get("pi"), "marks": raw,
            "comments": form.get("comments", ""), "code": code,
            "accepted": reason is None, "reason": reason,
        })
        if reason is not None or student is None:
            return _message(HTTPStatus.OK, "Third mark not saved", reason or "")
        self.accept_third(student, raw, form.get("comments", ""), THIRD_MARKER)
        return _message(HTTPStatus.OK, "Saved", f"Third mark recorded for {student.pi}.")

    def etma_student(self, request: Request) -> Response:
        """``GET /etma/student``: files, code and the download form."""
        student = self._student(request, "course")
        if student is None or not student.submitted:
            return _no_submission()
        return Response(html=pages.etma_student(student, self.sessions.issue_token()))

    def download(self, request: Request) -> Response:
        """``POST /etma/download``: the student's zip, streamed, digests recorded when complete."""
        if not self.sessions.spend_token(request.form.get("csrf_token", "")):
            return _message(HTTPStatus.BAD_REQUEST, "Bad request", "The form has expired.")
        student = self._student(request, "course")
        if student is None or not student.submitted or request.form.get("fileset") != "all":
            return _no_submission()
        members = zipstream.entries(student.files, student.evil)
        body = zipstream.stream(members, lambda d: self.truth.record_digests(student.pi, d))
        return Response(body=body, length=zipstream.zip_size(members), headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f"attachment; filename=\"{student.course}_{student.pi}.zip\"",
        })


def thirdmark_problem(student: Student | None, raw: list[str], code: str) -> str | None:
    """Why a third-mark post is refused, or None when it is fine."""
    if student is None or not student.submitted or code != student.code:
        return "Confirmation code does not match the student's submission."
    for text, (name, top, _) in zip(raw, SCHEME, strict=True):
        try:
            value = float(text)
        except ValueError:
            return f"Invalid mark for {name}: {text!r} is not a number."
        if not 0 <= value <= top:
            return f"Invalid mark for {name}: {value:g} is not between 0 and {top}."
    return None


def _safe_next(target: str) -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _message(status: int, title: str, text: str) -> Response:
    """A plain message page with a status."""
    return Response(status, html=pages.message(title, "Demo University", text))


def _no_submission() -> Response:
    """What eTMA says for an unknown PI, another course's student or no submission."""
    return _message(HTTPStatus.OK, "No submission", "No submission found for this student.")
