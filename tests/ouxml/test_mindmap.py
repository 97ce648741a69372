"""Mind maps: course and topic trees, and the three file formats."""

from __future__ import annotations

import pytest
from lxml import etree

from gaffertape.errors import UserError
from gaffertape.ouxml import mindmap as m
from gaffertape.workspace import Workspace


def test_course_map_has_structure_and_outcomes(ingested: Workspace) -> None:
    root = m.course_map(ingested.store, "TST101")
    assert root.text == "TST101 Testing things"
    [doc] = root.children
    assert doc.text == "Networks unit"
    outcomes, session = doc.children
    assert outcomes.text == "Learning outcomes" and len(outcomes.children) == 2
    assert session.text.startswith("1 Routers (")
    section = session.children[0]
    assert section.text.startswith("1.1 Buffers") and section.children[0].text.startswith(
        "1.1.1 Sizes (5 words)")
    assert section.link.endswith("tst101.xml#/Item/Unit/Session/Section")
    assert section.link.startswith("file:///")
    with pytest.raises(UserError, match="no documents for course 'NOPE'"):
        m.course_map(ingested.store, "NOPE")


def test_topic_map_spans_courses_with_links(ingested: Workspace) -> None:
    root = m.topic_map(ingested.store, "buffer")
    assert root.text == "buffer"
    assert [c.text for c in root.children] == ["TST101", "TST202"]
    kinds = {k.text for course in root.children for k in course.children}
    assert {"Learning outcomes", "Glossary", "Figures", "Sections"} <= kinds
    leaves = [leaf for course in root.children for k in course.children for leaf in k.children]
    assert all("#/Item/" in leaf.link for leaf in leaves)


def test_formats(ingested: Workspace) -> None:
    root = m.course_map(ingested.store, "TST101")
    mm = etree.fromstring(m.to_freemind(root))
    assert mm.tag == "map" and mm[0].get("TEXT") == "TST101 Testing things"
    assert len(mm.findall(".//node")) == root.count()
    opml = etree.fromstring(m.to_opml(root))
    assert len(opml.findall(".//outline")) == root.count()
    assert opml.find(".//outline[@type='link']").get("url").startswith("file:///")
    html = m.to_html(root)
    assert html.count("<li") == root.count() and "<details open>" in html
    assert "http://" not in html.split("<body>")[1].replace('href="file://', "")  # offline
    evil = m.MindNode('<script>alert(1)</script>', 'javascript:"x"')
    assert "<script>alert" not in m.to_html(evil) and "javascript:" not in m.to_html(evil)
