"""The marking pages: one script's decision support with third-mark entry, and the cohort.

Both read the marks through the marking API (:func:`gaffertape.marking.api.load`), so what the
page shows is what ``gaffertape marking`` reports. Posting third marks is a job
(:mod:`gaffertape.app.jobs`, action ``post``) running ``gaffertape.post_third_marks``: checked
against the site first, posted once, read back and written to the ``posts`` audit table.
"""

from __future__ import annotations

import math
import mimetypes
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from flask import abort, send_file

from gaffertape.app.context import current_workspace
from gaffertape.app.jobs import get_job, progress, start_job
from gaffertape.app.registry import AppPage, add_route
from gaffertape.errors import UserError
from gaffertape.marking import charts, report
from gaffertape.marking.api import Marking, cohort_report, load, scheme_for, write_board
from gaffertape.marking.marks import read_marks_store
from gaffertape.marking.scheme import MarkScheme
from gaffertape.workspace import Workspace

ACTIVE = {"queued", "running"}


def pages() -> list[AppPage]:
    return [AppPage("/script", "Script", script_layout, order=20),
            AppPage("/cohort", "Cohort", cohort_layout, order=30)]


# ---------------------------------------------------------------------------------------------
# files of a script: open in the browser or download (behind the app's token, as every route)


@add_route("/files/<course>/<pi>/<path:name>")
def script_file(course: str, pi: str, name: str) -> Any:
    """A file of a student's extracted submission, only if the download manifest lists it."""
    from flask import request

    ws = current_workspace()
    listed = ws.store.query_df(
        "SELECT path FROM download_files WHERE course = ? AND pi = ? AND path = ?",
        [course, pi, name])
    folder = (ws.scripts_dir / course / pi).resolve()
    target = (folder / name).resolve()
    if listed.empty or not target.is_relative_to(folder) or not target.is_file():
        abort(404)
    shown_as = _inline_type(target.name)
    if shown_as is None or request.args.get("download") == "1":
        return send_file(target, as_attachment=True, download_name=target.name)
    return send_file(target, mimetype=shown_as, download_name=target.name)


_INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


def _inline_type(name: str) -> str | None:
    """The type to show a student's file as in the browser, or None to download it.

    A submission is the student's content, served from the app's own origin: an .html or
    .svg shown as such would run its scripts as the marker, with the marker's access to every
    page and job of the app. So only passive types are shown (PDF, bitmaps), other text as
    plain text; everything else is a download."""
    guessed = mimetypes.guess_type(name)[0] or ""
    if guessed in _INLINE_TYPES:
        return guessed
    if guessed.startswith("text/") and guessed not in {"text/html", "text/xml"}:
        return "text/plain"
    return None


def _file_links(ws: Any, course: str, pi: str) -> Any:
    files = ws.store.query_df(
        "SELECT path, size FROM download_files WHERE course = ? AND pi = ? ORDER BY path",
        [course, pi])
    if files.empty:
        return html.P("No files downloaded yet: download them from the allocation page.",
                      className="muted")
    items = []
    for row in files.itertuples():
        href = f"/files/{quote(course)}/{quote(pi)}/{quote(row.path)}"
        items.append(html.Li([
            html.Span(f"{row.path} ({row.size:,} bytes) "),
            html.A("open", href=href, target="_blank", rel="noopener",
                   **{"aria-label": f"open {row.path}"}),
            " · ",
            html.A("download", href=f"{href}?download=1",
                   **{"aria-label": f"download {row.path}"}),
        ]))
    return html.Ul(items, className="files")


# ---------------------------------------------------------------------------------------------
# the script page


