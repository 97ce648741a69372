"""The allocation page (sites capability): every student, and actions on a selection.

An AG Grid of the ``students`` table joined with what the workflows stored (download state,
code, marking flag) and the current job's per-row status. Actions run as background jobs
(:mod:`gaffertape.app.jobs`) through the same workflow functions as the CLI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash_ag_grid as dag
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from gaffertape.app.context import current_workspace
from gaffertape.app.jobpanel import job_panel, panel_state
from gaffertape.app.jobs import ACTIONS, cancel_job, get_job, latest_job, retry_failed
from gaffertape.app.jobs import start_job as start
from gaffertape.app.registry import AppPage
from gaffertape.errors import UserError

ROW_SQL = """
SELECT s.course, s.pi, s.name, s.tutor_group, s.status,
       CASE d.status WHEN 'ok' THEN 'downloaded' WHEN 'no_submission' THEN 'no submission'
                     WHEN 'failed' THEN CASE WHEN d.error LIKE 'not tried%' THEN 'not tried'
                                        ELSE 'failed' END
                     ELSE 'not yet' END AS download,
       d.n_files AS files, c.code, f.status AS flag, f.reasons,
       j.state AS job_state, COALESCE(j.error, j.result) AS job_detail, j.seq AS job_seq
FROM students s
LEFT JOIN downloads d USING (course, pi)
LEFT JOIN codes c USING (course, pi)
LEFT JOIN marking_flags f USING (course, pi)
LEFT JOIN app_job_rows j ON j.job_id = ? AND j.course = s.course AND j.pi = s.pi
"""

COLUMNS = [
    {"field": "pi", "headerName": "PI", "cellRenderer": "markdown", "minWidth": 110},
    {"field": "name", "headerName": "Name", "minWidth": 150},
    {"field": "course", "headerName": "Course"},
    {"field": "tutor_group", "headerName": "Tutor group"},
    {"field": "status", "headerName": "Status", "minWidth": 170},
    {"field": "download", "headerName": "Download"},
    {"field": "code", "headerName": "Code", "minWidth": 130},
    {"field": "flag", "headerName": "Flag", "minWidth": 150,
     "tooltipField": "reasons"},
    {"field": "job_state", "headerName": "Job"},
    {"field": "job_detail", "headerName": "Job detail", "minWidth": 200},
]
BUTTONS = {"download": "Download files", "codes": "Get codes", "marks": "Fetch marks"}


def pages() -> list[AppPage]:
    return [AppPage("/allocation", "Allocation", layout, order=10)]


def allocation_rows(ws: Any, job_id: int | None, *, changed_after: int | None = None,
                    ) -> list[dict[str, Any]]:
    """Grid rows: every student, or only those the job changed after seq ``changed_after``
    (one indexed query, so a poll while a job runs stays cheap); PI links to the script page."""
    sql, params = ROW_SQL, [job_id]
    if changed_after is not None:
        sql += " WHERE j.seq > ?"
        params.append(changed_after)
    frame = ws.store.query_df(sql + " ORDER BY s.course, s.pi", params)
    frame["id"] = frame["course"] + "|" + frame["pi"]
    frame["pi"] = [f"[{pi}](/script?{urlencode({'course': c, 'pi': pi})})"
                   for c, pi in zip(frame["course"], frame["pi"], strict=True)]
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def layout() -> list[Any]:
    ws = current_workspace()
    job_id = latest_job(ws)
    rows = allocation_rows(ws, job_id)
    return [
        html.H1("Allocation"),
        html.P(f"{len(rows)} students. Select some (or tick the header box for every "
               "student the filters show) and choose an action.", className="muted",
               id="alloc-count"),
        html.Div([
            html.Div([
                html.Label("Search", htmlFor="alloc-search"),
                dcc.Input(id="alloc-search", type="search", debounce=False,
                          placeholder="PI, name, group, status…", style={"width": "18em"}),
            ], className="group"),
            html.Div([
                html.Button("Refresh allocation", id="alloc-act-allocation", n_clicks=0,
                            className="secondary"),
                *[html.Button(label, id=f"alloc-act-{action}", n_clicks=0, disabled=True)
                  for action, label in BUTTONS.items()],
            ], className="group", role="group", **{"aria-label": "Actions"}),
            html.Span("0 selected", id="alloc-selected", className="muted",
                      **{"aria-live": "polite"}),
        ], className="toolbar"),
        html.P(id="alloc-message", role="alert", className="error"),
        job_panel("alloc", job_id),
        dag.AgGrid(
            id="alloc-grid",
            rowData=rows,
            columnDefs=COLUMNS,
            getRowId="params.data.id",
            defaultColDef={"sortable": True, "filter": True, "resizable": True,
                           "floatingFilter": True, "flex": 1, "minWidth": 100},
            dashGridOptions={
                "rowSelection": {"mode": "multiRow", "selectAll": "filtered",
                                 "checkboxes": True, "headerCheckbox": True},
                "animateRows": False, "tooltipShowDelay": 300, "quickFilterText": "",
                "enableCellTextSelection": True, "ensureDomOrder": True,
            },
            style={"height": "60vh", "width": "100%"},
            className="ag-theme-quartz",
        ),
        dcc.Store(id="alloc-seen", data={"job": job_id, "seq": 0, "final": False}),
    ]


@callback(Output("alloc-grid", "dashGridOptions"), Input("alloc-search", "value"),
          State("alloc-grid", "dashGridOptions"), prevent_initial_call=True)
def search(text: str | None, options: dict) -> dict:
    return {**options, "quickFilterText": text or ""}


@callback(Output("alloc-selected", "children"),
          *[Output(f"alloc-act-{action}", "disabled") for action in BUTTONS],
          Input("alloc-grid", "selectedRows"))
def selection(rows: list[dict] | None) -> tuple:
    n = len(rows or [])
    return (f"{n} selected", *([n == 0] * len(BUTTONS)))


@callback(Output("alloc-job", "data"), Output("alloc-message", "children"),
          *[Input(f"alloc-act-{action}", "n_clicks") for action in (*BUTTONS, "allocation")],
          Input("alloc-cancel", "n_clicks"), Input("alloc-retry", "n_clicks"),
          State("alloc-grid", "selectedRows"), State("alloc-job", "data"),
          prevent_initial_call=True)
def act(*args: Any) -> tuple[Any, str]:
    rows, job_id = args[-2], args[-1]
    ws = current_workspace()
    trigger = ctx.triggered_id or ""
    try:
        if trigger == "alloc-cancel" and job_id is not None:
            cancel_job(ws, job_id)
            return no_update, ""
        if trigger == "alloc-retry" and job_id is not None:
            return retry_failed(ws, job_id), ""
        action = trigger.removeprefix("alloc-act-")
        if action not in ACTIONS:
            return no_update, ""
        keys = [tuple(r["id"].split("|", 1)) for r in rows or []]
        return start(ws, action, keys), ""
    except UserError as exc:
        return no_update, exc.one_line()


@callback(Output("alloc-progress", "value"), Output("alloc-job-status", "children"),
          Output("alloc-cancel", "disabled"), Output("alloc-retry", "disabled"),
          Output("alloc-grid", "rowTransaction"), Output("alloc-grid", "rowData"),
          Output("alloc-seen", "data"), Output("alloc-tick", "disabled"),
          Input("alloc-tick", "n_intervals"), Input("alloc-job", "data"),
          State("alloc-seen", "data"))
def tick(_: Any, job_id: int | None, seen: dict) -> tuple:
    ws = current_workspace()
    percent, line, cancel_off, retry_off = panel_state(ws, job_id)
    if job_id is None:
        return percent, line, cancel_off, retry_off, no_update, no_update, no_update, True
    if seen.get("job") != job_id:  # rows not yet worked (seq 0) keep their look: less to send
        seen = {"job": job_id, "seq": 0, "final": False}
    job = get_job(ws, job_id)
    finished = job["state"] not in {"queued", "running"}
    transaction: Any = no_update
    rows: Any = no_update
    seq = seen["seq"]
    if job["action"] == "allocation":
        if finished and not seen["final"]:
            rows = allocation_rows(ws, job_id)  # new students: the whole table again
    else:
        changed = allocation_rows(ws, job_id, changed_after=seq)
        if changed:
            transaction = {"update": changed}
            seq = max(int(row["job_seq"]) for row in changed)
    seen = {"job": job_id, "seq": seq, "final": finished}
    return percent, line, cancel_off, retry_off, transaction, rows, seen, cancel_off
