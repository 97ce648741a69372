"""Search: ranking, snippets, filters, the meta-glossary, images, links and topic mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.errors import UserError
from gaffertape.ouxml import search as s
from gaffertape.workspace import Workspace

from .samples import DOC_20, GLOSSARY_12


def test_ranked_search_with_snippets_and_provenance(ingested: Workspace) -> None:
    hits = s.search(ingested.store, "buffer")
    assert len(hits) >= 4
    assert hits.score.is_monotonic_decreasing
    # title hits (a glossary term, a unit title; weight 10) rank above body-text hits
    assert {hits.iloc[0].kind, hits.iloc[1].kind} == {"glossary", "unit"}
    assert any("[buffer]" in snippet.lower() or "[buffers]" in snippet.lower()
               for snippet in hits.snippet)
    assert all(x.startswith("/Item/") for x in hits.xpath)
    section = hits[hits.kind == "section"].iloc[0]
    assert section.title == "1.1 Buffers" and section.course == "TST101"


def test_porter_stemming_and_filters(ingested: Workspace) -> None:
    assert set(s.search(ingested.store, "forwarding packets").course) == {"TST101", "TST202"}
    only = s.search(ingested.store, "buffer", kind="outcome")
    assert only.kind.tolist() == ["outcome"] and only.course.tolist() == ["TST202"]
    assert set(s.search(ingested.store, "buffer", course="TST101").course) == {"TST101"}
    assert s.search(ingested.store, "buffer", kind=["glossary", "figure"]).kind.isin(
        ["glossary", "figure"]).all()


def test_user_text_is_never_fts_syntax(ingested: Workspace) -> None:
    assert len(s.search(ingested.store, 'buffer" -( :')) >= 1  # quoted words, no syntax error
    assert s.search(ingested.store, "buffer OR NEAR").empty  # OR/NEAR are words here, ANDed
    with pytest.raises(UserError, match="nothing to search for"):
        s.search(ingested.store, "  ?! ")
    with pytest.raises(UserError, match="unknown kind"):
        s.search(ingested.store, "buffer", kind="poem")
    with pytest.raises(UserError, match="cannot search"):
        s.search(ingested.store, '"unbalanced', raw=True)
    assert len(s.search(ingested.store, "buff*", raw=True)) >= 4


def test_term_key_groups_spellings() -> None:
    assert s.term_key("Buffer.") == s.term_key("buffers") == s.term_key("BUFFER") == "buffer"
    assert s.term_key("e-mail") == s.term_key("Email")
    assert s.term_key("Policies") == s.term_key("policy")
    assert s.term_key("bus") == "bus" and s.term_key("process") == "process"
    assert s.term_key("router") != s.term_key("route")


def test_meta_glossary_merges_across_documents(ingested: Workspace) -> None:
    merged = s.glossary(ingested.store)
    buffer = merged[merged.term.str.lower() == "buffer"]
    assert len(buffer) == 2  # two definitions side by side, one per document
    assert set(buffer.course) == {"TST101", "TST202"}
    assert buffer.iloc[0].variants == "Buffer.; Buffers" and (buffer.documents == 2).all()
    assert s.glossary(ingested.store, "BUFFERS").definition.tolist() == buffer.definition.tolist()
    assert s.glossary(ingested.store, course="TST202").term.tolist() == ["Buffers", "router"]


def test_outcomes_images_and_links(ingested: Workspace) -> None:
    assert s.outcomes(ingested.store, "packet switching").course.tolist() == ["TST101"]
    found = s.images(ingested.store, "queue")
    assert found.image_file.tolist() == ["images/buffer.png"]
    assert found.iloc[0].alt == "A queue of packets in a buffer"
    assert len(s.images(ingested.store)) == 2
    assert s.links(ingested.store, kind="external").target.tolist() == [
        "http://example.org/routers"]
    assert s.links(ingested.store, "other unit").kind.tolist() == ["olink"]


def test_topic_gathers_components_from_several_courses(ingested: Workspace) -> None:
    gathered = s.topic(ingested.store, "buffer")
    assert {"outcome", "glossary", "figure", "section"} <= set(gathered.kind)
    assert set(gathered.course) == {"TST101", "TST202"}
    assert s.topic(ingested.store, "zebra").empty


# ---------------------------------------------------------------------------------------------
# ranking: search() ranks in two steps (top rows by BM25, then their snippets by rowid); these
# tests hold it to FTS5's own BM25 ordering on a store where the limit really cuts.


@pytest.fixture
def many(workspace: Workspace, tmp_path: Path) -> Workspace:
    """Fifteen variants of each sample document: four courses, texts of different lengths."""
    from gaffertape.ouxml.ingest import ingest

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(15):
        filler = " ".join(["buffer"] * (i % 4) + ["padding words"] * i)
        for name, text, code in (("a", GLOSSARY_12, "TST101"), ("b", DOC_20, "TST202")):
            varied = text.replace(f"<CourseCode>{code}", f"<CourseCode>{code}-{i % 2}").replace(
                "</Session>", f"<Paragraph>{filler}</Paragraph></Session>", 1)
            (folder / f"{name}{i:02d}.xml").write_text(varied, encoding="utf-8")
    assert not ingest(workspace.store, [folder]).errors
    return workspace


def fts5_ranking(store, fts: str, where: str = "", params: tuple = (), limit: int = 1000
                 ) -> list[tuple[float, int, str]]:
    """(score, doc_id, xpath), best first, as FTS5 itself sorts by rank: the reference."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT -rank, doc_id, xpath FROM ouxml_fts WHERE ouxml_fts MATCH ? AND rank MATCH "
            f"'bm25(10.0, 1.0)' {where} ORDER BY rank LIMIT ?", (fts, *params, limit)).fetchall()
    return [(round(score, 9), doc_id, xpath) for score, doc_id, xpath in rows]


