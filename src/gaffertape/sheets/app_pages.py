"""The sheets page: upload or pick workbooks, see what the detector found, download the data.

Workbooks live in the workspace's ``sheets/`` folder (uploads land there, under their own
name, never outside it), so the page and ``gaffertape sheets tidy <workspace>/sheets`` see the
same files. Everything goes through the sheets public API (:mod:`gaffertape.sheets.api`); CSV
and XLSX go through :func:`gaffertape.export.export_table` (formula-neutralised), Parquet
through the sheets writer.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from gaffertape.app.context import current_workspace
from gaffertape.app.registry import AppPage
from gaffertape.atomic import atomic_write
from gaffertape.errors import UserError
from gaffertape.export import export_table
from gaffertape.sheets import api
from gaffertape.sheets.export import write_frame
from gaffertape.sheets.inspect_html import render, summary_rows
from gaffertape.sheets.readers import SUFFIXES

MAX_UPLOAD = 50 * 1024 * 1024
FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "parquet": "Parquet"}  # format: button


def pages() -> list[AppPage]:
    return [AppPage("/sheets", "Sheets", layout, order=40)]


def sheets_dir() -> Path:
    return current_workspace().root / "sheets"


def workbooks() -> list[Path]:
    folder = sheets_dir()
    return api.expand_paths([folder]) if folder.is_dir() else []


def layout() -> list[Any]:
    return [
        html.H1("Sheets"),
        html.P(["Messy workbooks to long-form data. Files are kept in ",
                html.Code(str(sheets_dir())), "."], className="muted"),
        html.Label([  # wraps the upload's file input, so that input has a label
            html.Span("Upload workbooks", className="visually-hidden"),
            dcc.Upload(
                id="sheets-upload", multiple=True, max_size=MAX_UPLOAD,
                accept=",".join(sorted(SUFFIXES)),
                children=html.Div(["Drop workbooks here or ",
                                   html.Span("choose files", className="button secondary")]),
                className="panel", style={"textAlign": "center", "cursor": "pointer"},
            ),
        ], className="upload"),
        html.P(id="sheets-upload-result", role="status"),
        html.H2("Workbooks"),
        dag.AgGrid(id="sheets-pick", rowData=_options(), getRowId="params.data.name",
                   columnDefs=[{"field": "name", "headerName": "Workbook", "flex": 2},
                               {"field": "size", "headerName": "Size (bytes)", "flex": 1}],
                   defaultColDef={"sortable": True, "filter": True, "resizable": True},
                   dashGridOptions={"rowSelection": {"mode": "multiRow"},
                                    "domLayout": "autoHeight", "ensureDomOrder": True},
                   className="ag-theme-quartz", style={"width": "100%"}),
        html.Div([
            html.Span("Download the long-form data of the picked workbooks as"),
            *[html.Button(label, id={"type": "sheets-download-go", "format": fmt}, n_clicks=0,
                          disabled=True, className="sheets-download-go")
              for fmt, label in FORMATS.items()],
            dcc.Download(id="sheets-download"),
        ], className="toolbar", role="group", **{"aria-label": "Download"}),
        html.P(id="sheets-message", role="alert", className="error"),
        html.Div(id="sheets-inspector"),
    ]


def _options() -> list[dict[str, Any]]:
    folder = sheets_dir()
    return [{"name": str(p.relative_to(folder)), "size": p.stat().st_size} for p in workbooks()]


def _chosen(names: list[str] | None) -> list[Path]:
    """The picked workbooks, only ever inside the sheets folder."""
    folder = sheets_dir().resolve()
    paths = [(folder / name).resolve() for name in names or []]
    return [p for p in paths if p.is_relative_to(folder) and p.is_file()]


@callback(Output("sheets-upload-result", "children"), Output("sheets-pick", "rowData"),
          Output("sheets-pick", "selectedRows"),
          Input("sheets-upload", "contents"), State("sheets-upload", "filename"),
          State("sheets-pick", "selectedRows"), prevent_initial_call=True)
def upload(contents: list[str] | None, names: list[str] | None, picked: list[dict] | None,
           ) -> tuple:
    saved, refused = [], []
    for content, name in zip(contents or [], names or [], strict=False):
        safe = Path(name or "").name
        if Path(safe).suffix.lower() not in SUFFIXES or safe.startswith("."):
            refused.append(f"{name}: not a workbook ({', '.join(sorted(SUFFIXES))})")
            continue
        try:
            data = base64.b64decode(content.split(",", 1)[1], validate=True)
        except (IndexError, binascii.Error):
            refused.append(f"{name}: the upload arrived damaged; try again")
            continue
        sheets_dir().mkdir(parents=True, exist_ok=True)
        with atomic_write(sheets_dir() / safe) as tmp:
            tmp.write_bytes(data)
        saved.append(safe)
    message = (f"Saved {', '.join(saved)}. " if saved else "") + " ".join(refused)
    chosen = sorted({*(row["name"] for row in picked or []), *saved})
    return message, _options(), {"ids": chosen}


@callback(Output("sheets-inspector", "children"),
          Output({"type": "sheets-download-go", "format": ALL}, "disabled"),
          Input("sheets-pick", "selectedRows"))
def inspect(rows: list[dict] | None) -> tuple:
    paths = _chosen([row["name"] for row in rows or []])
    if not paths:
        return (html.P("Pick or upload a workbook to see what the detector finds."),
                [True] * len(FORMATS))
    sections = []
    for path in paths:
        try:
            found = api.layouts(path)
        except UserError as exc:
            sections.append(html.P(f"{path.name}: {exc.one_line()}", className="error"))
            continue
        rows = summary_rows(found)
        columns = list(rows[0]) if rows else ["sheet"]
        sections += [
            html.H2(path.name),
            html.Table([
                html.Caption(f"{len(rows)} table(s) detected"),
                html.Thead(html.Tr([html.Th(c, scope="col") for c in columns])),
                html.Tbody([html.Tr([html.Td(str(r[c])) for c in columns]) for r in rows]),
            ], className="plain"),
            html.Iframe(srcDoc=render(found, path.name), sandbox="",
                        title=f"Inspector view of {path.name}",
                        style={"width": "100%", "height": "28em", "border": "1px solid #ccc"}),
        ]
    return sections, [False] * len(FORMATS)


@callback(Output("sheets-download", "data"), Output("sheets-message", "children"),
          Input({"type": "sheets-download-go", "format": ALL}, "n_clicks"),
          State("sheets-pick", "selectedRows"), prevent_initial_call=True)
def download(clicks: list[int], rows: list[dict] | None) -> tuple:
    if not any(clicks) or not isinstance(ctx.triggered_id, dict):
        return no_update, ""
    fmt = ctx.triggered_id["format"]
    paths = _chosen([row["name"] for row in rows or []])
    result = api.tidy_files(paths)
    problems = " ".join(result.errors.values())
    if result.data.empty:
        return no_update, problems or "No observations found in the picked workbooks."
    with tempfile.TemporaryDirectory(prefix="gaffertape-sheets-") as tmp:
        dest = Path(tmp) / f"observations.{fmt}"
        if fmt == "parquet":
            write_frame(result.data, dest)
        else:
            export_table(result.data, dest, sheet_name="observations")
        return dcc.send_file(str(dest)), problems
