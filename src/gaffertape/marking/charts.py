"""Charts: one Plotly figure gives interactive HTML and static PNG/SVG/PDF.

Colours carry meaning and never change it between charts: each marker role has one colour
(first blue, second orange, third green) and categories use a separate palette that shares no
colour with the markers, so "blue" always means "first marker".

Static export (PNG/SVG/PDF) is shared by every capability: see :mod:`gaffertape.charts`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gaffertape.marking.marks import ROLES
from gaffertape.marking.scheme import MarkScheme

ROLE_COLOURS = {"first": "#1f77b4", "second": "#ff7f0e", "third": "#2ca02c"}
CATEGORY_COLOURS = ("#7b5ea7", "#c2467e", "#b8860b", "#7f7f7f", "#1b9e9e", "#8c564b", "#bcbd22")
FLAGGED_COLOUR, AGREED_COLOUR = "#d62728", "#9e9e9e"

GRID = {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8", "linecolor": "#ebf0f8"}
#: Plotly's default margins, not grown to fit labels: growing them makes Plotly lay a chart out
#: again, about a third of a script chart's drawing time. Used only where the labels surely fit.
FIXED_MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80, "autoexpand": False}
CHAR_PX = 8  # an over-estimate of a 12 px label character's width


def _fixed_margin_if(fits: bool, **sides: int) -> dict:
    """Fixed margins (``sides`` changed) when the labels surely fit, else Plotly's growing ones."""
    return {**FIXED_MARGIN, **sides} if fits else dict(sides)
LEGEND_TOP = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}


def white(layout: dict) -> dict:
    """``layout`` on a white background with light grid lines (the look of plotly_white).

    Set directly rather than by naming the template: resolving a named template costs ~0.1 s
    a figure, a minute and a half over a thousand scripts' charts."""
    styled = {"plot_bgcolor": "white", "paper_bgcolor": "white", **layout}
    for axis in ("xaxis", "yaxis"):
        styled[axis] = {**GRID, **layout.get(axis, {})}
    return styled


def _present_roles(table: pd.DataFrame) -> list[str]:
    return [role for role in ROLES if table[role].notna().any()]


def number(value: float) -> str:
    """A mark as people write it: 6, not 6.0; 5.5 stays 5.5."""
    return f"{value:g}"


def category_colour(position: int) -> str:
    return CATEGORY_COLOURS[position % len(CATEGORY_COLOURS)]


def category_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Dodged bars: each category's raw mark from each marker (third marker when present)."""
    return go.Figure(category_spec(table, title))


def category_spec(table: pd.DataFrame, title: str) -> dict:
    """:func:`category_chart` as a plain figure dict: what the static exporter takes without
    Plotly's validation (~10 ms a figure, seconds over a thousand scripts)."""
    categories = table["category"].str.replace(" and ", " and<br>").tolist()
    bars = [{"type": "bar", "name": f"{role} marker", "x": categories, "y": table[role].tolist(),
             "cliponaxis": False, "marker": {"color": ROLE_COLOURS[role]},
             "text": [number(v) for v in table[role]], "textposition": "outside"}
            for role in _present_roles(table)]
    return {"data": bars, "layout": white({
        "barmode": "group", "title": {"text": title}, "yaxis": {
            "title": {"text": "raw mark"}, "range": [0, float(table["max"].max()) * 1.15]},
        "legend": LEGEND_TOP, "width": 900, "height": 450, "margin": _fixed_margin_if(
            _ticks_fit(categories, 740))})}


def _ticks_fit(categories: list[str], plot_width: int) -> bool:
    """Category labels fit under the bars without turning: two lines at most, each narrower
    than its category's share of the plot."""
    lines = [line for label in categories for line in label.split("<br>")]
    return (max(label.count("<br>") for label in categories) <= 1
            and max(map(len, lines)) * CHAR_PX <= plot_width / len(categories))


