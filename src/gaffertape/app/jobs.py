"""Background jobs: the app's actions, run by the same workflow functions the CLI runs.

A job is a row in ``app_jobs`` with one row per student in ``app_job_rows``; a worker thread
runs the workflow (``gaffertape.sites.workflows``) inside
:func:`~gaffertape.sites.workflows.common.watch_rows`, which reports each finished student and
lets the job stop starting new ones on cancel. Because the state is in the store:

* a page reload (or a second browser tab) shows the same job, live;
* an app that stops mid-job leaves it ``running`` with pending rows, and the next app start
  resumes it (the workflows are idempotent: verified downloads, stored codes and posted marks
  are skipped, so nothing is fetched or posted twice);
* failed rows stay failed, with their error, and :func:`retry_failed` starts a job of just them.

A job's workflow takes the workspace lock on each site host it talks to
(:func:`gaffertape.locks.site_lock`), the lock a CLI run takes, so the app and a terminal never
work the same site at once; a job is refused up front while another run holds one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.locks import lock_holder
from gaffertape.sites import workflows as wf
from gaffertape.sites.workflows.common import CANCELLED, now, site_lock_names, watch_rows
from gaffertape.workspace import Workspace

log = logging.getLogger("gaffertape.app")

Keys = list[tuple[str, str]]
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Action:
    """What a job does: a label, the sites it works, and the workflow call."""

    label: str
    sites: tuple[str, ...]
    run: Callable[[Workspace, list[str], dict[str, Any]], pd.DataFrame | None]


def _allocation(ws: Workspace, pis: list[str], params: dict[str, Any]) -> None:
    wf.get_allocation(ws, course=params.get("course"), progress=False)


def _marks(ws: Workspace, pis: list[str], params: dict[str, Any]) -> pd.DataFrame:
    from gaffertape.marking.api import write_reports

    frame = wf.collect_marks(ws, pis=pis, refresh=True, progress=False)
    if not frame.empty:
        write_reports(ws)  # the flags on the allocation page follow the new marks
    return frame.attrs.get("fetch")


def _post(ws: Workspace, pis: list[str], params: dict[str, Any]) -> pd.DataFrame:
    from gaffertape.marking.api import write_reports

    entries = {(e["course"], e["pi"]): {"marks": e["marks"], "comments": e.get("comments")}
               for e in params["entries"] if e["pi"] in pis}
    frame = wf.post_third_marks(ws, entries=entries, progress=False)
    write_reports(ws)  # final marks and flags follow the posted third marks
    return frame


ACTIONS: dict[str, Action] = {
    "allocation": Action("Refresh allocation", ("marks",), _allocation),
    "download": Action("Download files", ("submissions",),
                       lambda ws, pis, params: wf.download_scripts(ws, pis=pis, progress=False)),
    "codes": Action("Get codes", ("submissions",),
                    lambda ws, pis, params: wf.collect_codes(ws, pis=pis, progress=False)),
    "marks": Action("Fetch marks", ("marks",), _marks),
    "post": Action("Post third marks", ("marks", "submissions"), _post),
}

_cancel_events: dict[int, threading.Event] = {}
_start_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------
# starting, cancelling, retrying


def start_job(ws: Workspace, action: str, keys: Keys, params: dict[str, Any] | None = None,
              ) -> int:
    """Record a job for ``keys`` (course, pi) and start it in the background; its id.

    Raises :class:`UserError` when a job of this app or another run (the CLI) is already
    using one of the action's sites.
    """
    spec = ACTIONS[action]
    with _start_lock:
        busy = _busy_site(ws, spec.sites)
        if busy:
            raise UserError(busy)
        with ws.store.connect() as conn:
            job_id = conn.execute(
                "INSERT INTO app_jobs (action, sites, params, state, total, pid, created_at)"
                " VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                (action, ",".join(spec.sites), json.dumps(params or {}), len(keys),
                 os.getpid(), now())).lastrowid
            conn.executemany(
                "INSERT INTO app_job_rows (job_id, course, pi, state) VALUES (?, ?, ?, 'pending')",
                [(job_id, course, pi) for course, pi in dict.fromkeys(keys)])
        _launch(ws, job_id)
    return job_id


def cancel_job(ws: Workspace, job_id: int) -> None:
    """Ask a job to stop: students already started finish, the others are not tried."""
    with ws.store.connect() as conn:
        conn.execute("UPDATE app_jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
    if job_id in _cancel_events:
        _cancel_events[job_id].set()


def retry_failed(ws: Workspace, job_id: int) -> int:
    """A new job of the same action over just the failed and not-tried rows of ``job_id``."""
    job = get_job(ws, job_id)
    rows = job_rows(ws, job_id)
    keys = [(r.course, r.pi) for r in rows.itertuples() if r.state in {"failed", "cancelled"}]
    if not keys:
        raise UserError(f"job {job_id} has no failed rows to retry")
    return start_job(ws, job["action"], keys, json.loads(job["params"]))


def resume_interrupted(ws: Workspace) -> list[int]:
    """Restart the jobs a stopped app left queued or running (called when the app starts).

    A job whose site lock is still held is left alone: another app on the same workspace is
    running it (the lock dies with its holder, so a crashed app never holds one).
    """
    jobs = ws.store.query_df(
        "SELECT id, sites FROM app_jobs WHERE state IN ('queued', 'running') ORDER BY id")
    resumed = []
    for job_id, sites in zip(jobs["id"].tolist(), jobs["sites"], strict=True):
        if _lock_holder(ws, tuple(sites.split(","))):
            continue
        with ws.store.connect() as conn:
            conn.execute("UPDATE app_jobs SET pid = ?, message = 'resumed after a restart'"
                         " WHERE id = ?", (os.getpid(), job_id))
        _launch(ws, int(job_id))
        resumed.append(int(job_id))
    return resumed


def _busy_site(ws: Workspace, sites: tuple[str, ...]) -> str | None:
    """Why a job on ``sites`` cannot start now, or None. Sites are compared by host, since the
    marks and submissions systems often share one (and its account and lockout)."""
    hosts = set(site_lock_names(ws, sites))
    running = ws.store.query_df(
        "SELECT id, action, sites FROM app_jobs WHERE state IN ('queued', 'running') ORDER BY id")
    for job in running.itertuples():
        if hosts & set(site_lock_names(ws, job.sites.split(","))):
            return (f"job {job.id} ({ACTIONS[job.action].label.lower()}) is still using "
                    "that site: wait for it to finish or cancel it")
    holder = _lock_holder(ws, sites)
    if holder is not None:
        return (f"another gaffertape run is using the {' and '.join(sites)} site: pid "
                f"{holder.get('pid', '?')} ({holder.get('command', '?')}); wait for it to finish")
    return None


def _lock_holder(ws: Workspace, sites: tuple[str, ...]) -> dict | None:
    """Who holds a workspace lock on the hosts of ``sites`` (marks, submissions), if anyone."""
    for name in site_lock_names(ws, sites):
        holder = lock_holder(ws.root, name)
        if holder is not None:
            return holder
    return None


# ---------------------------------------------------------------------------------------------
# running


def _launch(ws: Workspace, job_id: int) -> None:
    _cancel_events[job_id] = threading.Event()
    threading.Thread(target=_run, args=(ws, job_id), name=f"job-{job_id}", daemon=True).start()


def _run(ws: Workspace, job_id: int) -> None:
    job = get_job(ws, job_id)
    spec = ACTIONS[job["action"]]
    cancel = _cancel_events[job_id]
    if job["cancel_requested"]:
        cancel.set()
    pending = job_rows(ws, job_id)
    pending = pending[pending["state"] == "pending"]
    _set(ws, job_id, state="running", started_at=now())
    try:
        recorder = _RowRecorder(ws, job_id)
        with watch_rows(recorder.add, cancel.is_set):
            try:
                result = spec.run(ws, pending["pi"].tolist(), json.loads(job["params"]))
            finally:
                recorder.flush()
        _finish_rows(ws, job_id, result, cancelled=cancel.is_set())
        state = "cancelled" if cancel.is_set() else "done"
        _set(ws, job_id, state=state, finished_at=now(), message=_summary(ws, job_id))
    except Exception as exc:  # the job fails, the app carries on
        log.exception("job %s (%s) failed", job_id, job["action"])
        message = exc.one_line() if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        _fail_pending(ws, job_id, message)
        _set(ws, job_id, state="failed", finished_at=now(), message=message)
    finally:
        _cancel_events.pop(job_id, None)


def _row_state(row: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(state, result, error) of a workflow's result row."""
    error = row.get("error")
    error = None if error is None or (isinstance(error, float) and pd.isna(error)) else str(error)
    if row.get("result") == "failed":
        return ("cancelled" if error == CANCELLED else "failed"), "failed", error
    return "ok", str(row.get("result") or "done"), error


