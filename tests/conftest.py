"""Shared test fixtures: real workspaces on disk, and the path to the real data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaffertape.workspace import Workspace

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh, fully initialised workspace in a temporary folder."""
    return Workspace.init(tmp_path / "ws")


@pytest.fixture
def shared_data() -> Path:
    """The real data folder, or a skip that says why it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (it lives beside the repo as ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the browser tests of a module.

    Playwright's sync API runs an event loop on the main thread while it is started, and allows
    one instance at a time: the tests of a module share this one (each opens its own context or
    page), and it stops when the module ends, so later tests may use asyncio themselves. In CI
    a missing Chromium fails rather than skips.
    """
    from playwright import sync_api

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide Chromium at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"no browser at {CHROMIUM}: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page at 1280 px, with downloads allowed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
