"""Demographics charts: one Plotly figure each, written as interactive HTML and static images.

Every chart is drawn from a distributions table (see :mod:`.aggregate`) and says in a footnote
how many records it could not show (unknown age or sex, unusable years): nothing disappears
silently. Axes are shared and fixed, so that panels and animation frames compare honestly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gaffertape.atomic import write_text_atomic
from gaffertape.charts import STATIC_FORMATS, export_static
from gaffertape.demographics.aggregate import POPULATIONS, band_order
from gaffertape.demographics.bands import UNKNOWN, harmonise, parse_scheme
from gaffertape.errors import UserError

COLOURS = {"joined": "#1f77b4", "studying": "#2ca02c", "graduated": "#d62728",
           "graduates to date": "#9467bd"}
SEX_COLOURS = {"M": "#4c78a8", "F": "#e45756"}
FORMATS = ("html", *STATIC_FORMATS)
TEMPLATE = "plotly_white"


def short_label(band: str) -> str:
    """Compact tick labels for small panels: 'under 21' -> '<21', '65 and over' -> '65+'."""
    return (band.replace("under ", "<").replace(" and over", "+").replace(" and under", "-")
            .replace("55<=", "55+"))


def shares(table: pd.DataFrame, percent: bool) -> pd.DataFrame:
    """Known-age counts (or percentages of the known) per year, population and band."""
    known = table[table["age_band"] != UNKNOWN]
    wide = known.groupby(["year", "population", "age_band"], sort=False)["count"].sum()
    frame = wide.unstack("age_band").reindex(columns=band_order(known)).fillna(0)
    if percent:
        totals = frame.sum(axis=1).replace(0, np.nan)
        frame = frame.div(totals, axis=0).mul(100)  # an empty population stays NaN: not drawn
    return frame


def footnote(table: pd.DataFrame, quality: pd.DataFrame | None, *, by_sex: bool = False) -> str:
    """What the chart leaves out, in numbers (for the figure's bottom line)."""
    parts = []
    if quality is not None and len(quality):
        q = quality.set_index(["field", "status"])["count"]
        parts.append(_not_ok(q, "age"))
        if by_sex:
            parts.append(_not_ok(q, "sex"))
        bad_years = int(q.get("year", pd.Series(dtype=int)).drop("ok", errors="ignore").sum())
        parts.append(f"{bad_years:,} excluded for missing/invalid years")
    if by_sex:
        other = int(table.loc[table["sex"] == "other", "count"].sum())
        parts.append(f"{other:,} record-years with sex recorded as other not drawn")
    return "Records not shown: " + "; ".join(p for p in parts if p) + "." if parts else ""


def _not_ok(q: pd.Series, field: str) -> str:
    if field not in q.index.get_level_values(0):
        return ""
    counts = q[field].drop("ok", errors="ignore")
    detail = ", ".join(f"{k} {int(v):,}" for k, v in counts.items() if v)
    return f"{int(counts.sum()):,} of unknown {field}" + (f" ({detail})" if detail else "")


def _finish(fig: go.Figure, title: str, note: str, width: int, height: int, *,
            player: bool = False, axis_labels: int = 60) -> go.Figure:
    """Title, legend, footnote and (for animations) the player, placed in pixels.

    Plotly places annotations and sliders in fractions of the plot area, so pixel offsets are
    converted here: nothing overlaps whatever the figure's height.
    """
    note_lines = note.count("<br>") + 1 if note else 0
    bottom = axis_labels + (100 if player else 0) + 18 * note_lines + 20
    top = 120
    plot_height = height - top - bottom
    fig.update_layout(title={"text": title, "x": 0.01, "y": 1 - 20 / height, "yanchor": "top"},
                      template=TEMPLATE, width=width, height=height,
                      margin={"t": top, "b": bottom, "l": 80, "r": 30},
                      legend={"orientation": "h", "y": 1 + 50 / plot_height, "x": 1,
                              "xanchor": "right", "yanchor": "bottom"})
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, xanchor="left",
                           y=-(bottom - 10) / plot_height, yanchor="bottom", showarrow=False,
                           align="left", font={"size": 11, "color": "#555"})
    if player:
        y = -(axis_labels + 10) / plot_height
        for menu in (*fig.layout.sliders, *fig.layout.updatemenus):
            menu.y = y
    return fig


