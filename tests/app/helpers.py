"""Helpers for driving the app in Chromium: the allocation grid and the job panel."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any

from gaffertape.workspace import Workspace

JOB_LINE = re.compile(r"Job (\d+), [^:]+: (\w+)")


def open_page(page: Any, app: Any, path: str) -> None:
    """Open ``path`` of the app (the first visit with the token sets the cookie)."""
    token = app.url_with_token.split("?", 1)[1]
    page.goto(app.url + path.lstrip("/") + ("&" if "?" in path else "?") + token)
    page.wait_for_selector("#page > *")


def grid_rows(page: Any, grid: str = "alloc-grid") -> list[dict[str, Any]]:
    """Every row the grid holds (not just the rendered ones), as its data dicts."""
    page.wait_for_function("(id) => { try { return !!dash_ag_grid.getApi(id); }"
                           " catch (e) { return false; } }", arg=grid)
    return page.evaluate(
        "(id) => { const rows = []; dash_ag_grid.getApi(id).forEachNode(n => rows.push(n.data));"
        " return rows; }", grid)


def select_all(page: Any) -> None:
    page.wait_for_selector("#alloc-grid .ag-row")
    page.locator("#alloc-grid .ag-header-select-all input").check()
    page.wait_for_function("() => !document.querySelector('#alloc-act-download').disabled")


def job_status(page: Any) -> tuple[int | None, str, str]:
    """(job id, state, whole status line) as the job panel shows them."""
    line = page.inner_text("#alloc-job-status")
    found = JOB_LINE.search(line)
    return (int(found[1]), found[2], line) if found else (None, "", line)


def wait_for_job(page: Any, job_id: int | None = None, timeout: float = 120) -> tuple[str, str]:
    """Wait until the panel shows the job finished; (state, status line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown, state, line = job_status(page)
        if (job_id is None or shown == job_id) and state in {"done", "failed", "cancelled"}:
            return state, line
        time.sleep(0.25)
    raise AssertionError(f"job did not finish in {timeout}s: {job_status(page)}")


def wait_for_rows_done(page: Any, timeout: float = 30,
                       unsettled: tuple[str, ...] = ("pending",)) -> None:
    """Wait until no grid row shows an ``unsettled`` job state: the panel's text can show a job
    done a moment before the grid has applied the last row transaction (after a retry of
    cancelled rows, pass ``("pending", "cancelled")``)."""
    page.wait_for_function(
        "(states) => { let left = 0; dash_ag_grid.getApi('alloc-grid').forEachNode("
        "r => { if (states.includes(r.data.job_state)) left++; }); return left === 0; }",
        arg=list(unsettled), timeout=timeout * 1000)


def wait_for_progress(page: Any, low: int = 1, high: int = 99, timeout: float = 60) -> int:
    """Wait until the progress bar is between ``low`` and ``high`` percent; the value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = int(page.eval_on_selector("#alloc-progress", "e => e.value") or 0)
        if low <= value <= high:
            return value
        time.sleep(0.05)
    raise AssertionError(f"progress never between {low} and {high}%")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_downloads_against_truth(ws: Workspace, truth: dict[str, Any],
                                  rows: list[dict[str, Any]]) -> int:
    """Every student's grid row and files agree with what the demo says it served; how many
    files were checked."""
    by_pi = {r["id"].split("|")[1]: r for r in rows}
    checked = 0
    for student in truth["students"]:
        row = by_pi[student["pi"]]
        if not student["submitted"]:
            assert row["download"] == "no submission", row
            continue
        assert row["download"] == "downloaded", row
        assert row["job_state"] == "ok", row
        for spec in student["files"]:
            target = ws.scripts_dir / student["course"] / student["pi"] / spec["name"]
            assert target.is_file(), target
            assert sha256(target) == spec["sha256"], target
            checked += 1
    return checked
