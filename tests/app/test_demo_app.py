"""``gaffertape demo run --app``: the main job, then the demo and the app stay up, the app's URL
printed; the app shows the job's results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from .conftest import screenshot
from .helpers import grid_rows

pytestmark = pytest.mark.browser


def test_demo_run_app_keeps_demo_and_app_running(tmp_path, page) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
    command = [sys.executable, "-m", "gaffertape", "demo", "run", "--app", "--students", "12",
               "--zip-mb", "0.02", "--workspace", str(tmp_path / "ws")]
    log = (tmp_path / "demo.log").open("w")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = proc.stdout.readline().strip()  # the job's output is on stderr; stdout is the URL
        assert url.startswith("http://127.0.0.1:") and "?token=" in url, url
        page.goto(url.replace("/?", "/allocation?"))
        page.wait_for_selector("#alloc-grid .ag-row")
        rows = grid_rows(page)
        assert len(rows) == 12
        assert {r["download"] for r in rows} <= {"downloaded", "no submission"}
        assert any(r["flag"] for r in rows)  # the job's marking step flagged scripts
        # the demo is still up: a new job through the app reaches it
        page.locator("#alloc-grid .ag-header-select-all input").check()
        page.click("#alloc-act-marks")
        page.wait_for_selector("#alloc-job-status:has-text('fetch marks: done')", timeout=60_000)
        screenshot(page, "demo-run-app")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