def script_layout(course: str | None = None, pi: str | None = None, **_: Any) -> list[Any]:
    ws = current_workspace()
    try:
        data = load(workspace=ws)
    except UserError as exc:
        return [html.H1("Script"), html.P(f"No marks to show yet: {exc.one_line()}",
                                          className="muted")]
    if not pi:
        return [html.H1("Scripts"), _script_list(data)]
    try:
        flag, role = data.script(pi, course)
    except UserError as exc:
        return [html.H1("Script"), html.P(exc.one_line(), className="error", role="alert")]
    course = flag["course"]
    text, table = report.script_report(flag, role, data.scheme)
    return [
        html.H1(f"Script {flag['pi']} ({course})"),
        html.P(["Status: ", html.Strong(flag["status"], id="script-status")]),
        html.H2("Why it is flagged"),
        _reasons(flag),
        html.H2("Report"),
        html.P(text, id="script-report"),
        html.Div(_category_table(table), id="script-table"),
        html.Div([
            dcc.Graph(id="script-chart-categories", figure=_categories_figure(table),
                      config={"displayModeBar": False}, responsive=True),
            dcc.Graph(id="script-chart-totals", figure=_totals_figure(table, data),
                      config={"displayModeBar": False}, responsive=True),
        ], className="cards"),
        html.H2("Markers' comments"),
        _comments(ws, course, flag["pi"]),
        html.H2("Files"),
        _file_links(ws, course, flag["pi"]),
        html.H2("Third marks"),
        _third_mark_form(data, course, flag["pi"]),
    ]


def _script_list(data: Marking) -> Any:
    flags = data.flags
    rows = [html.Tr([
        html.Td(dcc.Link(r.pi, href="/script?" + urlencode({"course": r.course, "pi": r.pi}))),
        html.Td(r.course), html.Td(r.status), html.Td(r.reasons or "")])
        for r in flags.itertuples()]
    return html.Table([
        html.Caption("Scripts, those needing attention first"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in
                            ("PI", "Course", "Status", "Reasons")])),
        html.Tbody(rows)], className="plain")


def _reasons(flag: dict) -> Any:
    reasons = [r for r in str(flag.get("reasons") or "").split("; ") if r]
    if not reasons:
        return html.P("Not flagged: no significant difference between the markers.")
    return html.Ul([html.Li(r) for r in reasons], className="reasons", id="script-reasons")


def _category_table(table: pd.DataFrame) -> Any:
    columns = {"category": "Category", "max": "Max", "weight": "Weight", "first": "First",
               "second": "Second", "third": "Third", "diff_raw": "Difference (raw)",
               "diff_pct_points": "Difference (% points)"}
    shown = table[list(columns)].round(2)
    return html.Table([
        html.Caption("Marks by category"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in columns.values()])),
        html.Tbody([html.Tr([html.Td("" if pd.isna(v) else f"{v:g}" if isinstance(v, float)
                                     else str(v)) for v in row])
                    for row in shown.itertuples(index=False)])], className="plain")


def _categories_figure(table: pd.DataFrame) -> go.Figure:
    return _fit(charts.category_chart(table, "Marks by category"))


def _totals_figure(table: pd.DataFrame, data: Marking) -> go.Figure:
    return _fit(charts.totals_chart(table, data.scheme, "Totals by category"))


def _fit(figure: go.Figure) -> go.Figure:
    """A chart that takes its card's width (the reports use fixed sizes and margins for
    print). Here the margins grow to the axis labels: "second marker" was cut to "d marker"."""
    return figure.update_layout(width=None, autosize=True, height=min(
        figure.layout.height or 420, 420), margin={"l": 50, "r": 20, "autoexpand": True},
        yaxis_automargin=True)


def _comments(ws: Any, course: str, pi: str) -> Any:
    marks = read_marks_store(ws.store)
    mine = marks[(marks["course"] == course) & (marks["pi"] == pi)]
    items = []
    for role, rows in mine.groupby("role", sort=False):
        first = rows.iloc[0]
        items.append(html.Div([html.H3(f"{str(role).capitalize()} marker: {first['marker']}"),
                               html.P(first["comments"] or "(no comments)")], className="panel"))
    return html.Div(items or [html.P("No comments.")], id="script-comments")


