"""Can every observation be told apart? The check needs no annotation, so it runs on any file.

Within one source file, the identifying columns of the long form (sheet, table, title, row and
column header, sub-table) must be unique: two observations with the same key are two numbers an
analyst cannot tell apart, and a pivot or join on them silently picks or sums the wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

KEY_COLUMNS = ["source_file", "sheet", "table", "table_title", "row_header", "column_header",
               "sub_table"]


def ambiguous(data: pd.DataFrame) -> pd.Series:
    """True for every observation whose key another observation shares."""
    if data.empty:
        return pd.Series([], dtype=bool)
    return data.duplicated(KEY_COLUMNS, keep=False)


def clashes_per_table(data: pd.DataFrame) -> pd.DataFrame:
    """(source_file, sheet, table, ambiguous) for every table with clashing keys."""
    mask = ambiguous(data)
    if not mask.any():
        return pd.DataFrame(columns=["source_file", "sheet", "table", "ambiguous"])
    counts = data[mask].groupby(["source_file", "sheet", "table"], sort=False).size()
    return counts.rename("ambiguous").reset_index()


def clash_warnings(data: pd.DataFrame) -> list[str]:
    """One line per table whose observations are not all identifiable."""
    return [clash_warning(row.source_file, row.sheet, row.table, row.ambiguous)
            for row in clashes_per_table(data).itertuples(index=False)]


def clash_warning(source: str, sheet: str, table: int, count: int) -> str:
    """The warning for one table with ``count`` ambiguous observations."""
    return (f"{source} (sheet {sheet!r}, table {table}): {count} observation(s) share a key "
            f"with another; see `gaffertape sheets inspect` (clashing cells are outlined in red) "
            f"or add a recipe")


def ambiguous_in_table(row_keys: list[np.ndarray], column_keys: np.ndarray,
                       row_i: np.ndarray, col_i: np.ndarray, *, rows_apart: bool = False) -> int:
    """How many observations of one table share a key with another, the same count as
    :func:`ambiguous` gives over the table's rows of the long form.

    The key's varying parts are given per body row (``row_keys``: sub-table, row header) and
    per data column (``column_keys``), with each observation's row and column index: hashing a
    few hundred labels and comparing integer codes costs far less than hashing every
    observation's strings (on large files that took a tenth of the whole run).
    ``rows_apart``: the caller already knows that no two rows have the same last key part.
    """
    # the last part alone (the row header) usually tells the rows apart: no tuples to hash
    rows_apart = rows_apart or len(set(row_keys[-1].tolist())) == len(row_keys[-1]) or len(
        set(zip(*(keys.tolist() for keys in row_keys), strict=True))) == len(row_keys[0])
    if rows_apart and len(set(column_keys.tolist())) == len(column_keys):
        return 0  # every row and every column has a key of its own (most tables)
    # the keys are the table's labels (strings), a few hundred: a dict numbers them for less
    # than pandas' fixed cost per call; codes stay below the number of rows and of columns,
    # so their product cannot overflow
    row_code, _ = _codes(zip(*(keys.tolist() for keys in row_keys), strict=True))
    col_code, n_cols = _codes(column_keys.tolist())
    key = row_code[row_i] * n_cols + col_code[col_i]
    counts = np.bincount(pd.factorize(key)[0])
    return int(counts[counts > 1].sum())


def _codes(keys: Iterable[object]) -> tuple[np.ndarray, int]:
    """A number per key, the same for equal keys, and how many different keys there are."""
    numbers: dict[object, int] = {}
    codes = np.fromiter((numbers.setdefault(key, len(numbers)) for key in keys), dtype=np.intp)
    return codes, len(numbers)