def _value_title(percent: bool) -> str:
    return "% of known-age records" if percent else "records"


def year_figure(table: pd.DataFrame, year: int, *, percent: bool = False,
                quality: pd.DataFrame | None = None) -> go.Figure:
    """The four distributions of one year side by side, on one shared value axis."""
    data = shares(table, percent)
    fig = _year_bars(data, year, percent)
    return _finish(fig, f"Age on the four populations, {year}", footnote(table, quality),
                   1300, 520)


def _year_bars(data: pd.DataFrame, year: int, percent: bool) -> go.Figure:
    if year not in data.index.get_level_values("year"):
        raise UserError(f"no data for {year}", hint=f"years run {_year_span(data)}")
    fig = make_subplots(rows=1, cols=4, shared_yaxes=True, subplot_titles=POPULATIONS,
                        horizontal_spacing=0.02)
    for i, population in enumerate(POPULATIONS, start=1):
        values = data.loc[(year, population)]
        fig.add_bar(x=[short_label(b) for b in data.columns], y=values.to_numpy(),
                    name=population, marker_color=COLOURS[population], row=1, col=i,
                    hovertemplate="%{x}: %{y:,.1f}<extra>" + population + "</extra>")
    fig.update_yaxes(title_text=_value_title(percent), col=1)
    fig.update_yaxes(range=[0, float(np.nanmax(data.to_numpy())) * 1.05], autorange=False)
    return fig


def _year_span(data: pd.DataFrame) -> str:
    years = data.index.get_level_values("year")
    return f"{years.min()}-{years.max()}"


def grid_figure(table: pd.DataFrame, *, rows: int = 5, cols: int = 10, percent: bool = True,
                populations: tuple[str, ...] = POPULATIONS,
                quality: pd.DataFrame | None = None) -> go.Figure:
    """Small multiples, one panel per year, every panel on the same axes.

    With more years than panels, evenly spaced years are shown (first and last included);
    with fewer, the grid shrinks to fit them.
    """
    data = shares(table, percent)
    unknown = set(populations) - set(POPULATIONS)
    if unknown:
        raise UserError(f"unknown population(s): {', '.join(sorted(unknown))}",
                        hint=f"choose from {', '.join(POPULATIONS)}")
    years = _panel_years(sorted(set(data.index.get_level_values("year"))), rows * cols)
    if len(years) < rows * cols:  # a short series: no rows of empty panels
        cols = min(cols, len(years))
        rows = -(-len(years) // cols)
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[str(y) for y in years],
                        horizontal_spacing=0.008 if cols > 5 else 0.04, vertical_spacing=0.05)
    labels = [short_label(b) for b in data.columns]
    top = float(np.nanmax(data.loc[(slice(None), list(populations)), :].to_numpy())) * 1.05
    traces, places = [], []
    for k, year in enumerate(years):
        for population in populations:
            traces.append(go.Scatter(
                x=labels, y=data.loc[(year, population)].to_numpy(), mode="lines",
                line={"color": COLOURS[population], "width": 1.6}, name=population,
                legendgroup=population, showlegend=k == 0,
                hovertemplate=f"{year} {population}<br>%{{x}}: %{{y:,.1f}}<extra></extra>"))
            places.append(divmod(k, cols))
    fig.add_traces(traces, rows=[r + 1 for r, _ in places], cols=[c + 1 for _, c in places])
    fig.update_yaxes(range=[0, top], showticklabels=False)
    fig.update_yaxes(showticklabels=True, col=1, tickfont={"size": 9})
    fig.update_xaxes(showticklabels=False)
    small = cols > 5
    fig.update_xaxes(showticklabels=True, row=rows, tickangle=-90 if small else 0,
                     tickfont={"size": 7 if small else 11})
    fig.update_annotations(font_size=10)
    mode = "percentage of each population's known-age records" if percent else "records"
    title = (f"Age distributions by year, {years[0]}-{years[-1]} "
             f"(y: {mode}, same scale in every panel)")
    return _finish(fig, title, footnote(table, quality), 1500, 170 * rows + 200)


