"""Workflow 5, posting third marks: idempotent, verified by reading back, and audited.

Idempotence rests first on the workspace's own audit table (``posts``): a student whose third
marks the site accepted (its success text seen) is never posted again unless ``force``, whether
or not the site can show third marks back. Then, where the site can show them (the marks page,
or a read-back page of its own), the page is read: marks already there are not posted, and a
post is read back and verified. A post whose answer was lost is retried only after a read-back
shows it did not land; where there is no read-back it is not retried at all (it is reported as
uncertain). Every step is a row in the ``posts`` audit table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.identity import normalise_pi, valid_pi
from gaffertape.sites import parse
from gaffertape.sites.engine import NoAnswer, Page, SessionExpired, SiteError
from gaffertape.sites.workflows.allocation import ensure_allocation
from gaffertape.sites.workflows.codes import collect_codes
from gaffertape.sites.workflows.common import Sites, as_workspace, now, open_sites, run_each
from gaffertape.sites.workflows.marks import store_marks
from gaffertape.tablefile import read_table
from gaffertape.workspace import Workspace

Entries = dict[tuple[str | None, str], dict[str, Any]]
"""Third marks by (course or None, pi): ``{"marks": {category: mark}, "comments": str|None}``."""


def post_third_marks(
    workspace: Workspace | str | Path | None = None,
    marks_file: Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    entries: Entries | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    ignore_lockout: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Post third marks and comments, each with the student's confirmation code.

    Idempotent: a student whose third marks the site has accepted before (the audit table says
    so) is skipped unless ``force``; where the site can show third marks, a student whose marks
    are already there is skipped, and each post is read back and verified; a failed or uncertain
    post is only retried after reading back shows it did not land. Every post, skip and dry run
    goes to the ``posts`` audit table. ``dry_run`` shows what would change and posts nothing.
    ``frame.attrs["note"]`` says when the site cannot show third marks back.
    """
    ws = as_workspace(workspace)
    if entries is None:
        if marks_file is None:
            raise UserError("no third marks given", hint="pass a CSV/XLSX file")
        entries = read_third_marks(Path(marks_file))
    with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
        ensure_allocation(ws, site, course, progress)
        items = _with_courses(ws, entries, course, pis)
        poster = _Poster(ws, site, dry_run=dry_run, force=force)
        frame = run_each(
            items,
            poster.post,
            "Posting" if not dry_run else "Checking",
            poster.session,
            progress=progress,
        )
        if poster.post_spec.readback == "unavailable":
            frame.attrs["note"] = (
                f"{poster.session.profile.name} cannot show third marks back (its profile says "
                "read-back is unavailable): posts are known from the site's success text, and "
                "the workspace's audit table keeps them from being posted twice"
            )
        return frame


# ---------------------------------------------------------------------------------------------
# the input


def read_third_marks(path: Path) -> Entries:
    """Third marks from CSV/XLSX: wide (pi, [course], one column per category, [comments]) or
    long (pi, [course], category, mark, [comments]). Returns {(course, pi): {marks, comments}}."""
    frame = read_table(path, what="third marks").replace("", None)
    lower = {c.lower(): c for c in frame.columns}
    if "pi" not in lower:
        raise UserError(f"{path}: no `pi` column", hint="see docs/sites.md (post input format)")
    pi_c, course_c, comments_c = lower["pi"], lower.get("course"), lower.get("comments")
    out: Entries = {}
    long_form = "category" in lower and "mark" in lower
    for row_no, row in enumerate(frame.to_dict("records"), start=2):
        if not normalise_pi(row[pi_c]):
            continue
        pi = valid_pi(row[pi_c], where=f"{path} row {row_no}")
        course = str(row[course_c]).strip() if course_c and pd.notna(row[course_c]) else None
        entry = out.setdefault((course, pi), {"marks": {}, "comments": None})
        if comments_c and pd.notna(row.get(comments_c)):
            entry["comments"] = str(row[comments_c])
        if long_form:
            category = str(row[lower["category"]]).strip()
            entry["marks"][category] = _mark(path, row[lower["mark"]], row_no, "mark")
        else:
            skip = {pi_c, course_c, comments_c, lower.get("code"), lower.get("name")}
            for column in frame.columns:
                if column not in skip and pd.notna(row[column]):
                    entry["marks"][column] = _mark(path, row[column], row_no, column)
    if not out:
        raise UserError(f"{path}: no rows with a PI")
    # a row left blank (e.g. in `gaffertape marking template`'s workbook) is not to be posted
    out = {key: entry for key, entry in out.items() if entry["marks"]}
    if not out:
        raise UserError(f"{path}: no marks filled in", hint="type the third marks, then rerun")
    return out


