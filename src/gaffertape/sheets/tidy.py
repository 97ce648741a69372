"""Turn a detected layout into long-form observations: one row per data cell, with provenance.

Headers are read with merged cells filled across their span and sparse upper header rows
forward-filled; row labels are forward-filled down and nested by indentation; a sub-table title
row ("Full-time", "Part-time") becomes the ``sub_table`` dimension of every row below it.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd

from gaffertape.sheets.grid import Grid, cell_ref
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.values import parse_value

COLUMNS = ["source_file", "sheet", "table", "table_title", "cell", "row_header", "column_header",
           "sub_table", "value", "raw", "flags", "is_total"]
SEP = " / "


def observations(grid: Grid, layout: SheetLayout) -> pd.DataFrame:
    """Long-form observations of every table in ``layout``."""
    columns: dict[str, list[object]] = {name: [] for name in COLUMNS}
    for table in layout.tables:
        _table_observations(grid, table, columns)
    return pd.DataFrame(columns, columns=COLUMNS)


def text(value: object) -> str:
    """Display text of a cell: whole floats without '.0', dates in ISO form."""
    if value is None:
        return ""
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return " ".join(str(value).split())


def column_headers(grid: Grid, table: Table) -> dict[int, str]:
    """Header path per data column, e.g. 'All Visits / NSA'."""
    filled = grid.filled_merges()
    merged_rows = {r for r0, _, r1, _ in grid.merged for r in range(r0, r1 + 1)}
    paths: dict[int, list[str]] = {c: [] for c in table.data_cols}
    last = table.header_rows[-1] if table.header_rows else -1
    first_data = table.data_cols[0]
    for h in table.header_rows:
        spread = h != last and h not in merged_rows  # a sparse upper row spans to the right
        carry = ""
        for c in range(first_data, table.right + 1):
            value = grid.cell(h, c)
            label = text(value if value is not None else filled.get((h, c)))
            if label:
                carry = label
            elif spread:
                label = carry
            if c in paths and label and (not paths[c] or paths[c][-1] != label):
                paths[c].append(label)
    return {c: SEP.join(parts) for c, parts in paths.items()}


def _table_observations(grid: Grid, table: Table, out: dict[str, list[object]]) -> None:
    headers = column_headers(grid, table)
    totals = set(table.total_rows)
    for r, sub_table, row_header in _row_paths(grid, table):
        row = grid.values[r]
        for c in table.data_cols:
            value = row[c] if c < len(row) else None
            if value is None or value == "":
                continue
            number, flag = parse_value(value)
            for name, item in (("source_file", grid.source), ("sheet", grid.sheet),
                               ("table", table.index), ("table_title", table.title),
                               ("cell", cell_ref(r, c)), ("row_header", row_header),
                               ("column_header", headers[c]), ("sub_table", sub_table),
                               ("value", number), ("raw", text(value)), ("flags", flag),
                               ("is_total", r in totals)):
                out[name].append(item)


def _row_paths(grid: Grid, table: Table) -> list[tuple[int, str, str]]:
    """(row, sub-table label, row-header path) for each body row, in sheet order."""
    sections = set(table.section_rows)
    body = set(table.body_rows)
    carried: dict[int, str] = {}
    stack: list[tuple[int, str]] = []
    sub_table = ""
    result = []
    for r in sorted(sections | body):
        labels = {c: text(grid.cell(r, c)) for c in table.label_cols}
        if r in sections:
            label = " ".join(v for v in (text(x) for x in grid.values[r]) if v).rstrip(":")
            depth = _indent(grid, r, table)
            if depth == 0:
                sub_table, stack, carried = label, [], {}
            else:
                stack = [*(s for s in stack if s[0] < depth), (depth, label)]
            continue
        for c in table.label_cols:
            if labels[c]:
                carried[c] = labels[c]
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
    for c in table.label_cols or [table.left]:
        value = grid.cell(r, c)
        if value is not None:
            styled = grid.indent.get((r, c), 0)
            raw = str(value)
            return styled or (len(raw) - len(raw.lstrip(" "))) // 2
    return 0