def _panel_years(years: list[int], panels: int) -> list[int]:
    if len(years) <= panels:
        return years
    picks = np.linspace(0, len(years) - 1, panels).round().astype(int)
    return [years[i] for i in dict.fromkeys(picks)]


def animation_figure(table: pd.DataFrame, *, percent: bool = True,
                     quality: pd.DataFrame | None = None) -> go.Figure:
    """The four distributions, one frame per year, with play/pause and a year slider.

    The value axis is fixed at the largest value of any year, so bars move, not the scale.
    """
    data = shares(table, percent)
    years = sorted(set(data.index.get_level_values("year")))
    fig = _year_bars(data, years[0], percent)
    frames = []
    for year in years:
        traces = [go.Bar(y=data.loc[(year, p)].to_numpy()) for p in POPULATIONS]
        frames.append(go.Frame(data=traces, name=str(year), traces=[0, 1, 2, 3],
                               layout={"title": {"text": f"Age on the four populations, {year}"}}))
    fig.frames = frames
    _add_player(fig, [str(y) for y in years], play=True)
    return _finish(fig, f"Age on the four populations, {years[0]}", footnote(table, quality),
                   1300, 620, player=True)


def _add_player(fig: go.Figure, names: list[str], *, play: bool) -> None:
    """A year slider (always) and play/pause buttons (animations)."""
    step_args = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                 "transition": {"duration": 0}}
    fig.update_layout(sliders=[{
        "active": 0, "x": 0.15, "len": 0.85, "yanchor": "top", "pad": {"t": 0},
        "currentvalue": {"prefix": "year: "},
        "steps": [{"label": n, "method": "animate", "args": [[n], step_args]} for n in names],
    }])
    if play:
        fig.update_layout(updatemenus=[{
            "type": "buttons", "direction": "left", "x": 0.0, "xanchor": "left",
            "yanchor": "top", "pad": {"t": 20},
            "buttons": [
                {"label": "▶ play", "method": "animate",
                 "args": [None, {"frame": {"duration": 500, "redraw": True},
                                 "fromcurrent": True, "transition": {"duration": 0}}]},
                {"label": "❚❚ pause", "method": "animate",
                 "args": [[None], {"mode": "immediate", "frame": {"duration": 0},
                                   "transition": {"duration": 0}}]},
            ],
        }])


MAX_PYRAMIDS = 6  # the institution and up to five comparators side by side


@dataclass
class PyramidData:
    """Counts by institution, year, harmonised band and sex, and what was merged or skipped."""

    table: pd.DataFrame
    bands: list[str]  # harmonised, in age order
    merged: list[str]  # one line per merge: which source bands were combined
    skipped: list[str]  # comparators without counts crossed by age AND sex