def _mark(path: Path, value: Any, row_no: int, column: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(
            f"{path}: row {row_no}, column {column!r}: {value!r} is not a mark",
            hint="marks must be numbers",
        ) from None
    if number != number:
        raise UserError(f"{path}: row {row_no}, column {column!r}: missing mark")
    return number


def _with_courses(
    ws: Workspace, entries: Entries, course: str | None, pis: Iterable[str] | None
) -> list[dict[str, Any]]:
    """The entries to post (narrowed to ``pis``), each with the one presentation it belongs
    to: the file's course column, else the allocation's. An entry whose PI is in several
    presentations (or none) gets a ``problem`` instead: guessing could post to the wrong one."""
    students = ws.store.query_df("SELECT course, pi FROM students")
    course_of: dict[str, list[str]] = {}
    for r in students.itertuples(index=False):
        course_of.setdefault(r.pi, []).append(r.course)
    wanted = {valid_pi(p, where="--pi") for p in pis} if pis else None
    items = []
    for (given_course, pi), entry in entries.items():
        if wanted is not None and pi not in wanted:
            continue
        options = [given_course] if given_course else course_of.get(pi, [])
        if course:
            options = [c for c in options if c == course] or [course]
        if len(options) != 1:
            problem = (
                f"PI {pi} is in {len(options)} presentations of the allocation; add a course column"
            )
            items.append({"course": given_course or course, "pi": pi, "problem": problem, **entry})
        else:
            items.append({"course": options[0], "pi": pi, **entry})
    return items


# ---------------------------------------------------------------------------------------------
# comparing what the site shows with what is to be posted


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())


def _matches(
    existing: list[dict[str, Any]], marks: dict[str, float], comments: str | None, role: str
) -> bool:
    """Whether the site already shows ``marks`` (and ``comments``, if given) for ``role``;
    category names and comments compare ignoring case and runs of spaces."""
    mine = {_norm(r["category"]): r["mark"] for r in existing if r["role"] == role}
    if not mine or {_norm(k): float(v) for k, v in marks.items()} != mine:
        return False
    if comments is None:
        return True
    got = next((r["comments"] for r in existing if r["role"] == role), None)
    return _norm(got or "") == _norm(comments)


def _form_values(
    fields: list[tuple[str, str]], categories: list[str], marks: dict[str, float]
) -> dict[str, str]:
    """Form field name -> mark. Fields are matched to categories by their labels; if the labels
    are missing or do not cover the marks, by position in the order the site lists categories."""
    labels = [lab for _, lab in fields]
    order = (
        labels
        if all(labels) and {_norm(x) for x in labels} >= {_norm(k) for k in marks}
        else categories
    )
    by_norm = {_norm(k): v for k, v in marks.items()}
    values = {}
    for (name, _), label in zip(fields, order, strict=False):
        if _norm(label) in by_norm:
            value = by_norm[_norm(label)]
            values[name] = str(int(value)) if value == int(value) else str(value)
    if len(values) != len(marks):
        raise UserError(f"cannot match categories {list(marks)} to the form's fields {labels}")
    return values


# ---------------------------------------------------------------------------------------------
# one student