TYPING_PAUSE = 0.3
"""Seconds of no typing before a third mark is checked: one check per mark typed, not one
per keystroke (each reads the script's marks from the store)."""


def _third_mark_form(data: Marking, course: str, pi: str) -> Any:
    rows = [html.Div([
        html.Label([html.Span(f"{category.name} (0 to {category.max:g})"),
                    dcc.Input(id={"type": "third-mark", "index": index}, type="text",
                              inputMode="decimal", debounce=TYPING_PAUSE, autoComplete="off")]),
        html.Span(id={"type": "third-mark-msg", "index": index}, className="error"),
    ], className="mark-row") for index, category in enumerate(data.scheme.categories)]
    return html.Div([
        html.Div(rows, className="marks-form", id="third-form"),
        html.Label("Comments", htmlFor="third-comments"),
        dcc.Textarea(id="third-comments", style={"width": "100%", "minHeight": "5em"}),
        html.P(id="third-projection", **{"aria-live": "polite"}),
        html.Button("Post third marks…", id="third-review", disabled=True, n_clicks=0),
        html.Div(id="third-confirm", className="panel", hidden=True, children=[
            html.P(id="third-confirm-text"),
            html.Button("Confirm and post", id="third-post", n_clicks=0),
            html.Button("Go back", id="third-back", className="secondary", n_clicks=0),
        ]),
        html.Div(id="third-result", role="status"),
        dcc.Store(id="third-key", data={"course": course, "pi": pi}),
        dcc.Store(id="third-job"),
        dcc.Interval(id="third-tick", interval=500, disabled=True),
    ])


def _entered(scheme: MarkScheme, values: list[Any]) -> tuple[dict[str, float], list[str]]:
    """The marks typed so far, and one message per field (empty when the field is fine).

    The fields are text, not number, inputs: a browser's number input reports an out-of-range
    value as empty, so "9 of 8" would vanish silently instead of being explained."""
    marks, messages = {}, []
    for category, value in zip(scheme.categories, values, strict=True):
        if value is None or value == "":
            messages.append("")  # not typed yet: posting stays disabled, no red yet
            continue
        try:
            number = float(str(value).strip())
        except ValueError:
            messages.append("must be a number, e.g. 5 or 5.5")
            continue
        if math.isnan(number) or not 0 <= number <= category.max:
            messages.append(f"must be between 0 and {category.max:g}")
            continue
        marks[category.name] = number
        messages.append("")
    return marks, messages


def _with_third(ws: Workspace, scheme: MarkScheme, course: str, pi: str,
                marks: dict[str, float]) -> dict:
    """The script's flags row if these third marks were in: the final mark under the rule.
    Only this script's marks are read and scored (this runs as the marks are typed)."""
    third = pd.DataFrame([{"course": course, "pi": pi, "role": "third", "marker": "(you)",
                           "category": name, "mark": mark, "comments": ""}
                          for name, mark in marks.items()])
    stored = read_marks_store(ws.store)
    mine = stored[(stored["course"] == course) & (stored["pi"] == pi)
                  & (stored["role"] != "third")]
    what_if = Marking.from_marks(pd.concat([mine, third], ignore_index=True), scheme)
    return what_if.flags.iloc[0].to_dict()


@callback(Output({"type": "third-mark-msg", "index": ALL}, "children"),
          Output("third-projection", "children"), Output("third-review", "disabled"),
          Input({"type": "third-mark", "index": ALL}, "value"), State("third-key", "data"))
def validate(values: list[Any], key: dict) -> tuple:
    ws = current_workspace()
    scheme = scheme_for(ws)
    marks, messages = _entered(scheme, values)
    if len(marks) < len(scheme.categories):
        return messages, "Enter a mark for every category to see the final mark.", True
    row = _with_third(ws, scheme, key["course"], key["pi"], marks)
    projection = (f"Third mark {row['third_pct']:.1f}%. Final mark under the scheme's rule "
                  f"({row['final_rule']}): {row['final_pct']:g}% ({row['final_grade']} "
                  f"{row['final_qualifier']}).")
    return messages, projection, False


