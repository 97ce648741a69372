"""Finding the system Chromium, which gaffertape uses for static charts and PDF printing.

gaffertape never downloads a browser: it uses Debian's ``chromium`` package (or the one named by
``BROWSER_PATH``). Capabilities that can do without it (e.g. a board pack as HTML only) ask
:func:`find_chromium`; those that cannot call :func:`require_chromium` for a clear error.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gaffertape.errors import UserError

SYSTEM_CHROMIUM = "/usr/bin/chromium"

# Headless flags that keep Chromium off the network and working as root in containers.
HEADLESS_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")


def find_chromium() -> str | None:
    """The browser to use: ``BROWSER_PATH``, else ``chromium`` on PATH, else Debian's; or None."""
    for candidate in (os.environ.get("BROWSER_PATH"), shutil.which("chromium"), SYSTEM_CHROMIUM):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require_chromium(purpose: str) -> str:
    """The browser path, or a UserError saying what needs it and how to get it."""
    browser = find_chromium()
    if browser is None:
        raise UserError(
            f"{purpose} needs Chromium, which was not found",
            hint="install Debian's chromium package (apt-get install chromium) or set BROWSER_PATH",
        )
    return browser