def boundary_lines(scheme: MarkScheme, *, labels: bool = True) -> tuple[list, list]:
    """Dashed vertical lines at the grade boundaries (shapes) and their labels (annotations).

    Given as plain layout entries: Plotly's ``add_vline`` costs ~0.1 s a line, which adds up
    over a thousand scripts."""
    shapes, notes = [], []
    for band in scheme.bands:
        if band.min > 0:
            shapes.append({"type": "line", "x0": band.min, "x1": band.min, "xref": "x",
                           "y0": 0, "y1": 1, "yref": "paper",
                           "line": {"dash": "dash", "color": "grey"}})
            if labels:
                notes.append({"x": band.min, "y": 1, "xref": "x", "yref": "paper",
                              "yanchor": "bottom", "showarrow": False,
                              "text": f"{band.name} {band.min:g}%", "font": {"size": 10}})
    return shapes, notes


def totals_chart(table: pd.DataFrame, scheme: MarkScheme, title: str) -> go.Figure:
    """Stacked bars: each marker's total by category, the total at the end of each bar, and
    grade boundaries as dashed vertical lines."""
    return go.Figure(totals_spec(table, scheme, title))


def totals_spec(table: pd.DataFrame, scheme: MarkScheme, title: str) -> dict:
    """:func:`totals_chart` as a plain figure dict (see :func:`category_spec`)."""
    roles = _present_roles(table)
    labels = [f"{r} marker" for r in roles]
    rows = table.to_dict("records")  # plain Python over a few rows: pandas is slow per row
    bars = [{"type": "bar", "name": row["category"], "y": labels, "orientation": "h",
             "x": [row[role] * row["weight"] / scheme.max_total * 100 for role in roles],
             "marker": {"color": category_colour(position)},
             "hovertemplate": "%{x:.1f} percentage points"}
            for position, row in enumerate(rows)]
    shapes, notes = boundary_lines(scheme)
    for role, label in zip(roles, labels, strict=True):
        total = float(sum(row[role] * row["weight"] for row in rows if not pd.isna(row[role])))
        notes.append({"x": total / scheme.max_total * 100, "y": label, "xanchor": "left",
                      "showarrow": False, "xshift": 4, "font": {"size": 12, "color": "#222"},
                      "bgcolor": "rgba(255,255,255,0.85)",
                      "text": f"<b>{number(round(total, 2))}/{number(scheme.max_total)}"
                              f" ({total / scheme.max_total * 100:.1f}%)</b>"})
    return {"data": bars, "layout": white({
        "barmode": "stack", "title": {"text": title}, "shapes": shapes, "annotations": notes,
        "xaxis": {"title": {"text": "percentage of total"}, "range": [0, 115]},
        "yaxis": {"autorange": "reversed"},
        "legend": {"orientation": "h", "traceorder": "normal", "yref": "container", "y": 0,
                   "yanchor": "bottom"},  # under the axis title at any height
        "width": 900, "height": 260 + 60 * len(roles),
        "margin": _fixed_margin_if(_legend_fits(table["category"].tolist(), 900), l=95, t=90,
                                   b=125)})}  # "second marker" fits in 95 px


def _legend_fits(names: list[str], width: int) -> bool:
    """The legend's entries fit on one row (a symbol and a gap of about 40 px each)."""
    return sum(len(name) * CHAR_PX + 40 for name in names) <= width


# --- cohort charts ---------------------------------------------------------------------------


def marker_distribution(flags: pd.DataFrame) -> go.Figure:
    """Each marker's total percentages (as first or second marker), lowest median first."""
    long = pd.concat([flags[[f"{r}_marker", f"{r}_pct"]].set_axis(["marker", "pct"], axis=1)
                      for r in ("first", "second")]).dropna()
    order = long.groupby("marker")["pct"].median().sort_values().index
    fig = go.Figure()
    for marker in order:
        marks = long.loc[long["marker"] == marker, "pct"]
        fig.add_box(x=marks, name=f"{marker} ({len(marks)})", marker_color="#4d4d4d",
                    boxpoints="outliers", orientation="h")
    fig.update_layout(title="Each marker's marks (first and second marking; number of scripts"
                            " in brackets), lowest median at the top",
                      xaxis_title="total %", xaxis_range=[0, 100], showlegend=False,
                      yaxis_autorange="reversed",
                      width=900, height=max(400, 120 + 18 * len(order)),
                      template="plotly_white")
    return fig


