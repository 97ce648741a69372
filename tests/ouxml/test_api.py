"""The Python API: the names in gaffertape._API, returning DataFrames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import gaffertape as gt
from gaffertape.errors import UserError
from gaffertape.workspace import Workspace


def test_api_round(workspace: Workspace, docs: Path, tmp_path: Path) -> None:
    (docs / "bad.xml").write_text("<Item>", encoding="utf-8")
    ingested = gt.ingest_ouxml(docs, workspace=workspace)
    assert ingested.status.value_counts().to_dict() == {"ok": 2, "failed": 1}
    assert "bad.xml:1:" in ingested[ingested.status == "failed"].error.iloc[0]
    for frame in (gt.search_ouxml("buffer", workspace=workspace),
                  gt.ouxml_glossary(workspace=workspace),
                  gt.ouxml_outcomes("buffer", workspace=workspace),
                  gt.ouxml_images(workspace=workspace),
                  gt.ouxml_links(workspace=workspace.root),
                  gt.ouxml_topic("buffer", workspace=str(workspace.root)),
                  gt.ouxml_audit("structure", workspace=workspace),
                  gt.ouxml_audit("documents", workspace=workspace),
                  gt.ouxml_audit("figures", workspace=workspace),
                  gt.ouxml_audit("media", workspace=workspace)):
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    with pytest.raises(ValueError, match="unknown audit"):
        gt.ouxml_audit("poems", workspace=workspace)
    written = gt.ouxml_mindmap([tmp_path / "m.opml", tmp_path / "m.mm"], course="TST202",
                               workspace=workspace)
    assert all(p.stat().st_size > 100 for p in written)
    with pytest.raises(UserError, match="unknown mind-map format"):
        gt.ouxml_mindmap(tmp_path / "m.pdf", course="TST202", workspace=workspace)
    assert not (tmp_path / "m.pdf").exists()


def test_api_convert_and_back(tmp_path: Path) -> None:
    source = tmp_path / "a.md"
    source.write_text("# One\n\nText.\n", encoding="utf-8")
    out = gt.convert_to_ouxml(source, tmp_path / "a.xml", course_code="A1")
    assert b"<CourseCode>A1</CourseCode>" in out.read_bytes()
    back = gt.ouxml_to_file(out, tmp_path / "a.md.html")
    assert "<h1>One</h1>" in back.read_text(encoding="utf-8")