def pyramid_table(table: pd.DataFrame, comparators: pd.DataFrame, population: str, *,
                  institution: str = "institution", institutions: list[str] | None = None,
                  percent: bool = False) -> PyramidData:
    """The institution's and its comparators' counts (or % of each institution-year), on the
    age bands they share.

    Comparators that publish sex and age only separately (HESA) cannot be drawn as a pyramid;
    they are listed in ``skipped``.
    """
    if population not in POPULATIONS:
        raise UserError(f"population {population!r} is not one of {', '.join(POPULATIONS)}")
    comparators = _chosen(comparators, institutions)
    ours = table[(table["population"] == population) & table["sex"].isin(["F", "M"])
                 & (table["age_band"] != UNKNOWN)].assign(institution=institution)
    theirs = comparators[(comparators["population"] == population)
                         & comparators["sex"].isin(["F", "M"])
                         & ~comparators["age_band"].isin(["all ages", UNKNOWN])]
    skipped = sorted(set(comparators["institution"]) - set(theirs["institution"]))
    if len(comparators) and theirs.empty:
        raise UserError(f"no comparator has counts by age band AND sex for {population!r}",
                        hint="HESA's published tables give sex and age separately; a pyramid "
                             "needs them crossed (see docs/demographics.md)")
    if theirs["institution"].nunique() >= MAX_PYRAMIDS:
        raise UserError(f"{theirs['institution'].nunique()} comparator institutions: too many "
                        "pyramids to read side by side",
                        hint=f"choose up to {MAX_PYRAMIDS - 1} with --institution")
    both = pd.concat([ours, theirs[ours.columns.intersection(theirs.columns)]],
                     ignore_index=True)
    schemes = {name: parse_scheme(list(group["age_band"].unique()))
               for name, group in both.groupby("institution", sort=False)}
    common = harmonise(schemes)
    band = pd.Series(
        [common.merges[i][b] for i, b in zip(both["institution"], both["age_band"], strict=True)],
        index=both.index)
    counted = (both.assign(age_band=band)
               .groupby(["institution", "year", "age_band", "sex"], sort=False)["count"].sum()
               .reset_index())
    years = set.intersection(*(set(g["year"]) for _, g in counted.groupby("institution")))
    if not years:
        raise UserError("the institution and the comparators share no year",
                        hint="compare datasets that cover the same years")
    counted = counted[counted["year"].isin(years)].copy()
    if percent:
        totals = counted.groupby(["institution", "year"])["count"].transform("sum")
        counted["count"] = counted["count"] / totals.replace(0, np.nan) * 100
    merged = [f"{source}: {', '.join(originals)} → {label}"
              for source, label, originals in common.merged_bands()]
    return PyramidData(counted.fillna(0), [b.label for b in common.scheme], merged, skipped)


def _chosen(comparators: pd.DataFrame, institutions: list[str] | None) -> pd.DataFrame:
    if not institutions:
        return comparators
    known = set(comparators["institution"])
    for name in institutions:
        if name not in known:
            close = sorted(k for k in known if name.lower() in k.lower())[:5]
            raise UserError(f"no comparator institution {name!r}",
                            hint=f"did you mean: {', '.join(close)}" if close else
                            "list them with `gaffertape sql \"select distinct institution "
                            "from demographics_comparators\"`")
    return comparators[comparators["institution"].isin(institutions)]


