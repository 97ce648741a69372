"""Every SQL dialect difference, in one place: sqlglot reads DuckDB's SQL and writes Spark's.

Users, documented views and tests all write DuckDB SQL. For Spark, each query is parsed once with
sqlglot, the schema-qualified names ``store.x`` and ``data.x`` become the flat temporary-view
names Spark can hold (``store__x``, ``data__x``: Spark's temporary views cannot live in a
schema), and the tree is written back out as Spark SQL (quoting, functions, ``NULLS LAST``
ordering, ``GROUP BY ALL`` and so on are sqlglot's job).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from gaffertape.errors import UserError

SCHEMAS = ("store", "data")


def referenced_names(query: str) -> set[tuple[str, str]] | None:
    """(schema, name) of every table a query names; None when sqlglot cannot parse it.

    sqlglot only parses: unlike binding the query in DuckDB, nothing runs and no file is read.
    """
    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return None
    return {(table.db.lower(), table.name.lower()) for table in tree.find_all(exp.Table)
            if table.name}


def spark_view_name(schema: str, name: str) -> str:
    """The Spark temporary view that stands for ``schema.name``."""
    return f"{schema}__{name}" if schema in SCHEMAS else name


def to_spark(query: str) -> str:
    """A DuckDB-dialect query as Spark SQL."""
    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise UserError(f"SQL error: cannot translate the query for Spark: {exc}",
                        hint="check it runs with --engine duckdb first") from exc
    for table in tree.find_all(exp.Table):
        schema = table.db.lower()
        if schema in SCHEMAS:
            table.set("this", exp.to_identifier(spark_view_name(schema, table.name.lower())))
            table.set("db", None)
    return tree.sql(dialect="spark")
