"""The OU-XML pages of the app: search, glossary, images, mind map and audits.

Each page is a layout (a form, and a results area filled by a callback) plus a pure function
that turns the capability's DataFrames into components, so the logic is testable without a
browser. Everything reads the workspace through :func:`gaffertape.app.context.current_workspace`
and the OU-XML Python API (:mod:`gaffertape.ouxml.search`, :mod:`.audit`, :mod:`.mindmap`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from gaffertape.app.registry import AppPage
from gaffertape.errors import UserError
from gaffertape.ouxml import audit, mindmap, search
from gaffertape.store import Store

MARK = ("\x02", "\x03")  # snippet highlight markers, turned into <mark> elements


def pages() -> list[AppPage]:
    return [
        AppPage("/ouxml/search", "Course search", search_layout, order=60),
        AppPage("/ouxml/glossary", "Glossary", glossary_layout, order=61),
        AppPage("/ouxml/images", "Images", images_layout, order=62),
        AppPage("/ouxml/mindmap", "Mind map", mindmap_layout, order=63),
        AppPage("/ouxml/audits", "Course audits", audits_layout, order=64),
    ]


def _store() -> Store:
    from gaffertape.app.context import current_workspace

    return current_workspace().store


def _choices(input_id: str, values: list[str]) -> Any:
    """Suggestions for a text input: a native <datalist> (accessible; Dash's dropdown widgets
    fail axe's rules in this Dash version)."""
    return html.Datalist([html.Option(value=v) for v in values], id=f"{input_id}-choices")


def _picker(input_id: str, label: str, values: list[str], placeholder: str) -> list[Any]:
    return [html.Label(label, htmlFor=input_id),
            dcc.Input(id=input_id, type="text", list=f"{input_id}-choices", debounce=True,
                      placeholder=placeholder, autoComplete="off", style={"width": "11em"}),
            _choices(input_id, values)]


def _alert(message: str) -> Any:
    return html.P(message, role="alert", className="error")


def _nothing_yet() -> Any:
    return html.P(["No OU-XML documents in this workspace yet: run ",
                   html.Code("gaffertape ouxml ingest FOLDER"), "."], className="muted")


def _grid(grid_id: str, frame: pd.DataFrame) -> Any:
    return dag.AgGrid(
        id=grid_id, rowData=frame.to_dict("records"),
        columnDefs=[{"field": c, "headerName": c.replace("_", " ")} for c in frame.columns],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1,
                       "minWidth": 110, "wrapText": True, "autoHeight": True},
        dashGridOptions={"domLayout": "autoHeight", "pagination": len(frame) > 20,
                         "paginationPageSize": 20, "ensureDomOrder": True})


def _source(row: Any) -> Any:
    return html.Span(f"{Path(str(row.source)).name} · {row.xpath}", className="muted provenance")


# ---------------------------------------------------------------------------------------------
# search


def search_layout() -> Any:
    store = _store()
    return html.Div([
        html.H1("Search course documents"),
        html.Div([
            html.Label("Words", htmlFor="ouxml-q"),
            dcc.Input(id="ouxml-q", type="search", debounce=True, placeholder="e.g. packet "
                      "switching", style={"width": "22em"}),
            *_picker("ouxml-kind", "Kind", list(search.KINDS), "all kinds"),
            *_picker("ouxml-course", "Course", search.courses(store), "all courses"),
            html.Button("Gather as a topic", id="ouxml-topic", className="secondary",
                        title="the best matches of each kind from every course"),
        ], className="toolbar"),
        html.Div(id="ouxml-results", role="region", **{"aria-live": "polite",
                                                        "aria-label": "results"}),
    ])


def _highlight(snippet: str) -> list[Any]:
    parts: list[Any] = []
    for i, chunk in enumerate(snippet.replace(MARK[1], MARK[0]).split(MARK[0])):
        parts.append(html.Mark(chunk) if i % 2 else chunk)
    return parts


def search_results(store: Store, query: str | None, kinds: list[str] | str | None,
                   course: str | None, topic_mode: bool = False) -> Any:
    """The results area for a query: ranked hits with highlighted snippets and provenance."""
    if not search.courses(store):
        return _nothing_yet()
    if not query or not query.strip():
        return html.P("Type some words to search every ingested course.", className="muted")
    try:
        found = (search.topic(store, query, mark=MARK) if topic_mode else
                 search.search(store, query, kind=kinds or None, course=course, limit=50,
                               mark=MARK))
    except UserError as exc:
        return _alert(exc.one_line())
    if found.empty:
        return html.P(f"Nothing matches {query!r}.", className="muted")
    items = []
    for row in found.itertuples(index=False):
        heading = row.title or (row.section or row.kind)
        items.append(html.Li([
            html.Div([html.Strong(heading), html.Span(f"  {row.kind} · {row.course}",
                                                      className="muted")]),
            html.Div(_highlight(row.snippet)),
            _source(row),
        ], className="hit"))
    summary = (f"Topic {query!r}: the best {len(found)} components of each kind from every "
               "course (kind and course filters do not apply)" if topic_mode
               else f"{len(found)} result(s)")
    return html.Div([html.P(summary, className="muted"), html.Ol(items, className="hits")])


