"""``sync``: the whole round (allocation, downloads with codes, marks) in one pipelined pass."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.sites.engine import SiteError, SiteSession, keep_memory_flat
from gaffertape.sites.profile import Marks
from gaffertape.sites.safezip import UnsafeZip
from gaffertape.sites.workflows.allocation import get_allocation
from gaffertape.sites.workflows.codes import collect_codes
from gaffertape.sites.workflows.common import (
    Sites,
    as_workspace,
    open_sites,
    run_each,
    select_students,
    student_columns,
    student_key,
)
from gaffertape.sites.workflows.download import (
    download_scripts,
    download_student,
    record_download_failure,
    remove_leftovers,
    verified_downloads,
)
from gaffertape.sites.workflows.marks import collect_marks, fetch_marks, outdated_marks
from gaffertape.workspace import Workspace


def sync(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    ignore_lockout: bool = False,
    progress: bool = True,
) -> dict[str, pd.DataFrame]:
    """Allocation, then per student (pipelined on the same workers) the download with its code
    and the marks page; then a pass of each workflow for anything still missing or failed."""
    ws = as_workspace(workspace)
    selection = {"course": course, "pis": pis, "status": status}
    with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
        remove_leftovers(ws)  # under the site lock: no other run is using them
        out = {"allocation": get_allocation(ws, course=course, sites=site, progress=progress)}
        chosen = select_students(ws, **selection).to_dict("records")
        verified = verified_downloads(ws, chosen)
        outdated = outdated_marks(ws, chosen)
        items = []
        for item in chosen:
            student = student_key(item)
            need_download, need_marks = student not in verified, student in outdated
            if need_download or need_marks:
                items.append({**item, "_download": need_download, "_marks": need_marks})
        if items:
            if any(item["_download"] for item in items):
                keep_memory_flat()
            submissions = site.session("submissions")
            marks_session = site.session("marks")
            marks_spec = marks_session.profile.need("marks")
            out["pipeline"] = run_each(
                items,
                lambda item: _sync_student(ws, submissions, marks_session, marks_spec, item),
                "Syncing",
                submissions,
                progress=progress,
            )
        second = download_scripts(ws, **selection, sites=site, progress=progress)
        out["download"] = downloads_this_run(out.get("pipeline"), second)
        out["codes"] = collect_codes(ws, **selection, sites=site, progress=progress)
        out["marks"] = collect_marks(ws, **selection, sites=site, progress=progress)
        return out


def _sync_student(
    ws: Workspace,
    submissions: SiteSession,
    marks_session: SiteSession,
    marks_spec: Marks,
    item: dict[str, Any],
) -> dict[str, Any]:
    """Whichever of download and marks the student needs. A failed download is noted and the
    marks are still fetched: the second pass of ``sync`` retries the download. The row is the
    download's own result row when one was made (what the summary counts)."""
    row = {**student_columns(item), "result": "ok", "error": None}
    if item["_download"]:
        try:
            row = download_student(ws, submissions, item)
        except (SiteError, UnsafeZip, OSError) as exc:
            row.update(result="failed", error=f"download: {exc}")
            record_download_failure(ws, item["course"], item["pi"], str(exc))
    if item["_marks"]:
        fetch_marks(ws, marks_session, marks_spec, item)
    return row


def downloads_this_run(pipeline: pd.DataFrame | None, second: pd.DataFrame) -> pd.DataFrame:
    """One row per student saying what happened to their download in this whole run.

    The second pass finds the pipeline's downloads verified on disk and reports them
    "skipped (verified)"; what happened to them is the pipeline's row (downloaded, entries
    refused, no submission). A failed pipeline download is replaced by the second pass's
    retry.
    """
    if pipeline is None or pipeline.empty or second.empty:
        return second
    done = pipeline[pipeline["result"].isin(_DOWNLOAD_RESULTS)].set_index(["course", "pi"])
    rows = second.set_index(["course", "pi"])
    redone = rows.index.isin(done.index) & (rows["result"] == "skipped (verified)").to_numpy()
    merged = pd.concat([rows[~redone], done.loc[rows.index[redone]]])
    return merged.reset_index().sort_values(["course", "pi"]).reset_index(drop=True)


_DOWNLOAD_RESULTS = ("downloaded", "downloaded, entries refused", "no submission")
