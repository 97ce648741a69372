"""A real browser (Debian Chromium via Playwright) can use the demo: no JavaScript needed."""

from __future__ import annotations

import pytest

from gaffertape.demo import DemoUniversity

from .demo_helpers import COURSE, first_submitted


@pytest.mark.browser
def test_sign_in_allocation_and_etma_in_chromium(demo: DemoUniversity, browser) -> None:
    student = first_submitted(demo.truth())
    page = browser.new_page(java_script_enabled=False)
    try:
        page.goto(f"{demo.base_url}/oscar/allocation?pres={COURSE}")
        assert page.title() == "Sign in"
        page.fill("input[name=username]", demo.username)
        page.fill("input[name=password]", demo.password)
        page.click("input[type=submit]")
        assert page.url.endswith(f"/oscar/allocation?pres={COURSE}")
        assert page.locator("table.allocation tr").count() == 1 + demo.config.students
        page.goto(f"{demo.base_url}/etma/admin")
        page.fill("input[name=course]", COURSE)
        page.fill("input[name=pi]", student["pi"])
        page.click("input[type=submit]")
        assert page.locator("b.code").inner_text() == student["confirmation_code"]
        with page.expect_download() as download:
            page.click("input[value=Download]")
        assert download.value.suggested_filename == f"{COURSE}_{student['pi']}.zip"
    finally:
        page.close()
