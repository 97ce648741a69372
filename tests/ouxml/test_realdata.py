"""Every real document in ../shared/data/ouxml ingests, with counts checked by hand.

How the expected counts were read (by eye, then checked against the files):
``grep -o "<LearningOutcome>" F | wc -l``; ``grep -o "<GlossaryItem>"``; ``grep -o "<Figure[ >]"``
(``<Figures`` in the settings block is not a figure); links = ``grep -o "<a [^>]*href="`` +
``grep -o "<olink "`` + ``grep -o "<CrossRef "``; activities = ``<Activity[ >]`` + ``<SAQ[ >]`` +
``<Exercise[ >]``, minus the one empty ``<Activity autonumber="false"/>`` (and SAQ, Exercise)
each 1.2 file carries in its ``/Item/settings/numbering`` block, which is configuration, not
content. The template is a ``FrontMatter`` fragment (no ``Item`` root): it ingests with no
components.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.ouxml.ingest import ingest
from gaffertape.workspace import Workspace

_REPO = Path(__file__).resolve().parents[2]
# ../shared/data beside a clone; a git worktree sits one level deeper (../../shared/data)
_CANDIDATES = [up / "shared" / "data" / "ouxml" for up in (_REPO.parent, _REPO.parent.parent)]
DATA = next((path for path in _CANDIDATES if path.is_dir()), _CANDIDATES[0])

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data absent: {DATA} not found"),
]

# file: (learning outcomes, glossary items, figures, links, activities incl. SAQs/exercises)
EXPECTED = {
    "generated_ouxmlvalidator_docs_index.xml": (0, 0, 2, 5, 0),
    "generated_rce_b0_p1_zzz.xml": (0, 0, 5, 23, 0),
    "generated_rce_b2_p1_demo2.xml": (0, 3, 3, 27, 6),
    "generated_rce_example_xxx_b0_p1_zzz.xml": (0, 0, 3, 9, 0),
    "generated_rce_xxx_b0_p1_zzz.xml": (0, 0, 4, 20, 0),
    "generated_sphinxcontrib_ou_av_index.xml": (0, 0, 0, 7, 6),
    "openlearn_t175_1.xml": (3, 0, 24, 91, 33),
    "openlearn_t175_2.xml": (3, 0, 1, 21, 5),
    "openlearn_t175_3.xml": (5, 0, 16, 62, 19),
    "openlearn_t175_4.xml": (4, 0, 2, 20, 7),
    "openlearn_t175_5.xml": (9, 0, 13, 98, 27),
    "openlearn_t175_7.xml": (3, 0, 8, 22, 8),
    "template_ouxml_validator.xml": (0, 0, 0, 0, 0),
}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("real") / "ws")
    result = ingest(workspace.store, [DATA])
    assert result.errors == {}
    assert len(result.documents) == len(list(DATA.glob("*.xml")))
    return workspace


def test_every_document_ingests_with_hand_counted_components(real: Workspace) -> None:
    got = real.store.query_df("""
        SELECT d.source,
          (SELECT COUNT(*) FROM ouxml_outcomes t WHERE t.doc_id = d.doc_id) AS outcomes,
          (SELECT COUNT(*) FROM ouxml_glossary t WHERE t.doc_id = d.doc_id) AS glossary,
          (SELECT COUNT(*) FROM ouxml_figures t WHERE t.doc_id = d.doc_id) AS figures,
          (SELECT COUNT(*) FROM ouxml_links t WHERE t.doc_id = d.doc_id) AS links,
          (SELECT COUNT(*) FROM ouxml_activities t WHERE t.doc_id = d.doc_id) AS activities
        FROM ouxml_documents d""")
    counts = {Path(row.source).name: tuple(int(v) for v in row[1:]) for row in got.itertuples(
        index=False)}
    assert counts == EXPECTED


def test_t175_1_detail(real: Workspace) -> None:
    """T175 unit 1 by eye: 20 activities and 13 SAQs; 18 external links, 73 CrossRefs; figure
    images named by @x_imagesrc, not the \\\\DCTM_FSS share path in @src."""
    df = real.store.query_df(
        "SELECT t.kind, COUNT(*) AS n FROM ouxml_activities t JOIN ouxml_documents d "
        "USING (doc_id) WHERE d.source LIKE '%t175_1.xml' GROUP BY t.kind ORDER BY t.kind")
    assert dict(zip(df.kind, df.n, strict=True)) == {"activity": 20, "saq": 13}
    links = real.store.query_df(
        "SELECT t.kind, COUNT(*) AS n FROM ouxml_links t JOIN ouxml_documents d USING (doc_id) "
        "WHERE d.source LIKE '%t175_1.xml' GROUP BY t.kind ORDER BY t.kind")
    assert dict(zip(links.kind, links.n, strict=True)) == {"crossref": 73, "external": 18}
    images = real.store.query_df("SELECT image_file FROM ouxml_figures WHERE image_file LIKE "
                                 "'%DCTM%' OR image_file = ''")
    assert images.empty
    schemas = real.store.query_df("SELECT schema_version, COUNT(*) AS n FROM ouxml_documents "
                                  "GROUP BY schema_version ORDER BY schema_version")
    assert dict(zip(schemas.schema_version, schemas.n, strict=True)) == {
        "1.2": 6, "2.0": 6, "fragment": 1}


def test_every_real_document_previews_and_converts_back_to_valid_ouxml() -> None:
    """OU-XML (1.2 or 2.0) -> Markdown -> OU-XML 2.0 that validates against the schema, and an
    HTML preview, for every real file: the authoring route reads what the OU publishes."""
    from gaffertape.ouxml.convert import markdown_to_ouxml, ouxml_to_html, ouxml_to_markdown
    from gaffertape.ouxml.safeparse import parse_file
    from gaffertape.ouxml.schema import schema_errors

    for path in sorted(DATA.glob("*.xml")):
        tree = parse_file(path)
        markdown = ouxml_to_markdown(tree)
        assert ouxml_to_html(tree).startswith("<!doctype html>")
        again = markdown_to_ouxml(markdown, source=f"{path.name}.md")
        assert schema_errors(again) == [], path.name
        sessions = len(tree.getroot().findall(".//Session"))
        assert len(again.getroot().findall(".//Session")) >= min(sessions, 1), path.name
