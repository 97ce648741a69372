"""Write files so that a crash never leaves a half-written one behind.

Everything gaffertape writes to disk (downloads, reports, exports) goes through
:func:`atomic_write`: the data lands in a temporary file beside the destination and is renamed
into place only once complete. A rename within one directory is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_write(dest: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; move it onto ``dest`` if the block succeeds."""
    dest = Path(dest)
    _make_private_folders(dest.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _make_private_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents readable by their user only (``0700``), as
    the workspace's own folders are: report and export folders name students in their file
    names (``TM470-25J_A1234567.md``). Folders that exist are left as they are."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(mode=0o700, exist_ok=True)


def write_text_atomic(dest: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically and return the destination path."""
    with atomic_write(dest) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(dest)
