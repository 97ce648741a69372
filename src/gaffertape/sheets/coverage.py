"""Where every filled cell of a sheet went: an observation, or which part of the layout kept it.

A detector that takes a run of data rows for headers loses those observations without an
error, so each file's filled cells are accounted for: either emitted as observations, or
counted under the reason they were not (header, row label, title, ...). The counts appear per
file and in the run's summary, so a surprising number is seen, not guessed at.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from gaffertape.sheets.grid import Grid
from gaffertape.sheets.layout import SheetLayout
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
    role = np.full((grid.n_rows, grid.n_cols), _CODES["outside tables"], dtype=np.int8)
    for table in layout.tables:
        span = slice(table.left, table.right + 1)
        role[table.title_rows, :] = _CODES["title"]
        role[table.note_rows, :] = _CODES["note"]
        role[table.header_rows, span] = _CODES["header"]
        role[table.section_rows, span] = _CODES["sub-table title"]
        body = np.array(table.body_rows, dtype=np.intp)[:, None]  # rows x columns, as np.ix_
        role[body, table.label_cols] = _CODES["row label"]
        # a qualifier column's codes go out as the flags of the numbers beside them
        role[body, table.flag_cols] = _CODES["qualifier code"]
        role[table.flag_rows, span] = _CODES["qualifier code"]  # notes under the numbers
        role[body, table.data_cols] = _CODES[OBSERVATION]
    for table in layout.tables:  # a sub-table title row is never data, even inside the body
        role[table.section_rows, table.left:table.right + 1] = _CODES["sub-table title"]
    counts = np.bincount(role[grid.types != NONE], minlength=len(_CODES))
    names = list(_CODES)
    return Counter({names[code]: int(n) for code, n in enumerate(counts) if n})


def not_emitted_text(counts: Counter[str]) -> str:
    """``"12 (header 10, title 2)"``, or ``"0"``."""
    parts = [f"{reason} {counts[reason]:,}" for reason in REASONS if counts.get(reason)]
    total = sum(counts.get(reason, 0) for reason in REASONS)
    return f"{total:,} ({', '.join(parts)})" if parts else "0"
