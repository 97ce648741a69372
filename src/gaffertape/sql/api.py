"""The Python API: ``gaffertape.sql(query) -> DataFrame``, the same engine as the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaffertape.errors import UserError
from gaffertape.sql.catalog import Catalog
from gaffertape.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    import pandas as pd

    from gaffertape.sql.duck import DuckEngine
    from gaffertape.sql.spark import SparkEngine

ENGINES = ("duckdb", "spark")


def data_dir(workspace: Workspace) -> Path:
    """The workspace's data folder: drop CSV, Parquet or JSON files here to query them."""
    return workspace.root / "data"


def catalog(workspace: Workspace) -> Catalog:
    return Catalog.scan(workspace.db_path, data_dir(workspace))


def open_engine(
    workspace: Workspace, engine: str = "duckdb", master: str | None = None, *,
    cache: bool = True,
) -> DuckEngine | SparkEngine:
    """An engine over the workspace; DuckDB in-process, or Spark at ``master``.

    ``cache``: DuckDB reads data-file CSVs from their Parquet copies in the workspace's cache,
    made on first use (see gaffertape.sql.cache); False reads the CSVs themselves.
    """
    if engine == "duckdb":
        if master:
            raise UserError("--master is for --engine spark", hint="drop --master")
        from gaffertape.sql.cache import cache_dir
        from gaffertape.sql.duck import DuckEngine

        return DuckEngine(catalog(workspace), cache_dir(workspace.root) if cache else None)
    if engine == "spark":
        from gaffertape.sql.spark import SparkEngine

        return SparkEngine(catalog(workspace), master=master or "local[1]")
    raise UserError(f"unknown engine {engine!r}", hint=f"use one of {', '.join(ENGINES)}")


def sql(
    query: str,
    *,
    workspace: Workspace | Path | str | None = None,
    engine: str = "duckdb",
    master: str | None = None,
    cache: bool = True,
) -> pd.DataFrame:
    """Run one read-only SQL query over the workspace and return the result.

    ``workspace`` defaults as on the command line (``GAFFERTAPE_WORKSPACE``, else the nearest
    folder with a ``gaffertape.toml``). Names: see ``views()`` and docs/sql.md. ``cache=False``
    reads data-file CSVs as CSV rather than from their Parquet copies.
    """
    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
    runner = open_engine(ws, engine, master, cache=cache)
    try:
        return runner.query(query)
    finally:
        runner.close()


def connect(workspace: Workspace | Path | str | None = None) -> Any:
    """A DuckDB connection holding every view, for tools that want one (JupySQL's ``%sql``).

    It is an in-memory copy, read from the store read-only: whatever a notebook does to it
    never reaches the store. Every store table is read up front, unlike ``sql()``, and every
    data/ CSV converted to its Parquet copy (once; see gaffertape.sql.cache).
    """
    from gaffertape.sql.cache import cache_dir
    from gaffertape.sql.duck import DuckEngine

    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
    engine = DuckEngine(catalog(ws), cache_dir(ws.root))
    engine.prepare(engine.catalog.every_name())
    return engine.conn


def views(workspace: Workspace | Path | str | None = None) -> pd.DataFrame:
    """Every name a query can use: documented views, store tables and data files."""
    import pandas as pd

    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
    rows = catalog(ws).describe()
    return pd.DataFrame(rows, columns=["name", "kind", "description"])