class _Poster:
    """Posts one student's third marks at a time (called from the worker threads)."""

    def __init__(self, ws: Workspace, sites: Sites, *, dry_run: bool, force: bool) -> None:
        self.ws, self.sites, self.dry_run, self.force = ws, sites, dry_run, force
        self.session = sites.session("marks")
        self.marks_spec = self.session.profile.need("marks")
        self.post_spec = self.session.profile.need("post")
        codes = ws.store.query_df("SELECT course, pi, code FROM codes")
        self.codes = {(r.course, r.pi): r.code for r in codes.itertuples(index=False)}
        self.done = accepted_posts(ws)

    def post(self, item: dict[str, Any]) -> dict[str, Any]:
        """Check, post, read back; returns the result row (``result``, ``error``)."""
        if item.get("problem"):
            self._audit(item, "failed", item["problem"])
            return self._row(item, "failed", item["problem"])
        earlier = None if self.force else self.done.get((item["course"], item["pi"]))
        if earlier is not None and _same_marks(earlier, item):  # no request at all
            message = f"already posted: the site accepted these third marks on {earlier['at']}"
            self._audit(item, "skipped", message)
            return self._row(item, "skipped (already there)")
        existing = self._site_marks(item)
        readback = self.post_spec.readback
        shown = existing if readback == "marks" else (
            self._read_back(item) if readback == "page" else []
        )
        if shown and self._landed(item, shown):
            self._audit(
                item, "skipped", "already posted: the site shows these third marks", verified=True
            )
            return self._row(item, "skipped (already there)")
        categories = _categories(existing)
        unknown = [k for k in item["marks"] if _norm(k) not in {_norm(c) for c in categories}]
        if categories and unknown:
            message = f"unknown categories {unknown}; the site has {categories}"
            self._audit(item, "failed", message)
            return self._row(item, "failed", message)
        if earlier is not None:
            message = (
                f"different third marks were posted on {earlier['at']} and the site accepted "
                "them; not posting again (pass --force to post these instead)"
            )
            self._audit(item, "failed", message)
            return self._row(item, "failed", message)
        code = self._code(item["course"], item["pi"])
        if self.dry_run:
            before = {
                r["category"]: r["mark"] for r in existing if r["role"] == self.post_spec.role
            }
            message = f"would post {item['marks']} (site now: {before or 'no third marks'})"
            self._audit(item, "dry-run", message, code=code)
            return {**self._row(item, "would post"), "change": message}
        error = self._post_until_landed(item, categories, code)
        if error is not None:
            return self._row(item, "failed", error)
        if self.post_spec.readback == "unavailable":
            return self._row(item, "posted")
        return self._verify(item, code)

    def _post_until_landed(
        self, item: dict[str, Any], categories: list[str], code: str
    ) -> str | None:
        """Submit the form, retrying a lost answer only once a read-back shows the marks did not
        land. Returns None once posted (or found posted), else why it failed."""
        retry = self.session.retry
        can_read_back = self.post_spec.readback != "unavailable"
        for attempt in range(1, retry.retries + 2):
            if attempt > 1:
                time.sleep(retry.wait(attempt - 1))
                if can_read_back and self._landed(item, self._read_back(item)):
                    message = "an earlier uncertain post did land; not posting again"
                    self._audit(item, "skipped", message, code=code, verified=True, accepted=True)
                    return None
            try:
                result = self._submit(item, categories, code)
            except NoAnswer as exc:
                if can_read_back:
                    message = f"attempt {attempt}: {exc}; will read back before any retry"
                    self._audit(item, "failed", message, code=code)
                    continue
                message = (
                    f"uncertain: the site's answer was lost ({exc}) and it cannot show third "
                    "marks back, so it was not posted again; check on the site, then rerun "
                    "with --force for this student if the marks are not there"
                )
                self._audit(item, "failed", message, code=code)
                return message
            except (SiteError, SessionExpired) as exc:  # an answer that is not a success
                message = f"attempt {attempt}: {exc}; not accepted, trying again"
                self._audit(item, "failed", message, code=code)
                continue
            refusal = self._refusal(result)
            if refusal is not None:
                self._audit(item, "failed", refusal, code=code, verified=False)
                return refusal
            confirmed = result.contains(self.post_spec.success_text)
            if not confirmed and not can_read_back:
                message = "the site did not say the marks were recorded (no success text)"
                self._audit(item, "failed", message, code=code, accepted=False)
                return message
            message = "site confirmed" if confirmed else "no confirmation text; reading back"
            self._audit(item, "posted", message, code=code, accepted=confirmed or None)
            return None
        return "could not post after retries"

    def _submit(self, item: dict[str, Any], categories: list[str], code: str) -> Page:
        """Fetch the form (a fresh single-use token), fill it in, submit it."""
        spec, pi = self.post_spec, item["pi"]
        page = self.session.get(spec.url, course=item["course"], pi=pi)
        forms = page.xpath(spec.form)
        if not forms:
            raise SiteError(f"no third-mark form for {pi}")
        fields = parse.form_mark_fields(forms[0], spec.mark_field_regex)
        values = _form_values(fields, categories, item["marks"])
        values[spec.code_field] = code
        if item.get("comments") is not None:
            values[spec.comments_field] = item["comments"]
        result = self.session.submit(page, forms[0], values)
        assert isinstance(result, Page)
        return result

    def _refusal(self, result: Page) -> str | None:
        """The site's error text on the answer page (e.g. a wrong code), if any."""
        errors = self.post_spec.error_text
        if errors and result.contains(errors):
            return next(t for t in errors if result.contains([t]))
        return None

    def _verify(self, item: dict[str, Any], code: str) -> dict[str, Any]:
        """Read back after posting; what the site shows goes to the ``marks`` table."""
        existing = self._read_back(item)
        verified = self._landed(item, existing)
        message = "read back" + ("" if verified else ": site shows different marks")
        self._audit(
            item, "verified" if verified else "failed", message, code=code, verified=verified
        )
        store_marks(self.ws, item["course"], item["pi"], existing, None)
        if verified:
            return self._row(item, "posted")
        return self._row(item, "failed", "read back does not match")

    def _site_marks(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The student's marks page (categories, and third marks where the site shows them)."""
        return self._marks_at(self.marks_spec.url, item)

    def _read_back(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """What the site shows as posted: the marks page, or the profile's read-back page."""
        return self._marks_at(self.post_spec.readback_url or self.marks_spec.url, item)

    def _marks_at(self, url: str, item: dict[str, Any]) -> list[dict[str, Any]]:
        page = self.session.get(url, course=item["course"], pi=item["pi"])
        clean_row = self.session.profile.hook("clean_marks_row")
        return parse.parse_marks(page, self.marks_spec, clean_row)

    def _landed(self, item: dict[str, Any], existing: list[dict[str, Any]]) -> bool:
        return _matches(existing, item["marks"], item.get("comments"), self.post_spec.role)

    def _code(self, course: str, pi: str) -> str:
        """The confirmation code: from the store, else fetched from the submissions site."""
        code = self.codes.get((course, pi))
        if code:
            return code
        frame = collect_codes(
            self.ws, course=course, pis=[pi], refresh=True, sites=self.sites, progress=False
        )
        code = frame["code"].iloc[0] if len(frame) else None
        if not code or pd.isna(code):
            raise UserError(
                f"no confirmation code for {pi} in {course}",
                hint="the student may have no submission",
            )
        return str(code)

    @staticmethod
    def _row(item: dict[str, Any], result: str, error: str | None = None) -> dict[str, Any]:
        return {
            "course": item["course"],
            "pi": item["pi"],
            "marks": json.dumps(item["marks"]),
            "result": result,
            "error": error,
        }

    def _audit(
        self,
        item: dict[str, Any],
        action: str,
        message: str,
        *,
        code: str | None = None,
        verified: bool | None = None,
        accepted: bool | None = None,
    ) -> None:
        """One row of the ``posts`` audit table (course "" for an entry whose course is not
        known)."""
        with self.ws.store.connect() as conn:
            conn.execute(
                "INSERT INTO posts (course, pi, action, marks, comments, code, verified,"
                " message, at, accepted) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    item["course"] or "",
                    item["pi"],
                    action,
                    json.dumps(item["marks"]),
                    item.get("comments"),
                    code,
                    None if verified is None else int(verified),
                    message,
                    now(),
                    None if accepted is None else int(accepted),
                ),
            )


def accepted_posts(ws: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    """The latest post per student that the site accepted (its success text seen, or the marks
    read back): {(course, pi): {marks, comments, at}}. What makes posting idempotent."""
    rows = ws.store.query_df(
        "SELECT course, pi, marks, comments, at FROM posts WHERE accepted = 1"
        " OR (verified = 1 AND action IN ('verified', 'skipped') AND marks IS NOT NULL)"
        " ORDER BY id"
    )
    return {(r["course"], r["pi"]): r for r in rows.to_dict("records")}


def _same_marks(earlier: dict[str, Any], item: dict[str, Any]) -> bool:
    """Whether an accepted post had the marks (and comments, if given now) of ``item``."""
    before = {_norm(k): float(v) for k, v in json.loads(earlier["marks"] or "{}").items()}
    now_marks = {_norm(k): float(v) for k, v in item["marks"].items()}
    if before != now_marks:
        return False
    comments = item.get("comments")
    return comments is None or _norm(earlier.get("comments") or "") == _norm(comments)


def _categories(existing: list[dict[str, Any]]) -> list[str]:
    """The site's categories, in its order, from the first marker's rows (else any marker's)."""
    for role in ("first", None):
        found = [r["category"] for r in existing if role is None or r["role"] == role]
        if found:
            return list(dict.fromkeys(found))
    return []