def first_vs_second(flags: pd.DataFrame, scheme: MarkScheme) -> go.Figure:
    """First against second marks, the agreement band (within the threshold) shaded and the
    grade boundaries drawn: points outside the band or across a boundary are the flagged ones."""
    both = flags.dropna(subset=["first_pct", "second_pct"])
    fig = go.Figure()
    band = scheme.rules.threshold_pct or 0
    fig.add_scatter(x=[0, 100, 100, 0], y=[band, 100 + band, 100 - band, -band], fill="toself",
                    mode="lines",
                    fillcolor="rgba(0,0,0,0.06)", line={"width": 0}, hoverinfo="skip",
                    name=f"within {band:g} points")
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", line={"color": "#888", "width": 1},
                    name="same mark", hoverinfo="skip")
    for flagged, colour, name in ((False, AGREED_COLOUR, "not flagged"),
                                  (True, FLAGGED_COLOUR, "flagged")):
        part = both[both["flagged"] == flagged]
        fig.add_scatter(x=part["first_pct"], y=part["second_pct"], mode="markers", name=name,
                        marker={"color": colour, "size": 6, "opacity": 0.75},
                        text=part["pi"], hovertemplate="%{text}: first %{x:.1f}%, "
                                                       "second %{y:.1f}%<extra></extra>")
    for b in scheme.bands:
        if b.min > 0:
            fig.add_vline(x=b.min, line_dash="dot", line_color="#bbb",
                          annotation_text=f"{b.name} {b.min:g}%", annotation_font_size=9)
            fig.add_hline(y=b.min, line_dash="dot", line_color="#bbb")
    fig.update_layout(title=f"First against second marks ({len(both)} scripts; shaded: within "
                            f"{band:g} percentage points)",
                      xaxis={"title": "first marker %", "range": [0, 100]},
                      yaxis={"title": "second marker %", "range": [0, 100],
                             "scaleanchor": "x"},
                      legend=LEGEND_TOP, width=760, height=760, template="plotly_white")
    return fig


def disagreement_heatmap(roles: pd.DataFrame, scheme: MarkScheme) -> go.Figure:
    """Per category, the share of scripts at each second-minus-first raw difference: a wide or
    lopsided row is a category the marking guide leaves open to reading."""
    both = roles.dropna(subset=["first_pct", "second_pct"])
    top = int(max(c.max for c in scheme.categories))
    steps = list(range(-top, top + 1))
    names = [c.name for c in scheme.categories]
    shares = []
    for name in names:
        diff = (both[f"second:{name}"] - both[f"first:{name}"]).round().astype(int)
        counts = diff.value_counts(normalize=True)
        shares.append([float(counts.get(s, 0.0)) * 100 for s in steps])
    z = np.array(shares)
    fig = go.Figure(go.Heatmap(
        z=z, x=steps, y=names, colorscale="Purples", zmin=0, colorbar={"title": "% of scripts"},
        text=[[f"{v:.0f}" if v >= 0.5 else "" for v in row] for row in z],
        texttemplate="%{text}", hovertemplate="%{y}: second − first = %{x}: %{z:.1f}%"
                                              "<extra></extra>"))
    fig.update_layout(title="Per-category disagreement: second minus first marker, raw marks "
                            "(% of scripts)", xaxis={"title": "second − first (raw marks)",
                                                     "dtick": 1},
                      yaxis={"autorange": "reversed"}, width=900,
                      height=220 + 45 * len(names), template="plotly_white")
    return fig


def cohort_charts(flags: pd.DataFrame, roles: pd.DataFrame,
                  scheme: MarkScheme) -> dict[str, go.Figure]:
    """The three charts a course team reads to see why markers differ, by file name."""
    return {"marker_distribution": marker_distribution(flags),
            "first_vs_second": first_vs_second(flags, scheme),
            "category_disagreement": disagreement_heatmap(roles, scheme)}