def pyramid_figure(table: pd.DataFrame, comparators: pd.DataFrame, *,
                   population: str = "studying", percent: bool = True, animate: bool = True,
                   institution: str = "institution", institutions: list[str] | None = None,
                   quality: pd.DataFrame | None = None) -> go.Figure:
    """Sex by age band, the institution beside each comparator, with a year slider.

    Males to the left, females to the right; the horizontal axis is fixed over every year and
    shared by every pyramid, so absolute numbers compare institutions' sizes and percentages
    their shapes.
    """
    pyramid = pyramid_table(table, comparators, population, institution=institution,
                            institutions=institutions, percent=percent)
    data, bands = pyramid.table, pyramid.bands
    names = list(dict.fromkeys(data["institution"]))
    years = sorted(set(data["year"]))
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True, subplot_titles=names,
                        horizontal_spacing=0.03)
    wide = data.pivot_table(index=["institution", "year", "age_band"], columns="sex",
                            values="count", aggfunc="sum").reindex(columns=["M", "F"])
    first = _pyramid_traces(wide, names, bands, years[0])
    fig.add_traces(first, rows=[1] * len(first), cols=[i // 2 + 1 for i in range(len(first))])
    frames = [go.Frame(data=[{"type": "bar", "x": t["x"], "customdata": t["customdata"]}
                             for t in _pyramid_traces(wide, names, bands, year, bare=True)],
                       name=str(year),
                       layout={"title": {"text": _pyramid_title(population, year, percent)}})
              for year in years]
    top = float(data["count"].max()) * 1.05 or 1.0
    ticks = _symmetric_ticks(top)
    fig.update_xaxes(range=[-top, top], autorange=False, tickvals=ticks,
                     ticktext=[f"{abs(t):,g}" for t in ticks],
                     title_text="% of the institution's year" if percent else "records")
    fig.update_yaxes(categoryorder="array", categoryarray=bands)
    fig.update_layout(barmode="overlay", bargap=0.05)
    if len(years) > 1:
        fig.frames = frames
        _add_player(fig, [str(y) for y in years], play=animate)
    note = footnote(table, quality, by_sex=True)
    if pyramid.merged:
        note += "<br>Bands merged to compare like with like: " + "; ".join(pyramid.merged)
    if pyramid.skipped:
        note += (f"<br>Not drawn (sex and age published only separately): "
                 f"{', '.join(pyramid.skipped[:5])}"
                 + (f" and {len(pyramid.skipped) - 5} more" if len(pyramid.skipped) > 5 else ""))
    return _finish(fig, _pyramid_title(population, years[0], percent), note,
                   max(700, 420 * len(names)), 640, player=len(years) > 1)


def _symmetric_ticks(top: float) -> list[float]:
    """Tick values either side of zero, labelled without sign (men are not negative)."""
    step = 10 ** np.floor(np.log10(top))
    if top / step < 2:
        step /= 2
    elif top / step >= 5:
        step *= 2
    right = list(np.arange(0, top, step))
    return [-t for t in reversed(right[1:])] + right


def _pyramid_title(population: str, year: int, percent: bool) -> str:
    unit = "percentages" if percent else "numbers"
    return f"Population pyramids, {population}, {year} ({unit}; men left, women right)"


def _pyramid_traces(wide: pd.DataFrame, names: list[str], bands: list[str], year: int, *,
                    bare: bool = False) -> list[dict[str, object]]:
    """Men (negative) and women bars for each institution; ``bare``: only what frames change."""
    traces = []
    for i, name in enumerate(names):
        rows = wide.loc[(name, year)].reindex(bands).fillna(0)
        for sex, sign in (("M", -1), ("F", 1)):
            values = rows[sex].to_numpy()
            trace: dict[str, object] = {"type": "bar", "x": sign * values, "customdata": values}
            if not bare:
                trace |= {"y": bands, "orientation": "h", "legendgroup": sex,
                          "name": {"M": "men", "F": "women"}[sex], "showlegend": i == 0,
                          "marker": {"color": SEX_COLOURS[sex]},
                          "hovertemplate": f"{name}<br>%{{y}}: %{{customdata:,.1f}}"
                                           f"<extra>{sex}</extra>"}
            traces.append(trace)
    return traces


def write_figure(fig: go.Figure, dest: Path | str,
                 formats: tuple[str, ...] = ("html", "png")) -> list[Path]:
    """Write one figure as ``dest.<format>`` for each format (HTML self-contained).

    Static images go through kaleido and the system Chromium; an animation's static image is
    its first frame.
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise UserError(f"unknown format(s): {', '.join(sorted(unknown))}",
                        hint=f"choose from {', '.join(FORMATS)}")
    dest = Path(dest)
    written = []
    if "html" in formats:
        html = dest.with_suffix(".html")
        write_text_atomic(html, fig.to_html(include_plotlyjs=True, full_html=True,
                                            auto_play=False))
        written.append(html)
    static = [dest.with_suffix(f".{f}") for f in formats if f != "html"]
    written += export_static([fig] * len(static), static)
    return written


def population_figure(table: pd.DataFrame, population: str, year: int, *,
                      percent: bool = False, quality: pd.DataFrame | None = None) -> go.Figure:
    """One population in one year: age bands, stacked by sex (unknown sex shown as such)."""
    rows = table[(table["population"] == population) & (table["year"] == year)
                 & (table["age_band"] != UNKNOWN)]
    if rows.empty:
        raise UserError(f"no {population!r} data for {year}")
    bands = band_order(rows)
    total = float(rows["count"].sum()) or 1.0
    fig = go.Figure()
    for sex, name in (("F", "women"), ("M", "men"), ("other", "other"), (UNKNOWN, "sex unknown")):
        values = rows[rows["sex"] == sex].set_index("age_band")["count"].reindex(bands).fillna(0)
        if percent:
            values = values / total * 100
        fig.add_bar(x=[short_label(b) for b in bands], y=values.to_numpy(), name=name,
                    marker_color=SEX_COLOURS.get(sex, "#bbbbbb"))
    fig.update_layout(barmode="stack", yaxis_title=_value_title(percent), xaxis_title="age")
    return _finish(fig, f"{population.capitalize()}, {year}", footnote(table, quality), 760, 460)