class _RowRecorder:
    """Writes finished rows to the store in small batches, at most ``EVERY`` seconds late (the
    page polls every 500 ms), so a cancel that ends 5,000 rows at once costs a few
    transactions rather than 5,000."""

    EVERY = 0.2

    def __init__(self, ws: Workspace, job_id: int) -> None:
        self.ws, self.job_id = ws, job_id
        self.waiting: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def add(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.waiting.append(row)
            if self.timer is None:
                self.timer = threading.Timer(self.EVERY, self.flush)
                self.timer.daemon = True
                self.timer.start()

    def flush(self) -> None:
        with self.lock:
            rows, self.waiting, self.timer = self.waiting, [], None
            if rows:
                with self.ws.store.connect() as conn:
                    for row in rows:
                        _update_row(conn, self.job_id, row["course"], row["pi"],
                                    *_row_state(row))


def _update_row(conn: Any, job_id: int, course: str, pi: str, state: str, result: str | None,
                error: str | None) -> None:
    conn.execute(
        "UPDATE app_job_rows SET state = ?, result = ?, error = ?, seq = (SELECT COALESCE("
        "MAX(seq), 0) + 1 FROM app_job_rows WHERE job_id = ?) WHERE job_id = ? AND course = ?"
        " AND pi = ?", (state, result, error, job_id, job_id, course, pi))


def _finish_rows(ws: Workspace, job_id: int, result: pd.DataFrame | None, *,
                 cancelled: bool) -> None:
    """Rows the workflow answered without working them (already verified, codes stored, ...)
    take its result; any still pending are done (nothing to do) or, after a cancel, not tried."""
    by_key = {}
    if result is not None and not result.empty and {"course", "pi", "result"} <= set(result):
        by_key = {(r["course"], r["pi"]): r for r in result.to_dict("records")}
    rows = job_rows(ws, job_id)
    with ws.store.connect() as conn:
        for row in rows[rows["state"] == "pending"].itertuples():
            found = by_key.get((row.course, row.pi))
            if found is not None:
                state, outcome, error = _row_state(found)
            elif cancelled:
                state, outcome, error = "cancelled", "failed", CANCELLED
            else:
                state, outcome, error = "ok", "up to date", None
            _update_row(conn, job_id, row.course, row.pi, state, outcome, error)


def _fail_pending(ws: Workspace, job_id: int, message: str) -> None:
    rows = job_rows(ws, job_id)
    with ws.store.connect() as conn:
        for row in rows[rows["state"] == "pending"].itertuples():
            _update_row(conn, job_id, row.course, row.pi, "failed", "failed", message)


def _summary(ws: Workspace, job_id: int) -> str:
    counts = job_rows(ws, job_id)["state"].value_counts()
    return ", ".join(f"{state} {int(n)}" for state, n in counts.items())


def _set(ws: Workspace, job_id: int, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    with ws.store.connect() as conn:
        conn.execute(f"UPDATE app_jobs SET {assignments} WHERE id = ?", (*columns.values(), job_id))


# ---------------------------------------------------------------------------------------------
# reading


def get_job(ws: Workspace, job_id: int) -> dict[str, Any]:
    frame = ws.store.query_df("SELECT * FROM app_jobs WHERE id = ?", [job_id])
    if frame.empty:
        raise UserError(f"no job {job_id}")
    return frame.iloc[0].to_dict()


def job_rows(ws: Workspace, job_id: int, *, after_seq: int = -1) -> pd.DataFrame:
    """The job's rows (only those changed after ``after_seq`` if given)."""
    return ws.store.query_df(
        "SELECT course, pi, state, result, error, seq FROM app_job_rows WHERE job_id = ? AND"
        " seq > ? ORDER BY course, pi", [job_id, after_seq])


def progress(ws: Workspace, job_id: int) -> dict[str, Any]:
    """The job with its counts: total, finished, ok, failed, cancelled, percent."""
    job = get_job(ws, job_id)
    counts = ws.store.query_df(
        "SELECT state, COUNT(*) AS n FROM app_job_rows WHERE job_id = ? GROUP BY state",
        [job_id]).set_index("state")["n"].to_dict()
    finished = sum(int(n) for state, n in counts.items() if state != "pending")
    total = int(job["total"])
    done = job["state"] not in ACTIVE
    # one decimal: with 5,000 students the bar moves at the first student, not the 25th
    percent = 100.0 if done and not total else (
        round(100 * finished / total, 1) if total else 0.0)
    return {**job, "label": ACTIONS[job["action"]].label, "finished": finished,
            "ok": int(counts.get("ok", 0)), "failed": int(counts.get("failed", 0)),
            "cancelled": int(counts.get("cancelled", 0)), "percent": percent}


def latest_job(ws: Workspace) -> int | None:
    """The running job if any, else the most recent one."""
    frame = ws.store.query_df(
        "SELECT id FROM app_jobs ORDER BY state IN ('queued', 'running') DESC, id DESC LIMIT 1")
    return None if frame.empty else int(frame["id"].iloc[0])