@callback(Output("third-confirm", "hidden"), Output("third-confirm-text", "children"),
          Input("third-review", "n_clicks"), Input("third-back", "n_clicks"),
          Input("third-job", "data"),
          State({"type": "third-mark", "index": ALL}, "value"), State("third-key", "data"),
          prevent_initial_call=True)
def review(_: int, __: int, job: Any, values: list[Any], key: dict) -> tuple:
    if ctx.triggered_id != "third-review":
        return True, ""
    marks, _ = _entered(scheme_for(current_workspace()), values)
    listed = ", ".join(f"{name} {mark:g}" for name, mark in marks.items())
    return False, (f"Post these third marks for {key['pi']} ({key['course']}) to the marks site? "
                   f"{listed}. This changes the site; it is recorded in the audit table.")


@callback(Output("third-job", "data"), Output("third-tick", "disabled"),
          Output("third-result", "children", allow_duplicate=True),
          Input("third-post", "n_clicks"),
          State({"type": "third-mark", "index": ALL}, "value"), State("third-comments", "value"),
          State("third-key", "data"), prevent_initial_call=True)
def post(_: int, values: list[Any], comments: str | None, key: dict) -> tuple:
    ws = current_workspace()
    scheme = scheme_for(ws)
    marks, _ = _entered(scheme, values)
    if len(marks) < len(scheme.categories):
        return no_update, True, html.P("Enter every mark first.", className="error")
    entry = {"course": key["course"], "pi": key["pi"], "marks": marks,
             "comments": comments or None}
    try:
        job_id = start_job(ws, "post", [(key["course"], key["pi"])], {"entries": [entry]})
    except UserError as exc:
        return no_update, True, html.P(exc.one_line(), className="error")
    return job_id, False, html.P("Posting…")


@callback(Output("third-result", "children"), Output("third-tick", "disabled",
                                                     allow_duplicate=True),
          Output("script-status", "children"), Output("script-report", "children"),
          Output("script-table", "children"), Output("script-chart-categories", "figure"),
          Output("script-chart-totals", "figure"),
          Input("third-tick", "n_intervals"), State("third-job", "data"),
          State("third-key", "data"), prevent_initial_call=True)
def posted(_: int, job_id: int | None, key: dict) -> tuple:
    """While the post job runs, say so; when it ends, the read-back and the script updated."""
    unchanged = (no_update,) * 5
    if job_id is None:
        return no_update, True, *unchanged
    ws = current_workspace()
    job = progress(ws, job_id)
    if job["state"] in ACTIVE:
        return html.P(f"Posting… ({job['state']})"), False, *unchanged
    audit = ws.store.query_df(
        "SELECT action, marks, CASE verified WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END AS verified,"
        " message, at FROM posts WHERE course = ? AND pi = ?"
        " ORDER BY id DESC LIMIT 5", [key["course"], key["pi"]])
    data = load(workspace=ws)
    flag, role = data.script(key["pi"], key["course"])
    text, table = report.script_report(flag, role, data.scheme)
    outcome = "posted and read back" if job["ok"] else f"failed: {get_job(ws, job_id)['message']}"
    return html.Div([
        html.P(f"Third marks {outcome}. Final mark {flag['final_pct']:g}% "
               f"({flag['final_grade']} {flag['final_qualifier']}).", id="third-outcome",
               className="ok" if job["ok"] else "error"),
        html.Table([
            html.Caption("What the site shows now (from the audit table)"),
            html.Thead(html.Tr([html.Th(c, scope="col") for c in audit.columns])),
            html.Tbody([html.Tr([html.Td("" if pd.isna(v) else str(v)) for v in r])
                        for r in audit.itertuples(index=False)])], className="plain",
            id="third-audit"),
    ]), True, flag["status"], text, _category_table(table), _categories_figure(table), \
        _totals_figure(table, data)


