"""Sheets laid out the mirror way round: row labels on the right of the numbers, column
headings below them (unpivotr's "right-down" and "right-ish down-ish" examples).

The detector reads headings upwards from a body and labels leftwards, as nearly every table is
written. Rather than teach every step the other directions, such a sheet is turned the usual way
round (its rows and/or columns reversed), keeping each cell's original position in
``Grid.origin`` so the output still points at the real cell.
"""

from __future__ import annotations

import numpy as np

from gaffertape.sheets.grid import Grid, Merge, from_cells
from gaffertape.sheets.values import NUMBER, TEXT


def turned_grid(grid: Grid) -> Grid | None:
    """The grid turned the usual way round, or None when it already is.

    Rows are reversed when a text line of two or more cells stands below the numbers and none
    above them (headings at the bottom); columns when a text column stands on the right of the
    numbers and none on the left (labels on the right). A title or a one-cell footnote is never
    enough: it is a line of headings or labels that decides.
    """
    kinds = grid.kinds
    numeric = kinds >= NUMBER
    rows = numeric.any(axis=1).nonzero()[0]  # (the method: np.flatnonzero adds wrapper calls)
    if not len(rows):
        return None
    cols = numeric.any(axis=0).nonzero()[0]
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    over, beside = kinds[:, left:right + 1], kinds[top:bottom + 1]
    flip_rows = (_lines(over[bottom + 1:], axis=1) and not _lines(over[:top], axis=1)
                 and _mostly_numbers(numeric, kinds, axis=1))
    flip_cols = (_lines(beside[:, right + 1:], axis=0) and not _lines(beside[:, :left], axis=0)
                 and _mostly_numbers(numeric, kinds, axis=0))
    if not (flip_rows or flip_cols):
        return None
    return _turned(grid, flip_rows, flip_cols)


def _mostly_numbers(numeric: np.ndarray, kinds: np.ndarray, axis: int) -> bool:
    """Two lines of numbers at least, and as many as lines of text only (rows for axis=1,
    columns for axis=0): a list of names beside one column of years is a text table, not
    numbers labelled on the right."""
    numbers = numeric.any(axis=axis)
    return np.count_nonzero(numbers) >= 2 and (
        np.count_nonzero(numbers) >= np.count_nonzero((kinds == TEXT).any(axis=axis) & ~numbers))


def _lines(kinds: np.ndarray, axis: int) -> bool:
    """Does some line (a row for axis=1, a column for axis=0) of these cells hold two or more
    text cells? (Only the part of the sheet asked about is compared with TEXT.)"""
    return bool(kinds.size) and int((kinds == TEXT).sum(axis=axis).max()) >= 2


def _turned(grid: Grid, flip_rows: bool, flip_cols: bool) -> Grid:
    n_rows, n_cols = grid.n_rows, grid.n_cols
    row_step, col_step = (-1 if flip_rows else 1), (-1 if flip_cols else 1)

    def back(r: int, c: int) -> tuple[int, int]:  # position here -> position in the sheet
        return (n_rows - 1 - r if flip_rows else r), (n_cols - 1 - c if flip_cols else c)

    merged: list[Merge] = []
    for r0, c0, r1, c1 in grid.merged:
        (a, b), (d, e) = back(r0, c0), back(r1, c1)
        merged.append((min(a, d), min(b, e), max(a, d), max(b, e)))
    turned = from_cells(grid.cells[::row_step, ::col_step].copy(), source=grid.source,
                        sheet=grid.sheet, merged=merged)
    turned.bold = {back(r, c) for r, c in grid.bold}
    turned.indent = {back(r, c): n for (r, c), n in grid.indent.items()}
    turned.origin = {(r, c): back(r, c) for r in range(n_rows) for c in range(n_cols)}
    return turned
