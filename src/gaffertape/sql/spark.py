"""The Spark engine: the same names and queries as DuckDB, on Apache Spark through pyspark.

``--engine spark --master local[1]`` runs Spark inside this machine (tests, benchmarks);
``--master spark://host:7077`` sends the work to a cluster. The catalog and the plan are the
ones DuckDB uses (:mod:`gaffertape.sql.catalog`); queries are translated once by
:mod:`gaffertape.sql.dialect`. Store tables are read here, read-only, and shipped to Spark as
DataFrames: the store is a small SQLite file beside the user, whereas big data belongs in
``data/`` files, which Spark's executors read themselves, so on a cluster the data folder must be
at the same path on every worker (a shared volume, as in docker-compose.yml).

Spark needs Java 17 (Debian: ``apt-get install openjdk-17-jre-headless``).
"""

from __future__ import annotations

import contextlib
import shutil
import warnings
from typing import Any

import duckdb
import pandas as pd

from gaffertape.errors import UserError
from gaffertape.sql.catalog import (
    Catalog,
    Column,
    DataFile,
    Step,
    open_store_readonly,
    read_store_table,
    view_sql,
)
from gaffertape.sql.dialect import referenced_names, spark_view_name, to_spark
from gaffertape.sql.guard import check_read_only, sql_error

SPARK_TYPES = {"BIGINT": "bigint", "INTEGER": "int", "SMALLINT": "smallint",
               "TINYINT": "tinyint", "DOUBLE": "double", "FLOAT": "float", "VARCHAR": "string",
               "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp", "BLOB": "binary"}


def spark_session(master: str = "local[1]") -> Any:
    """The process's Spark session for ``master`` (started once; later calls reuse it)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UserError("the Spark engine needs pyspark",
                        hint="pip install 'gaffertape[spark]'") from exc
    if shutil.which("java") is None:
        raise UserError("the Spark engine needs Java 17",
                        hint="Debian/Ubuntu: apt-get install openjdk-17-jre-headless")
    builder = (
        SparkSession.builder.master(master)
        .appName("gaffertape sql")
        .config("spark.ui.enabled", "false")
        .config("spark.log.level", "FATAL")  # errors reach the user as one line from here
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "false")  # no pyarrow needed
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "4")  # 200 suits a cluster
    try:
        return builder.getOrCreate()
    except Exception as exc:  # py4j / JVM start-up failures have no common base class
        raise UserError(f"Spark did not start at {master}: {str(exc).splitlines()[0]}",
                        hint="check the master URL and that Java 17 is installed") from exc


class SparkEngine:
    """Spark temporary views over one workspace's catalog, in a session of their own."""

    def __init__(self, catalog: Catalog, master: str = "local[1]") -> None:
        self.catalog = catalog
        # a new session shares the running Spark but not its temporary views
        self.spark = spark_session(master).newSession()
        self._created: set[str] = set()

    def query(self, query: str) -> pd.DataFrame:
        check_read_only(query)
        names = referenced_names(query)
        self.prepare(self.catalog.every_name() if names is None else names)
        translated = to_spark(query)
        try:
            frame = self.spark.sql(translated)
            with warnings.catch_warnings():  # pyspark on pandas 3 warns; tests hold the results
                warnings.simplefilter("ignore")
                return frame.toPandas()
        except Exception as exc:  # pyspark's AnalysisException, ParseException, ...
            raise sql_error(RuntimeError(_first_line(str(exc))), query) from exc

    def columns(self) -> dict[str, list[str]]:
        self.prepare(self.catalog.every_name())
        found = {}
        for schema, name in sorted(self.catalog.every_name()):
            view = spark_view_name(schema, name)
            found[f"{schema}.{name}" if schema else name] = self.spark.table(view).columns
        return found

    def prepare(self, names: Any) -> None:
        for step in self.catalog.plan(names):
            key = f"{step.kind}:{step.name}"
            if key in self._created:
                continue
            if step.kind == "store":
                self._store_view(step.name, self.catalog.store_tables[step.name])
            elif step.kind == "data":
                self._data_view(self.catalog.data_files[step.name])
            else:
                self._sql_view(step)
            self._created.add(key)

    def _store_view(self, table: str, columns: list[Column]) -> None:
        schema = ", ".join(f"`{c.name}` {SPARK_TYPES[c.type]}" for c in columns)
        with contextlib.closing(open_store_readonly(self.catalog.db_path)) as store:
            rows = [row for chunk in read_store_table(store, table, columns) for row in chunk]
        frame = self.spark.createDataFrame(rows, schema=schema)
        frame.createOrReplaceTempView(spark_view_name("store", table))

    def _data_view(self, data_file: DataFile) -> None:
        """A data file read by Spark with DuckDB's reading of it (header, delimiter, types)."""
        path = str(data_file.path.resolve())
        reader = self.spark.read
        if data_file.kind == "parquet":
            frame = reader.parquet(path)
        else:
            columns, options = duckdb_reading(data_file)
            schema = ", ".join(f"`{name}` {SPARK_TYPES.get(kind, 'string')}"
                               for name, kind in columns)
            frame = (reader.csv(path, schema=schema, **options) if data_file.kind == "csv"
                     else reader.json(path, schema=schema, **options))
        frame.createOrReplaceTempView(spark_view_name("data", data_file.name))

    def _sql_view(self, step: Step) -> None:
        sql = to_spark(view_sql(step))
        self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{step.name}` AS {sql}")

    def close(self) -> None:
        """Drop this engine's views; the Spark session stays up for the next query."""
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)


def duckdb_reading(data_file: DataFile) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Columns (name, DuckDB type) and Spark reader options, as DuckDB's sniffer reads the file.

    Spark has no header detection and infers other types than DuckDB; asking DuckDB's sniffer
    once and handing Spark the answer makes both engines see the same table.
    """
    path = str(data_file.path.resolve())
    with duckdb.connect() as conn:
        if data_file.kind == "csv":
            sniff = conn.execute("SELECT Delimiter, HasHeader, Columns FROM sniff_csv(?)",
                                 [path]).fetchall()[0]
            columns = [(c["name"], c["type"]) for c in sniff[2]]
            return columns, {"sep": sniff[0], "header": bool(sniff[1])}
        described = conn.execute("DESCRIBE SELECT * FROM read_json_auto(?)", [path]).fetchall()
        with open(path, "rb") as handle:
            first = handle.read(4096).lstrip()[:1]
        return [(row[0], row[1]) for row in described], {"multiLine": first == b"["}


def _first_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[0] if lines else "Spark error"
