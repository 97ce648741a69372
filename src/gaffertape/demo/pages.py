"""The demo university's HTML: old-style, server-rendered tables and forms, no JavaScript.

The markup deliberately looks like a 2000s institutional system (layout tables, ``<font>``,
``bgcolor``) because that is what scrapers meet in the wild. The structure named in
docs/demo-university.md (classes, input names, link shapes) is a contract: keep it stable.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from gaffertape.demo.data import SCHEME, MarkSet, Student

DASH = "—"
STATUS_MARKED, STATUS_REQUIRED, STATUS_DONE, STATUS_NONE = (
    "Marked", "Third marking required", "Third marked", "No submission",
)


def layout(title: str, system: str, body: str) -> str:
    """A whole page: banner bar naming the system, then the body."""
    return (
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n"
        f"<html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>\n"
        "<body bgcolor=\"#ffffff\"><table width=\"100%\" bgcolor=\"#003366\" cellpadding=\"4\">"
        f"<tr><td><font color=\"#ffffff\" face=\"Arial\"><b>Demo University</b> | {escape(system)}"
        "</font></td></tr></table>\n"
        f"<h2>{escape(title)}</h2>\n{body}\n</body></html>\n"
    )


def message(title: str, system: str, text: str) -> str:
    """A page that only says something (errors, confirmations, no submission)."""
    return layout(title, system, f"<p class=\"message\">{escape(text)}</p>")


def landing() -> str:
    """The front door, linking both systems."""
    return layout("Welcome", "Home", (
        "<ul><li><a href=\"/oscar/\">OSCAR marks system</a></li>"
        "<li><a href=\"/etma/admin\">eTMA submissions system</a></li></ul>"
    ))


def login(next_path: str, token: str, notice: str = "") -> str:
    """The single sign-on form; ``notice`` explains why it is shown (expiry, bad password)."""
    note = f"<p class=\"notice\"><font color=\"red\">{escape(notice)}</font></p>" if notice else ""
    return layout("Sign in", "Single sign-on", (
        f"{note}<form method=\"post\" action=\"/sso/login\"><table>"
        "<tr><td>Username</td><td><input type=\"text\" name=\"username\"></td></tr>"
        "<tr><td>Password</td><td><input type=\"password\" name=\"password\"></td></tr></table>"
        f"{_hidden('csrf_token', token)}{_hidden('next', next_path)}"
        "<input type=\"submit\" value=\"Sign in\"></form>"
    ))


def lockout(seconds: int) -> str:
    """What a real system shows after a burst: a normal-looking 200 page, not an HTTP error."""
    return layout("Account locked", "Single sign-on", (
        "<p>Too many requests in a short time: account locked. "
        f"Try again in {seconds} seconds.</p>"
    ))


def oscar_home(courses: tuple[str, ...]) -> str:
    """The marker's home page: one row per presentation."""
    rows = "".join(
        f"<tr><td><a href=\"/oscar/allocation?pres={quote(c)}\">{escape(c)}</a></td>"
        "<td>Project module</td></tr>"
        for c in courses
    )
    return layout("My presentations", "OSCAR", (
        "<table class=\"presentations\" border=\"1\"><tr><th>Presentation</th><th>Module</th></tr>"
        f"{rows}</table>"
    ))


def status(student: Student, third_done: bool) -> str:
    """A student's allocation status as OSCAR words it."""
    if not student.submitted:
        return STATUS_NONE
    if third_done:
        return STATUS_DONE
    return STATUS_REQUIRED if student.needs_third else STATUS_MARKED


def allocation(pres: str, students: list[Student], third_done: set[str]) -> str:
    """The work-allocation table; some rows may be malformed (the ``malformed`` fault)."""
    rows = "\n".join(_allocation_row(pres, s, s.pi in third_done) for s in students)
    return layout(f"Work allocation {pres}", "OSCAR", (
        "<table class=\"allocation\" border=\"1\" cellspacing=\"0\">\n"
        "<tr><th>PI</th><th>Name</th><th>Tutor group</th><th>Status</th><th>Marks</th>"
        f"<th>Third mark</th></tr>\n{rows}\n</table>"
    ))


def _allocation_row(pres: str, student: Student, third_done: bool) -> str:
    """One row, rendered cleanly or in the student's malformed variant (still recoverable)."""
    query = f"pres={quote(pres)}&amp;pi={student.pi}"
    third = f"<a href=\"/oscar/thirdmark?{query}\">Enter</a>" if student.needs_third else DASH
    cells = [
        student.pi, escape(student.name), student.tutor_group, status(student, third_done),
        f"<a href=\"/oscar/marks?{query}\">View</a>", third,
    ]
    return table_row(cells, student.malformed, pi_at=0)


