"""Turn a detected layout into long-form observations: one row per data cell, with provenance.

Headers are read with merged cells filled across their span and sparse upper header rows
forward-filled; row labels are forward-filled down and nested by indentation; a sub-table title
row ("Full-time", "Part-time") becomes the ``sub_table`` dimension of every row below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from operator import itemgetter

import numpy as np
import pandas as pd

from gaffertape.sheets.grid import Grid, cell_ref
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.values import parse_value

COLUMNS = ["source_file", "sheet", "table", "table_title", "cell", "row_header", "column_header",
           "sub_table", "value", "raw", "flags", "is_total"]
SEP = " | "


def observations(grid: Grid, layout: SheetLayout) -> pd.DataFrame:
    """Long-form observations of every table in ``layout``."""
    return to_frame([_table_observations(grid, table) for table in layout.tables])


def observation_columns(grid: Grid, layout: SheetLayout) -> list[dict[str, Sequence[object]]]:
    """The same as :func:`observations`, as column arrays to concatenate across many sheets."""
    return [_table_observations(grid, table) for table in layout.tables]


def to_frame(parts: list[dict[str, Sequence[object]]]) -> pd.DataFrame:
    """One DataFrame from many tables' columns (built once: pandas construction is costly)."""
    parts = [p for p in parts if len(p["value"])]
    if not parts:
        return pd.DataFrame({name: pd.Series([], dtype=_DTYPES.get(name, object))
                             for name in COLUMNS})
    # object dtype: converting every string column to Arrow costs more than the whole parse
    return pd.DataFrame({
        name: pd.Series(np.concatenate([np.asarray(p[name], dtype=_DTYPES.get(name, object))
                                        for p in parts]), dtype=_DTYPES.get(name, object))
        for name in COLUMNS})


def text(value: object) -> str:
    """Display text of a cell: whole floats without '.0', dates in ISO form."""
    kind = type(value)
    if kind is str:
        return " ".join(value.split())  # type: ignore[union-attr]
    if value is None:
        return ""
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return " ".join(str(value).split())


def column_headers(grid: Grid, table: Table) -> dict[int, str]:
    """Header path per data column, e.g. 'All Visits | NSA'."""
    filled = grid.filled_merges()
    merged_rows = {r for r0, _, r1, _ in grid.merged for r in range(r0, r1 + 1)}
    paths: dict[int, list[str]] = {c: [] for c in table.data_cols}
    last = table.header_rows[-1] if table.header_rows else -1
    first_data = table.data_cols[0]
    boundaries: set[int] = set()  # columns where a parent (upper) header starts
    for h in table.header_rows:
        spread = h != last and h not in merged_rows  # a sparse upper row spans to the right
        carry = ""
        for c in range(first_data, table.right + 1):
            value = grid.cell(h, c)
            label = text(value if value is not None else filled.get((h, c)))
            if c in boundaries and not label:
                carry = ""  # a span never crosses its parent's boundary
            if label:
                carry = label
                boundaries.add(c)
            elif spread:
                label = carry
            if c in paths and label and (not paths[c] or paths[c][-1] != label):
                paths[c].append(label)
    return {c: SEP.join(parts) for c, parts in paths.items()}


def _table_observations(grid: Grid, table: Table) -> dict[str, Sequence[object]]:
    """Columnar build (numpy masks, one pass of value parsing): this is the hot loop."""
    paths = _row_paths(grid, table)
    cols = table.data_cols
    block = np.empty((len(paths), len(cols)), dtype=object)
    values = grid.values
    pick = itemgetter(*cols) if len(cols) > 1 else lambda row: (row[cols[0]],)
    block[:] = [pick(values[r]) for r, _, _ in paths] or None
    row_i, col_i = np.nonzero(block != None)  # noqa: E711 - elementwise test on objects
    cells = block[row_i, col_i].tolist()
    parsed = [(v, "") if type(v) is float else parse_value(v) for v in cells]
    rows = np.array([r for r, _, _ in paths], dtype=np.int64)[row_i]
    letters = [cell_ref(0, c)[:-1] for c in cols]
    headers = column_headers(grid, table)
    totals = set(table.total_rows)
    n = len(cells)
    return {
        "source_file": np.full(n, grid.source, dtype=object),
        "sheet": np.full(n, grid.sheet, dtype=object),
        "table": np.full(n, table.index, dtype=np.int64),
        "table_title": np.full(n, table.title, dtype=object),
        "cell": _cell_refs(grid, cols, letters, rows, col_i),
        "row_header": np.array([p for _, _, p in paths], dtype=object)[row_i],
        "column_header": np.array([headers[c] for c in cols], dtype=object)[col_i],
        "sub_table": np.array([s for _, s, _ in paths], dtype=object)[row_i],
        "value": [p[0] for p in parsed],
        "raw": [None if type(v) is float else text(v) for v in cells],
        "flags": [p[1] for p in parsed],
        "is_total": np.isin(rows, list(totals)),
    }


_DTYPES: dict[str, type] = {"table": np.int64, "value": float, "is_total": bool}


def _cell_refs(grid: Grid, cols: list[int], letters: list[str], rows: np.ndarray,
               col_i: np.ndarray) -> list[str]:
    """A1 references in the original sheet (through ``grid.origin`` for rearranged grids)."""
    pairs = zip(col_i.tolist(), rows.tolist(), strict=True)  # Python ints format much faster
    if grid.origin:
        return [cell_ref(*grid.origin[(r, cols[c])]) for c, r in pairs]
    return [f"{letters[c]}{r + 1}" for c, r in pairs]


def _row_paths(grid: Grid, table: Table) -> list[tuple[int, str, str]]:
    """(row, sub-table label, row-header path) for each body row, in sheet order."""
    sections = set(table.section_rows)
    body = set(table.body_rows)
    carried: dict[int, str] = {}
    stack: list[tuple[int, str]] = []
    sub_table = ""
    result = []
    for r in sorted(sections | body):
        row = grid.values[r]
        if r in sections:
            label = " ".join(v for v in (text(x) for x in grid.values[r]) if v).rstrip(":")
            depth = _indent(grid, r, table)
            if depth == 0:
                sub_table, stack, carried = label, [], {}
            else:
                stack = [*(s for s in stack if s[0] < depth), (depth, label)]
            continue
        for c in table.label_cols:
            if row[c] is not None and (label := text(row[c])):
                carried[c] = label
        parts = [carried.get(c, "") for c in table.label_cols]
        depth = _indent(grid, r, table)
        stack = [s for s in stack if s[0] < depth]
        path = [s[1] for s in stack] + [p for p in parts if p]
        if parts and parts[-1]:
            stack.append((depth, parts[-1]))
        result.append((r, sub_table, SEP.join(path)))
    return result


def _indent(grid: Grid, r: int, table: Table) -> int:
    """Indentation of the row's label: the style hint, else its leading spaces."""
    row = grid.values[r]
    for c in table.label_cols or [table.left]:
        value = row[c]
        if value is None:
            continue
        styled = grid.indent.get((r, c), 0) if grid.indent else 0
        if styled or type(value) is not str or not value.startswith(" "):
            return styled
        return (len(value) - len(value.lstrip(" "))) // 2  # type: ignore[union-attr]
    return 0
