"""Every SQL dialect difference, in one place: sqlglot reads DuckDB's SQL and writes Spark's.

Which tables a query names is read with DuckDB's own parser (``json_serialize_sql``: a parse, no
binding), the parser that will run the query; sqlglot, which costs a third of a second to import,
is loaded only to translate for Spark.

Users, documented views and tests all write DuckDB SQL. For Spark, each query is parsed once with
sqlglot, the schema-qualified names ``store.x`` and ``data.x`` become the flat temporary-view
names Spark can hold (``store__x``, ``data__x``: Spark's temporary views cannot live in a
schema), and the tree is written back out as Spark SQL (quoting, functions, ``NULLS LAST``
ordering, ``GROUP BY ALL`` and so on are sqlglot's job).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb

from gaffertape.errors import UserError

SCHEMAS = ("store", "data")


def referenced_names(query: str) -> set[tuple[str, str]] | None:
    """(schema, name) of every table a query names; None when it is not a SELECT DuckDB can parse.

    DuckDB's parser only parses here: nothing is bound, run or read. A name that is a CTE comes
    back too, which is harmless (the catalog does not know it). With None the engine prepares
    every name; a query that does not parse fails on its own, with DuckDB's message.
    """
    with duckdb.connect(config=NO_EXTENSION_DOWNLOADS) as conn:
        tree = json.loads(conn.execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0])
    if tree.get("error"):
        return set() if tree.get("error_type") == "parser" else None
    return {(node.get("schema_name", "").lower(), node["table_name"].lower())
            for node in _nodes(tree) if node.get("type") == "BASE_TABLE" and node.get("table_name")}


NO_EXTENSION_DOWNLOADS = {"autoinstall_known_extensions": False,
                          "autoload_known_extensions": False}


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a parse tree, depth first."""
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value)


def spark_view_name(schema: str, name: str) -> str:
    """The Spark temporary view that stands for ``schema.name``."""
    return f"{schema}__{name}" if schema in SCHEMAS else name


def to_spark(query: str) -> str:
    """A DuckDB-dialect query as Spark SQL."""
    import sqlglot
    from sqlglot import exp

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
