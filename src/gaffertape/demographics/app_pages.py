"""The demographics app page: pick a dataset, a population and a year.

It shows that population's ages in that year (stacked by sex) and, when comparators with
counts by age AND sex are saved, the pyramids beside them for the same year. Everything is read
from the workspace store through the demographics API, so the page shows what the CLI reports.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from gaffertape.app.context import current_workspace
from gaffertape.app.registry import AppPage
from gaffertape.demographics import api
from gaffertape.demographics.aggregate import POPULATIONS
from gaffertape.demographics.charts import footnote, population_figure, pyramid_figure
from gaffertape.demographics.store import datasets
from gaffertape.errors import UserError


def pages() -> list[AppPage]:
    return [AppPage("/demographics", "Demographics", layout, order=60)]


def layout() -> list[Any]:
    names = list(datasets(current_workspace().store, "records")["name"])
    if not names:
        return [html.H2("Demographics"),
                html.P("No student records yet: run `gaffertape demographics generate` for "
                       "synthetic data, or `gaffertape demographics load` for your own.")]
    first, last, marks = year_range(names[0])
    return [
        html.H2("Demographics"),
        html.Div(className="controls", children=[
            html.Label(["Dataset", dcc.Dropdown(names, names[0], id="demog-dataset",
                                                clearable=False)]),
            html.Fieldset([html.Legend("Population"),
                           dcc.RadioItems(list(POPULATIONS), "studying", id="demog-population",
                                          inline=True)]),
            html.Fieldset([html.Legend("Show"),
                           dcc.RadioItems(["percent", "count"], "percent", id="demog-mode",
                                          inline=True)]),
            html.Fieldset([html.Legend("Year"),
                           dcc.Slider(id="demog-year", step=1, min=first, max=last, value=last,
                                      marks=marks, tooltip={"always_visible": True})]),
        ]),
        html.P(id="demog-note"),
        dcc.Graph(id="demog-distribution"),
        dcc.Graph(id="demog-pyramid"),
    ]


def year_range(name: str) -> tuple[int, int, dict[int, str]]:
    """First and last year of a dataset and slider marks every ten years."""
    years = api.dataset(current_workspace(), name).table["year"]
    first, last = int(years.min()), int(years.max())
    return first, last, {y: str(y) for y in range(first, last + 1) if (y - first) % 10 == 0}


@callback(Output("demog-year", "min"), Output("demog-year", "max"),
          Output("demog-year", "marks"), Output("demog-year", "value"),
          Input("demog-dataset", "value"), prevent_initial_call=True)
def _on_dataset(name: str) -> tuple[int, int, dict[int, str], int]:
    first, last, marks = year_range(name)
    return first, last, marks, last


def views(name: str, population: str, year: int, mode: str) -> tuple[go.Figure, go.Figure, str]:
    """The page's two figures and its note for the pickers' values (no Dash needed)."""
    workspace = current_workspace()
    data = api.dataset(workspace, name)
    percent = mode == "percent"
    distribution = population_figure(data.table, population, year, percent=percent,
                                     quality=data.quality)
    note = footnote(data.table, data.quality, by_sex=True)
    try:
        pyramid = pyramid_figure(data.table[data.table["year"] == year],
                                 api.comparators(workspace), population=population,
                                 percent=percent, animate=False, institution=name,
                                 quality=data.quality)
    except UserError as exc:
        pyramid = go.Figure(layout={"title": f"No pyramid: {exc.one_line()}", "height": 120})
    if data.synthetic:
        note = "SYNTHETIC DATA (made up, no real students). " + note
    return distribution, pyramid, note


@callback(Output("demog-distribution", "figure"), Output("demog-pyramid", "figure"),
          Output("demog-note", "children"),
          Input("demog-dataset", "value"), Input("demog-population", "value"),
          Input("demog-year", "value"), Input("demog-mode", "value"))
def _on_pick(name: str, population: str, year: int, mode: str) -> tuple[Any, Any, str]:
    return views(name, population, int(year), mode)
