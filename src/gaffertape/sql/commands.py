"""``gaffertape sql``: one query, a prompt, or (with ``--write``) one confirmed change to the store.

Reading is the default and the only thing the query engines do: DuckDB (or Spark) over the
documented views, the store's tables and the data folder's files, with the store opened
read-only. Changing the store is a separate, deliberate path: ``--write`` runs one statement in
SQLite's own SQL through Python's sqlite3, after showing it and asking for confirmation (or
``--yes`` in scripts), and refuses ATTACH and DETACH, which would reach other files.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gaffertape import ui
from gaffertape.atomic import atomic_write
from gaffertape.errors import UserError
from gaffertape.formulas import neutralise_cell
from gaffertape.sql.api import open_engine
from gaffertape.workspace import Workspace

if TYPE_CHECKING:  # CSV on stdout streams from DuckDB: pandas is imported only when needed
    import duckdb
    import pandas as pd

FORMATS = ("table", "csv", "json", "parquet")
MAX_TABLE_ROWS = 1000  # a terminal table beyond this is unreadable; --format csv gives all


def run(
    workspace: Workspace,
    query: str | None,
    *,
    fmt: str = "table",
    out: Path | None = None,
    engine: str = "duckdb",
    master: str | None = None,
    write: bool = False,
    yes: bool = False,
    cache: bool = True,
) -> None:
    """What the ``gaffertape sql`` command does, given its parsed options."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise UserError("Parquet is a binary file format", hint="give --out result.parquet")
    if query is None and sys.stdin.isatty() and not write:
        from gaffertape.sql.prompt import interactive

        interactive(workspace, engine=engine, master=master)
        return
    if query is None:
        query = sys.stdin.read()
    if write:
        if engine != "duckdb" or master:
            raise UserError("--write changes the SQLite store directly; it takes no --engine")
        write_store(workspace.db_path, query, yes=yes)
        return
    runner = open_engine(workspace, engine, master, cache=cache)
    result = None
    try:
        started = time.perf_counter()
        if engine == "duckdb" and fmt == "csv" and out is None:
            count = print_csv(runner.cursor(query))  # streamed: no DataFrame, no pandas
        else:
            result = runner.query(query)
            count = len(result)
        seconds = time.perf_counter() - started
    finally:
        runner.close()
        for warning in runner.catalog.warnings:
            ui.console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if result is not None:
        show(result, fmt=fmt, out=out)
    ui.console.print(f"[dim]{rows(count)} in {seconds:.2f} s ({engine})[/dim]")


def rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def print_csv(cursor: duckdb.DuckDBPyConnection, batch_rows: int = 10_000) -> int:
    """A DuckDB result as CSV on stdout, streamed in batches (as ``--format csv`` prints a
    DataFrame: formula-neutralised text, no index), without loading pandas. Returns the rows."""
    writer = csv.writer(ui.stdout.file, lineterminator="\n")
    writer.writerow([neutralise_cell(column[0]) for column in cursor.description])
    count = 0
    while batch := cursor.fetchmany(batch_rows):
        writer.writerows([neutralise_cell(value) for value in row] for row in batch)
        count += len(batch)
    return count


def show(result: pd.DataFrame, *, fmt: str, out: Path | None) -> None:
    """The result on stdout (table, CSV, JSON lines) or into ``out`` (format by its suffix)."""
    if out is not None:
        write_result(result, out)
        ui.console.print(f"Wrote {rows(len(result))} to {out}")
    elif fmt == "table" and len(result) > MAX_TABLE_ROWS:
        ui.print_dataframe(result.head(MAX_TABLE_ROWS), fmt="table")
        ui.console.print(f"showing the first {MAX_TABLE_ROWS:,} of {len(result):,} rows; "
                         "use --format csv or --out FILE for all of them")
    else:
        ui.print_dataframe(result, fmt=fmt)


def write_result(result: pd.DataFrame, out: Path) -> Path:
    """A result file by suffix: .csv/.xlsx through the shared export, .json, .parquet."""
    from gaffertape.export import export_table

    suffix = out.suffix.lower()
    if suffix in (".csv", ".xlsx"):
        return export_table(result, out)
    if suffix == ".json":
        with atomic_write(out) as tmp:
            result.to_json(tmp, orient="records", lines=True, force_ascii=False)
        return out
    if suffix == ".parquet":
        import duckdb

        with atomic_write(out) as tmp, duckdb.connect() as conn:
            conn.from_df(result).write_parquet(str(tmp))
        return out
    raise UserError(f"{out}: cannot write {suffix or 'a file without suffix'}",
                    hint="use .csv, .xlsx, .json or .parquet")


def write_store(db_path: Path, statement: str, *, yes: bool) -> int:
    """Run one statement (SQLite's SQL) on the store in a transaction, once confirmed."""
    if not statement.strip().strip(";").strip():
        raise UserError("the query is empty", hint="give the statement to run")
    if not yes:
        if not sys.stdin.isatty():
            raise UserError("--write needs confirmation", hint="run it at a terminal, or add --yes")
        ui.console.print(f"This changes the store {db_path}:\n  {statement.strip()}")
        if not typer.confirm("Run it?", default=False, err=True):
            raise UserError("nothing changed", hint="the statement was not confirmed")
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    conn.set_authorizer(_refuse_other_files)
    try:
        conn.execute("BEGIN IMMEDIATE")
        before = conn.total_changes
        conn.execute(statement)
        changed = conn.total_changes - before
        conn.execute("COMMIT")
    except (sqlite3.Error, sqlite3.Warning) as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise UserError(f"SQL error (SQLite): {exc}", hint="nothing was changed") from exc
    finally:
        conn.close()
    ui.console.print(f"Changed {rows(changed)} in {db_path}")
    return changed


def _refuse_other_files(action: int, *_args: object) -> int:
    """sqlite3 authorizer: ATTACH and DETACH would reach files other than the store."""
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK
