"""The app end to end in headless Chromium against the demo university with faults on.

Each test starts ``gaffertape app`` as a subprocess on a workspace pointed at the demo, drives
it as a marker would, and checks the outcome at the demo's truth file and in the store.
"""

from __future__ import annotations

import re
import shutil
import signal
import time

import httpx
import pytest

from gaffertape.store import Store

from .conftest import demo_workspace, screenshot
from .helpers import (
    check_downloads_against_truth,
    grid_rows,
    job_status,
    open_page,
    select_all,
    wait_for_job,
    wait_for_progress,
    wait_for_rows_done,
)

pytestmark = pytest.mark.browser


def test_every_route_needs_the_token_and_the_token_opens_the_app(tmp_path, start_app, page):
    with demo_workspace(tmp_path, students=6) as setup:
        app = start_app(setup)
        with httpx.Client(base_url=app.url, timeout=10) as keyed:
            keyed.get(app.url_with_token)  # takes the cookie, as a browser does
            index = keyed.get("/allocation")
            assert index.status_code == 200
            resources = re.findall(r'(?:src|href)="(/[^"]+)"', index.text)
            assert any("_dash-component-suites" in r for r in resources)
            dash_routes = ["/", "/allocation", "/script", "/no-such-page", "/_dash-layout",
                           "/_dash-dependencies", "/_reload-hash", "/_favicon.ico",
                           "/assets/style.css", "/files/TM470-25J/A1234567/report.pdf",
                           *resources]
            for route in dash_routes:
                assert keyed.get(route).status_code in {200, 404}, route
        with httpx.Client(base_url=app.url, timeout=10) as stranger:
            for route in dash_routes:
                answer = stranger.get(route)
                assert answer.status_code == 403, route
                assert answer.text.startswith("Forbidden"), route
            update = stranger.post("/_dash-update-component", json={"output": "page.children"})
            assert update.status_code == 403
            wrong = stranger.get("/allocation", params={"token": "x" * 40})
            assert wrong.status_code == 403
        with httpx.Client(base_url=app.url, timeout=10) as cross:
            cross.get(app.url_with_token)
            assert cross.post("/_dash-update-component", json={},
                              headers={"Origin": "http://evil.example"}).status_code == 403

        page.goto(app.url + "allocation")
        assert "Forbidden" in page.content()
        assert page.locator("#alloc-grid").count() == 0
        open_page(page, app, "/allocation")
        assert "token" not in page.url  # the token left the address bar for a cookie
        cookie = next(c for c in page.context.cookies() if c["name"] == "gaffertape_token")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        page.wait_for_selector("#alloc-grid .ag-row")
        assert len(grid_rows(page)) == 6
        screenshot(page, "allocation-opened")


def test_select_all_and_download_every_row_verified_against_the_truth(tmp_path, start_app, page):
    with demo_workspace(tmp_path, students=24) as setup:
        app = start_app(setup)
        open_page(page, app, "/allocation")
        select_all(page)
        assert _updates_sent(page, seconds=1.6) == 0  # no job yet: an idle page sends nothing
        assert page.inner_text("#alloc-selected") == "24 selected"
        page.click("#alloc-act-download")
        job_id, _, _ = _wait_for_job_to_show(page)
        state, line = wait_for_job(page, job_id)
        assert state == "done", line
        assert page.eval_on_selector("#alloc-progress", "e => e.value") == 100
        page.wait_for_function(
            "() => { let n = 0; dash_ag_grid.getApi('alloc-grid').forEachNode("
            "r => { if (r.data.job_state === 'ok') n++; }); return n === 24; }")
        checked = check_downloads_against_truth(setup.ws, setup.truth(), grid_rows(page))
        assert checked > 10
        assert _updates_sent(page, seconds=1.6) == 0  # the job is over: the panel stops polling
        screenshot(page, "allocation-downloaded")


