"""The DuckDB engine: an in-process, locked-down DuckDB over the catalog.

The store is read without DuckDB's sqlite extension (it downloads at run time, so it is not
available): Python's sqlite3 reads each table the query needs, read-only and in chunks, into a
DuckDB table of the same name in schema ``store``. Only the tables a query names (directly or
through a documented view) are read, so ``select count(*) from marks`` never pays for a
million sheet observations. Data files are DuckDB views over ``read_csv`` / ``read_parquet`` /
``read_json``, which stream the file at query time. A CSV is sniffed once (header, delimiter,
types), its view reads it with exactly those options spelt out, and the first query that reads
it has it converted to Parquet in the workspace's cache (:mod:`gaffertape.sql.cache`), which
later queries read instead, column by column.

DuckDB itself is locked down before any user SQL runs: no file access except to the data folder
(``allowed_directories``), no extension downloads, and the configuration is locked so a query
cannot undo it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from gaffertape import ui
from gaffertape.errors import UserError
from gaffertape.sql import cache
from gaffertape.sql.catalog import (
    Catalog,
    Column,
    DataFile,
    literal,
    open_store_readonly,
    quote,
    read_store_table,
    view_sql,
)
from gaffertape.sql.dialect import NO_EXTENSION_DOWNLOADS, referenced_names
from gaffertape.sql.guard import check_read_only, sql_error

if TYPE_CHECKING:  # pandas is imported when a DataFrame is made, not to answer a CLI query
    import pandas as pd

PANDAS_DTYPES = {"BIGINT": "Int64", "DOUBLE": "Float64", "VARCHAR": "string", "BLOB": object}
READERS = {"parquet": "read_parquet", "json": "read_json_auto"}  # CSVs: see _sniff


SNIFFED = ("Delimiter", "Quote", "Escape", "NewLineDelimiter", "Comment", "SkipRows",
           "HasHeader", "Columns", "DateFormat", "TimestampFormat")
"""What :meth:`DuckEngine._sniff` takes from ``sniff_csv``."""


def csv_reader(path: str, sniffed: dict[str, Any]) -> str:
    """``read_csv(...)`` with the sniffer's options, every value written as an SQL literal.

    Not ``sniff_csv``'s own ``Prompt``: it pastes the file's column names in unquoted, so a
    header such as ``b': 'BIGINT'}); COPY (...) TO 'data/x.csv'; --`` in a CSV dropped into
    ``data/`` ran its COPY, and any quote in a header broke every query."""
    def text(option: str) -> str:
        value = sniffed[option]
        return literal("" if value in (None, "(empty)") else str(value))

    columns = ", ".join(f"{literal(c['name'])}: {literal(c['type'])}" for c in sniffed["Columns"])
    options = [literal(path), "auto_detect=false", f"delim={text('Delimiter')}",
               f"quote={text('Quote')}", f"escape={text('Escape')}",
               f"new_line={text('NewLineDelimiter')}", f"skip={int(sniffed['SkipRows'])}",
               f"comment={text('Comment')}", f"header={str(bool(sniffed['HasHeader'])).lower()}",
               f"columns={{{columns}}}"]
    for option, name in (("DateFormat", "dateformat"), ("TimestampFormat", "timestampformat")):
        if sniffed[option]:
            options.append(f"{name}={text(option)}")
    return f"read_csv({', '.join(options)})"


class DuckEngine:
    """One DuckDB connection over one workspace's catalog; create it once, query it often.

    ``cache_dir`` is where data-file CSVs are cached as Parquet; None reads them as CSV.
    """

    def __init__(self, catalog: Catalog, cache_dir: Path | None = None) -> None:
        self.catalog = catalog
        self.cache_dir = cache_dir
        self.conn = duckdb.connect(config=NO_EXTENSION_DOWNLOADS)
        readable = [catalog.data_dir, *([cache_dir] if cache_dir else [])]
        allowed = ", ".join(literal(str(path.resolve()) + "/") for path in readable)
        self.conn.execute(f"SET allowed_directories = [{allowed}]")
        self.conn.execute("SET enable_progress_bar = false")  # it would print into stdout data
        self.conn.execute("SET enable_external_access = false")
        self.conn.execute("SET lock_configuration = true")
        self.conn.execute("CREATE SCHEMA store; CREATE SCHEMA data")
        self._created: set[str] = set()
        self._filled: set[str] = set()
        # CSV view name -> (its read_csv(...) with the sniffed options, preamble lines skipped)
        self._csv_readers: dict[str, tuple[str, int]] = {}
        self._cached: set[str] = set()  # CSV views reading their Parquet copy
        self._store: sqlite3.Connection | None = None
        self._store_version: int | None = None

    # -- queries ----------------------------------------------------------------------------

    def query(self, query: str) -> pd.DataFrame:
        """Run one read-only query and return its result."""
        return self.relation(query).df()

    def relation(self, query: str) -> duckdb.DuckDBPyRelation:
        """Run one read-only query; its result as DuckDB's relation, to fetch as suits."""
        check_read_only(query)
        self.refresh_if_store_changed()
        names = referenced_names(query)
        self.prepare(self.catalog.every_name() if names is None else names)
        try:
            return self.conn.sql(query)
        except duckdb.CatalogException as exc:
            return self._retry_with_every_name(query, exc)
        except duckdb.Error as exc:
            raise sql_error(exc, query) from exc

    def cursor(self, query: str) -> duckdb.DuckDBPyConnection:
        """Run one read-only query; the connection holding its result, to fetch in batches."""
        self.relation(query)  # checks it, prepares the names it uses, binds it
        try:
            return self.conn.execute(query)
        except duckdb.Error as exc:
            raise sql_error(exc, query) from exc

    def _retry_with_every_name(
        self, query: str, exc: duckdb.CatalogException
    ) -> duckdb.DuckDBPyRelation:
        """An unknown name: bind again with every name defined (empty), for DuckDB's "did you
        mean" to suggest ours; if that binds, a name was missed, so read everything and run."""
        self.prepare(self.catalog.every_name(), fill=False)
        try:
            self.conn.sql(query)  # binds a SELECT without running it
        except duckdb.Error as again:
            raise sql_error(again, query) from exc
        self.prepare(self.catalog.every_name())
        try:
            return self.conn.sql(query)
        except duckdb.Error as failed:
            raise sql_error(failed, query) from exc

    # -- what exists ------------------------------------------------------------------------

    def columns(self) -> dict[str, list[str]]:
        """Every queryable name (``students``, ``store.runs``, ``data.grades``) -> its columns."""
        for name in sorted(self.catalog.every_name()):
            try:
                self.prepare([name], fill=False)
            except UserError as exc:  # a broken data file must not hide every other name
                self.catalog.warnings.append(exc.one_line())
        rows = self.conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
            " WHERE table_catalog = current_database() ORDER BY table_schema, table_name,"
            " ordinal_position"
        ).fetchall()
        found: dict[str, list[str]] = {}
        for schema, table, column in rows:
            name = table if schema == "main" else f"{schema}.{table}"
            found.setdefault(name, []).append(column)
        return found

    # -- building the catalog in DuckDB, on demand ----------------------------------------

    def prepare(self, names: Iterable[tuple[str, str]], *, fill: bool = True) -> None:
        """Create what the names need, and (with ``fill``) read the store tables behind them."""
        for step in self.catalog.plan(names):
            if step.kind == "store":
                self._create_store_table(step.name, fill)
            elif step.kind == "data" and self.catalog.data_files[step.name].kind == "csv":
                self._create_csv_view(self.catalog.data_files[step.name], fill)
            elif step.kind == "data":
                self._create_data_view(self.catalog.data_files[step.name])
            else:
                self._create_once(step.name, f"CREATE VIEW main.{quote(step.name)} AS"
                                             f" {view_sql(step)}")

    def _create_store_table(self, table: str, fill: bool) -> None:
        columns = self.catalog.store_tables[table]
        definition = ", ".join(f"{quote(c.name)} {c.type}" for c in columns)
        self._create_once(f"store.{table}", f"CREATE TABLE store.{quote(table)} ({definition})")
        if fill and table not in self._filled:
            self._fill(table, columns)
            self._filled.add(table)

    def _create_data_view(self, data_file: DataFile) -> None:
        """A Parquet or JSON file: a view that reads it at query time."""
        key = f"data.{data_file.name}"
        if key in self._created:
            return
        reader = f"{READERS[data_file.kind]}({literal(str(data_file.path.resolve()))})"
        try:
            check_complete(data_file)
            self._define_view(data_file, reader)
            self.conn.execute(f"DESCRIBE data.{quote(data_file.name)}")
        except duckdb.Error as exc:
            raise unreadable(data_file, str(exc).splitlines()[0]) from exc
        self._created.add(key)

    def _create_csv_view(self, data_file: DataFile, fill: bool) -> None:
        """A CSV: its Parquet copy when the cache has one, else the CSV, sniffed once; with
        ``fill`` (a query will read it) and a cache, converted first."""
        key = f"data.{data_file.name}"
        if key in self._cached:
            return
        if self.cache_dir and (parquet := cache.lookup(self.cache_dir, data_file.path)):
            self._define_view(data_file, f"read_parquet({literal(str(parquet))})")
            self._warn_about_skipped_lines(data_file, cache.skipped_lines(parquet))
            self._created.add(key)
            self._cached.add(key)
            return
        if key not in self._created:
            self._csv_readers[data_file.name] = self._sniff(data_file)
            self._define_view(data_file, self._csv_readers[data_file.name][0])
            self._created.add(key)
        if fill and self.cache_dir:
            self._convert(data_file)

    def _sniff(self, data_file: DataFile) -> tuple[str, int]:
        """DuckDB's sniffer, once: the ``read_csv(...)`` call with every option it found (so
        neither the view nor the conversion sniffs again), and the preamble lines it skips."""
        path = str(data_file.path.resolve())
        try:
            cursor = self.conn.execute(f"SELECT {', '.join(SNIFFED)} FROM sniff_csv(?)", [path])
            sniffed = dict(zip(SNIFFED, cursor.fetchone(), strict=True))
        except duckdb.Error as exc:
            raise unreadable(data_file, str(exc).splitlines()[0]) from exc
        names = [column["name"] for column in sniffed["Columns"]]
        if len(names) == 1 and any(c in names[0] for c in ",;\t"):
            # DuckDB's sniffer gives up on ragged rows by taking each line as one value
            raise unreadable(data_file, "its rows have different numbers of fields")
        self._warn_about_skipped_lines(data_file, sniffed["SkipRows"])
        return csv_reader(path, sniffed), sniffed["SkipRows"]

    def _convert(self, data_file: DataFile) -> None:
        """Convert the CSV to Parquet in the cache (once) and point its view at the copy."""
        assert self.cache_dir is not None
        reader, skipped = self._csv_readers[data_file.name]
        progress = ui.make_progress(transient=True)
        progress.disable = not ui.console.is_terminal  # no bar in a log or a pipe
        with progress:
            task = progress.add_task(f"data/{data_file.path.name} to Parquet (once)",
                                     total=100, status="", visible=False)

            def show(percent: float) -> None:
                progress.update(task, completed=percent, visible=True)

            try:
                parquet = cache.convert(self.cache_dir, data_file.path, reader, skipped, show)
            except duckdb.Error as exc:
                raise unreadable(data_file, str(exc).splitlines()[0]) from exc
            except cache.ChangedWhileReading as exc:
                raise UserError(f"data/{data_file.path.name}: changed while it was being read",
                                hint="run the query again once the file is complete") from exc
        if parquet is not None:  # None: the cache cannot be written; the view reads the CSV
            self._define_view(data_file, f"read_parquet({literal(str(parquet))})")
        self._cached.add(f"data.{data_file.name}")

    def _define_view(self, data_file: DataFile, reader: str) -> None:
        self.conn.execute(
            f"CREATE OR REPLACE VIEW data.{quote(data_file.name)} AS SELECT * FROM {reader}")

    def _warn_about_skipped_lines(self, data_file: DataFile, skipped: int) -> None:
        """DuckDB's sniffer may take leading lines for a preamble and drop them: say so."""
        if skipped:
            self.catalog.warnings.append(
                f"data/{data_file.path.name}: the first {skipped} line(s) did not look like the "
                "rest and were skipped as a preamble; check the file if they were data")

    def _create_once(self, key: str, statement: str) -> None:
        if key not in self._created:
            self.conn.execute(statement)
            self._created.add(key)

    def _fill(self, table: str, columns: list[Column]) -> None:
        """Copy one store table into DuckDB, one chunk (a typed DataFrame) at a time."""
        store = self._store_connection()
        try:
            for rows in read_store_table(store, table, columns):
                chunk = chunk_frame(rows, columns)
                self.conn.register("_chunk", chunk)
                self.conn.execute(f"INSERT INTO store.{quote(table)} SELECT * FROM _chunk")
                self.conn.unregister("_chunk")
        except (sqlite3.Error, duckdb.Error) as exc:
            raise UserError(f"{self.catalog.db_path}: reading table {table}: {exc}") from exc

    # -- keeping up with the store --------------------------------------------------------

    def _store_connection(self) -> sqlite3.Connection:
        if self._store is None:
            self._store = open_store_readonly(self.catalog.db_path)
            self._store_version = _data_version(self._store)
        return self._store

    def refresh_if_store_changed(self) -> None:
        """Forget what was read if another process wrote to the store since (SQLite tells us)."""
        if self._store is None or _data_version(self._store) == self._store_version:
            return
        for table in self._filled:
            self.conn.execute(f"DELETE FROM store.{quote(table)}")
        self._filled.clear()
        self._store_version = _data_version(self._store)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        if self._store is not None:
            self._store.close()


def check_complete(data_file: DataFile) -> None:
    """A JSON array must end with ``]``: DuckDB reads a half-written one without a word."""
    if data_file.kind != "json":
        return
    with data_file.path.open("rb") as handle:
        head = handle.read(64).lstrip()[:1]
        handle.seek(max(0, data_file.path.stat().st_size - 64))
        tail = handle.read().rstrip()[-1:]
    if head == b"[" and tail != b"]":
        raise unreadable(data_file, "the JSON array is cut short (no closing ']')")


def unreadable(data_file: DataFile, why: str) -> UserError:
    return UserError(f"data/{data_file.path.name}: cannot be read as "
                     f"{data_file.kind.upper()}: {why}", hint="fix or remove the file")


def chunk_frame(rows: list[tuple[object, ...]], columns: list[Column]) -> pd.DataFrame:
    """Rows as a DataFrame with one explicit dtype per column, so DuckDB never has to guess."""
    import pandas as pd

    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pd.DataFrame({
        c.name: pd.array(list(v), dtype=PANDAS_DTYPES[c.type])
        for c, v in zip(columns, values, strict=True)
    })


def _data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]
