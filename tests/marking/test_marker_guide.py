"""Screenshots of the real outputs for docs/third-marker.md, taken in headless Chromium.

Written to ``tests/artifacts/marking/`` (git-ignored; CI keeps them as artifacts). The guide
shows copies committed under ``docs/images/`` (refresh them by copying after this test). Each
screenshot is also checked: the chart SVGs drawn, the cover listing every flagged script, the
terminal table whole at 80 columns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rich.console import Console

from gaffertape import ui
from gaffertape.marking import api
from gaffertape.marking.api import Marking

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "marking"
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
COMMENTS = {
    "first": "A clear project with well-argued aims. The evaluation needs more evidence.",
    "second": "Design decisions are not justified against the requirements; testing is thin.",
}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data() -> Marking:
    sys.path.insert(0, str(BENCHMARKS))
    from marking_speed import generate_marks  # the benchmarks' seeded, realistic generator

    marks = generate_marks(60, seed=11)
    marks["comments"] = marks["role"].map(COMMENTS)
    return Marking.from_marks(marks)


def _open(browser, path: Path, width: int = 820):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.set_default_timeout(180_000)  # a shared, busy machine can be slow to draw
    page.route("http*://**", lambda route: route.abort())  # everything works offline
    page.goto(path.as_uri())
    return page


def test_board_pack_screenshots(data: Marking, browser, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html_path, _ = api.write_board(data, tmp_path)
    page = _open(browser, html_path)
    page.wait_for_selector("section svg.main-svg")
    cover = page.locator(".cover")
    assert cover.locator("tbody tr").count() == len(data.flagged)
    cover.screenshot(path=ARTIFACTS / "board_cover.png")
    first = page.locator("section").first
    assert first.locator("svg.main-svg").count() >= 2
    first.screenshot(path=ARTIFACTS / "board_script_page.png")


def test_report_and_cohort_screenshots(data: Marking, browser, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pi = data.flagged["pi"].iloc[0]
    report = api.write_script_reports(data, [pi], tmp_path / "scripts", ())[0]
    page = _open(browser, report, width=960)
    page.wait_for_selector("div.chart svg.main-svg")
    assert page.locator("div.chart svg.main-svg").count() >= 2
    page.screenshot(path=ARTIFACTS / "report.png", full_page=True)

    api.write_cohort(data, tmp_path / "cohort", formats=())
    page = _open(browser, tmp_path / "cohort" / "cohort_charts.html", width=960)
    page.wait_for_selector("svg.main-svg")
    plots = page.locator("div.plotly-graph-div")
    assert plots.count() == 3
    for n, name in enumerate(["marker_distribution", "first_vs_second",
                              "category_disagreement"]):
        plots.nth(n).screenshot(path=ARTIFACTS / f"cohort_{name}.png")


def test_terminal_flags_screenshot(data: Marking, browser, tmp_path: Path,
                                   monkeypatch) -> None:
    """`gaffertape marking flags` at 80 columns, as a marker sees it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    terminal = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    monkeypatch.setattr(ui, "stdout", terminal)
    monkeypatch.setattr(ui, "console", terminal)
    from gaffertape.marking.commands import flags_view

    ui.print_dataframe(flags_view(data.flagged.head(8)), key=("pi", "course"))
    text = terminal.export_text(clear=False)
    for pi in data.flagged["pi"].head(8):
        assert pi in text
    page_path = tmp_path / "terminal.html"
    page_path.write_text(terminal.export_html(inline_styles=True), encoding="utf-8")
    page = _open(browser, page_path, width=820)
    page.locator("pre").first.screenshot(path=ARTIFACTS / "terminal_flags_80.png")
