"""The OU-XML Python API: every function returns a pandas DataFrame (or writes files and says
where). ``workspace`` is a :class:`~gaffertape.workspace.Workspace`, a folder, or None for the
default workspace (as the CLI finds it).

>>> import gaffertape as gt
>>> gt.ingest_ouxml(["course-docs/"])
>>> gt.search_ouxml("packet switching", kind="outcome")
>>> gt.ouxml_glossary("buffer")
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaffertape.atomic import atomic_write
from gaffertape.ouxml import audit, mindmap, search
from gaffertape.ouxml.convert import ouxml_to_html, ouxml_to_markdown, serialise, to_ouxml
from gaffertape.ouxml.ingest import ingest
from gaffertape.ouxml.safeparse import parse_file
from gaffertape.ouxml.schema import validate
from gaffertape.store import Store
from gaffertape.workspace import Workspace, open_workspace

WorkspaceLike = Workspace | Path | str | None


def _store(workspace: WorkspaceLike) -> Store:
    if isinstance(workspace, Workspace):
        return workspace.store
    return open_workspace(workspace, create=True).store


def ingest_ouxml(paths: list[Path | str] | Path | str, workspace: WorkspaceLike = None
                 ) -> pd.DataFrame:
    """Ingest OU-XML files, folders or zips; one row per document: ``source``, ``status``
    (ok or failed) and ``error``."""
    items = [paths] if isinstance(paths, (str, Path)) else paths
    result = ingest(_store(workspace), [Path(p) for p in items])
    rows = [(s, "ok", "") for s in result.documents]
    rows += [(s, "failed", message) for s, message in result.errors.items()]
    return pd.DataFrame(rows, columns=["source", "status", "error"])


def search_ouxml(query: str, *, kind: str | list[str] | None = None, course: str | None = None,
                 limit: int = 20, raw: bool = False, workspace: WorkspaceLike = None
                 ) -> pd.DataFrame:
    """Ranked full-text search (BM25) with snippets; see :func:`gaffertape.ouxml.search.search`."""
    return search.search(_store(workspace), query, kind=kind, course=course, limit=limit,
                         raw=raw)


def ouxml_glossary(term: str | None = None, *, course: str | None = None,
                   workspace: WorkspaceLike = None) -> pd.DataFrame:
    """The meta-glossary: terms merged across documents, definitions side by side."""
    return search.glossary(_store(workspace), term, course=course)


def ouxml_outcomes(query: str, *, course: str | None = None, workspace: WorkspaceLike = None
                   ) -> pd.DataFrame:
    return search.outcomes(_store(workspace), query, course=course)


def ouxml_images(query: str | None = None, *, course: str | None = None,
                 workspace: WorkspaceLike = None) -> pd.DataFrame:
    return search.images(_store(workspace), query, course=course)


def ouxml_links(query: str | None = None, *, kind: str | None = None, course: str | None = None,
                workspace: WorkspaceLike = None) -> pd.DataFrame:
    return search.links(_store(workspace), query, kind=kind, course=course)


def ouxml_topic(query: str, *, per_kind: int = 8, workspace: WorkspaceLike = None
                ) -> pd.DataFrame:
    return search.topic(_store(workspace), query, per_kind=per_kind)


def ouxml_audit(kind: str = "structure", *, course: str | None = None,
                workspace: WorkspaceLike = None) -> pd.DataFrame:
    """``structure`` (words and components per course), ``documents`` (the same per
    document), ``figures`` (no real alt text/description) or ``media`` (no transcript)."""
    store = _store(workspace)
    if kind == "structure":
        return audit.structure_summary(store)
    if kind == "documents":
        return audit.structure_summary(store, by="document")
    if kind == "figures":
        return audit.figures_missing_text(store, course)
    if kind == "media":
        return audit.media_without_transcripts(store, course)
    raise ValueError(f"unknown audit {kind!r}: use structure, documents, figures or media")


def check_ouxml_links(*, course: str | None = None, concurrency: int = 4, per_host: int = 2,
                      delay: float = 0.5, workspace: WorkspaceLike = None) -> pd.DataFrame:
    """Check external links politely; one row per occurrence, broken first."""
    return audit.check_links(_store(workspace), course=course, concurrency=concurrency,
                             per_host=per_host, delay=delay)


def ouxml_mindmap(out: list[Path | str] | Path | str, *, course: str | None = None,
                  topic: str | None = None, workspace: WorkspaceLike = None) -> list[Path]:
    """Write a course or topic mind map to ``.html``, ``.mm`` and/or ``.opml`` files."""
    if (course is None) == (topic is None):
        raise ValueError("give exactly one of course= or topic=")
    store = _store(workspace)
    root = mindmap.course_map(store, course) if course else mindmap.topic_map(store, str(topic))
    return mindmap.write(root, [Path(p) for p in ([out] if isinstance(out, (str, Path)) else out)])


def convert_to_ouxml(source: Path | str, out: Path | str, *, course_code: str = "DRAFT"
                     ) -> Path:
    """Markdown/MyST, .Rmd, .ipynb or .docx -> OU-XML 2.0, validated, written atomically.
    Figures from notebooks and Word files are written beside ``out``."""
    source, out = Path(source), Path(out)
    tree = to_ouxml(source, assets=out.parent, course_code=course_code)
    validate(tree, str(out))
    with atomic_write(out) as tmp:
        tmp.write_bytes(serialise(tree))
    return out


def ouxml_to_file(source: Path | str, out: Path | str) -> Path:
    """OU-XML -> Markdown (``.md``) or an HTML preview (``.html``)."""
    source, out = Path(source), Path(out)
    tree = parse_file(source)
    text = ouxml_to_html(tree) if out.suffix.lower() in (".html", ".htm") else ouxml_to_markdown(
        tree)
    with atomic_write(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