@callback(Output("ouxml-results", "children"), Input("ouxml-q", "value"),
          Input("ouxml-kind", "value"), Input("ouxml-course", "value"),
          Input("ouxml-topic", "n_clicks"))
def _on_search(query: str | None, kind: str | None, course: str | None,
               _topic: int | None) -> Any:
    from dash import ctx

    topic_mode = ctx.triggered_id == "ouxml-topic"
    return search_results(_store(), query, (kind or "").strip() or None,
                          (course or "").strip() or None, topic_mode)


# ---------------------------------------------------------------------------------------------
# glossary


def _search_toolbar(input_id: str, label: str, placeholder: str) -> Any:
    """A labelled search box alone in a toolbar (searches when the user stops typing)."""
    return html.Div([html.Label(label, htmlFor=input_id),
                     dcc.Input(id=input_id, type="search", debounce=True,
                               placeholder=placeholder)],
                    className="toolbar")


def glossary_layout() -> Any:
    return html.Div([
        html.H1("Meta-glossary"),
        html.P("Terms from every ingested glossary, with spellings merged (case, plurals, "
               "punctuation) and each definition beside its source.", className="muted"),
        _search_toolbar("ouxml-gloss-q", "Filter", "a term or words in definitions"),
        html.Div(id="ouxml-glossary"),
    ])


def glossary_view(store: Store, needle: str | None) -> Any:
    merged = search.glossary(store)
    if merged.empty:
        return html.P("No glossary items in the ingested documents.", className="muted")
    if needle and needle.strip():
        text = needle.strip().lower()
        merged = merged[merged.term.str.lower().str.contains(text, regex=False)
                        | merged.definition.fillna("").str.lower().str.contains(text,
                                                                                regex=False)]
    sections = []
    for term, group in merged.groupby("term", sort=False):
        sections.append(html.Section([
            html.H2(term),
            html.P(f"Spellings: {group.variants.iloc[0]} · defined in "
                   f"{group.documents.iloc[0]} document(s)", className="muted"),
            html.Table([html.Thead(html.Tr([html.Th("Definition"), html.Th("Course"),
                                            html.Th("Source")])),
                        html.Tbody([html.Tr([html.Td(r.definition), html.Td(r.course),
                                             html.Td(_source(r))])
                                    for r in group.itertuples(index=False)])],
                       className="definitions"),
        ]))
    return html.Div([html.P(f"{merged.term.nunique()} term(s)", className="muted"), *sections])


@callback(Output("ouxml-glossary", "children"), Input("ouxml-gloss-q", "value"))
def _on_glossary(needle: str | None) -> Any:
    return glossary_view(_store(), needle)


# ---------------------------------------------------------------------------------------------
# images


def images_layout() -> Any:
    return html.Div([
        html.H1("Find an image to reuse"),
        _search_toolbar("ouxml-img-q", "Words", "caption, alt text, description or file name"),
        html.Div(id="ouxml-images"),
    ])


def images_view(store: Store, query: str | None) -> Any:
    try:
        found = search.images(store, query or None)
    except UserError as exc:
        return _alert(exc.one_line())
    if found.empty:
        return html.P("No figures match." if query else "No figures ingested yet.",
                      className="muted")
    cards = [html.Li([
        html.Strong(row.caption or row.image_file),
        html.Div(["File: ", html.Code(row.image_file), f" · {row.course}"]),
        html.Div(f"Alt text: {row.alt or '(none)'}"),
        html.Div(f"Description: {row.description or '(none)'}"),
        _source(row),
    ], className="hit") for row in found.itertuples(index=False)]
    return html.Div([html.P(f"{len(found)} figure(s)", className="muted"),
                     html.Ul(cards, className="hits")])


@callback(Output("ouxml-images", "children"), Input("ouxml-img-q", "value"))
def _on_images(query: str | None) -> Any:
    return images_view(_store(), query)


# ---------------------------------------------------------------------------------------------
# mind map


