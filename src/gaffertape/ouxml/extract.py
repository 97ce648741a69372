"""Turn one parsed OU-XML document into rows: structure, outcomes, glossary, figures, media,
links, activities, SAQs and references, each with the XPath it came from.

Lenient by design: the 1.2 documents OpenLearn publishes and the 2.0 documents today's
pipelines generate put some elements in different places (``LearningOutcomes`` under
``FrontMatter`` in 1.2, under ``Session`` in 2.0; ``Image/@x_imagesrc`` in 1.2 where ``@src`` is
an old Windows share path), so components are found wherever they are, not by a fixed path.
The trailing ``/Item/settings`` block (empty ``<Activity/>``, ``<SAQ/>``… elements that only
configure numbering) is dropped before anything is counted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import Any

from lxml import etree

# Structure levels, outermost first; InternalSection is 2.0's unnumbered section.
STRUCTURE = ("Unit", "Session", "Section", "InternalSection", "SubSection", "SubSubSection")
_WORD = re.compile(r"\w+(?:[-'’.,]\w+)*")  # 1.1.1, 4,000, don't: one word


def clean(text: str | None) -> str:
    """Collapse whitespace (OU-XML is pretty-printed, so text carries indentation)."""
    return " ".join(text.split()) if text else ""


def text_of(element: Any) -> str:
    return clean(" ".join(element.itertext())) if element is not None else ""


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass
class Extracted:
    """Everything gaffertape keeps about one document (rows keyed by table suffix)."""

    source: str
    sha256: str
    course_code: str
    course_title: str
    item_title: str
    schema_version: str
    word_count: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fts: list[dict[str, Any]] = field(default_factory=list)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, []))


def _first_text(element: Any, *tags: str) -> str:
    for tag in tags:
        found = element.find(tag)
        if found is not None and text_of(found):
            return text_of(found)
    return ""


# Components indexed on their own: kept out of their section's search text (so a hit is not
# reported twice) but still counted in its words.
_SEPARATELY_INDEXED = {"Activity", "SAQ", "Exercise", "Figure", "MediaContent", "LearningOutcomes",
                       "Glossary", "References", "Reference"}


def _own_text(element: Any) -> tuple[str, int]:
    """A structure node's own search text, and its own word count (structure nodes inside it
    excluded from both; separately indexed components excluded from the text only)."""
    text: list[str] = []
    counted: list[str] = []

    def walk(el: Any, into: list[str]) -> None:
        if el.text:
            into.append(el.text)
        for child in el:
            if isinstance(child.tag, str) and child.tag not in STRUCTURE:
                walk(child, counted if child.tag in _SEPARATELY_INDEXED else into)
            if child.tail:
                into.append(child.tail)

    walk(element, text)
    own = clean(" ".join(text))
    return own, word_count(own) + word_count(" ".join(counted))


def image_file(image: Any) -> str:
    """The image's file name: ``@x_imagesrc`` (1.2, what OpenLearn serves) else ``@src``."""
    if image is None:
        return ""
    src = image.get("x_imagesrc") or image.get("src") or ""
    if "\\" in src:  # an old Windows share path: keep the file name
        src = PureWindowsPath(src).name
    return src.strip()


