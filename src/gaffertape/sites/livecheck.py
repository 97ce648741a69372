"""``sites profiles --check FILE --live``: a profile tried on the real site, selector by selector.

Signs in, fetches one page of each kind the profile describes (presentations, allocation, a
student's marks page, the third-mark form, a submission page), and reports for every selector
whether it matched and what it found. It only reads: forms are fetched, never submitted, and
nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gaffertape.sites import parse
from gaffertape.sites.engine import Page, SiteSession
from gaffertape.sites.profile import Column

MAX_SHOWN = 60


def _shown(value: Any) -> str:
    text = parse.clean(value if isinstance(value, str) else value.text_content())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


class LiveCheck:
    """Collects one row per selector: section, key, selector, matched, found."""

    def __init__(self, session: SiteSession) -> None:
        self.session = session
        self.rows: list[dict[str, Any]] = []

    def note(self, section: str, key: str, selector: str, matched: bool, found: str) -> None:
        self.rows.append(
            {"section": section, "key": key, "selector": selector, "matched": matched,
             "found": found}
        )

    def xpath(self, section: str, key: str, node: Any, selector: str | None) -> list[Any]:
        """Evaluate one XPath on a page (or element) and note what it found."""
        if not selector:
            return []
        found = node.xpath(selector)
        sample = f"{len(found)} match(es)" + (f": {_shown(found[0])}" if found else "")
        self.note(section, key, selector, bool(found), sample)
        return found

    def get(self, section: str, path: str, **params: str) -> Page:
        page = self.session.get(path, **params)
        title = parse.clean(page.tree.findtext(".//title"))
        self.note(section, "url", path, True, f"HTTP {page.status} {title!r} at {page.url}")
        return page


def check_live(session: SiteSession, course: str | None = None, pi: str | None = None
               ) -> pd.DataFrame:
    """Sign in and check every selector of ``session``'s profile against the live site."""
    check = LiveCheck(session)
    profile = session.profile
    session.login()
    steps = ", ".join(s.label for s in profile.login.sequence())
    check.note("login", "steps", steps, True,
               f"signed in ({session.password_submissions} password submission)")
    if profile.presentations and course is None:
        spec = profile.presentations
        page = check.get("presentations", spec.url)
        check.xpath("presentations", "link", page, spec.link)
        courses = parse.parse_presentations(page, spec)
        check.note("presentations", "path_regex" if spec.path_regex else "param",
                   spec.path_regex or spec.param, bool(courses), ", ".join(courses) or "none")
        course = courses[0] if courses else None
    if profile.allocation and course:
        pi = _check_allocation(check, course, pi)
    if course and pi:
        if profile.marks:
            _check_marks(check, course, pi)
        if profile.post:
            _check_post_form(check, course, pi)
        if profile.submission:
            _check_submission(check, course, pi)
    elif profile.marks or profile.submission:
        check.note("student pages", "course, pi", "", False,
                   "no student to try: give --course and --pi")
    return pd.DataFrame(check.rows)


def _check_allocation(check: LiveCheck, course: str, pi: str | None) -> str | None:
    spec = check.session.profile.allocation
    assert spec is not None
    page = check.get("allocation", spec.url, course=course)
    tables = check.xpath("allocation", "table", page, spec.table)
    if not tables:
        return pi
    header, rows = parse.table_rows(tables[0])
    for field, column in spec.columns.items():
        index = parse.find_column(header, column)
        selector = column.header or f"/{column.header_regex}/"
        sample = ""
        if index is not None and rows and index < len(rows[0]):
            sample = _shown(rows[0][index])
        check.note("allocation", f"columns.{field}", selector, index is not None,
                   f"column {index + 1}, e.g. {sample!r}" if index is not None
                   else f"not among {header}")
    students = parse.parse_allocation(page, spec, course)
    check.note("allocation", "rows", spec.table, bool(students), f"{len(students)} students")
    for field, pattern in spec.links.items():
        links = [s[field] for s in students if s.get(field)]
        check.note("allocation", f"links.{field}", pattern, bool(links),
                   f"{len(links)} rows, e.g. {links[0]}" if links else "none")
    if pi is None:
        submitted = [s for s in students if (s.get("status") or "") not in {"No submission"}]
        pi = (submitted or students or [{}])[0].get("pi")
    return pi


def _check_marks(check: LiveCheck, course: str, pi: str) -> None:
    spec = check.session.profile.marks
    assert spec is not None
    page = check.get("marks", spec.url, course=course, pi=pi)
    if spec.layout == "category_rows":
        headings = check.xpath("marks", "heading", page, spec.heading)
        if headings:
            check.xpath("marks", "table", headings[0], spec.table)
            check.xpath("marks", "comments", headings[0], spec.comments)
    else:
        tables = check.xpath("marks", "table", page, spec.table)
        if tables:
            header, _ = parse.table_rows(tables[0])
            for key in ("role_column", "marker_column", "comments_column"):
                name = getattr(spec, key)
                if name:
                    found = parse.find_column(header, Column(header=name)) is not None
                    check.note("marks", key, name, found, "found" if found else f"not in {header}")
    rows = parse.parse_marks(page, spec)
    categories = ", ".join(dict.fromkeys(r["category"] for r in rows))
    roles = ", ".join(sorted({r["role"] for r in rows}))
    check.note("marks", "rows", spec.layout, bool(rows),
               f"{len(rows)} marks; roles {roles}; categories {categories}" if rows
               else "no marks parsed (a student without a submission? try --pi)")


def _check_post_form(check: LiveCheck, course: str, pi: str) -> None:
    spec = check.session.profile.post
    assert spec is not None
    page = check.get("post", spec.url, course=course, pi=pi)
    forms = check.xpath("post", "form", page, spec.form)
    if not forms:
        return
    fields = parse.form_mark_fields(forms[0], spec.mark_field_regex)
    check.note("post", "mark_field_regex", spec.mark_field_regex, bool(fields),
               "; ".join(f"{name} = {label!r}" for name, label in fields) or "no mark fields")
    names = {e.get("name") for e in forms[0].xpath(".//input|.//textarea|.//select")}
    for key in ("code_field", "comments_field"):
        name = getattr(spec, key)
        check.note("post", key, name, name in names, "found" if name in names else
                   f"not among {sorted(n for n in names if n)}")
    check.note("post", "readback", spec.readback, True, spec.readback_url or "")


def _check_submission(check: LiveCheck, course: str, pi: str) -> None:
    spec = check.session.profile.submission
    assert spec is not None
    page = check.get("submission", spec.url, course=course, pi=pi)
    if spec.no_submission_text and page.contains(spec.no_submission_text):
        check.note("submission", "no_submission_text", "; ".join(spec.no_submission_text),
                   True, f"{pi} has no submission: try another --pi")
        return
    check.xpath("submission", "code", page, spec.code)
    check.xpath("submission", "files_table", page, spec.files_table)
    items = check.xpath("submission", "files_list", page, spec.files_list)
    if items:
        for key in ("file_name", "file_size", "file_submitted"):
            check.xpath("submission", key, items[0], getattr(spec, key))
    check.xpath("submission", "download_form", page, spec.download_form)
    check.xpath("submission", "download_link", page, spec.download_link)
    info = parse.parse_submission(page, spec)
    check.note("submission", "files", "", bool(info["files"]),
               f"{len(info['files'])} files, e.g. {info['files'][0]}" if info["files"] else "none")
