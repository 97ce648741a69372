"""Cell accounts: every filled cell counted once, under the role its table gives it."""

from __future__ import annotations

import random
from collections import Counter

from gaffertape.sheets.coverage import OBSERVATION, cell_accounts
from gaffertape.sheets.grid import from_rows
from gaffertape.sheets.layout import SheetLayout, Table


def _painted_cell_by_cell(grid, layout: SheetLayout) -> Counter[str]:
    """The definition, one cell at a time: parts set in order, later roles winning."""
    role = [["outside tables"] * grid.n_cols for _ in range(grid.n_rows)]
    everywhere = range(grid.n_cols)

    def paint(rows, cols, reason):
        for r in rows:
            for c in cols:
                role[r][c] = reason

    for t in layout.tables:
        span = range(t.left, t.right + 1)
        for rows, cols, reason in [
                (t.title_rows, everywhere, "title"), (t.note_rows, everywhere, "note"),
                (t.header_rows, span, "header"), (t.section_rows, span, "sub-table title"),
                (t.body_rows, t.label_cols, "row label"),
                (t.body_rows, t.flag_cols, "qualifier code"),
                (t.flag_rows, span, "qualifier code"), (t.body_rows, t.data_cols, OBSERVATION)]:
            paint(rows, cols, reason)
    for t in layout.tables:
        paint(t.section_rows, range(t.left, t.right + 1), "sub-table title")
    return Counter(role[r][c] for r in range(grid.n_rows) for c in range(grid.n_cols)
                   if grid.cell(r, c) is not None)


def test_cell_accounts_match_painting_cell_by_cell() -> None:
    """Rows and columns with gaps, out of order or repeated, overlapping tables."""
    rng = random.Random(3)
    for _ in range(300):
        n_rows, n_cols = rng.randint(1, 12), rng.randint(1, 9)
        grid = from_rows([[rng.choice([None, "a", 1.0]) for _ in range(n_cols)]
                          for _ in range(n_rows)])

        def some(n: int) -> list[int]:
            picked = rng.sample(range(n), rng.randint(0, n))  # in random order
            return rng.choice([sorted(picked), picked, sorted(picked + picked[:1])])

        tables = []
        for index in range(rng.randint(1, 3)):
            left = rng.randrange(n_cols)
            right = rng.randrange(left, n_cols)
            tables.append(Table(index=index, left=left, right=right, title_rows=some(n_rows),
                                header_rows=some(n_rows), body_rows=some(n_rows),
                                section_rows=some(n_rows), note_rows=some(n_rows),
                                flag_rows=some(n_rows), label_cols=some(n_cols),
                                data_cols=some(n_cols), flag_cols=some(n_cols)))
        layout = SheetLayout(source="", sheet="", tables=tables)
        assert cell_accounts(grid, layout) == _painted_cell_by_cell(grid, layout)