class _Extractor:
    def __init__(self, tree: etree._ElementTree, source: str, data: bytes) -> None:
        self.tree = tree
        self.root = tree.getroot()
        self.source = source
        self.data = data
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: [] for name in (
                "nodes", "outcomes", "glossary", "figures", "media", "links", "activities",
                "references")
        }
        self.fts: list[dict[str, Any]] = []
        self.node_of: dict[Any, int] = {}  # structure element -> node ordinal in rows["nodes"]

    def xpath(self, element: Any) -> str:
        return self.tree.getpath(element)

    def enclosing_node(self, element: Any) -> int | None:
        for ancestor in element.iterancestors():
            if ancestor in self.node_of:
                return self.node_of[ancestor]
        return None

    def index(self, kind: str, title: str, body: str, element: Any) -> None:
        if title or body:
            self.fts.append({"kind": kind, "title": title, "body": body,
                             "xpath": self.xpath(element), "node": self.enclosing_node(element)})

    def structure(self) -> None:
        nodes = self.rows["nodes"]
        for element in self.root.iter(*STRUCTURE):
            title = _first_text(element, "Title", "Heading", "UnitTitle")
            own, words = _own_text(element)
            self.node_of[element] = len(nodes)
            nodes.append({
                "ordinal": len(nodes),
                "parent": self.enclosing_node(element),
                "kind": element.tag,
                "title": title,
                "word_count": words,  # own words; sub-nodes' are added below
                "xpath": self.xpath(element),
            })
            self.index(element.tag.lower(), title, own, element)
        for node in reversed(nodes):  # children come after parents in document order
            if node["parent"] is not None:
                nodes[node["parent"]]["word_count"] += node["word_count"]

    def components(self) -> None:
        for el in self.root.iter("LearningOutcome"):
            self.add("outcomes", "outcome", el, text=text_of(el))
        for el in self.root.iter("GlossaryItem"):
            term, definition = _first_text(el, "Term"), _first_text(el, "Definition")
            self.add("glossary", "glossary", el, term=term, definition=definition,
                     search_title=term, search_body=definition)
        for el in self.root.iter("Figure"):
            image = el.find(".//Image")
            alt = clean(image.get("alt")) if image is not None else ""
            figure = {
                "image_file": image_file(image),
                "caption": _first_text(el, "Caption"),
                "alt": alt or _first_text(el, "Alternative"),
                "description": _first_text(el, "Description", "LongDescription"),
            }
            self.add("figures", "figure", el, **figure, search_title=figure["caption"],
                     search_body=f"{figure['alt']} {figure['description']} {figure['image_file']}")
        for el in self.root.iter("MediaContent"):
            media = {
                "media_type": el.get("type", ""),
                "src": el.get("src", ""),
                "caption": _first_text(el, "Caption"),
                "has_transcript": int(bool(_first_text(el, "Transcript"))),
            }
            self.add("media", "media", el, **media, search_title=media["caption"],
                     search_body=f"{media['media_type']} {media['src']}")
        self.links()
        for tag, kind in (("Activity", "activity"), ("SAQ", "saq"), ("Exercise", "exercise")):
            for el in self.root.iter(tag):
                heading = _first_text(el, "Heading", "Title")
                self.add("activities", kind, el, kind=kind, title=heading, text=text_of(el),
                         search_title=heading)
        for el in self.root.iter("Reference"):
            self.add("references", "reference", el, text=text_of(el))

    def links(self) -> None:
        for el in self.root.iter("a", "olink", "CrossRef"):
            if el.tag == "a":
                kind, target = "external", el.get("href", "")
            elif el.tag == "olink":
                kind = "olink"
                parts = (el.get("targetdoc", ""), el.get("targetptr", ""))
                target = "#".join(p for p in parts if p)
            else:
                kind, target = "crossref", el.get("idref", "")
            if not target:
                continue
            if kind == "crossref":  # "see Figure 1": kept as a link, not worth a search hit
                self.rows["links"].append({"kind": kind, "target": target.strip(),
                                           "text": text_of(el), "xpath": self.xpath(el),
                                           "node": self.enclosing_node(el)})
            else:
                self.add("links", "link", el, kind=kind, target=target.strip(),
                         text=text_of(el), search_title=text_of(el), search_body=target)

    def add(self, table: str, search_kind: str, element: Any, *, search_title: str = "",
            search_body: str = "", **row: Any) -> None:
        """One component row, and its entry in the full-text index."""
        row.update(xpath=self.xpath(element), node=self.enclosing_node(element))
        self.rows[table].append(row)
        text = row.get("text", "")
        self.index(search_kind, search_title, search_body or text, element)


def extract(tree: etree._ElementTree, source: str, data: bytes) -> Extracted:
    """Rows for one document. ``data`` is the file's bytes (for the content hash)."""
    root = tree.getroot()
    for settings in root.findall("settings"):  # numbering config, not content
        root.remove(settings)
    extractor = _Extractor(tree, source, data)
    extractor.structure()
    extractor.components()
    nodes = extractor.rows["nodes"]
    tops = [n["word_count"] for n in nodes if n["parent"] is None]
    body_words = sum(tops) if nodes else word_count(text_of(root))
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Extracted(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        course_code=_first_text(root, "CourseCode") or stem,
        course_title=_first_text(root, "CourseTitle"),
        item_title=_first_text(root, "ItemTitle") or _first_text(root, ".//UnitTitle") or stem,
        schema_version=root.get("SchemaVersion", "") if root.tag == "Item" else "fragment",
        word_count=body_words,
        rows=extractor.rows,
        fts=extractor.fts,
    )
