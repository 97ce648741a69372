"""SQLite access with versioned migrations and DataFrame helpers."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from gaffertape.errors import UserError

if TYPE_CHECKING:  # imported where DataFrames are made: opening a workspace must stay light
    import pandas as pd

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema step, from a file ``NNNN_name.sql`` in ``gaffertape/store/migrations``."""

    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """All migrations shipped with the package, in version order."""
    found = []
    for entry in resources.files("gaffertape.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {versions}")
    return found


class Store:
    """The workspace database. Cheap to construct; each ``connect()`` opens a connection.

    ``readonly`` (a workspace the user cannot write to) opens it with SQLite's read-only URI,
    so queries still work; ``immutable`` as well when even its folder is read-only, where
    SQLite could not create the WAL's shared-memory file.
    """

    def __init__(self, db_path: Path | str, *, readonly: bool = False) -> None:
        self.db_path = Path(db_path)
        self.readonly = readonly

    def _open(self) -> sqlite3.Connection:
        if not self.readonly:
            return sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        folder_writable = os.access(self.db_path.parent, os.W_OK)
        flags = "mode=ro" if folder_writable else "mode=ro&immutable=1"
        uri = f"{self.db_path.resolve().as_uri()}?{flags}"
        return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and rolls back on error."""
        conn = self._open()
        try:
            conn.row_factory = sqlite3.Row
            if not self.readonly:
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.db_path}: database error: {exc}", hint=self._hint(exc)) from exc
        finally:
            conn.close()

    def _hint(self, exc: sqlite3.DatabaseError) -> str:
        text = str(exc).lower()
        if self.readonly or "readonly" in text or "read-only" in text:
            return ("the workspace is read-only: queries work, changes need write permission "
                    f"(chmod u+w {self.db_path.parent} {self.db_path})")
        if "locked" in text or "busy" in text:
            return "another gaffertape run is writing to the workspace: wait for it and retry"
        if "malformed" in text or "not a database" in text:
            return "the store looks corrupt: restore a backup, or `gaffertape init` a fresh one"
        return "see the message above; rerun with --debug for details"

    def migrate(self) -> list[Migration]:
        """Apply every bundled migration not yet applied; return the ones applied now."""
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        applied_now = []
        with self.connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in bundled_migrations():
                if migration.version in done:
                    continue
                for statement in _split_sql(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat()),
                )
                applied_now.append(migration)
        return applied_now

    def schema_version(self) -> int:
        """The highest applied migration version (0 for an empty database)."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT name FROM sqlite_master WHERE name = 'schema_migrations'"
            ).fetchone()
            if row is None:
                return 0
            return conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
            ).fetchone()[0]

    def query_df(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> pd.DataFrame:
        """Run a query and return the result as a DataFrame."""
        with self.connect() as conn:
            try:
                cursor = conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise UserError(
                    f"SQL error: {exc}", hint="check the query against `gaffertape tables`"
                ) from exc
            columns = [d[0] for d in cursor.description or ()]
            import pandas as pd

            return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)

    def write_df(
        self,
        table: str,
        df: pd.DataFrame,
        *,
        replace_where: str | None = None,
        params: Sequence[object] = (),
    ) -> int:
        """Insert DataFrame rows into an existing table, in one transaction.

        ``replace_where`` deletes the matching rows first, so a rerun replaces its own earlier
        output instead of duplicating it. Column names must match the table's.
        """
        import pandas as pd

        columns = list(df.columns)
        placeholders = ", ".join("?" for _ in columns)
        quoted = ", ".join(f'"{c}"' for c in columns)
        rows = [tuple(None if pd.isna(v) else v for v in row) for row in df.itertuples(index=False)]
        with self.connect() as conn:
            if replace_where is not None:
                conn.execute(f'DELETE FROM "{table}" WHERE {replace_where}', params)
            conn.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})', rows)
        return len(rows)

    def tables(self) -> pd.DataFrame:
        """Every user table with its row count."""
        with self.connect() as conn:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                    " AND name NOT LIKE '%_fts%' ORDER BY name"
                )
            ]
            counts = [conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names]
        import pandas as pd

        return pd.DataFrame({"table": names, "rows": counts})


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (complete_statement understands triggers)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
