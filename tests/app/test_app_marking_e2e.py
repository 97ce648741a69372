"""The script page in Chromium: a flagged script's decision support, and third marks posted
back to the demo (faults on) exactly once, with the audit trail."""

from __future__ import annotations

import pytest

from gaffertape.marking.api import load, write_reports
from gaffertape.sites import workflows as wf
from gaffertape.store import Store

from .conftest import demo_workspace, screenshot
from .helpers import open_page

pytestmark = pytest.mark.browser


@pytest.fixture
def marked(tmp_path):
    """The demo with every script downloaded and every mark fetched, flags computed."""
    with demo_workspace(tmp_path, students=20) as setup:
        wf.download_scripts(setup.ws, progress=False)
        wf.collect_marks(setup.ws, progress=False)
        write_reports(setup.ws)
        yield setup


def _flagged(setup) -> dict:
    return next(s for s in setup.truth()["students"] if s["flag"]["third_marking_required"])


def test_open_a_flagged_script_and_see_both_charts_and_every_reason(marked, start_app, page):
    student = _flagged(marked)
    app = start_app(marked)
    open_page(page, app, "/allocation")
    page.fill("#alloc-search", student["pi"])
    page.wait_for_function("() => document.querySelectorAll('#alloc-grid .ag-row').length === 1")
    page.click(f"#alloc-grid a:text('{student['pi']}')")
    page.wait_for_selector("#script-chart-categories .main-svg")
    page.wait_for_selector("#script-chart-totals .main-svg")

    flag, _ = load(workspace=marked.ws).script(student["pi"], student["course"])
    reasons = flag["reasons"].split("; ")
    assert reasons and reasons[0]
    shown = page.locator("#script-reasons li").all_inner_texts()
    assert shown == reasons
    assert page.inner_text("#script-status") == "needs third marker"
    # both charts drew every marker's bars: 2 markers x 5 categories, and 5 stacked categories
    assert page.locator("#script-chart-categories .bars .point").count() == 10
    assert page.locator("#script-chart-totals .bars .point").count() == 10
    comments = page.inner_text("#script-comments")
    for role in ("first", "second"):
        assert student["marks"][role]["comments"] in comments
    first_file = student["files"][0]["name"]
    with page.expect_download() as download:
        page.click(f"a[aria-label='download {first_file}']")
    assert download.value.suggested_filename == first_file
    screenshot(page, "script-flagged")


def test_enter_and_post_third_marks_arrive_once_and_are_audited(marked, start_app, page,
                                                                  tmp_path):
    student = _flagged(marked)
    app = start_app(marked)
    open_page(page, app, f"/script?course={student['course']}&pi={student['pi']}")
    fields = page.locator("#third-form input")
    assert fields.count() == 5

    fields.nth(0).fill("9")  # over the category's maximum of 8
    page.wait_for_selector("#third-form .error:text('must be between 0 and 8')")
    assert page.is_disabled("#third-review")
    marks = [6, 5, 6, 5, 4]
    for index, mark in enumerate(marks):
        fields.nth(index).fill(str(mark))
    page.fill("#third-comments", "Third marked: a solid project.")
    try:
        page.wait_for_selector("#third-projection:has-text('Final mark under the scheme')")
    except Exception as exc:  # (failed once in CI, never here: say what the page and app had)
        log = (tmp_path / "app.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"no projection: {page.inner_text('#third-projection')!r}; fields "
                             f"{[fields.nth(i).input_value() for i in range(5)]}; app log "
                             f"{log}") from exc
    assert page.locator("#third-form .error").all_inner_texts() == [""] * 5
    screenshot(page, "script-third-marks-entered")

    page.click("#third-review")
    page.wait_for_selector("#third-confirm:not([hidden])")
    assert student["pi"] in page.inner_text("#third-confirm-text")
    assert marked.truth()["third_marks"] == []  # nothing is posted before confirming
    page.click("#third-post")
    try:
        page.wait_for_selector("#third-outcome", timeout=90_000)
    except Exception as exc:
        jobs = Store(marked.ws.db_path).query_df("SELECT state, message FROM app_jobs")
        raise AssertionError(f"no outcome: {page.inner_text('#third-result')!r}; "
                             f"jobs {jobs.to_dict('records')}") from exc
    assert "posted and read back" in page.inner_text("#third-outcome")
    rows = page.locator("#third-audit tbody tr")
    assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())] \
        == ["yes", ""]  # the read-back verified; the post itself is not a check
    page.wait_for_function("() => document.querySelector('#script-status').innerText"
                           " === 'third marked'")
    # the charts now carry the third marker: 3 markers x 5 categories, 5 stacks of 3 bars
    page.wait_for_function("() => document.querySelectorAll("
                           "'#script-chart-categories .bars .point').length === 15")
    assert page.locator("#script-chart-totals .bars .point").count() == 15
    screenshot(page, "script-third-marks-posted")

    arrived = [p for p in marked.truth()["third_marks"] if p["pi"] == student["pi"]]
    assert len([p for p in arrived if p["accepted"]]) == 1
    audit = Store(marked.ws.db_path).query_df(
        "SELECT action, verified FROM posts WHERE pi = ? ORDER BY id", [student["pi"]])
    assert "posted" in audit["action"].tolist()
    assert audit[audit["action"] == "verified"]["verified"].tolist() == [1]
    stored = Store(marked.ws.db_path).query_df(
        "SELECT category, mark FROM marks WHERE pi = ? AND role = 'third'", [student["pi"]])
    assert sorted(stored["mark"].tolist()) == sorted(float(m) for m in marks)
