"""Cell accounts: every filled cell counted once, under the role its table gives it."""

from __future__ import annotations

import random
from collections import Counter

from gaffertape.sheets.coverage import OBSERVATION, REASONS, cell_accounts
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


def test_cell_accounts_of_a_table_whose_parts_are_apart_are_counted_the_same() -> None:
    """A sheet with one table whose parts share no row or column (most sheets), or with none,
    is counted part by part instead of painted: it must give the same counts, in the same
    order, as painting cell by cell."""
    rng = random.Random(7)

    def deal(n: int, k: int) -> list[list[int]]:  # k disjoint groups of some of range(n)
        groups: list[list[int]] = [[] for _ in range(k)]
        for i in rng.sample(range(n), n):
            if rng.random() < 0.8:
                groups[rng.randrange(k)].append(i)
        return [sorted(g) if rng.random() < 0.7 else g for g in groups]

    for case in range(1000):
        n_rows, n_cols = rng.randint(1, 14), rng.randint(1, 9)
        grid = from_rows([[rng.choice([None, "a", 1.0]) for _ in range(n_cols)]
                          for _ in range(n_rows)])
        tables = []
        if case % 10:  # one sheet in ten has no table
            title, note, header, body, flag, section = deal(n_rows, 6)
            label, data, flag_cols = deal(n_cols, 3)
            left = rng.randrange(n_cols)
            tables.append(Table(index=0, left=left, right=rng.randrange(left, n_cols),
                                title_rows=title, header_rows=header, body_rows=body,
                                section_rows=section, note_rows=note, flag_rows=flag,
                                label_cols=label, data_cols=data, flag_cols=flag_cols))
        layout = SheetLayout(source="", sheet="", tables=tables)
        counted, painted = cell_accounts(grid, layout), _painted_cell_by_cell(grid, layout)
        assert counted == painted
        assert list(counted) == [reason for reason in (*REASONS, OBSERVATION) if painted[reason]]
