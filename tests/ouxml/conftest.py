"""Small OU-XML documents written at test time (1.2 and 2.0 placements), and a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.workspace import Workspace

from .samples import DOC_20, GLOSSARY_12


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tst101.xml").write_text(GLOSSARY_12, encoding="utf-8")
    (folder / "tst202.xml").write_text(DOC_20, encoding="utf-8")
    return folder


@pytest.fixture
def ingested(workspace: Workspace, docs: Path) -> Workspace:
    from gaffertape.ouxml.ingest import ingest

    result = ingest(workspace.store, [docs])
    assert not result.errors
    return workspace
