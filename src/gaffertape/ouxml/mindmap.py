"""Mind maps: one course's structure and outcomes, or one topic gathered from many courses.

A map is a tree of :class:`MindNode`; it is written as an interactive, collapsible HTML page
that works offline (native ``<details>`` elements, a few lines of inline script for "expand
all" and filtering, nothing fetched), as a FreeMind ``.mm`` file and as OPML (outliners,
mind-map tools). Every component node links back to its document and XPath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from lxml import etree

from gaffertape.errors import UserError
from gaffertape.ouxml.search import topic
from gaffertape.store import Store

KIND_LABELS = {"outcome": "Learning outcomes", "session": "Sessions", "section": "Sections",
               "internalsection": "Sections", "subsection": "Sub-sections",
               "activity": "Activities", "saq": "Self-assessment questions",
               "figure": "Figures", "glossary": "Glossary", "media": "Media"}


@dataclass
class MindNode:
    text: str
    link: str | None = None
    children: list[MindNode] = field(default_factory=list)

    def add(self, text: str, link: str | None = None) -> MindNode:
        child = MindNode(text, link)
        self.children.append(child)
        return child

    def count(self) -> int:
        return 1 + sum(c.count() for c in self.children)


def source_link(source: str, xpath: str) -> str:
    """A link to a component: the document (a file URI when it is a file) and its XPath."""
    path = Path(source)
    base = path.resolve().as_uri() if path.is_absolute() and path.exists() else source
    return f"{base}#{xpath}"


def course_map(store: Store, course: str) -> MindNode:
    """Course -> documents -> learning outcomes and Session > Section > SubSection."""
    documents = store.query_df(
        "SELECT doc_id, source, item_title, course_title FROM ouxml_documents "
        "WHERE course_code = ? ORDER BY source", [course])
    if documents.empty:
        raise UserError(f"no documents for course {course!r}",
                        hint="see `gaffertape ouxml audit` for the courses ingested")
    title = documents.course_title.dropna().iloc[0] if documents.course_title.any() else ""
    root = MindNode(f"{course} {title}".strip())
    for doc in documents.itertuples(index=False):
        doc_node = root.add(doc.item_title or Path(doc.source).name, source_link(doc.source,
                                                                                 "/Item"))
        outcomes = store.query_df("SELECT text, xpath FROM ouxml_outcomes WHERE doc_id = ? "
                                  "ORDER BY id", [doc.doc_id])
        if not outcomes.empty:
            group = doc_node.add("Learning outcomes")
            for outcome in outcomes.itertuples(index=False):
                group.add(outcome.text, source_link(doc.source, outcome.xpath))
        nodes = store.query_df(
            "SELECT node_id, parent_id, kind, title, word_count, xpath FROM ouxml_nodes "
            "WHERE doc_id = ? ORDER BY ordinal", [doc.doc_id])
        made: dict[int, MindNode] = {}
        for node in nodes.itertuples(index=False):
            if node.kind == "Unit":
                made[node.node_id] = doc_node
                continue
            parent = made.get(node.parent_id, doc_node) if pd.notna(node.parent_id) else doc_node
            label = f"{node.title or node.kind} ({node.word_count:,} words)"
            made[node.node_id] = parent.add(label, source_link(doc.source, node.xpath))
    return root


def topic_map(store: Store, query: str, *, per_kind: int = 8) -> MindNode:
    """Topic -> course -> kind of component -> component (each linking to its source)."""
    found = topic(store, query, per_kind=per_kind)
    root = MindNode(query)
    for course, in_course in found.groupby("course", sort=True):
        course_node = root.add(str(course))
        for kind, items in in_course.groupby(in_course.kind.map(lambda k: KIND_LABELS.get(k, k)),
                                             sort=False):
            kind_node = course_node.add(str(kind))
            for item in items.itertuples(index=False):
                label = item.title or item.snippet.replace("[", "").replace("]", "")
                kind_node.add(label[:160], source_link(item.source, item.xpath))
    return root


# ---------------------------------------------------------------------------------------------
# writers


def to_freemind(root: MindNode) -> bytes:
    """FreeMind 1.0 ``.mm`` (also read by Freeplane, XMind and others)."""
    mind = etree.Element("map", version="1.0.1")

    def add(parent: etree._Element, node: MindNode, depth: int) -> None:
        element = etree.SubElement(parent, "node", TEXT=node.text)
        if node.link:
            element.set("LINK", node.link)
        if depth >= 2 and node.children:
            element.set("FOLDED", "true")
        for child in node.children:
            add(element, child, depth + 1)

    add(mind, root, 0)
    return etree.tostring(mind, encoding="utf-8", pretty_print=True)


def to_opml(root: MindNode) -> bytes:
    opml = etree.Element("opml", version="2.0")
    etree.SubElement(etree.SubElement(opml, "head"), "title").text = root.text
    body = etree.SubElement(opml, "body")

    def add(parent: etree._Element, node: MindNode) -> None:
        element = etree.SubElement(parent, "outline", text=node.text)
        if node.link:
            element.set("type", "link")
            element.set("url", node.link)
        for child in node.children:
            add(element, child)

    add(body, root)
    return etree.tostring(opml, xml_declaration=True, encoding="utf-8", pretty_print=True)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1d1d1d; }}
h1 {{ font-size: 1.4rem; }} .tools {{ margin-bottom: 1rem; }}
.tools button, .tools input {{ font: inherit; margin-right: .4rem; padding: .2rem .6rem; }}
ul.tree, ul.tree ul {{ list-style: none; margin: 0; padding-left: 1.2rem;
                       border-left: 1px solid #c9d3de; }}
ul.tree {{ border: 0; padding: 0; }}
li {{ margin: .15rem 0; }} summary {{ cursor: pointer; }}
.depth-1 > details > summary {{ font-weight: 600; color: #1b4f8a; }}
.depth-2 > details > summary {{ color: #7a3e00; }}
a.src {{ font-size: .8em; margin-left: .4em; color: #6b7785; text-decoration: none; }}
.leaf::before {{ content: "• "; color: #8aa0b8; }} .hidden {{ display: none; }}
</style></head><body>
<h1>{title}</h1>
<div class="tools"><button id="expand">Expand all</button>
<button id="collapse">Collapse all</button>
<input id="filter" type="search" placeholder="Filter…" aria-label="Filter the map"></div>
<ul class="tree">{tree}</ul>
<script>
const all = () => document.querySelectorAll("details");
document.getElementById("expand").onclick = () => all().forEach(d => d.open = true);
document.getElementById("collapse").onclick = () => all().forEach(d => d.open = false);
document.getElementById("filter").oninput = (event) => {{
  const needle = event.target.value.toLowerCase();
  document.querySelectorAll("ul.tree li").forEach(li => {{
    const hit = !needle || li.textContent.toLowerCase().includes(needle);
    li.classList.toggle("hidden", !hit);
    if (needle && hit) li.querySelectorAll(":scope > details").forEach(d => d.open = true);
  }});
}};
</script>
</body></html>
"""