def ranked(hits) -> list[tuple[float, int, str]]:
    return [(round(r.score, 9), int(r.doc_id), r.xpath) for r in hits.itertuples()]


@pytest.mark.parametrize(("query", "raw"), [
    ("buffer", False), ("padding words", False), ("buffer padding", False),
    ("buff* OR NEAR(padding words)", True)])
def test_ranking_is_fts5_bm25_order(many: Workspace, query: str, raw: bool) -> None:
    expected = fts5_ranking(many.store, s.fts_query(query, raw=raw))
    assert len(expected) > 20  # the default limit cuts
    found = ranked(s.search(many.store, query, limit=1000, raw=raw))
    assert [score for score, *_ in found] == [score for score, *_ in expected]
    assert sorted(found) == sorted(expected)
    top = ranked(s.search(many.store, query, raw=raw))  # default limit 20: the best 20
    assert [score for score, *_ in top] == [score for score, *_ in expected[:20]]
    assert set(top) <= set(expected)


def test_filters_rank_within_the_filtered_rows(many: Workspace) -> None:
    """The limit applies after the kind and course filters: the best figure comes back even
    when glossary terms and titles outrank every figure."""
    fts = s.fts_query("buffer")
    for kind in ("figure", "outcome", "section"):
        expected = fts5_ranking(many.store, fts, "AND kind = ?", (kind,), limit=3)
        hits = s.search(many.store, "buffer", kind=kind, limit=3)
        assert hits.kind.eq(kind).all() and len(hits) == len(expected) > 0
        assert [score for score, *_ in ranked(hits)] == [score for score, *_ in expected]
    expected = fts5_ranking(many.store, fts, "AND course = ?", ("TST202-1",), limit=5)
    hits = s.search(many.store, "buffer", course="TST202-1", limit=5)
    assert set(hits.course) == {"TST202-1"}
    assert [score for score, *_ in ranked(hits)] == [score for score, *_ in expected]
    both = s.search(many.store, "buffer", kind=["glossary", "figure"], course="TST101-0")
    assert set(both.kind) <= {"glossary", "figure"} and set(both.course) == {"TST101-0"}


def test_every_ranked_row_has_its_own_snippet_document_and_section(many: Workspace) -> None:
    hits = s.search(many.store, "buffer", limit=50, mark=("<b>", "</b>"))
    assert len(hits) == 50
    with many.store.connect() as conn:
        snippets = {(doc_id, xpath): snippet for doc_id, xpath, snippet in conn.execute(
            "SELECT doc_id, xpath, snippet(ouxml_fts, 1, '<b>', '</b>', '…', 16) FROM ouxml_fts"
            " WHERE ouxml_fts MATCH '\"buffer\"'")}
        sources = dict(conn.execute("SELECT doc_id, source FROM ouxml_documents"))
    assert hits.snippet.str.contains("<b>", regex=False).sum() >= 20
    for hit in hits.itertuples():
        assert hit.snippet == snippets[hit.doc_id, hit.xpath]
        assert hit.source == sources[hit.doc_id]
    assert hits.section.notna().any()


def test_topic_is_the_best_of_each_kind_ranked_once(many: Workspace) -> None:
    """Topic mode ranks the matches in one pass; it must equal one filtered search per kind."""
    gathered = s.topic(many.store, "buffer", per_kind=3)
    expected = [search for kind in s.TOPIC_KINDS
                if not (search := s.search(many.store, "buffer", kind=kind, limit=3)).empty]
    assert gathered.kind.tolist() == [k for frame in expected for k in frame.kind]
    assert [round(x, 9) for x in gathered.score] == [
        round(x, 9) for frame in expected for x in frame.score]
    assert gathered.snippet.tolist() == [x for frame in expected for x in frame.snippet]
    assert gathered.kind.value_counts().max() == 3
