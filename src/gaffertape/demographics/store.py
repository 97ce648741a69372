"""Saving and reading demographics datasets in the workspace store (``demographics_*`` tables).

A records dataset is saved with its aggregates and its data-quality counts in ONE transaction,
replacing any earlier dataset of the same name only when everything was written: a failed
load never leaves half a dataset or destroys the good one.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pandas as pd

from gaffertape.demographics.records import COLUMNS, compact, quality
from gaffertape.errors import UserError
from gaffertape.store import Store

BATCH = 50_000


def save_records(store: Store, name: str, records: pd.DataFrame, distributions: pd.DataFrame,
                 *, source: str, synthetic: bool = False, notes: str = "") -> None:
    """Replace dataset ``name``: its records, distributions and quality counts."""
    counts = quality(records)
    with store.connect() as conn:
        _replace_dataset(conn, name, "records", source, synthetic, len(records), notes)
        _insert(conn, "demographics_students", records.assign(dataset=name))
        _insert(conn, "demographics_distributions", distributions.assign(dataset=name))
        _insert(conn, "demographics_quality", counts.assign(dataset=name))


def save_comparators(store: Store, name: str, table: pd.DataFrame, *, source: str,
                     synthetic: bool = False, notes: str = "") -> None:
    """Replace comparator dataset ``name`` (counts by institution, year, band and sex)."""
    with store.connect() as conn:
        _replace_dataset(conn, name, "comparators", source, synthetic, len(table), notes)
        _insert(conn, "demographics_comparators", table.assign(dataset=name))


def _replace_dataset(conn: sqlite3.Connection, name: str, kind: str, source: str,
                     synthetic: bool, rows: int, notes: str) -> None:
    for table in ("students", "distributions", "quality", "comparators", "datasets"):
        column = "name" if table == "datasets" else "dataset"
        conn.execute(f"DELETE FROM demographics_{table} WHERE {column} = ?", (name,))
    conn.execute(
        "INSERT INTO demographics_datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
        (name, kind, source, int(synthetic), rows, notes,
         datetime.now(UTC).isoformat(timespec="seconds")))


def _insert(conn: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    """Rows in batches, missing values as NULL, numpy scalars as Python numbers."""
    columns = list(frame.columns)
    sql = (f'INSERT INTO {table} ({", ".join(columns)}) '
           f'VALUES ({", ".join("?" for _ in columns)})')
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start:start + BATCH]
        conn.executemany(sql, zip(*(_sql_values(part[c]) for c in columns), strict=True))


def _sql_values(column: pd.Series) -> list[object]:
    """A column as Python values SQLite accepts: NULL for missing, 0/1 for booleans."""
    if column.dtype == bool:
        return column.astype(int).tolist()
    values = column.astype(object)
    return values.where(column.notna(), None).tolist()


def datasets(store: Store, kind: str | None = None) -> pd.DataFrame:
    """The saved datasets (newest first), optionally only ``records`` or ``comparators``."""
    where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
    return store.query_df(f"SELECT * FROM demographics_datasets {where} "
                          "ORDER BY loaded_at DESC, name", params)


def require_dataset(store: Store, name: str, kind: str) -> None:
    """A one-line error naming the datasets there are, if ``name`` is not one of them."""
    found = datasets(store, kind)
    if name not in set(found["name"]):
        names = ", ".join(found["name"]) or "none yet"
        raise UserError(f"no {kind} dataset named {name!r} in the workspace (have: {names})",
                        hint="load one with `gaffertape demographics load` or `generate`")


def read_distributions(store: Store, name: str) -> pd.DataFrame:
    require_dataset(store, name, "records")
    return store.query_df(
        "SELECT year, population, age_band, sex, count FROM demographics_distributions "
        "WHERE dataset = ? ORDER BY year", (name,))


def read_quality(store: Store, name: str) -> pd.DataFrame:
    require_dataset(store, name, "records")
    return store.query_df("SELECT field, status, count FROM demographics_quality "
                          "WHERE dataset = ?", (name,))


def read_records(store: Store, name: str) -> pd.DataFrame:
    require_dataset(store, name, "records")
    with store.connect() as conn:
        records = pd.read_sql_query(
            f"SELECT {', '.join(COLUMNS)} FROM demographics_students WHERE dataset = ?",
            conn, params=(name,))
    records["graduated"] = records["graduated"].astype(bool)
    for column in ("birth_year", "year_joined", "year_left"):
        records[column] = records[column].astype("Int16")
    return compact(records)


def read_comparators(store: Store, names: list[str] | None = None) -> pd.DataFrame:
    """Counts of the named comparator datasets (all of them by default)."""
    if names:
        for name in names:
            require_dataset(store, name, "comparators")
    table = store.query_df("SELECT dataset, institution, year, population, age_band, sex, count "
                           "FROM demographics_comparators")
    return table[table["dataset"].isin(names)] if names else table