def mindmap_layout() -> Any:
    store = _store()
    return html.Div([
        html.H1("Mind map"),
        html.Div([
            *_picker("ouxml-map-course", "Course", search.courses(store), "choose a course"),
            html.Span("or", className="muted"),
            html.Label("Topic", htmlFor="ouxml-map-topic"),
            dcc.Input(id="ouxml-map-topic", type="search", debounce=True,
                      placeholder="gather a topic from every course"),
        ], className="toolbar"),
        html.Div([html.Button("Download .html", id="ouxml-map-html", className="secondary"),
                  html.Button("Download FreeMind .mm", id="ouxml-map-mm",
                              className="secondary"),
                  html.Button("Download OPML", id="ouxml-map-opml", className="secondary")],
                 className="toolbar"),
        dcc.Download(id="ouxml-map-download"),
        html.Div(id="ouxml-map"),
    ])


def build_map(store: Store, course: str | None, topic: str | None) -> mindmap.MindNode | None:
    if topic and topic.strip():
        return mindmap.topic_map(store, topic.strip())
    if course and course.strip():
        return mindmap.course_map(store, course.strip())
    return None


def map_view(node: mindmap.MindNode, depth: int = 0) -> Any:
    """The map as nested, collapsible <details> (the same shape as the offline HTML)."""
    label = [node.text]
    if not node.children:
        return html.Li(label, className="leaf")
    return html.Li(html.Details([html.Summary(label),
                                 html.Ul([map_view(c, depth + 1) for c in node.children])],
                                open=depth < 2))


@callback(Output("ouxml-map", "children"), Input("ouxml-map-course", "value"),
          Input("ouxml-map-topic", "value"))
def _on_map(course: str | None, topic: str | None) -> Any:
    try:
        node = build_map(_store(), course, topic)
    except UserError as exc:
        return _alert(exc.one_line())
    if node is None:
        return html.P("Choose a course, or type a topic.", className="muted")
    if not node.children:
        return html.P(f"Nothing found for {node.text!r}.", className="muted")
    return html.Ul([map_view(node)], className="tree")


def map_file(store: Store, course: str | None, topic: str | None, suffix: str
             ) -> dict[str, Any] | None:
    """The map as a file for dcc.Download (None when there is no map yet)."""
    node = build_map(store, course, topic)
    if node is None:
        return None
    name = "".join(ch if ch.isalnum() else "-" for ch in node.text).strip("-")[:60] or "map"
    return dcc.send_bytes(mindmap.WRITERS[suffix](node), f"{name}{suffix}")


@callback(Output("ouxml-map-download", "data"), Input("ouxml-map-html", "n_clicks"),
          Input("ouxml-map-mm", "n_clicks"), Input("ouxml-map-opml", "n_clicks"),
          State("ouxml-map-course", "value"), State("ouxml-map-topic", "value"),
          prevent_initial_call=True)
def _on_map_download(_h: int | None, _m: int | None, _o: int | None, course: str | None,
                     topic: str | None) -> Any:
    from dash import ctx

    suffix = {"ouxml-map-html": ".html", "ouxml-map-mm": ".mm",
              "ouxml-map-opml": ".opml"}[str(ctx.triggered_id)]
    return map_file(_store(), course, topic, suffix)


# ---------------------------------------------------------------------------------------------
# audits


def audits_layout() -> Any:
    store = _store()
    if not search.courses(store):
        return html.Div([html.H1("Course audits"), _nothing_yet()])
    return html.Div([html.H1("Course audits"), *audit_sections(store)])


def audit_sections(store: Store) -> list[Any]:
    structure = audit.structure_summary(store)
    figures = audit.figures_missing_text(store)
    media = audit.media_without_transcripts(store)
    checks = store.query_df(
        "SELECT c.result, c.status, c.url, c.final_url, COUNT(l.id) AS occurrences, "
        "c.checked_at FROM ouxml_link_checks c LEFT JOIN ouxml_links l ON l.target = c.url "
        "WHERE c.result IN ('broken', 'error', 'redirected') GROUP BY c.url "
        "ORDER BY c.result, c.url")
    links = (_grid("ouxml-audit-links", checks) if len(checks) else html.P(
        ["No broken or redirected links recorded. Check them with ",
         html.Code("gaffertape ouxml links --check"), "."], className="muted"))
    return [
        html.H2("Structure and words per course"), _grid("ouxml-audit-structure", structure),
        html.H2(f"Figures without real alt text or description ({len(figures)})"),
        _grid("ouxml-audit-figures", figures.drop(columns=["xpath"])),
        html.H2(f"Audio and video without transcripts ({len(media)})"),
        _grid("ouxml-audit-media", media.drop(columns=["xpath"])),
        html.H2("Broken and redirected links (last check)"), links,
    ]