def to_html(root: MindNode) -> str:
    """A self-contained, collapsible outline of the map (works offline, fetches nothing)."""

    def item(node: MindNode, depth: int) -> str:
        safe = node.link and urlsplit(node.link).scheme in ("", "file", "http", "https")
        link = (f' <a class="src" href="{escape(node.link)}" title="{escape(node.link)}">'
                "source</a>" if safe and node.link else "")
        label = escape(node.text)
        if not node.children:
            return f'<li class="leaf depth-{depth}">{label}{link}</li>'
        inner = "".join(item(child, depth + 1) for child in node.children)
        opened = " open" if depth < 2 else ""
        return (f'<li class="depth-{depth}"><details{opened}><summary>{label}{link}</summary>'
                f"<ul>{inner}</ul></details></li>")

    return _PAGE.format(title=escape(root.text), tree=item(root, 0))


WRITERS = {".html": lambda r: to_html(r).encode("utf-8"), ".mm": to_freemind, ".opml": to_opml}


def write(root: MindNode, outs: list[Path]) -> list[Path]:
    """Write the map to each file, the format chosen by its suffix (.html, .mm, .opml)."""
    from gaffertape.atomic import atomic_write

    for out in outs:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            raise UserError(f"{out}: unknown mind-map format {out.suffix or '(none)'}",
                            hint="use .html, .mm (FreeMind) or .opml")
    for out in outs:
        with atomic_write(out) as tmp:
            tmp.write_bytes(WRITERS[out.suffix.lower()](root))
    return outs
