"""Every registered page (so pages merged later are covered too) renders without an error and
passes axe-core's WCAG 2.1 A/AA rules, at 1280 px and at 800 px wide; plus the sheets page."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import Workbook

from gaffertape.app.registry import all_pages
from gaffertape.marking.api import write_reports
from gaffertape.sites import workflows as wf

from .conftest import demo_workspace, screenshot
from .helpers import open_page

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = (1280, 800)


@pytest.fixture(scope="module")
def marked_app(tmp_path_factory):
    """One app for the module over a workspace with downloads, codes, marks and flags."""
    from .conftest import AppProcess

    tmp = tmp_path_factory.mktemp("pages")
    with demo_workspace(tmp, students=16) as setup:
        wf.download_scripts(setup.ws, progress=False)
        wf.collect_marks(setup.ws, progress=False)
        write_reports(setup.ws)
        app = AppProcess(setup.ws.root, setup.env, tmp / "app.log")
        try:
            yield setup, app
        finally:
            app.stop()


def _watch_errors(page) -> list[str]:
    """Console errors (a failed Dash callback logs one) and server errors, as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500
            else None)
    return errors


def _visits(setup, path: str) -> list[str]:
    """The page itself, and for the script page a flagged script as well."""
    if path != "/script":
        return [path]
    flagged = next(s for s in setup.truth()["students"] if s["flag"]["third_marking_required"])
    return [path, f"/script?course={flagged['course']}&pi={flagged['pi']}"]


@pytest.mark.parametrize("path", [page.path for page in all_pages()])
def test_every_page_renders_and_passes_axe(marked_app, browser, path: str) -> None:
    setup, app = marked_app
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = _watch_errors(page)
        try:
            for visit in _visits(setup, path):
                open_page(page, app, visit)
                page.wait_for_load_state("networkidle")
                assert page.locator(".page-error").count() == 0, page.inner_text("#page")
                assert not page.locator("h1:text('Page not found')").count()
                assert errors == [], errors
                page.add_script_tag(path=str(AXE))
                result = page.evaluate("(rules) => axe.run(document, rules)", AXE_RULES)
                problems = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                            for v in result["violations"]]
                assert problems == [], f"{visit} at {width}px: {problems}"
                name = visit.strip("/").split("?")[0] or "home"
                suffix = "-flagged" if "?" in visit else ""
                screenshot(page, f"page-{name}{suffix}-{width}px")
        finally:
            context.close()


def test_keyboard_reaches_the_navigation_and_the_allocation_actions(marked_app, page) -> None:
    _, app = marked_app
    open_page(page, app, "/allocation")
    page.wait_for_selector("#alloc-grid .ag-row")
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(
            "document.activeElement.id || document.activeElement.innerText"))
    assert "Skip to content" in focused[0]
    assert "alloc-search" in focused
    assert "alloc-act-allocation" in focused


def _messy_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Table 1"
    sheet.append(["Students by year and mode"])
    sheet.append([])
    sheet.append(["Year", "Full-time", "Part-time"])
    for year, full, part in [(2021, 120, 30), (2022, 130, "[x]"), (2023, 140, 35)]:
        sheet.append([year, full, part])
    sheet.append(["Source: demo"])
    book.save(path)
    return path


def test_sheets_upload_inspect_and_download_every_format(marked_app, page, tmp_path) -> None:
    setup, app = marked_app
    workbook = _messy_workbook(tmp_path / "enrolments.xlsx")
    open_page(page, app, "/sheets")
    page.set_input_files("#sheets-upload input[type=file]", str(workbook))
    page.wait_for_selector("#sheets-upload-result:has-text('Saved enrolments.xlsx')")
    page.wait_for_selector("#sheets-inspector iframe")
    assert "table(s) detected" in page.inner_text("#sheets-inspector")
    assert (setup.ws.root / "sheets" / "enrolments.xlsx").is_file()
    screenshot(page, "sheets-inspector")
    for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("parquet", "Parquet")):
        with page.expect_download() as download:
            page.click(f".sheets-download-go:text-is('{label}')")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == f".{fmt}"
        data = (pd.read_csv(saved) if fmt == "csv"
                else pd.read_excel(saved, engine="openpyxl") if fmt == "xlsx"
                else duckdb.sql(f"SELECT * FROM read_parquet('{saved}')").df())
        assert len(data) >= 5 and {"sheet", "cell", "column_header"} <= set(data.columns)


