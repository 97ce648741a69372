"""Workflow 1, the allocation: which students each presentation has, into ``students``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.identity import valid_name_part
from gaffertape.sites import parse
from gaffertape.sites.engine import SiteSession
from gaffertape.sites.workflows.common import (
    Sites,
    as_workspace,
    log,
    now,
    open_sites,
    select_students,
)
from gaffertape.tablefile import decode_text
from gaffertape.workspace import Workspace

COLUMNS = ["course", "pi", "name", "tutor_group", "status", "marks_url", "third_url"]


def get_allocation(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    paste: str | Path | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    ignore_lockout: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Scrape the allocation (every presentation, or ``course``) into the ``students`` table.

    ``paste`` takes a pasted table instead (HTML, TSV, CSV or text copied from the page; a path
    or the text itself); then ``course`` names the presentation unless the table has a column.
    """
    ws = as_workspace(workspace)
    if paste is not None:
        records, source = _pasted(ws, paste, course, overrides), "paste"
    else:
        with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
            session = site.session("marks")
            records, source = _scrape(session, course), session.profile.name
    frame = pd.DataFrame(records)
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame = frame[COLUMNS].drop_duplicates(["course", "pi"], keep="last")
    frame["source"] = source
    frame["updated_at"] = now()
    _store_students(ws, frame)
    log.info("allocation: %d students from %s", len(frame), source)
    return frame.reset_index(drop=True)


def allocated_students(
    ws: Workspace,
    sites: Sites,
    *,
    course: str | None,
    pis: Iterable[str] | None,
    status: Iterable[str] | str | None,
    progress: bool,
) -> pd.DataFrame:
    """The selected students (see :func:`select_students`), the allocation being fetched first
    if the store has none: what each per-student workflow starts from."""
    ensure_allocation(ws, sites, course, progress)
    return select_students(ws, course=course, pis=pis, status=status)


def ensure_allocation(ws: Workspace, sites: Sites, course: str | None, progress: bool) -> None:
    """Fetch the allocation first if the store has none: every workflow selects from it."""
    if ws.store.query_df("SELECT COUNT(*) AS n FROM students")["n"].iloc[0] == 0:
        get_allocation(ws, course=course, sites=sites, progress=progress)


def _pasted(
    ws: Workspace,
    paste: str | Path,
    course: str | None,
    overrides: dict[str, dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    """A pasted table, read as the site heads it (the marks profile's columns and value maps)
    and cleaned by its row cleaner, since it is the same table copied by hand."""
    profile = Sites(ws, overrides=overrides).profile("marks")
    columns = profile.allocation.columns if profile.allocation else None
    records = parse.parse_pasted(_pasted_text(paste), course, columns, profile.pi_pattern)
    hook = profile.hook("clean_allocation_row")
    return [hook(r) for r in records] if hook else records


def _pasted_text(paste: str | Path) -> str:
    """The pasted table: a path's contents, or the text itself (a one-line string that names an
    existing file is taken as a path)."""
    if isinstance(paste, Path) or ("\n" not in paste and Path(paste).is_file()):
        path = Path(paste)
        if not path.is_file():
            raise UserError(f"{path}: no such file to paste from", hint="check the path")
        return decode_text(path, path.read_bytes())  # any encoding, or an error naming it
    return str(paste)


def _scrape(session: SiteSession, course: str | None) -> list[dict[str, Any]]:
    """The allocation rows of ``course``, or of every presentation the site lists."""
    spec = session.profile.need("allocation")
    courses = [course] if course else None
    if courses is None:
        pres = session.profile.need("presentations")
        courses = parse.parse_presentations(session.get(pres.url), pres)
        if not courses:
            raise UserError(f"{session.profile.name}: no presentations found at {pres.url}")
    records = []
    hook = session.profile.hook("clean_allocation_row")
    for code in courses:
        valid_name_part(code, what="course code", where=f"{session.profile.name} presentations")
        page = session.get(spec.url, course=code)
        rows = parse.parse_allocation(page, spec, code, session.profile.pi_pattern)
        records += [hook(r) for r in rows] if hook else rows
    return records


def _store_students(ws: Workspace, frame: pd.DataFrame) -> None:
    """Replace the students of each presentation in ``frame`` (others are left as they are)."""
    with ws.store.connect() as conn:
        for code in frame["course"].unique():
            conn.execute("DELETE FROM students WHERE course = ?", (code,))
        conn.executemany(
            "INSERT INTO students (course, pi, name, tutor_group, status, marks_url, third_url,"
            " source, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                tuple(None if pd.isna(v) else v for v in row)
                for row in frame.itertuples(index=False)
            ],
        )
