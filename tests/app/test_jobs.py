"""Jobs without a browser: the workflow runs in the background, one job per site (the CLI's
lock included), cancel, retry of failed rows, and a job left running resumed."""

from __future__ import annotations

import time

import pytest

from gaffertape.app import jobs
from gaffertape.errors import UserError
from gaffertape.locks import site_lock
from gaffertape.sites.workflows.common import host_of, lock_name

from .conftest import demo_workspace


def _wait(ws, job_id: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.progress(ws, job_id)
        if job["state"] not in jobs.ACTIVE:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {jobs.progress(ws, job_id)['state']}")


def _everyone(ws) -> list[tuple[str, str]]:
    students = ws.store.query_df("SELECT course, pi FROM students ORDER BY pi")
    return list(zip(students["course"], students["pi"], strict=True))


def test_a_job_runs_the_workflow_row_by_row_and_a_second_on_the_host_is_refused(tmp_path):
    with demo_workspace(tmp_path, students=10) as setup:
        ws = setup.ws
        job_id = jobs.start_job(ws, "codes", _everyone(ws))
        with pytest.raises(UserError, match="still using that site"):
            jobs.start_job(ws, "download", _everyone(ws))  # same site: submissions
        with pytest.raises(UserError, match="still using that site"):
            jobs.start_job(ws, "marks", _everyone(ws))  # the demo's marks site: the same host
        job = _wait(ws, job_id)
        assert (job["state"], job["finished"], job["ok"]) == ("done", 10, 10)
        other = jobs.start_job(ws, "marks", _everyone(ws)[:3])  # free once the first is done
        assert _wait(ws, other)["state"] == "done"
        codes = ws.store.query_df("SELECT pi, code FROM codes WHERE code IS NOT NULL")
        truth = {s["pi"]: s["confirmation_code"] for s in setup.truth()["students"]
                 if s["submitted"]}
        assert dict(zip(codes["pi"], codes["code"], strict=True)) == truth
        with pytest.raises(UserError, match="no failed rows"):
            jobs.retry_failed(ws, job_id)


def test_the_clis_lock_on_a_site_refuses_a_job(tmp_path):
    """The lock a CLI run really takes: the one on the site's host (the demo serves both sites
    from one host, so a CLI download also keeps the app from fetching marks)."""
    with demo_workspace(tmp_path, students=4) as setup:
        host = lock_name(host_of(setup.demo.base_url))
        with site_lock(setup.ws.root, host, what="gaffertape sites download"):
            for action in ("download", "marks"):
                with pytest.raises(UserError, match=r"pid \d+ \(gaffertape sites download\)"):
                    jobs.start_job(setup.ws, action, _everyone(setup.ws))
        job = _wait(setup.ws, jobs.start_job(setup.ws, "codes", _everyone(setup.ws)))
        assert job["state"] == "done"


def test_cancel_leaves_untried_rows_and_retry_does_just_those(tmp_path):
    with demo_workspace(tmp_path, students=16, zip_mb=0.1, bandwidth_bps=150_000) as setup:
        ws = setup.ws
        job_id = jobs.start_job(ws, "download", _everyone(ws))
        while jobs.progress(ws, job_id)["finished"] == 0:
            time.sleep(0.05)
        jobs.cancel_job(ws, job_id)
        job = _wait(ws, job_id)
        assert job["state"] == "cancelled"
        assert job["cancelled"] > 0 and job["finished"] == 16
        retry = jobs.retry_failed(ws, job_id)
        again = _wait(ws, retry)
        assert again["state"] == "done" and again["total"] == job["cancelled"] + job["failed"]
        assert again["ok"] == again["total"]


def test_a_job_left_running_by_a_stopped_app_is_resumed(tmp_path):
    with demo_workspace(tmp_path, students=6) as setup:
        ws = setup.ws
        with ws.store.connect() as conn:  # what a killed app leaves behind
            job_id = conn.execute(
                "INSERT INTO app_jobs (action, sites, params, state, total, pid, created_at)"
                " VALUES ('codes', 'submissions', '{}', 'running', 6, 1, 'then')").lastrowid
            conn.executemany("INSERT INTO app_job_rows (job_id, course, pi, state)"
                             " VALUES (?, ?, ?, 'pending')",
                             [(job_id, c, p) for c, p in _everyone(ws)])
        assert jobs.resume_interrupted(ws) == [job_id]
        job = _wait(ws, job_id)
        assert (job["state"], job["ok"]) == ("done", 6)
