"""Search: ranking, snippets, filters, the meta-glossary, images, links and topic mode."""

from __future__ import annotations

import pytest

from gaffertape.errors import UserError
from gaffertape.ouxml import search as s
from gaffertape.workspace import Workspace


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