def test_reload_mid_job_keeps_it_restart_resumes_it_and_cancel_stops_another(
        tmp_path, start_app, page):
    slow = {"bandwidth_bps": 100_000, "error_rate": 0.05}  # about 2 s a zip: time to act
    with demo_workspace(tmp_path, students=36, zip_mb=0.2, **slow) as setup:
        app = start_app(setup)
        open_page(page, app, "/allocation")
        select_all(page)
        page.click("#alloc-act-download")
        job_id, _, _ = _wait_for_job_to_show(page)
        wait_for_progress(page, 1, 60)

        page.reload()  # the job lives in the store, not in the page
        page.wait_for_selector("#alloc-grid .ag-row")
        shown, state, _ = _wait_for_job_to_show(page)
        assert (shown, state) == (job_id, "running")
        wait_for_progress(page, 1, 99)
        screenshot(page, "allocation-job-running")

        app.stop(signal.SIGKILL)  # the app dies mid-job; the store still says running
        app = start_app(setup)
        open_page(page, app, "/allocation")
        state, line = wait_for_job(page, job_id, timeout=180)
        assert state == "done", line
        wait_for_rows_done(page)
        check_downloads_against_truth(setup.ws, setup.truth(), grid_rows(page))

        # Cancel stops another: a second download of everyone, the first one's files removed.
        _delete_downloads(setup)
        open_page(page, app, "/allocation")
        select_all(page)
        page.click("#alloc-act-download")
        second, _, _ = _wait_for_job_to_show(page, after=job_id)
        wait_for_progress(page, 1, 50)
        page.click("#alloc-cancel")
        state, line = wait_for_job(page, second)
        assert state == "cancelled", line
        rows = Store(setup.ws.db_path).query_df(
            "SELECT state, COUNT(*) AS n FROM app_job_rows WHERE job_id = ? GROUP BY state",
            [second]).set_index("state")["n"].to_dict()
        assert rows.get("cancelled", 0) > 0 and rows.get("pending", 0) == 0, rows
        screenshot(page, "allocation-job-cancelled")

        page.click("#alloc-retry")  # retry just the rows that were not tried
        third, _, _ = _wait_for_job_to_show(page, after=second)
        state, line = wait_for_job(page, third, timeout=180)
        assert state == "done", line
        assert f"of {rows['cancelled']} done" in line
        wait_for_rows_done(page, unsettled=("pending", "cancelled"))
        check_downloads_against_truth(setup.ws, setup.truth(), grid_rows(page))


def test_refresh_the_allocation_then_fetch_codes_for_everyone(tmp_path, start_app, page):
    with demo_workspace(tmp_path, students=20, allocation=False) as setup:
        app = start_app(setup)
        open_page(page, app, "/allocation")
        assert grid_rows(page) == []  # a fresh workspace: no allocation yet
        page.click("#alloc-act-allocation")
        job_id, _, _ = _wait_for_job_to_show(page)
        assert wait_for_job(page, job_id)[0] == "done"
        page.wait_for_function("() => dash_ag_grid.getApi('alloc-grid').getDisplayedRowCount()"
                               " === 20")
        select_all(page)
        page.click("#alloc-act-codes")
        job_id, _, _ = _wait_for_job_to_show(page, after=job_id)
        state, line = wait_for_job(page, job_id)
        assert state == "done", line
        page.wait_for_function(
            "() => { let n = 0; dash_ag_grid.getApi('alloc-grid').forEachNode("
            "r => { if (r.data.job_state === 'ok') n++; }); return n === 20; }")
        by_pi = {r["id"].split("|")[1]: r for r in grid_rows(page)}
        truth = setup.truth()["students"]
        for student in truth:
            expected = student["confirmation_code"] if student["submitted"] else None
            assert by_pi[student["pi"]]["code"] == expected, student["pi"]
        assert sum(1 for s in truth if s["submitted"]) > 10
        screenshot(page, "allocation-codes")


def _wait_for_job_to_show(page, after: int | None = None, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job_id, state, line = job_status(page)
        if job_id is not None and (after is None or job_id > after):
            return job_id, state, line
        time.sleep(0.05)
    raise AssertionError(f"no new job shown: {job_status(page)}")


def _updates_sent(page, seconds: float) -> int:
    """How many Dash callback requests the page sends in the next ``seconds`` (the job panel
    ticks every 0.5 s while it polls)."""
    sent: list[str] = []
    def count(request) -> None:
        if "_dash-update-component" in request.url:
            sent.append(request.url)
    page.on("request", count)
    page.wait_for_timeout(seconds * 1000)
    page.remove_listener("request", count)
    return len(sent)


def _delete_downloads(setup) -> None:
    shutil.rmtree(setup.ws.scripts_dir, ignore_errors=True)
    with Store(setup.ws.db_path).connect() as conn:
        conn.execute("DELETE FROM downloads")
        conn.execute("DELETE FROM download_files")
