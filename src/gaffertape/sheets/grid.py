"""The one in-memory cell grid every reader produces and every detector consumes.

Keeping a single plain type (rows of Python values plus optional style hints) means the detector
runs the same way on an .xlsx, a .csv, or an annotated grid from a benchmark corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import overload

import numpy as np

from gaffertape.errors import UserError
from gaffertape.sheets.calamine_read import Merge  # (defined there: it runs alone too)
from gaffertape.sheets.values import (
    MAX_CELL_TEXT,
    NONE,
    STR,
    CellFacts,
    cell_facts,
    cell_types,
    cut_text,
    mapped_array,
)


@dataclass
class Grid:
    """One sheet: cell values (``None`` when empty), merged ranges and optional style hints.

    Rows are padded to one width by :func:`rectangular`, so hot loops can index without checks.
    The array views (:attr:`cells`, :attr:`types`, :attr:`kinds`, :attr:`numbers`) are built
    once, on first use, so the detector and the observation builder never test a cell one by
    one in Python; the values must not change after that.
    """

    source: str
    sheet: str
    values: Sequence[list[object]]
    merged: list[Merge] = field(default_factory=list)
    bold: set[tuple[int, int]] = field(default_factory=set)
    indent: dict[tuple[int, int], int] = field(default_factory=dict)
    # (row, col) here -> (row, col) in the original sheet, when this grid was rearranged
    origin: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    # (row, col) in the sheet of each text cut to values.MAX_CELL_TEXT as it was read
    cut: list[tuple[int, int]] = field(default_factory=list)
    _merged_values: dict[int, dict[int, object]] = field(default_factory=dict, init=False,
                                                         repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.values)

    @cached_property
    def n_cols(self) -> int:
        return max(map(len, self.values), default=0)

    @cached_property
    def cells(self) -> np.ndarray:
        """The values as a 2-d object array (rows x columns)."""
        cells = np.empty((self.n_rows, self.n_cols), dtype=object)
        cells[:] = self.values if self.n_rows and self.n_cols else None
        return cells

    @cached_property
    def types(self) -> np.ndarray:
        """Python type of every cell (``values.NONE``, ``FLOAT``, ``INT``, ``STR``, ``OTHER``)."""
        return cell_types(self.cells)

    @cached_property
    def _facts(self) -> CellFacts:
        return cell_facts(self.cells, self.types)

    @cached_property
    def kinds(self) -> np.ndarray:
        """Kind of every cell (``values.EMPTY``, ``TEXT``, ``NUMBER``, ``YEAR``)."""
        return self._facts.kinds

    @cached_property
    def numbers(self) -> np.ndarray:
        """The number in every cell, NaN where there is none (see ``values.cell_facts``): made
        once, with the kinds, for the detector's sums and the observations' values alike."""
        return self._facts.numbers

    @cached_property
    def says_total(self) -> np.ndarray:
        """Does the cell's text read as a total's label ("Total", "All industries")?"""
        return self._facts.says_total

    @cached_property
    def merged_rows(self) -> dict[int, list[Merge]]:
        """The merged ranges covering each row that some range covers (in sheet order)."""
        by_row: dict[int, list[Merge]] = {}
        for merge in self.merged:
            for r in range(merge[0], merge[2] + 1):
                by_row.setdefault(r, []).append(merge)
        return by_row

    def cell(self, row: int, col: int) -> object:
        """The value at (row, col), ``None`` outside the grid or when empty."""
        if row < len(self.values) and col < len(self.values[row]):
            return self.values[row][col]
        return None

    def merged_values(self, row: int) -> dict[int, object]:
        """Column -> value of every covered cell of a merged range on ``row``, so headers read
        the same across a span. Made per row when first asked (only header rows are; a sheet
        can merge large areas) and kept, as every table of the sheet may read the row."""
        found = self._merged_values.get(row)
        if found is None:
            found = self._merged_values[row] = {}
            for r0, c0, _, c1 in self.merged_rows.get(row, ()):
                value = self.cell(r0, c0)
                if value is not None:
                    found.update((c, value) for c in range(c0, c1 + 1) if (row, c) != (r0, c0))
        return found


def cell_ref(row: int, col: int) -> str:
    """Excel-style reference for 0-based (row, col), e.g. (6, 2) -> 'C7'."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def cross(rows: Sequence[int] | np.ndarray, cols: Sequence[int] | np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """The index of the block ``rows`` x ``cols``, as ``np.ix_`` gives it for positions, without
    its checks: on the small tables most sheets hold they cost more than the indexing."""
    return np.asarray(rows, dtype=np.intp)[:, None], np.asarray(cols, dtype=np.intp)


def from_rows(rows: list[list[object]], *, source: str = "", sheet: str = "") -> Grid:
    """A grid from raw rows, with '' and whitespace-only strings treated as empty, and texts
    past Excel's limit cut (see ``values.MAX_CELL_TEXT``)."""
    clean = [[_clean(v) for v in row] for row in rows]
    cut = [(r, c) for r, row in enumerate(clean) for c, v in enumerate(row)
           if isinstance(v, str) and len(v) > MAX_CELL_TEXT]
    for r, c in cut:
        clean[r][c] = cut_text(clean[r][c])  # type: ignore[arg-type]
    return Grid(source=source, sheet=sheet, values=rectangular(clean), cut=cut)


