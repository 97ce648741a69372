"""Shared test fixtures: real workspaces on disk, and the path to the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.workspace import Workspace

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


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
