"""The demographics report: one self-contained HTML file that tells the story.

It opens with what changed (in sentences computed from the data), then what could not be
counted, which age bands were merged to compare like with like, the small-multiples grid, the
animation, and the pyramids against the comparators. Plotly's JavaScript is embedded once, so
the file opens offline and can be emailed.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from gaffertape.atomic import write_text_atomic
from gaffertape.demographics.aggregate import POPULATIONS
from gaffertape.demographics.bands import label_bounds
from gaffertape.demographics.charts import (
    animation_figure,
    grid_figure,
    pyramid_figure,
    pyramid_table,
    shares,
)
from gaffertape.errors import UserError

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1540px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse} td,th{padding:.25em .8em;border-bottom:1px solid #eee;
text-align:left} td.n{text-align:right} .synthetic{background:#fff3cd;border:1px solid #e0c36a;
padding:.6em 1em;font-weight:bold} .lede li{margin:.3em 0}
"""


def story(table: pd.DataFrame) -> list[str]:
    """A few sentences on how the student body changed, from the first year to the last."""
    data = shares(table, percent=True)
    years = sorted(set(data.index.get_level_values("year")))
    first, last = years[0], years[-1]
    young = [b for b in data.columns if _upper(b) is not None and _upper(b) <= 25]
    counts = table.groupby(["year", "population"])["count"].sum()
    sentences = []
    for population in ("joined", "graduated"):
        a, b = data.loc[(first, population)], data.loc[(last, population)]
        sentences.append(
            f"Of those who {population} in {first}, the largest age group was {a.idxmax()} "
            f"({a.max():.0f}%); in {last} it was {b.idxmax()} ({b.max():.0f}%).")
        if young:
            sentences.append(
                f"Under-25s were {a[young].sum():.0f}% of those who {population} in {first} "
                f"and {b[young].sum():.0f}% in {last}.")
    sentences.append(
        f"{int(counts.loc[(last, 'studying')]):,} records were studying in {last}, against "
        f"{int(counts.loc[(first, 'studying')]):,} in {first}; "
        f"{int(counts.loc[(last, 'graduates to date')]):,} graduations to date.")
    return sentences


def _upper(label: str) -> int | None:
    bounds = label_bounds(label)
    return bounds[1] if bounds and bounds[1] is not None else None


def build_report(table: pd.DataFrame, quality: pd.DataFrame, comparators: pd.DataFrame, *,
                 institution: str, synthetic: bool = False) -> str:
    """The report as one HTML string."""
    if table.empty:
        raise UserError(f"{institution}: no distributions to report on")
    sections = [f"<h1>How the student body has changed: {html.escape(institution)}</h1>"]
    if synthetic:
        sections.append('<p class="synthetic">SYNTHETIC DATA: made up by gaffertape\'s '
                        "generator to demonstrate the charts. No real student is in it.</p>")
    sections.append("<ul class='lede'>" + "".join(f"<li>{html.escape(s)}</li>"
                                                  for s in story(table)) + "</ul>")
    sections.append("<h2>What could not be counted</h2>" + _quality_table(quality, table))
    sections.append("<h2>Age on the four populations, year by year</h2>"
                    "<p>Each panel is one year; every panel has the same axes.</p>"
                    + _plot(grid_figure(table, quality=quality)))
    sections.append("<h2>The same, animated</h2><p>Press play, or drag the slider.</p>"
                    + _plot(animation_figure(table, quality=quality)))
    if len(comparators):
        sections.append(_pyramids(table, quality, comparators, institution))
    head = (f"<meta charset='utf-8'><title>Demographics: {html.escape(institution)}</title>"
            f"<style>{_STYLE}</style><script>{get_plotlyjs()}</script>")
    return f"<!doctype html><html><head>{head}</head><body>{''.join(sections)}</body></html>"


def _pyramids(table: pd.DataFrame, quality: pd.DataFrame, comparators: pd.DataFrame,
              institution: str) -> str:
    parts = ["<h2>Beside other institutions</h2><p>Population pyramids by sex and age band. "
             "Where the sources band ages differently, bands are merged to the boundaries "
             "they share (see each chart's footnote); unlike bands are never compared.</p>"]
    for population in POPULATIONS:
        try:
            pyramid_table(table, comparators, population, institution=institution)
        except UserError as exc:
            parts.append(f"<p><b>{population}</b>: no pyramid: {html.escape(exc.one_line())}</p>")
            continue
        for percent in (True, False):
            parts.append(_plot(pyramid_figure(table, comparators, population=population,
                                              percent=percent, institution=institution,
                                              quality=quality)))
    return "".join(parts)


def _quality_table(quality: pd.DataFrame, table: pd.DataFrame) -> str:
    wide = quality.pivot_table(index="field", columns="status", values="count", aggfunc="sum")
    wide = wide.reindex(columns=["ok", "missing", "invalid", "ambiguous"]).fillna(0).astype(int)
    rows = "".join(
        f"<tr><th>{field}</th>" + "".join(f"<td class='n'>{v:,}</td>" for v in row) + "</tr>"
        for field, row in wide.iterrows())
    other = int(table.loc[(table["sex"] == "other") & (table["population"] == "joined"),
                          "count"].sum())
    return ("<p>Records with a missing, invalid or ambiguous age or sex stay in every count as "
            "'unknown' and are left out of the age charts (age) and pyramids (sex); records "
            "with unusable years cannot be placed in any year and are excluded.</p>"
            "<table><tr><th></th><th>ok</th><th>missing</th><th>invalid</th><th>ambiguous</th>"
            f"</tr>{rows}</table><p>{other:,} joiners had their sex recorded as 'other' "
            "(neither F nor M): counted, but not drawn in the pyramids.</p>")


def _plot(fig: object) -> str:
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, auto_play=False)


def write_report(dest: Path | str, table: pd.DataFrame, quality: pd.DataFrame,
                 comparators: pd.DataFrame, *, institution: str,
                 synthetic: bool = False) -> Path:
    """Write the report atomically (a failure leaves any earlier report in place)."""
    dest = Path(dest)
    write_text_atomic(dest, build_report(table, quality, comparators, institution=institution,
                                         synthetic=synthetic))
    return dest
