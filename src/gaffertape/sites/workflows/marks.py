"""Workflow 4, marks: every marker's marks in long form, into ``marks`` (see architecture.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.sites import parse
from gaffertape.sites.engine import SiteSession
from gaffertape.sites.profile import Marks
from gaffertape.sites.workflows.allocation import allocated_students
from gaffertape.sites.workflows.common import (
    Key,
    Sites,
    as_workspace,
    now,
    open_sites,
    run_each,
    student_columns,
    student_key,
)
from gaffertape.workspace import Workspace


def collect_marks(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
    refresh: bool = False,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    ignore_lockout: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Every marker's marks of the selected students into the long-form ``marks`` table.

    Students whose allocation status has not changed since their marks were fetched are not
    fetched again unless ``refresh``. Returns the marks rows of the selection.
    """
    ws = as_workspace(workspace)
    with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
        chosen = allocated_students(
            ws, site, course=course, pis=pis, status=status, progress=progress
        )
        records = chosen.to_dict("records")
        outdated = outdated_marks(ws, records)
        todo = [i for i in records if refresh or student_key(i) in outdated]
        if todo:
            session = site.session("marks")
            spec = session.profile.need("marks")
            done = run_each(
                todo,
                lambda item: _fetched(item, fetch_marks(ws, session, spec, item)),
                "Marks",
                session,
                progress=progress,
            )
        else:
            done = pd.DataFrame(columns=["course", "pi", "result", "error"])
        marks = ws.store.query_df("SELECT * FROM marks ORDER BY course, pi, role, rowid")
        keys = set(zip(chosen["course"], chosen["pi"], strict=True))
        mask = [(c, p) in keys for c, p in zip(marks["course"], marks["pi"], strict=True)]
        result = marks[mask].reset_index(drop=True)
        result.attrs["fetch"] = done
        return result


def _fetched(item: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {**student_columns(item), "result": "fetched", "rows": len(rows), "error": None}


def outdated_marks(ws: Workspace, items: list[dict[str, Any]]) -> set[Key]:
    """The ``items`` whose marks were never fetched, or fetched when their allocation status
    was different (a new status means a marker may have added marks)."""
    fetched = ws.store.query_df("SELECT course, pi, status FROM marks_fetched")
    seen = {(r.course, r.pi): r.status for r in fetched.itertuples(index=False)}
    outdated = set()
    for item in items:
        student = student_key(item)
        if student not in seen or seen[student] != item.get("status"):
            outdated.add(student)
    return outdated


def fetch_marks(
    ws: Workspace, session: SiteSession, spec: Marks, item: dict[str, Any]
) -> list[dict[str, Any]]:
    """One student's marks page, parsed and stored; returns its rows."""
    page = session.get(spec.url, course=item["course"], pi=item["pi"])
    rows = parse.parse_marks(page, spec, session.profile.hook("clean_marks_row"))
    store_marks(ws, item["course"], item["pi"], rows, item.get("status"))
    return rows


def store_marks(
    ws: Workspace, course: str, pi: str, rows: list[dict[str, Any]], status: str | None
) -> None:
    """Replace one student's marks, noting the allocation status they were fetched under."""
    with ws.store.connect() as conn:
        conn.execute("DELETE FROM marks WHERE course = ? AND pi = ?", (course, pi))
        conn.executemany(
            "INSERT INTO marks (course, pi, role, marker, category, mark, comments)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (course, pi, r["role"], r["marker"], r["category"], r["mark"], r["comments"])
                for r in rows
            ],
        )
        conn.execute(
            "INSERT OR REPLACE INTO marks_fetched (course, pi, status, fetched_at)"
            " VALUES (?,?,?,?)",
            (course, pi, status, now()),
        )


def scheme_from_site(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    ignore_lockout: bool = False,
    tries: int = 5,
) -> pd.DataFrame:
    """The mark scheme's categories and maxima as the site's marks pages show them, in the
    site's order (``category``, ``max``): read from the first marked student's page (up to
    ``tries`` pages). Weights are not on the pages; :func:`scheme_toml` writes them as 1.0."""
    ws = as_workspace(workspace)
    with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
        chosen = allocated_students(ws, site, course=course, pis=None, status=None,
                                    progress=False)
        marked = [s for s in chosen.to_dict("records") if s.get("status") != "No submission"]
        session = site.session("marks")
        spec = session.profile.need("marks")
        for item in marked[:tries]:
            page = session.get(spec.url, course=item["course"], pi=item["pi"])
            rows = parse.parse_marks(page, spec, session.profile.hook("clean_marks_row"))
            if rows:
                frame = pd.DataFrame(rows)[["category", "max"]].drop_duplicates("category")
                frame.attrs["source"] = f"{session.profile.name}, {item['course']} {item['pi']}"
                return frame.reset_index(drop=True)
    raise UserError(
        f"no marks found on the first {min(tries, len(marked))} students' marks pages",
        hint="run `gaffertape sites profiles --check PROFILE --live` to see what matched",
    )


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string. JSON's escapes are TOML's, but with ``ensure_ascii``
    an emoji becomes a surrogate pair (``\\ud83c\\udfa8``), which TOML refuses, and JSON
    leaves DEL raw, which TOML also refuses."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def scheme_toml(frame: pd.DataFrame, name: str) -> str:
    """A mark-scheme TOML for ``marking --scheme`` from :func:`scheme_from_site`'s categories."""
    lines = [
        f"name = {_toml_string(name)}",
        "# Categories and maxima as the site shows them. The site does not show weights:",
        "# each is 1.0 here; set them (and bands, rules) before relying on the totals.",
    ]
    for row in frame.itertuples(index=False):
        if row.max is None or pd.isna(row.max):
            raise UserError(
                f"the site shows no maximum for {row.category!r}",
                hint="set [marks] max_column or category_header_regex in the profile",
            )
        lines += ["", "[[categories]]", f"name = {_toml_string(row.category)}",
                  f"max = {row.max:g}", "weight = 1.0"]
    return "\n".join(lines) + "\n"
