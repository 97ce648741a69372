"""The inspector: an HTML view of each sheet with detected tables and cell roles coloured.

Seeing what the detector decided is the fastest way to tell whether a recipe is needed.
"""

from __future__ import annotations

import html

from gaffertape.sheets.grid import Grid, cell_ref
from gaffertape.sheets.layout import SheetLayout
from gaffertape.sheets.roles import cell_roles
from gaffertape.sheets.tidy import observations, text
from gaffertape.sheets.uniqueness import ambiguous

COLOURS = {"title": "#e8d1ff", "header": "#9ecbff", "row_label": "#ffe08a", "data": "#d5f5d5",
           "total": "#8fd18f", "subtotal": "#a9dfd0", "note": "#e5e5e5", "subtable": "#ffb38a"}
MAX_ROWS = 500
_STYLE = ("body{font:13px sans-serif} table{border-collapse:collapse;margin-bottom:2em}"
          "td{border:1px solid #ccc;padding:1px 4px;white-space:nowrap;max-width:18em;"
          "overflow:hidden} th{background:#f4f4f4;font-weight:normal;color:#777}"
          + "".join(f".{k}{{background:{v}}}" for k, v in COLOURS.items())
          + ".clash{outline:2px solid #d00;color:#900}")


def render(sheets: list[tuple[Grid, SheetLayout]], title: str) -> str:
    """One HTML page for all sheets of a workbook (each sheet capped at MAX_ROWS rows)."""
    legend = " ".join(f'<span class="{k}">&nbsp;{k}&nbsp;</span>' for k in COLOURS)
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_STYLE}</style><h1>{html.escape(title)}</h1><p>{legend}</p>"]
    for grid, layout in sheets:
        parts.append(_sheet(grid, layout))
    return "\n".join(parts)


def _sheet(grid: Grid, layout: SheetLayout) -> str:
    roles = cell_roles(grid, layout)
    clashes = _clashes(grid, layout)
    starts = {t.top: t for t in layout.tables}
    warning = (f" — <span class='clash'>{len(clashes)} observation(s) share a key with another"
               "</span>" if clashes else "")
    rearranged = (" — shown as read, rearranged (turned the usual way round, or one row per "
                  "record); the output's <code>cell</code> names the original cells"
                  if grid.origin else "")
    out = [f"<h2>{html.escape(grid.sheet)} — {len(layout.tables)} table(s){warning}{rearranged}"
           "</h2><table>"]
    out.append("<tr><th></th>" + "".join(
        f"<th>{cell_ref(0, c)[:-1]}</th>" for c in range(grid.n_cols)) + "</tr>")
    for r, row in enumerate(grid.values[:MAX_ROWS]):
        mark = f"T{starts[r].index}" if r in starts else ""
        cells = "".join(_td(roles.get((r, c)), v, (r, c) in clashes) for c, v in enumerate(row))
        out.append(f"<tr><th>{r + 1} {mark}</th>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _td(role: str | None, value: object, clash: bool = False) -> str:
    names = " ".join(n for n in (role, "clash" if clash else "") if n)
    cls = f' class="{names}"' if names else ""
    return f"<td{cls}>{html.escape(text(value))}</td>"


def _clashes(grid: Grid, layout: SheetLayout) -> set[tuple[int, int]]:
    """(row, col) of every data cell whose observation key another observation shares; cells
    are found through ``grid.origin`` when the grid was rearranged."""
    data = observations(grid, layout)
    if data.empty:
        return set()
    back = {cell_ref(*orig): here for here, orig in grid.origin.items()}
    cells = set()
    for cell in data.loc[ambiguous(data), "cell"]:
        cells.add(back.get(cell) or _position(cell))
    return cells


def _position(ref: str) -> tuple[int, int]:
    """0-based (row, col) of an A1 reference."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1


def summary_rows(sheets: list[tuple[Grid, SheetLayout]]) -> list[dict[str, object]]:
    """One line per detected table, for the text summary."""
    rows = []
    for grid, layout in sheets:
        data = observations(grid, layout)
        clashing = data.loc[ambiguous(data), "table"].value_counts().to_dict()
        for t in layout.tables:
            rows.append({"sheet": grid.sheet, "table": t.index,
                         "rows": f"{t.top + 1}-{t.bottom + 1}",
                         "header rows": ",".join(str(r + 1) for r in t.header_rows),
                         "label cols": ",".join(cell_ref(0, c)[:-1] for c in t.label_cols),
                         "data cols": len(t.data_cols), "sub-tables": len(t.section_rows),
                         "totals": len(t.total_rows), "subtotals": len(t.subtotal_rows),
                         "ambiguous": int(clashing.get(t.index, 0)), "title": t.title[:50]})
    return rows
