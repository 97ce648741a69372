"""The OU-XML app pages: registration, layouts and callback logic, in Python (no browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from dash.development.base_component import Component

from gaffertape.app import context
from gaffertape.app.registry import all_pages
from gaffertape.ouxml import app_pages as p
from gaffertape.workspace import Workspace


def _text(component: object) -> str:
    """All the text a component tree shows."""
    return json.dumps(component, cls=_Encoder)


class _Encoder(json.JSONEncoder):
    def default(self, o: object) -> object:
        if isinstance(o, Component):
            return o.to_plotly_json()
        return super().default(o)


@pytest.fixture
def app_ws(ingested: Workspace) -> Iterator[Workspace]:
    context.set_workspace(ingested)
    yield ingested
    context._workspace = None  # as before the shell starts: other tests see no workspace


def test_pages_are_registered() -> None:
    paths = {page.path: page for page in all_pages()}
    for path in ("/ouxml/search", "/ouxml/glossary", "/ouxml/images", "/ouxml/mindmap",
                 "/ouxml/audits"):
        assert paths[path].capability == "ouxml"


def test_layouts_render(app_ws: Workspace) -> None:
    for page in p.pages():
        assert isinstance(page.layout(), Component)
    assert "TST202" in _text(p.search_layout())  # the course filter lists ingested courses


def test_search_results(app_ws: Workspace) -> None:
    shown = _text(p.search_results(app_ws.store, "buffer", ["outcome"], None))
    assert "explain what a " in shown and '"mark"' in shown.lower() and "TST202" in shown
    assert "Type some words" in _text(p.search_results(app_ws.store, "", None, None))
    assert "Nothing matches" in _text(p.search_results(app_ws.store, "zebra", None, None))
    topic = _text(p.search_results(app_ws.store, "buffer", None, None, topic_mode=True))
    assert "glossary" in topic and "TST101" in topic and "\\u0002" not in topic
    assert "role" in _text(p.search_results(app_ws.store, "buffer", ["poem"], None))


def test_search_with_no_documents(workspace: Workspace) -> None:
    assert "gaffertape ouxml ingest" in _text(p.search_results(workspace.store, "x", None, None))


def test_glossary_view(app_ws: Workspace) -> None:
    view = _text(p.glossary_view(app_ws.store, None))
    assert "Buffer.; Buffers" in view and "2 term(s)" in view  # buffer (merged), router
    assert "1 term(s)" in _text(p.glossary_view(app_ws.store, "forwards"))


def test_images_view(app_ws: Workspace) -> None:
    assert "A queue of packets in a buffer" in _text(p.images_view(app_ws.store, "queue"))
    assert "2 figure(s)" in _text(p.images_view(app_ws.store, None))


def test_mindmap_view_and_downloads(app_ws: Workspace) -> None:
    node = p.build_map(app_ws.store, "TST101", None)
    assert "1.1 Buffers" in _text(p.map_view(node))
    assert p.build_map(app_ws.store, None, None) is None
    download = p.map_file(app_ws.store, None, "buffer", ".mm")
    assert download["filename"] == "buffer.mm"
    assert p.map_file(app_ws.store, "TST101", None, ".opml")["filename"].endswith(".opml")


def test_audits(app_ws: Workspace) -> None:
    shown = _text(p.audit_sections(app_ws.store))
    assert "t_001i.jpg" in shown and "router.mp4" in shown
    assert "gaffertape ouxml links --check" in shown
