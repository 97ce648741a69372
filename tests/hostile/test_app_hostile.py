"""A student's submission opened from the app: the files are the student's content, served
from the app's own origin, through the real app on a real server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gaffertape.app.commands import start_app
from gaffertape.workspace import Workspace

FILES = {
    "evil.html": "<script>fetch('/_dash-layout').then(r => r.text())</script>",
    "pic.svg": "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "page.xhtml": "<html xmlns='http://www.w3.org/1999/xhtml'><script>alert(1)</script></html>",
    "report.pdf": "%PDF-1.4\n",
    "figure.png": "\x89PNG\r\n",
    "notes.txt": "my notes",
    "main.py": "print('hi')",
}


@pytest.fixture
def app_files(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    folder = ws.scripts_dir / "TM470-25J" / "A1234567"
    folder.mkdir(parents=True)
    with ws.store.connect() as conn:
        for name, text in FILES.items():
            (folder / name).write_text(text, encoding="utf-8")
            conn.execute("INSERT INTO download_files (course, pi, path, size, sha256) "
                         "VALUES (?, ?, ?, ?, ?)", ("TM470-25J", "A1234567", name, len(text), ""))
    server, url = start_app(ws, token="t" * 32)
    server.start_background()
    with httpx.Client(timeout=10) as client:
        client.get(url)  # the token becomes the cookie, as in a browser
        base = url.split("?")[0] + "files/TM470-25J/A1234567/"
        yield lambda name: client.get(base + name)
    server.shutdown()


@pytest.mark.parametrize("name", ["evil.html", "pic.svg", "page.xhtml"])
def test_active_content_in_a_submission_is_a_download_never_a_page(app_files, name) -> None:
    """Opened in the browser, a student's .html or .svg ran its scripts as the marker, on the
    app's origin: every page, every job (posting marks included) was within its reach."""
    answer = app_files(name)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(("name", "shown_as"), [
    ("report.pdf", "application/pdf"), ("figure.png", "image/png"),
    ("notes.txt", "text/plain"), ("main.py", "text/plain"),
])
def test_passive_files_still_open_in_the_browser(app_files, name, shown_as) -> None:
    answer = app_files(name)
    assert answer.headers["Content-Disposition"].startswith("inline")
    assert answer.headers["Content-Type"].split(";")[0] == shown_as
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
