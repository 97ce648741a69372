"""The role of every non-empty cell, derived from a layout: used by the inspector and the
SAUS evaluation, so both show exactly what the tidy output was built from."""

from __future__ import annotations

from gaffertape.sheets.grid import Grid
from gaffertape.sheets.layout import SheetLayout, Table


def cell_roles(grid: Grid, layout: SheetLayout) -> dict[tuple[int, int], str]:
    """(row, col) -> role of every non-empty cell in a detected table: title, header,
    row_label, data, total, subtotal, note or subtable."""
    roles: dict[tuple[int, int], str] = {}
    for table in layout.tables:
        _table_roles(grid, table, roles)
    return roles


def _table_roles(grid: Grid, table: Table, roles: dict[tuple[int, int], str]) -> None:
    totals, total_cols = set(table.total_rows), set(table.total_cols)
    subtotals = set(table.subtotal_rows)
    labels = set(table.label_cols)
    parts = (("title", table.title_rows), ("header", table.header_rows),
             ("note", table.note_rows), ("subtable", table.section_rows))
    for role, rows in parts:
        for r in rows:
            for c in _filled(grid, r):
                roles[(r, c)] = role
    for r in table.body_rows:
        for c in _filled(grid, r):
            if c in labels:
                roles[(r, c)] = "row_label"
            else:
                roles[(r, c)] = ("total" if r in totals or c in total_cols
                                 else "subtotal" if r in subtotals else "data")


def _filled(grid: Grid, r: int) -> list[int]:
    return [c for c, v in enumerate(grid.values[r]) if v is not None and str(v).strip()]
