"""Writing results: CSV, XLSX or Parquet (atomically), or the workspace store.

CSV and XLSX go through the one formula-safe writer, :mod:`gaffertape.export`: cell texts come
from other people's workbooks, and ``=HYPERLINK(...)`` must stay text when the output is opened
in a spreadsheet. Parquet is for analysis tools, which never run formulas, so it keeps every
text exactly as read. Read it back without pyarrow through DuckDB (already a dependency)::

    import duckdb
    data = duckdb.read_parquet("data.parquet").df()
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from gaffertape.atomic import atomic_write
from gaffertape.errors import UserError
from gaffertape.export import export_table
from gaffertape.store import Store

FORMATS = {".csv", ".parquet", ".xlsx"}
XLSX_MAX_ROWS = 1_048_576 - 1  # one row is the header


def check_destination(dest: Path) -> None:
    """Fail before a long run, not after it, on an output that cannot be written."""
    suffix = dest.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"{dest}: unknown output format {suffix!r}",
                        hint="use .parquet, .csv or .xlsx")
    if dest.is_dir():
        raise UserError(f"{dest}: is a folder", hint="give a file name, e.g. data.parquet")


def write_frame(data: pd.DataFrame, dest: Path) -> Path:
    """Write ``data`` as Parquet, CSV or XLSX, chosen by the destination's suffix."""
    check_destination(dest)
    suffix = dest.suffix.lower()
    if suffix == ".parquet":
        with atomic_write(dest) as tmp:
            write_parquet(data, tmp)
        return dest
    if suffix == ".xlsx" and len(data) > XLSX_MAX_ROWS:
        raise UserError(f"{dest}: {len(data):,} rows do not fit in one Excel sheet "
                        f"({XLSX_MAX_ROWS:,} at most)", hint="use --out data.parquet or .csv")
    return export_table(data, dest, sheet_name="observations")


def write_parquet(data: pd.DataFrame, dest: Path) -> None:
    """Write Parquet with DuckDB's built-in writer.

    DuckDB is already a dependency and writes Parquet natively (no extension), which spares the
    project pyarrow: pandas imports pyarrow eagerly when it is installed, costing every command
    about 60 MB of memory and a noticeable start-up delay.
    """
    with duckdb.connect() as con:
        con.register("observations", data)
        con.execute(f"COPY observations TO '{_sql_literal(dest)}' (FORMAT parquet)")


def _sql_literal(path: Path) -> str:
    return str(path).replace("'", "''")


def write_store(data: pd.DataFrame, store: Store) -> int:
    """Replace the store's observations of these source files with ``data``."""
    store.migrate()
    sources = sorted(data["source_file"].unique()) if not data.empty else []
    marks = ", ".join("?" for _ in sources) or "NULL"
    frame = data.assign(is_total=data["is_total"].astype(int))
    return store.write_df("sheet_observations", frame,
                          replace_where=f"source_file IN ({marks})", params=sources)


MAX_STEM = 120  # characters of a file name before its suffix (systems allow 255 bytes)


def write_wide(tables: dict[tuple[str, str, int], pd.DataFrame], folder: Path,
               fmt: str) -> list[Path]:
    """One file per table: ``<file>__<sheet>__t<n>.<fmt>`` in ``folder``, cut to
    :data:`MAX_STEM` characters. A name that would repeat one already written in this run
    (two ``marks.xlsx`` in different folders; sheets that differ only in characters a file
    name cannot hold; names alike but for case, one file on macOS and Windows) gets ``_2``,
    ``_3``...: a table must never overwrite another."""
    written: list[Path] = []
    used: set[str] = set()
    for (source, sheet, index), table in tables.items():
        stem = _unique(_safe(f"{Path(source).stem}__{sheet}__t{index}")[:MAX_STEM], used)
        written.append(write_frame(table, folder / f"{stem}.{fmt}"))
    return written


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _unique(stem: str, used: set[str]) -> str:
    """``stem``, or ``stem_2``, ``stem_3``... the first not in ``used`` (compared without
    case), which it joins."""
    name, count = stem, 1
    while name.casefold() in used:
        count += 1
        name = f"{stem}_{count}"
    used.add(name.casefold())
    return name
