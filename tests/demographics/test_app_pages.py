"""The demographics app page: its layout and callbacks in Python, then in the real shell with
headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaffertape.app import context
from gaffertape.app.registry import all_pages
from gaffertape.demographics import api
from gaffertape.demographics.app_pages import _on_dataset, layout, views
from gaffertape.demographics.store import save_comparators
from gaffertape.demographics.synthetic import generate_comparators, generate_students
from gaffertape.workspace import Workspace

TOKEN = "demog-test-token-" + "0123456789abcdef" * 2


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.init(tmp_path_factory.mktemp("demog-app") / "ws")
    api.save_dataset(ws, "synthetic", generate_students(3_000, seed=5), source="generated",
                     synthetic=True)
    save_comparators(ws.store, "synthetic-comparators", generate_comparators(3_000, seed=5),
                     source="generated", synthetic=True)
    return ws


def _ids(component: Any) -> set[str]:
    found = {getattr(component, "id", None)}
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found |= _ids(child)
    return found - {None}


def test_registered_and_laid_out_with_pickers(workspace: Workspace) -> None:
    assert "/demographics" in [p.path for p in all_pages()]
    context.set_workspace(workspace)
    ids = set().union(*(_ids(c) for c in layout()))
    assert {"demog-dataset", "demog-population", "demog-year", "demog-mode",
            "demog-distribution", "demog-pyramid"} <= ids
    assert _on_dataset("synthetic")[:2] == (1971, 2020)


def test_views_follow_the_pickers(workspace: Workspace) -> None:
    context.set_workspace(workspace)
    distribution, pyramid, note = views("synthetic", "graduated", 1995, "count")
    assert distribution.layout.title.text == "Graduated, 1995"
    table = api.dataset(workspace, "synthetic").table
    expected = table.query("year == 1995 and population == 'graduated' "
                           "and age_band != 'unknown'")["count"].sum()
    assert sum(sum(t.y) for t in distribution.data) == expected
    assert len(pyramid.data) == 8 and not pyramid.frames  # one year: no slider
    assert note.startswith("SYNTHETIC DATA") and "unknown age" in note


@pytest.fixture
def app_url(workspace: Workspace, tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
    env["GAFFERTAPE_APP_TOKEN"] = TOKEN
    log = (tmp_path / "app.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "gaffertape", "-w", str(workspace.root),
                             "app", "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=log, text=True)
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        assert line.startswith("http"), (tmp_path / "app.log").read_text()[-2000:]
        yield line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.mark.browser
def test_page_in_the_shell_in_chromium(app_url: str, tmp_path: Path, browser) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(app_url)  # the token sets the app's cookie
    base, _, _ = app_url.partition("?")
    page.goto(base.rstrip("/") + "/demographics")
    page.wait_for_selector("#demog-distribution .gtitle")
    assert "Studying, 2020" in page.text_content("#demog-distribution .gtitle")
    page.locator("input[name='demog-population'][value='graduated']").check()
    page.wait_for_function("document.querySelector('#demog-distribution .gtitle')"
                           ".textContent.startsWith('Graduated')")
    assert page.locator("#demog-pyramid .bars path").count() > 0
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "demographics-page.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_animation_plays_in_chromium(tmp_path: Path, browser) -> None:
    from gaffertape.demographics.aggregate import distributions
    from gaffertape.demographics.charts import animation_figure, write_figure

    table = distributions(generate_students(2_000, seed=6, years=6))
    (html_file,) = write_figure(animation_figure(table), tmp_path / "animation", ("html",))
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.goto(html_file.as_uri())
    title = page.locator(".gtitle")
    assert title.text_content().endswith("1971")
    page.get_by_text("▶ play").click()
    page.wait_for_function("document.querySelector('.gtitle').textContent.endsWith('1976')")
    page.close()
