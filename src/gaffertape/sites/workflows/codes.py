"""Workflow 3, confirmation codes: one submission page per student, into ``codes``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.export import export_table
from gaffertape.sites import parse
from gaffertape.sites.engine import SiteSession
from gaffertape.sites.profile import Submission
from gaffertape.sites.workflows.allocation import allocated_students
from gaffertape.sites.workflows.common import (
    Sites,
    as_workspace,
    open_sites,
    run_each,
    student_columns,
    student_key,
)
from gaffertape.sites.workflows.download import store_submission
from gaffertape.workspace import Workspace


def collect_codes(
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
    """Confirmation codes of the selected students into the ``codes`` table (one page each).

    Codes already in the store (e.g. from ``download_scripts``) are not fetched again unless
    ``refresh``. Returns course, pi, name, code.
    """
    ws = as_workspace(workspace)
    with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
        chosen = allocated_students(
            ws, site, course=course, pis=pis, status=status, progress=progress
        )
        have = ws.store.query_df("SELECT course, pi FROM codes")
        known = set(zip(have["course"], have["pi"], strict=True))
        todo = [i for i in chosen.to_dict("records") if refresh or student_key(i) not in known]
        if todo:
            session = site.session("submissions")
            spec = session.profile.need("submission")
            done = run_each(
                todo,
                lambda item: _fetch_code(ws, session, spec, item),
                "Codes",
                session,
                progress=progress,
            )
        else:
            done = pd.DataFrame(columns=["course", "pi", "result", "error"])
        codes = ws.store.query_df("SELECT course, pi, code FROM codes")
        frame = chosen[["course", "pi", "name"]].merge(codes, on=["course", "pi"], how="left")
        if not done.empty:
            frame = frame.merge(
                done[["course", "pi", "result", "error"]], on=["course", "pi"], how="left"
            )
            frame["result"] = frame["result"].fillna("stored")
        else:
            frame["result"], frame["error"] = "stored", None
        return frame


def _fetch_code(
    ws: Workspace, session: SiteSession, spec: Submission, item: dict[str, Any]
) -> dict[str, Any]:
    page = session.get(spec.url, course=item["course"], pi=item["pi"])
    info = parse.parse_submission(page, spec, session.profile.hook("clean_file"))
    store_submission(ws, item["course"], item["pi"], info)
    return {**student_columns(item), "result": "fetched", "error": None}


def export_codes(
    workspace: Workspace | str | Path | None, dest: Path, codes: pd.DataFrame | None = None
) -> Path:
    """Write the codes (course, pi, name, code) to CSV or XLSX, by ``dest``'s suffix."""
    ws = as_workspace(workspace)
    if codes is None:
        codes = ws.store.query_df(
            "SELECT s.course, s.pi, s.name, c.code FROM students s LEFT JOIN codes c"
            " USING (course, pi) ORDER BY s.course, s.pi"
        )
    codes = codes[[c for c in ("course", "pi", "name", "code") if c in codes.columns]]
    return export_table(codes, dest, sheet_name="codes")
