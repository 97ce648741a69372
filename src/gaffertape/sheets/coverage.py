"""Where every filled cell of a sheet went: an observation, or which part of the layout kept it.

A detector that takes a run of data rows for headers loses those observations without an
error, so each file's filled cells are accounted for: either emitted as observations, or
counted under the reason they were not (header, row label, title, ...). The counts appear per
file and in the run's summary, so a surprising number is seen, not guessed at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from gaffertape.sheets.grid import Grid
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.values import NONE

OBSERVATION = "observations"
REASONS = ("header", "row label", "sub-table title", "title", "note", "qualifier code",
           "outside tables")
"""Why a filled cell is not an observation, in the order the summary shows them."""

_CODES = {name: code for code, name in enumerate((*REASONS, OBSERVATION))}


def cell_accounts(grid: Grid, layout: SheetLayout) -> Counter[str]:
    """Filled cells of ``grid`` by what became of them: :data:`OBSERVATION` or a reason.

    Later roles win where two overlap: a data cell is always counted as an observation.
    """
    if not grid.n_rows or not grid.n_cols:
        return Counter()
    filled = grid.types != NONE
    parts = [part for table in layout.tables for part in _parts(table, grid.n_cols)]
    # a sub-table title row is never data, even inside the body: set last
    parts += [(table.section_rows, range(table.left, table.right + 1), "sub-table title")
              for table in layout.tables]
    parts = [(rows, cols, _CODES[reason]) for rows, cols, reason in parts
             if len(cols) and (isinstance(rows, slice) or len(rows))]  # most lack some parts
    if len(layout.tables) < 2 and all(map(_apart, layout.tables)):  # nine sheets in ten
        counts = _counted(filled, parts)
    else:
        counts = _painted(filled, parts)
    return Counter({name: n for name, n in zip(_CODES, counts, strict=True) if n})


def _counted(filled: np.ndarray, parts: list[tuple[object, object, int]]) -> list[int]:
    """Filled cells per role code, counted part by part: for parts that do not overlap (most
    sheets hold one table, or none), it costs a numpy call a part and one for the sheet."""
    counts = [0] * len(_CODES)
    for rows, cols, code in parts:
        counts[code] += int(np.count_nonzero(filled[_block(rows, cols)]))
    counts[_CODES["outside tables"]] = int(np.count_nonzero(filled)) - sum(counts)
    return counts


def _painted(filled: np.ndarray, parts: list[tuple[object, object, int]]) -> list[int]:
    """Filled cells per role code, each part's role set on a sheet-sized array in turn (later
    roles winning), then counted once."""
    role = np.full(filled.shape, _CODES["outside tables"], dtype=np.int8)
    for rows, cols, code in parts:
        role[_block(rows, cols)] = code
    return np.bincount(role[filled], minlength=len(_CODES)).tolist()


def _apart(table: Table) -> bool:
    """Whether no two parts of ``table`` share a cell: its row sets, and the column sets along
    its body, each hold a row or column once."""
    rows = (table.title_rows + table.note_rows + table.header_rows + table.body_rows
            + table.flag_rows + table.section_rows)
    cols = table.label_cols + table.flag_cols + table.data_cols
    return len(set(rows)) == len(rows) and len(set(cols)) == len(cols)


def _parts(table: Table,
           n_cols: int) -> list[tuple[Sequence[int] | slice | np.ndarray, Sequence[int], str]]:
    """(rows, columns, reason) of each part of ``table``, in the order their roles are set
    (its sub-table titles, set after every table's parts, are not among them)."""
    span, width = range(table.left, table.right + 1), range(n_cols)
    # the body rows are read once for the three parts along them (a large table's list of
    # rows is long, and telling whether it runs on, or making an index array of it, costs a
    # pass over it)
    body = _row_positions(table.body_rows) if table.body_rows else table.body_rows
    return [(table.title_rows, width, "title"), (table.note_rows, width, "note"),
            (table.header_rows, span, "header"),
            (body, table.label_cols, "row label"),
            # a qualifier column's codes go out as the flags of the numbers beside them
            (body, table.flag_cols, "qualifier code"),
            (table.flag_rows, span, "qualifier code"),  # notes under the numbers
            (body, table.data_cols, OBSERVATION)]


def _block(rows: Sequence[int] | slice | np.ndarray,
           cols: Sequence[int]) -> tuple[object, object]:
    """The index of the block ``rows`` x ``cols``, with slices for runs without gaps (the usual
    case: a block set through slices costs far less than through index arrays)."""
    at_rows, at_cols = _row_positions(rows), _positions(cols)
    if isinstance(at_rows, slice) or isinstance(at_cols, slice):
        return at_rows, at_cols
    return at_rows[:, None], at_cols


def _row_positions(rows: Sequence[int] | slice | np.ndarray) -> slice | np.ndarray:
    """``rows`` as a slice when they run on, else as an index array: numpy turns a list of rows
    into one on every assignment, at a cost far above the assignment's on a small sheet."""
    if isinstance(rows, np.ndarray):
        return rows
    at = _positions(rows)
    return at if isinstance(at, slice) else np.array(at, dtype=np.intp)


def _positions(indices: Sequence[int] | slice) -> slice | Sequence[int]:
    """``indices`` as a slice when they run on, ascending, without a gap (a slice as it is)."""
    if isinstance(indices, slice):
        return indices
    if isinstance(indices, range):
        return slice(indices.start, indices.stop)
    first, stop = indices[0], indices[0] + len(indices)
    if indices[-1] == stop - 1 and list(indices) == list(range(first, stop)):
        return slice(first, stop)
    return indices


def not_emitted_text(counts: Counter[str]) -> str:
    """``"12 (header 10, title 2)"``, or ``"0"``."""
    parts = [f"{reason} {counts[reason]:,}" for reason in REASONS if counts.get(reason)]
    total = sum(counts.get(reason, 0) for reason in REASONS)
    return f"{total:,} ({', '.join(parts)})" if parts else "0"
