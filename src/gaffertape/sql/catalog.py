"""What `gaffertape sql` can see: the store's tables, the documented views, the data folder's files.

The catalog is engine-neutral: DuckDB (:mod:`gaffertape.sql.duck`) and Spark
(:mod:`gaffertape.sql.spark`) both build their views from it, so the two engines expose exactly
the same names with the same columns.

Three kinds of name:

* **documented views** (:data:`VIEWS`): stable names and columns that queries, notebooks and the
  app can rely on across versions, whatever happens to the store's own tables;
* **store tables**: every table of the SQLite store, as ``store.<table>`` (and by its bare name
  when no documented view has that name); their columns follow the store's migrations;
* **data files**: each CSV, Parquet or JSON file in the workspace's ``data/`` folder, as
  ``data.<name>`` and by its bare name when nothing else has it.

The store is only ever opened read-only (SQLite ``mode=ro`` URI), so no query can change it.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gaffertape.errors import UserError

# Documented views: name -> (what it is, SQL in DuckDB's dialect over ``store.<table>``).
# The Spark engine translates the same SQL (see gaffertape.sql.dialect): one definition each.
VIEWS: dict[str, tuple[str, str]] = {
    "students": (
        "the allocation: one row per student per presentation",
        "SELECT course, pi, name, tutor_group, status, source, updated_at FROM store.students",
    ),
    "submissions": (
        "one row per student whose submission was fetched (or tried), with the files listed",
        "SELECT d.course, d.pi, d.status, d.n_files, d.zip_size, d.zip_sha256, d.error,"
        " d.attempts, d.downloaded_at, COALESCE(f.files_listed, 0) AS files_listed"
        " FROM store.downloads AS d LEFT JOIN"
        " (SELECT course, pi, COUNT(*) AS files_listed FROM store.submitted_files"
        "  GROUP BY course, pi) AS f ON f.course = d.course AND f.pi = d.pi",
    ),
    "marks": (
        "marks in long form: one row per student, marker role and category",
        "SELECT course, pi, role, marker, category, mark, comments FROM store.marks",
    ),
    "flags": (
        "the latest marking flags: one row per script (rebuilt by `gaffertape marking`)",
        "SELECT course, pi, status, flagged <> 0 AS flagged, reasons, first_pct, second_pct,"
        " third_pct, average_pct, final_pct, final_grade, final_qualifier, generated_at"
        " FROM store.marking_flags",
    ),
    "third_marks": (
        "the third marker's marks, one row per student and category",
        "SELECT course, pi, marker, category, mark, comments FROM store.marks"
        " WHERE role = 'third'",
    ),
    "sheet_observations": (
        "tidied spreadsheet cells in long form, with provenance",
        'SELECT source_file, sheet, "table", table_title, cell, row_header, column_header,'
        " sub_table, value, raw, value_flags, is_total <> 0 AS is_total, unit"
        " FROM store.sheet_observations",
    ),
}

# Store tables whose capability documents them itself: each is a view of the same name.
DOCUMENTED_PREFIXES = ("ouxml_", "demographics_")

DATA_SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".csv.gz": "csv", ".tsv.gz": "csv",
    ".parquet": "parquet",
    ".json": "json", ".jsonl": "json", ".ndjson": "json",
}

SQLITE_CASTS = {"BIGINT": "INTEGER", "DOUBLE": "REAL", "VARCHAR": "TEXT"}

_UNSAFE_NAME = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class Step:
    """One thing an engine creates: ``store``/``data`` (name), ``view`` (name, its SQL) or
    ``alias`` (bare name, ``store.x`` or ``data.x``)."""

    kind: str
    name: str
    target: str = ""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # portable type: BIGINT, DOUBLE, VARCHAR or BLOB


@dataclass(frozen=True)
class DataFile:
    name: str  # the view's name
    path: Path
    kind: str  # csv, parquet or json


@dataclass
class Catalog:
    """Every name a query can use in one workspace, found without reading any data."""

    db_path: Path
    data_dir: Path
    store_tables: dict[str, list[Column]] = field(default_factory=dict)
    views: dict[str, tuple[str, str]] = field(default_factory=dict)
    data_files: dict[str, DataFile] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def scan(cls, db_path: Path, data_dir: Path) -> Catalog:
        catalog = cls(db_path=db_path, data_dir=data_dir)
        with contextlib.closing(open_store_readonly(db_path)) as conn:
            catalog.store_tables = store_tables(conn)
        catalog.views = {
            name: view for name, view in VIEWS.items() if view_tables(view[1]) <= set(
                catalog.store_tables)
        }
        for table in catalog.store_tables:
            if table.startswith(DOCUMENTED_PREFIXES):
                catalog.views[table] = (
                    f"store table {table}, documented by its capability",
                    f'SELECT * FROM store."{table}"',
                )
        catalog.data_files, catalog.warnings = data_files(data_dir)
        return catalog

    def bare_names(self) -> dict[str, str]:
        """Unqualified name -> what it resolves to (``view``, ``store.<t>`` or ``data.<f>``).

        Documented views come first, then store tables, then data files: a data file called
        ``marks.csv`` is ``data.marks``, never a second ``marks``.
        """
        names = {name: "view" for name in self.views}
        for table in self.store_tables:
            names.setdefault(table, f"store.{table}")
        for name in self.data_files:
            names.setdefault(name, f"data.{name}")
        return names

    def plan(self, names: Iterable[tuple[str, str]]) -> list[Step]:
        """What to create, dependencies first, for a query naming ``(schema, name)`` pairs.

        Both engines follow the same plan, so they expose the same names: a store table, a data
        file, a documented view over store tables, or a bare alias of ``store.x`` / ``data.x``.
        Names the catalog does not know are left for the engine to report.
        """
        bare = self.bare_names()
        steps: list[Step] = []
        for schema, name in names:
            if schema in ("", "main") and name in bare:
                target = bare[name]
                if target == "view":
                    steps += [Step("store", t) for t in sorted(view_tables(self.views[name][1]))]
                    steps.append(Step("view", name, self.views[name][1]))
                else:
                    inner_schema, inner = target.split(".", 1)
                    steps.append(Step(inner_schema, inner))
                    steps.append(Step("alias", name, target))
            elif schema == "store" and name in self.store_tables:
                steps.append(Step("store", name))
            elif schema == "data" and name in self.data_files:
                steps.append(Step("data", name))
        return list(dict.fromkeys(steps))

    def every_name(self) -> set[tuple[str, str]]:
        names = {("", name) for name in self.bare_names()}
        names |= {("store", t) for t in self.store_tables}
        return names | {("data", f) for f in self.data_files}

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, kind, description) for every name, documented views first."""
        rows = [(name, "view", text) for name, (text, _) in self.views.items()]
        rows += [(f"store.{t}", "store table", "as in the store") for t in self.store_tables]
        rows += [
            (f"data.{f.name}", f"{f.kind} file", f"data/{f.path.name}")
            for f in self.data_files.values()
        ]
        return rows


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as an SQL string literal (for file paths, which DuckDB's DDL cannot bind)."""
    return "'" + text.replace("'", "''") + "'"


def view_sql(step: Step) -> str:
    """A view's SELECT: a documented view's own SQL, or everything from an alias's target."""
    if step.kind == "view":
        return step.target
    schema, inner = step.target.split(".", 1)
    return f"SELECT * FROM {schema}.{quote(inner)}"


def open_store_readonly(db_path: Path) -> sqlite3.Connection:
    """A read-only connection to the store: SQLite refuses every write on it."""
    if not db_path.is_file():
        raise UserError(f"{db_path}: no store here", hint="run `gaffertape init` first")
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        conn.execute("PRAGMA query_only = ON")
        return conn
    except sqlite3.Error as exc:
        raise UserError(f"{db_path}: cannot open the store read-only: {exc}") from exc


def store_tables(conn: sqlite3.Connection) -> dict[str, list[Column]]:
    """The store's ordinary tables and their columns (full-text indexes and internals left out)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE '%_fts%' ORDER BY name"
    ).fetchall()
    tables = {}
    for (name,) in rows:
        info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        tables[name] = [Column(col[1], portable_type(col[2])) for col in info]
    return tables


def portable_type(declared: str) -> str:
    """SQLite's type-affinity rules (https://sqlite.org/datatype3.html), as a portable type."""
    declared = declared.upper()
    if "INT" in declared:
        return "BIGINT"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")) or not declared:
        return "VARCHAR"
    if "BLOB" in declared:
        return "BLOB"
    return "DOUBLE"  # REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL, ...


def read_store_table(
    conn: sqlite3.Connection, table: str, columns: list[Column], chunk_rows: int = 100_000
) -> Iterator[list[tuple[object, ...]]]:
    """A store table's rows in chunks, so a big table never sits in memory twice over.

    Each value is cast to its column's declared type in SQLite, whose columns may hold any type
    in any row, so every engine gets one type per column.
    """
    selected = ", ".join(
        f'CAST("{c.name}" AS {SQLITE_CASTS[c.type]})' if c.type in SQLITE_CASTS else f'"{c.name}"'
        for c in columns
    )
    cursor = conn.execute(f'SELECT {selected} FROM "{table}"')
    while rows := cursor.fetchmany(chunk_rows):
        yield rows


def view_name(file_name: str) -> str:
    """A file's view name: its stem, lower case, runs of other characters as one ``_``."""
    stem = file_name.lower()
    for suffix in sorted(DATA_SUFFIXES, key=len, reverse=True):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    name = _UNSAFE_NAME.sub("_", stem).strip("_") or "file"
    return f"t_{name}" if name[0].isdigit() else name


def data_kind(path: Path) -> str | None:
    name = path.name.lower()
    for suffix, kind in DATA_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    return None


def data_files(data_dir: Path) -> tuple[dict[str, DataFile], list[str]]:
    """The data folder's files by view name; two files with one name get their suffix added."""
    if not data_dir.is_dir():
        return {}, []
    found = [
        (view_name(p.name), p, kind)
        for p in sorted(data_dir.iterdir())
        if p.is_file() and not p.name.startswith((".", "~$")) and (kind := data_kind(p))
    ]
    names = [name for name, _, _ in found]
    files, warnings = {}, []
    for name, path, kind in found:
        if names.count(name) > 1:
            unique = _UNSAFE_NAME.sub("_", f"{name}_{path.name.split('.', 1)[1].lower()}")
            warnings.append(f"data/{path.name}: another file is also called {name}; "
                            f"this one is {unique}")
            name = unique
        files[name] = DataFile(name, path, kind)
    return files, warnings


def view_tables(sql: str) -> set[str]:
    """The store tables a documented view reads (``store.<table>`` references)."""
    return set(re.findall(r'\bstore\."?([a-z_][a-z0-9_]*)', sql))
