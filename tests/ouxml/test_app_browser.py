"""The OU-XML pages in headless Debian Chromium, served by the real app (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaffertape.ouxml.ingest import ingest
from gaffertape.workspace import Workspace

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def served(workspace: Workspace, docs: Path, tmp_path: Path) -> Iterator[str]:
    """``gaffertape app`` on a workspace holding the two sample documents; the URL with token."""
    ingest(workspace.store, [docs])
    log = (tmp_path / "app.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gaffertape", "-w", str(workspace.root), "app", "--port", "0"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=os.environ.copy())
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        if not line.startswith("http"):
            pytest.fail(f"the app did not start: {(tmp_path / 'app.log').read_text()[-2000:]}")
        yield line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_pages_in_chromium(served: str, page: Any, tmp_path: Path) -> None:
    base, token = served.split("?", 1)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{base}ouxml/search?{token}")
    page.fill("#ouxml-q", "buffer")
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.hits li")
    assert page.locator("ol.hits mark").count() >= 3  # snippets highlight the matches
    assert "TST202" in page.inner_text("#ouxml-results")
    page.fill("#ouxml-kind", "outcome")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('ol.hits > li').length === 1")
    page.click("#ouxml-topic")  # topic mode: the best of each kind, every course
    page.wait_for_selector("text=glossary · TST202")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ouxml-search.png"), full_page=True)

    page.goto(f"{base}ouxml/glossary")
    page.wait_for_selector("#ouxml-glossary section")
    assert "Buffer.; Buffers" in page.inner_text("#ouxml-glossary")

    page.goto(f"{base}ouxml/images")
    page.fill("#ouxml-img-q", "queue")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=A queue of packets in a buffer")

    page.goto(f"{base}ouxml/mindmap")
    page.fill("#ouxml-map-topic", "buffer")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ouxml-map details")
    with page.expect_download() as download:
        page.click("#ouxml-map-opml")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "buffer.opml" and b"TST101" in saved.read_bytes()

    page.goto(f"{base}ouxml/audits")
    page.wait_for_selector("text=router.mp4")
    assert errors == []