# ---------------------------------------------------------------------------------------------
# the cohort page


def cohort_layout() -> list[Any]:
    ws = current_workspace()
    try:
        data = load(workspace=ws)
    except UserError as exc:
        return [html.H1("Cohort"), html.P(f"No marks yet: {exc.one_line()}", className="muted")]
    tables = cohort_report(data)
    scripts = tables["scripts"]
    return [
        html.H1("Cohort"),
        html.P(f"{len(scripts)} scripts; {int(scripts['flagged'].sum())} flagged; "
               f"{int((scripts['status'] == 'needs third marker').sum())} need a third marker."),
        html.Div([html.Button("Download the award-board pack (HTML)", id="cohort-board-go",
                              n_clicks=0), dcc.Download(id="cohort-board")],
                 className="toolbar"),
        html.H2("Scripts by attention"),
        _grid("cohort-scripts", _linked(scripts[[
            "attention", "course", "pi", "status", "reasons", "first_pct", "second_pct",
            "third_pct", "final_pct", "final_grade"]])),
        html.Div([dcc.Graph(figure=_agreement_chart(scripts), config={"displayModeBar": False},
                            responsive=True),
                  dcc.Graph(figure=_reliability_chart(tables["categories"]),
                            config={"displayModeBar": False}, responsive=True)],
                 className="cards"),
        html.H2("Reliability by category"),
        _grid("cohort-categories", tables["categories"]),
        html.H2("Markers"),
        _grid("cohort-markers", tables["markers"]),
    ]


def _linked(scripts: pd.DataFrame) -> pd.DataFrame:
    """PIs as links to their script page (rendered by the grid's markdown renderer)."""
    links = [f"[{pi}](/script?{urlencode({'course': c, 'pi': pi})})"
             for c, pi in zip(scripts["course"], scripts["pi"], strict=True)]
    return scripts.assign(pi=links)


def _grid(grid_id: str, frame: pd.DataFrame) -> Any:

    shown = frame.round(3).astype(object).where(frame.notna(), None)
    return dag.AgGrid(id=grid_id, rowData=shown.to_dict("records"),
                      columnDefs=[{"field": c, "headerName": c.replace("_", " "),
                                   **({"cellRenderer": "markdown"} if c == "pi" else {})}
                                  for c in frame.columns],
                      defaultColDef={"sortable": True, "filter": True, "resizable": True,
                                     "minWidth": 110, "flex": 1},
                      dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True,
                                       "pagination": len(frame) > 20,
                                       "paginationPageSize": 20},
                      className="ag-theme-quartz", style={"width": "100%"})


def _agreement_chart(scripts: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for status, group in scripts.groupby("status"):
        fig.add_scatter(x=group["first_pct"], y=group["second_pct"], mode="markers",
                        name=str(status), text=group["pi"],
                        hovertemplate="%{text}: first %{x:.1f}%, second %{y:.1f}%")
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name="agreement",
                    line={"dash": "dot", "color": "grey"})
    return fig.update_layout(title="First against second marker (%)", template="plotly_white",
                             xaxis_title="first marker %", yaxis_title="second marker %",
                             height=380, margin={"l": 50, "r": 20})


def _reliability_chart(categories: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(x=categories["category"], y=categories["alpha_interval"]))
    return fig.update_layout(title="Reliability (Krippendorff's alpha, interval)",
                             template="plotly_white", yaxis_range=[-0.2, 1], height=380,
                             margin={"l": 50, "r": 20})


@callback(Output("cohort-board", "data"), Input("cohort-board-go", "n_clicks"),
          prevent_initial_call=True)
def board_pack(_: int) -> Any:
    data = load(workspace=current_workspace())
    if data.flagged.empty:
        return no_update
    with tempfile.TemporaryDirectory(prefix="gaffertape-board-") as tmp:
        path = write_board(data, Path(tmp), pdf=False)[0]
        return dcc.send_file(str(path), filename="award-board.html")
