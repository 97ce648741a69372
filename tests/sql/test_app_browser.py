"""The SQL page in Chromium: type a query, run it, see the grid, download the CSV."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gaffertape.workspace import Workspace

from .conftest import seed_data_folder, seed_store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def app_url(tmp_path: Path):
    """`gaffertape app` on a seeded workspace; its first stdout line is the URL with token."""
    workspace = Workspace.init(tmp_path / "ws")
    seed_store(workspace.db_path)
    seed_data_folder(workspace.root / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
    proc = subprocess.Popen([sys.executable, "-m", "gaffertape", "-w", str(workspace.root), "app",
                             "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    url = proc.stdout.readline().strip() if proc.stdout else ""
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def wait_for_text(page, selector: str, text: str) -> None:
    page.wait_for_function("([s, t]) => document.querySelector(s).innerText.includes(t)",
                           arg=[selector, text])


def test_query_grid_and_download(app_url: str, page, tmp_path: Path) -> None:
    assert app_url.startswith("http"), "the app did not start"
    base, token = app_url.split("?", 1)
    page.goto(f"{base}sql?{token}")
    page.wait_for_selector(".sql-views")
    assert page.locator(".sql-views code", has_text="grades_2024").count() == 1
    page.fill("#sql-query", "select module, count(*) as n from grades_2024 group by module"
                            " order by module")
    assert page.locator("#sql-results .ag-header-cell-text", has_text="scripts").count() == 1
    page.click("#sql-run")  # the page opened with the example query's answer
    page.wait_for_selector("#sql-results .ag-header-cell-text:text-is('module')")
    wait_for_text(page, "#sql-status", "2 rows")
    rows = page.evaluate("() => { const r = []; dash_ag_grid.getApi('sql-results')"
                         ".forEachNode(n => r.push(n.data)); return r; }")
    assert rows == [{"module": "M0", "n": 6}, {"module": "M1", "n": 6}]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-sql-result.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#sql-download-go")
    saved = tmp_path / "query.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8-sig").splitlines() == ["module,n", "M0,6", "M1,6"]
    page.fill("#sql-query", "drop table students")
    page.click("#sql-run")
    wait_for_text(page, "#sql-error", "refused")
