"""Charts for one script: one Plotly figure gives interactive HTML and static PNG/SVG/PDF.

Static export goes through kaleido with Debian's Chromium (``/usr/bin/chromium``; a browser is
never downloaded). Inside :func:`static_session` every :func:`export_static` call reuses one
browser (kaleido otherwise starts one per call), so many small exports stay fast and a
progress bar can advance per script.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import kaleido
import pandas as pd
import plotly.graph_objects as go

from gaffertape.atomic import atomic_write
from gaffertape.chromium import require_chromium
from gaffertape.marking.marks import ROLES
from gaffertape.marking.scheme import MarkScheme

ROLE_COLOURS = {"first": "#1f77b4", "second": "#ff7f0e", "third": "#2ca02c"}
STATIC_FORMATS = ("png", "svg", "pdf")


def _present_roles(table: pd.DataFrame) -> list[str]:
    return [role for role in ROLES if table[role].notna().any()]


def category_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Dodged bars: each category's raw mark from each marker (third marker when present)."""
    fig = go.Figure()
    for role in _present_roles(table):
        fig.add_bar(name=f"{role} marker", x=table["category"].str.replace(" and ", " and<br>"),
                    y=table[role], cliponaxis=False,
                    marker_color=ROLE_COLOURS[role], text=table[role], textposition="outside")
    fig.update_layout(barmode="group", title=title, yaxis_title="raw mark",
                      yaxis_range=[0, float(table["max"].max()) * 1.15],
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1,
                              "xanchor": "right"}, width=900, height=450,
                      template="plotly_white")
    return fig


def totals_chart(table: pd.DataFrame, scheme: MarkScheme, title: str) -> go.Figure:
    """Stacked bars: each marker's total by category, with grade boundaries as vertical lines."""
    roles = _present_roles(table)
    fig = go.Figure()
    for row in table.itertuples():
        contrib = [getattr(row, role) * row.weight / scheme.max_total * 100 for role in roles]
        fig.add_bar(name=row.category, y=[f"{r} marker" for r in roles], x=contrib,
                    orientation="h", hovertemplate="%{x:.1f} percentage points")
    for band in scheme.bands:
        if band.min > 0:
            fig.add_vline(x=band.min, line_dash="dash", line_color="grey",
                          annotation_text=f"{band.name} {band.min:g}%",
                          annotation_position="top", annotation_font_size=10)
    fig.update_layout(barmode="stack", title=title, xaxis_title="percentage of total",
                      xaxis_range=[0, 100], yaxis_autorange="reversed",
                      legend={"orientation": "h", "traceorder": "normal",
                              "y": -0.35 - 0.1 * (3 - len(roles))},
                      width=900, height=260 + 60 * len(roles), template="plotly_white",
                      margin={"t": 90, "b": 120})
    return fig


def _use_system_chromium() -> None:
    """Point kaleido at the system Chromium, failing clearly if it is absent."""
    os.environ["BROWSER_PATH"] = require_chromium("static charts")


@contextlib.contextmanager
def static_session() -> Iterator[None]:
    """Keep one kaleido browser open for every static export inside the block."""
    _use_system_chromium()
    kaleido.start_sync_server(silence_warnings=True)
    try:
        yield
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def export_static(figures: list[go.Figure], paths: list[Path]) -> list[Path]:
    """Write figures as static images, format from each suffix, in one kaleido call."""
    if not figures:
        return []
    _use_system_chromium()
    with tempfile.TemporaryDirectory(prefix="gaffertape-charts-") as tmp:
        temps = [Path(tmp) / f"{i}{Path(p).suffix}" for i, p in enumerate(paths)]
        kaleido.write_fig_from_object_sync([
            {"fig": fig.to_dict(), "path": str(temp),
             "opts": {"format": temp.suffix[1:], "width": fig.layout.width,
                      "height": fig.layout.height}}
            for fig, temp in zip(figures, temps, strict=True)])
        for temp, dest in zip(temps, paths, strict=True):
            with atomic_write(dest) as part:
                shutil.copyfile(temp, part)
    return [Path(p) for p in paths]
