"""Record layouts: one field per row ("Address | 123 ABC St", or "Price: 6900 kr"), repeating.

Such a sheet is a table written sideways. When the keys repeat with a fixed period, the grid is
rearranged into one row per record under a header of the keys, keeping each cell's original
position in ``Grid.origin`` so the output still points at the real cell.
"""

from __future__ import annotations

from gaffertape.sheets.grid import Grid, rectangular
from gaffertape.sheets.layout import SheetLayout

Field = tuple[str, object, tuple[int, int], tuple[int, int]]  # key, value, their positions
MAX_WIDTH = 2


def records_grid(grid: Grid) -> Grid | None:
    """The grid rearranged as a table if it is a repeating key/value listing, else None."""
    if grid.n_cols > MAX_WIDTH or grid.n_rows < 4:
        return None
    fields = []
    for r, row in enumerate(grid.values):
        parsed = _field(row, r)
        if parsed is False:
            return None
        if parsed is not None:
            fields.append(parsed)
    period = _period([key for key, *_ in fields])
    if period is None:
        return None
    values: list[list[object]] = [[key for key, *_ in fields[:period]]]
    # every cell keeps where it came from, the keys' row too (its cells can be read as data:
    # keys "1", "3", "5" are numbers, and that row's observations had no cell to point at)
    origin = {(0, i): key_at for i, (_, _, key_at, _) in enumerate(fields[:period])}
    for i, (_, value, _, position) in enumerate(fields):
        if i % period == 0:
            values.append([])
        values[-1].append(value)
        origin[(len(values) - 1, i % period)] = position
    return Grid(source=grid.source, sheet=grid.sheet, values=rectangular(values), origin=origin)


def _field(row: list[object], r: int) -> Field | bool | None:
    """(key, value, key position, value position); None for a blank row; False when the row
    is not a field."""
    filled = [(c, v) for c, v in enumerate(row) if v is not None and str(v).strip()]
    if not filled:
        return None
    (c0, first), rest = filled[0], filled[1:]
    if not isinstance(first, str):
        return False
    if rest:
        return first.strip().rstrip(":").strip(), rest[0][1], (r, c0), (r, rest[0][0])
    if c0 == 0 and len(row) > 1:
        return first.strip(), None, (r, c0), (r, 1)  # a key whose value is empty
    key, sep, value = first.partition(":")
    if not sep:
        return False
    return key.strip(), value.strip() or None, (r, c0), (r, c0)


def _period(keys: list[str]) -> int | None:
    """Smallest p >= 2 such that the keys are one block of p distinct keys, repeated."""
    n = len(keys)
    for p in range(2, n // 2 + 1):
        if n % p == 0 and len(set(keys[:p])) == p and all(
                keys[i] == keys[i % p] for i in range(p, n)):
            return p
    return None


def name_records(layout: SheetLayout) -> SheetLayout:
    """A record's first field names it: make that column the row label of a records grid."""
    for table in layout.tables:
        columns = sorted(set(table.label_cols + table.data_cols))
        if len(columns) > 1:
            table.label_cols, table.data_cols = columns[:1], columns[1:]
    return layout