def from_cells(cells: np.ndarray, *, source: str, sheet: str, merged: list[Merge]) -> Grid:
    """A grid from a reader's 2-d object array, where empty cells are '' or None (see
    :func:`from_sheets`; the array becomes the grid's own)."""
    return from_sheets([(sheet, cells, merged)], source=source)[0]


def from_sheets(sheets: Sequence[tuple[str, np.ndarray, list[Merge]]], *,
                source: str) -> list[Grid]:
    """The grids of a workbook's sheets, each from its name, its 2-d object array of cells
    (empty cells '' or None) and its merged ranges.

    The cells of all the sheets are typed and classified together (:func:`cell_types`,
    :func:`cell_facts`), and each grid keeps its part of the result: every such pass is a
    score of numpy calls whatever its size, which on a workbook of many small sheets cost
    more than its cells. The arrays and type codes are kept on the grids instead of being
    rebuilt from the lists."""
    if not sheets:
        return []
    flat = (sheets[0][1].reshape(-1) if len(sheets) == 1
            else np.concatenate([cells.ravel() for _, cells, _ in sheets]))
    types = cell_types(flat)
    blank = np.zeros(flat.shape, dtype=bool)
    np.equal(flat, "", out=blank, where=types == STR)  # the texts compared in place, not gathered
    flat[blank], types[blank] = None, NONE
    facts = cell_facts(flat, types)
    cut = facts.too_long
    if cut.size:  # texts past Excel's limit, cut, and their facts made again (rare)
        flat[cut] = mapped_array(cut_text, flat[cut])
        facts = cell_facts(flat, types)
    grids, start = [], 0
    for sheet, cells, merged in sheets:
        at, shape = slice(start, start + cells.size), cells.shape
        start = at.stop
        own = flat[at].reshape(shape)  # (a view: the sheets' parts never overlap)
        grid = Grid(source=source, sheet=sheet, values=ArrayRows(own),
                    merged=_within(merged, *shape, source=source, sheet=sheet),
                    cut=[divmod(int(i) - at.start, shape[1]) for i in cut
                         if at.start <= i < at.stop])
        grid.cells, grid.types, grid.n_cols = own, types[at].reshape(shape), shape[1]
        grid._facts = CellFacts(*(part[at].reshape(shape) for part in facts[:3]),
                                too_long=facts.too_long)  # (none left: cut above)
        grids.append(grid)
    return grids


def _within(merged: list[Merge], n_rows: int, n_cols: int, *, source: str,
            sheet: str) -> list[Merge]:
    """The merged ranges cut to the sheet's cells, which are all that can be read through
    them: a file may declare a range a million rows long, and spreading headings over it
    cost minutes. Ranges that overlap (no spreadsheet program writes them) so much that
    they cover more cells than the sheet has are refused: reading them costs time in
    proportion to their area, not the sheet's."""
    cut = [(r0, c0, min(r1, n_rows - 1), min(c1, n_cols - 1))
           for r0, c0, r1, c1 in merged if r0 < n_rows and c0 < n_cols]
    covered = sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, c0, r1, c1 in cut)
    if covered > n_rows * n_cols:
        raise UserError(f"{source} (sheet {sheet!r}): refused: its merged ranges overlap, "
                        f"covering {covered:,} cells of a sheet of {n_rows * n_cols:,}",
                        hint="unmerge the cells and merge them again, or export the sheet as CSV")
    return cut


class ArrayRows(Sequence[list[object]]):
    """The rows of a cell array as lists, each made when first read.

    Only a few rows (headers, titles, notes) are ever read one by one; making tens of thousands
    of lists up front cost more time, in building and in garbage collections, than using them.
    """

    def __init__(self, cells: np.ndarray) -> None:
        self._cells = cells
        self._rows: dict[int, list[object]] = {}

    def __len__(self) -> int:
        return len(self._cells)

    @overload
    def __getitem__(self, r: int) -> list[object]: ...

    @overload
    def __getitem__(self, r: slice) -> list[list[object]]: ...

    def __getitem__(self, r: int | slice) -> list[object] | list[list[object]]:
        if isinstance(r, slice):
            return [self[i] for i in range(*r.indices(len(self)))]
        row = self._rows.get(r)
        if row is None:
            row = self._rows[r] = self._cells[r].tolist()
        return row


def rectangular(rows: list[list[object]]) -> list[list[object]]:
    """Pad every row with ``None`` to the widest row's length (in place; returns ``rows``)."""
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))
    return rows


def _clean(value: object) -> object:
    if isinstance(value, str):
        return value if value.strip() else None
    return value
