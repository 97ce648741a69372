"""Can every observation be told apart? The check needs no annotation, so it runs on any file.

Within one source file, the identifying columns of the long form (sheet, table, title, row and
column header, sub-table) must be unique: two observations with the same key are two numbers an
analyst cannot tell apart, and a pivot or join on them silently picks or sums the wrong one.
"""

from __future__ import annotations

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
    return [f"{row.source_file} (sheet {row.sheet!r}, table {row.table}): {row.ambiguous} "
            f"observation(s) share a key with another; see `gaffertape sheets inspect` "
            f"(clashing cells are outlined in red) or add a recipe"
            for row in clashes_per_table(data).itertuples(index=False)]


def clashing_cells(data: pd.DataFrame) -> set[tuple[str, str]]:
    """(sheet, cell reference) of every ambiguous observation, for the inspector."""
    mask = ambiguous(data)
    return set(zip(data.loc[mask, "sheet"], data.loc[mask, "cell"], strict=True))
