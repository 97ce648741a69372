"""The app's SQL page: a query box beside every name you can query, a results grid, CSV download.

The page runs queries through the same read-only engine as ``gaffertape sql`` and
``gaffertape.sql()`` (:func:`gaffertape.sql.api.sql`), so a write is refused here exactly as on
the command line, and errors are the same one line. The download re-runs the query and writes
the whole result through :func:`gaffertape.export.export_table` (formula-neutralised CSV).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from gaffertape.app.context import current_workspace
from gaffertape.app.registry import AppPage
from gaffertape.errors import UserError
from gaffertape.export import export_table
from gaffertape.sql.api import sql, views

MAX_GRID_ROWS = 5000  # the grid is virtualised, but the browser still receives every row
EXAMPLE = "select status, count(*) as scripts from flags group by status order by scripts desc"


def pages() -> list[AppPage]:
    return [AppPage("/sql", "SQL", layout, order=90)]


def layout() -> list[Any]:
    # the page opens with the example's answer: an empty grid would have no column headers,
    # which screen readers are told to expect
    rows, columns, status, error = run_query(EXAMPLE)
    if not isinstance(columns, list) or not columns:
        rows, columns = [], [{"field": "result", "headerName": "result"}]
    return [
        html.H1("SQL"),
        html.P(["Ask the workspace anything, read-only: the views below, the store's tables and "
                "every CSV, Parquet or JSON file in ", html.Code("data/"),
                ". DuckDB's SQL; see docs/sql.md."], className="muted"),
        html.Div([
            html.Div([
                html.Label("Query", htmlFor="sql-query"),
                dcc.Textarea(id="sql-query", value=EXAMPLE, spellCheck=False,
                             style={"width": "100%", "height": "8em", "fontFamily": "monospace"}),
                html.Div([
                    html.Button("Run", id="sql-run", n_clicks=0),
                    html.Button("Download CSV", id="sql-download-go", n_clicks=0,
                                className="secondary"),
                    dcc.Download(id="sql-download"),
                ], className="toolbar", role="group", **{"aria-label": "Query actions"}),
                html.P(status, id="sql-status", role="status"),
                html.P(error, id="sql-error", role="alert", className="error"),
                dag.AgGrid(id="sql-results", rowData=rows, columnDefs=columns,
                           defaultColDef={"sortable": True, "filter": True, "resizable": True},
                           dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True,
                                            "pagination": True, "paginationPageSize": 50},
                           className="ag-theme-quartz", style={"width": "100%"}),
            ], style={"flex": "3", "minWidth": "0"}),
            html.Div([html.H2("Views"), view_list()], style={"flex": "1", "minWidth": "14em"}),
        ], style={"display": "flex", "gap": "1.5em", "alignItems": "flex-start"}),
    ]


def view_list() -> html.Div:
    """Every name a query can use: documented views and data files, then the store's tables."""
    try:
        names = views(current_workspace())
    except UserError as exc:
        return html.Div(exc.one_line(), className="error")

    def items(rows: pd.DataFrame) -> html.Ul:
        return html.Ul([
            html.Li([html.Code(row.name), html.Span(f" {row.description}", className="muted")])
            for row in rows.itertuples()
        ], className="sql-views", style={"listStyle": "none", "paddingLeft": "0"})

    in_store = names["kind"] == "store table"
    return html.Div([
        items(names[~in_store]),
        html.Details([html.Summary(f"Store tables ({int(in_store.sum())})"),
                      items(names[in_store])]),
    ])


def grid(result: pd.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, str]], str]:
    """Rows, column definitions and a status line for the grid (at most MAX_GRID_ROWS rows)."""
    shown = result.head(MAX_GRID_ROWS)
    rows = json.loads(shown.to_json(orient="records", date_format="iso", default_handler=str))
    columns = [{"field": str(c), "headerName": str(c)} for c in result.columns]
    status = f"{len(result):,} row{'s' if len(result) != 1 else ''}"
    if len(result) > MAX_GRID_ROWS:
        status += f"; showing the first {MAX_GRID_ROWS:,} (Download CSV has them all)"
    return rows, columns, status


def run_query(query: str | None) -> tuple[Any, Any, str, str]:
    """What the Run button shows: (rows, columns, status, error)."""
    try:
        rows, columns, status = grid(sql(query or "", workspace=current_workspace()))
    except UserError as exc:
        return no_update, no_update, "", exc.one_line()
    return rows, columns, status, ""


def result_csv(query: str | None, folder: Path) -> Path:
    """The whole result as a formula-safe CSV file in ``folder``."""
    return export_table(sql(query or "", workspace=current_workspace()), folder / "query.csv")


@callback(Output("sql-results", "rowData"), Output("sql-results", "columnDefs"),
          Output("sql-status", "children"), Output("sql-error", "children"),
          Input("sql-run", "n_clicks"), State("sql-query", "value"), prevent_initial_call=True)
def run(_clicks: int, query: str | None) -> tuple[Any, Any, str, str]:
    return run_query(query)


@callback(Output("sql-download", "data"), Output("sql-error", "children", allow_duplicate=True),
          Input("sql-download-go", "n_clicks"), State("sql-query", "value"),
          prevent_initial_call=True)
def download(_clicks: int, query: str | None) -> tuple[Any, str]:
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = result_csv(query, Path(tmp))
            return dcc.send_bytes(path.read_bytes(), "query.csv"), ""
    except UserError as exc:
        return no_update, exc.one_line()