def table_row(cells: list[str], variant: str | None, pi_at: int) -> str:
    """A table row, clean or in a malformed variant (the ``malformed`` fault; all recoverable:
    the PI, at ``pi_at``, can always be found)."""
    cells = list(cells)
    if variant == "font_pi":
        cells[pi_at] = f"<font face=\"Courier\" size=\"2\">  {cells[pi_at]} </font>"
    elif variant == "whitespace":
        cells[:3] = [f"\n\t {cells[0]} \n", f"  {cells[1]}&nbsp; ", f"\n{cells[2]}"]
    elif variant == "stray_tags":
        cells[:2] = [f"<b></b>{cells[0]}<!-- legacy -->", f"<span>{cells[1]}</span><br>"]
    elif variant == "missing_cell":
        cells.pop()
    elif variant == "unclosed":
        return "<tr>" + "".join(f"\n<td>{cell}" for cell in cells)
    extra = "<td></td>" if variant == "extra_cell" else ""
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + extra + "</tr>"


def marks(pres: str, student: Student, third: MarkSet | None) -> str:
    """A student's marks page: one heading, table and comment per marker."""
    if not (student.first and student.second):
        return message(f"Marks for {student.pi}", "OSCAR", "No submission: nothing to mark.")
    sets = [("First", student.first), ("Second", student.second)]
    sets += [("Third", third)] if third else []
    body = "".join(_mark_block(role, mark_set) for role, mark_set in sets)
    title = f"Marks for {student.pi} {student.name} ({pres})"
    return layout(title, "OSCAR", body)


def _mark_block(role: str, mark_set: MarkSet) -> str:
    """One marker's heading, marks table and comments."""
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{top}</td><td>{_number(mark)}</td></tr>"
        for (name, top, _), mark in zip(SCHEME, mark_set.marks, strict=True)
    )
    return (
        f"<h3>{role} marker: {escape(mark_set.marker)}</h3>\n"
        "<table class=\"marks\" border=\"1\"><tr><th>Category</th><th>Max</th><th>Mark</th></tr>"
        f"{rows}</table>\n<p class=\"comments\">{escape(mark_set.comments)}</p>\n"
    )


def _number(value: float) -> str:
    """A mark as OSCAR shows it: no trailing ``.0``."""
    return f"{value:g}"


def thirdmark_form(pres: str, student: Student, token: str) -> str:
    """The third-mark form: a mark per category, comments and the student's confirmation code."""
    inputs = "".join(
        f"<tr><td><label for=\"mark_{i}\">{escape(name)}</label> (max {top})</td>"
        f"<td><input type=\"text\" name=\"mark_{i}\" id=\"mark_{i}\" size=\"3\"></td></tr>"
        for i, (name, top, _) in enumerate(SCHEME, start=1)
    )
    action = f"/oscar/thirdmark?pres={quote(pres)}&amp;pi={student.pi}"
    return layout(f"Third mark for {student.pi} {student.name}", "OSCAR", (
        f"<form method=\"post\" action=\"{action}\"><table>{inputs}"
        "<tr><td>Comments</td><td><textarea name=\"comments\" rows=\"6\" cols=\"60\"></textarea>"
        "</td></tr><tr><td>Confirmation code</td><td>"
        "<input type=\"text\" name=\"confirmation_code\"></td></tr></table>"
        f"{_hidden('csrf_token', token)}<input type=\"submit\" value=\"Save third mark\"></form>"
    ))


def etma_admin() -> str:
    """The admin look-up form: course code and student PI."""
    return layout("Student submissions", "eTMA", (
        "<form method=\"get\" action=\"/etma/student\"><table>"
        "<tr><td>Course</td><td><input type=\"text\" name=\"course\"></td></tr>"
        "<tr><td>Student PI</td><td><input type=\"text\" name=\"pi\"></td></tr></table>"
        "<input type=\"submit\" value=\"Find\"></form>"
    ))


def etma_student(student: Student, token: str) -> str:
    """A student's submission: files, confirmation code and the (single-option) download form."""
    rows = "".join(
        f"<tr><td>{escape(f.name)}</td><td>{f.size}</td>"
        f"<td>{f.submitted:%Y-%m-%d %H:%M}</td></tr>"
        for f in student.files
    )
    return layout(f"Submission for {student.pi} {student.name}", "eTMA", (
        "<table class=\"files\" border=\"1\"><tr><th>File</th><th>Size</th><th>Submitted</th></tr>"
        f"{rows}</table>\n<p>Confirmation code: <b class=\"code\">{student.code}</b></p>\n"
        "<form method=\"post\" action=\"/etma/download\">"
        "<select name=\"fileset\"><option value=\"all\">All files (zip)</option></select>"
        f"{_hidden('course', student.course)}{_hidden('pi', student.pi)}"
        f"{_hidden('csrf_token', token)}<input type=\"submit\" value=\"Download\"></form>"
    ))


def _hidden(name: str, value: str) -> str:
    """A hidden form field, value escaped."""
    return f"<input type=\"hidden\" name=\"{name}\" value=\"{escape(value)}\">"
