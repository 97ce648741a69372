"""Ingest: both schema placements, provenance, re-ingest, zips, and bad files carrying on."""

from __future__ import annotations

import zipfile
from pathlib import Path

from gaffertape.ouxml.ingest import count_sources, ingest
from gaffertape.workspace import Workspace

from .samples import DOC_12


def _counts(ws: Workspace, table: str) -> dict[str, int]:
    df = ws.store.query_df(
        f"SELECT d.course_code, COUNT(t.id) AS n FROM ouxml_documents d "
        f"LEFT JOIN ouxml_{table} t USING (doc_id) GROUP BY d.course_code")
    return dict(zip(df.course_code, df.n, strict=True))


def test_both_placements_and_settings_block(ingested: Workspace) -> None:
    assert _counts(ingested, "outcomes") == {"TST101": 2, "TST202": 1}  # FrontMatter vs Session
    # the settings block's empty <Activity/>, <SAQ/>, <MediaContent/> are not counted
    assert _counts(ingested, "activities") == {"TST101": 2, "TST202": 0}
    assert _counts(ingested, "media") == {"TST101": 1, "TST202": 1}
    assert _counts(ingested, "glossary") == {"TST101": 1, "TST202": 2}
    links = ingested.store.query_df("SELECT kind, target FROM ouxml_links ORDER BY kind")
    assert links.values.tolist() == [
        ["crossref", "fig1"], ["external", "http://example.org/routers"],
        ["olink", "Other unit#s2"]]


def test_figures_use_x_imagesrc_and_keep_provenance(ingested: Workspace) -> None:
    figures = ingested.store.query_df(
        "SELECT d.source, f.image_file, f.caption, f.alt, f.description, f.xpath, n.title "
        "FROM ouxml_figures f JOIN ouxml_documents d USING (doc_id) "
        "LEFT JOIN ouxml_nodes n USING (node_id) ORDER BY f.image_file")
    assert figures.image_file.tolist() == ["images/buffer.png", "t_001i.jpg"]
    old = figures.iloc[1]
    assert old.source.endswith("tst101.xml") and old.xpath == "/Item/Unit/Session/Figure"
    assert old.title == "1 Routers" and old.alt == "Figure 1"
    new = figures.iloc[0]
    assert new.alt == "A queue of packets in a buffer"
    assert new.description == "Packets wait in a line."


def test_structure_tree_and_word_counts(ingested: Workspace) -> None:
    nodes = ingested.store.query_df(
        "SELECT n.kind, n.title, n.word_count, p.kind AS parent FROM ouxml_nodes n "
        "JOIN ouxml_documents d USING (doc_id) LEFT JOIN ouxml_nodes p ON p.node_id = n.parent_id "
        "WHERE d.course_code = 'TST101' ORDER BY n.ordinal")
    assert nodes.kind.tolist() == ["Unit", "Session", "Section", "SubSection"]
    assert nodes.parent.tolist()[1:] == ["Unit", "Session", "Section"]
    assert nodes.word_count.tolist() == sorted(nodes.word_count, reverse=True)
    sub = nodes.iloc[3]
    assert sub.title == "1.1.1 Sizes" and sub.word_count == 5  # "1.1.1 Sizes Buffers have sizes."


def test_reingest_replaces_rows(ingested: Workspace, docs: Path) -> None:
    before = ingested.store.tables().set_index("table").rows.to_dict()
    (docs / "tst101.xml").write_text(DOC_12.replace("<LearningOutcome>use the Windows calculator."
                                                    "</LearningOutcome>", ""), encoding="utf-8")
    ingest(ingested.store, [docs])
    after = ingested.store.tables().set_index("table").rows.to_dict()
    assert after["ouxml_documents"] == before["ouxml_documents"] == 2
    assert after["ouxml_outcomes"] == before["ouxml_outcomes"] - 1
    assert after["ouxml_glossary"] == before["ouxml_glossary"] - 1  # the edit dropped its glossary
    fts = ingested.store.query_df("SELECT COUNT(*) AS n FROM ouxml_fts WHERE kind = 'outcome'")
    assert fts.n[0] == 2


def test_bad_file_is_reported_and_others_carry_on(workspace: Workspace, docs: Path) -> None:
    (docs / "broken.xml").write_text("<Item>\n<Unit>\n</Item>\n", encoding="utf-8")
    result = ingest(workspace.store, [docs])
    assert len(result.documents) == 2
    [message] = result.errors.values()
    assert message.startswith(f"{docs / 'broken.xml'}:3: not well-formed XML")


def test_failed_reingest_keeps_the_good_rows(ingested: Workspace, docs: Path) -> None:
    (docs / "tst202.xml").write_text("<Item><Unit>", encoding="utf-8")
    result = ingest(ingested.store, [docs / "tst202.xml"])
    assert result.errors and not result.documents
    assert _counts(ingested, "glossary")["TST202"] == 2


def test_zip_of_documents(workspace: Workspace, docs: Path, tmp_path: Path) -> None:
    archive = tmp_path / "course.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in docs.iterdir():
            zf.write(file, f"unit/{file.name}")
        zf.writestr("../escape.xml", "<Item/>")  # refused by the safe extractor, never written
    assert count_sources([archive, docs]) == 4  # the refused member is not counted
    result = ingest(workspace.store, [archive])
    assert sorted(result.documents) == [f"{archive}/unit/tst101.xml", f"{archive}/unit/tst202.xml"]
    assert not (tmp_path / "escape.xml").exists()


def test_index_is_one_segment_after_each_ingest_and_reingest_still_replaces(
        ingested: Workspace, docs: Path) -> None:
    """Each document is its own transaction (so its own index segment); an ingest ends by
    merging them into one, which makes a search's look-ups cheaper. Re-ingest still replaces."""
    from gaffertape.ouxml.search import search

    def segments() -> int:
        return int(ingested.store.query_df(
            "SELECT COUNT(DISTINCT segid) AS n FROM ouxml_fts_idx").n[0])

    assert segments() == 1
    assert len(search(ingested.store, "Windows calculator", kind="outcome")) == 1
    (docs / "tst101.xml").write_text(DOC_12.replace("<LearningOutcome>use the Windows calculator."
                                                    "</LearningOutcome>", ""), encoding="utf-8")
    ingest(ingested.store, [docs])
    assert segments() == 1
    assert search(ingested.store, "Windows calculator", kind="outcome").empty
    assert len(search(ingested.store, "buffer")) >= 4
