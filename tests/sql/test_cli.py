"""`gaffertape sql` as a user runs it: a real subprocess on a real workspace.

Every write is refused with one line and exit 2, and the store is byte-for-byte untouched.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from gaffertape.workspace import Workspace


def gaffertape(
    workspace: Workspace, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("GAFFERTAPE_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "gaffertape", "-w", str(workspace.root), "sql", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=120)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def user_data(db_path: Path) -> str:
    """A digest of every table except `runs` (each command records itself there)."""
    import sqlite3

    digest = hashlib.sha256()
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name != 'runs' ORDER BY name")]
        for table in tables:
            digest.update(table.encode())
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
        digest.update(repr(conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall())
                      .encode())
    return digest.hexdigest()


def data_files(workspace: Workspace) -> list[str]:
    """Every file but the logs (each command writes its log)."""
    return sorted(str(p) for p in workspace.root.rglob("*") if "logs" not in p.parts)


@pytest.mark.parametrize("statement", [
    "drop table students",
    "DELETE FROM marks",
    "update marks set mark = 0",
    "insert into store.students (course, pi, updated_at) values ('x', 'y', 'z')",
    "attach '{root}/gaffertape.db' as s",
    "attach '{root}/other.db' as o; create table o.t as select * from marks",
    "copy (select * from marks) to '{root}/data/leak.csv'",
    "create table data.x as select 1",
    "set enable_external_access = true",
    "install sqlite",
    "pragma enable_profiling",
    "  -- a comment\n  DrOp VIEW marks",
])
def test_every_write_is_refused_and_the_store_untouched(
    sql_workspace: Workspace, statement: str
) -> None:
    before = user_data(sql_workspace.db_path)
    files_before = data_files(sql_workspace)
    result = gaffertape(sql_workspace, statement.format(root=sql_workspace.root))
    line = one_error_line(result)
    assert "refused" in line or "statements given" in line
    assert user_data(sql_workspace.db_path) == before
    assert data_files(sql_workspace) == files_before


def test_a_select_cannot_read_files_outside_the_data_folder(sql_workspace: Workspace) -> None:
    result = gaffertape(sql_workspace, "select * from read_csv('/etc/passwd')")
    assert "disabled by configuration" in one_error_line(result)
    direct = gaffertape(sql_workspace, f"select * from read_text('{sql_workspace.db_path}')")
    assert "disabled by configuration" in one_error_line(direct)


@pytest.mark.parametrize("query", ["", "   ", ";", "-- nothing\n"])
def test_an_empty_query_is_an_error(sql_workspace: Workspace, query: str) -> None:
    line = one_error_line(gaffertape(sql_workspace, "--", query))
    assert "empty" in line or "0 statements" in line


def test_an_empty_query_on_stdin_is_an_error(sql_workspace: Workspace) -> None:
    assert "empty" in one_error_line(gaffertape(sql_workspace, stdin=""))


def test_bad_sql_is_one_line_with_the_position(sql_workspace: Workspace) -> None:
    line = one_error_line(gaffertape(sql_workspace, "select pi,\nfrom marks where"))
    assert "syntax error" in line and "(line 2, column" in line
    line = one_error_line(gaffertape(sql_workspace, "select nme from students"))
    assert '"nme" not found' in line and "(line 1, column 8)" in line
    line = one_error_line(gaffertape(sql_workspace, "select * from mark"))
    assert "(line 1, column 15)" in line and 'Did you mean "marks"' in line


def test_query_from_stdin_and_formats(sql_workspace: Workspace, tmp_path: Path) -> None:
    query = "select pi, count(*) as n from marks group by pi order by pi"
    as_csv = gaffertape(sql_workspace, "-f", "csv", stdin=query)
    assert as_csv.returncode == 0, as_csv.stderr
    frame = pd.read_csv(io.StringIO(as_csv.stdout))
    assert list(frame.columns) == ["pi", "n"] and len(frame) == 12
    assert "12 rows in" in as_csv.stderr
    as_json = gaffertape(sql_workspace, query, "-f", "json")
    assert json.loads(as_json.stdout.splitlines()[0]) == {"pi": "A1000000", "n": 9}
    table = gaffertape(sql_workspace, query)
    assert "A1000011" in table.stdout
    out = tmp_path / "result.parquet"
    assert gaffertape(sql_workspace, query, "-o", str(out)).returncode == 0
    assert duckdb.sql(f"select count(*) from '{out}'").fetchall() == [(12,)]
    assert "--out" in one_error_line(gaffertape(sql_workspace, query, "-f", "parquet"))


def test_csv_out_is_formula_safe(sql_workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = gaffertape(sql_workspace, "select '=HYPERLINK(1)' as marker", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[1] == "'=HYPERLINK(1)"


def test_a_long_result_is_cut_in_a_table_but_not_in_csv(sql_workspace: Workspace) -> None:
    query = "select range from range(1500)"
    table = gaffertape(sql_workspace, query)
    assert "showing the first 1,000 of 1,500 rows" in table.stderr
    assert len(gaffertape(sql_workspace, query, "-f", "csv").stdout.splitlines()) == 1501


def test_write_needs_confirmation(sql_workspace: Workspace) -> None:
    before = user_data(sql_workspace.db_path)
    line = one_error_line(gaffertape(sql_workspace, "delete from marks", "--write"))
    assert "needs confirmation" in line
    assert user_data(sql_workspace.db_path) == before


def test_write_with_yes_changes_the_store_in_sqlite_sql(sql_workspace: Workspace) -> None:
    result = gaffertape(sql_workspace, "delete from marks where role = 'third'", "--write", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Changed 9 rows" in result.stderr
    after = gaffertape(sql_workspace, "select count(*) as n from third_marks", "-f", "csv")
    assert after.stdout.splitlines()[1] == "0"


@pytest.mark.parametrize("statement", [
    "attach 'elsewhere.db' as e",
    "delete from no_such_table",
    "delete from marks; delete from students",
])
def test_a_failed_write_changes_nothing(sql_workspace: Workspace, statement: str) -> None:
    before = user_data(sql_workspace.db_path)
    line = one_error_line(gaffertape(sql_workspace, statement, "--write", "--yes"))
    assert "SQLite" in line
    assert user_data(sql_workspace.db_path) == before
    assert not (sql_workspace.root / "elsewhere.db").exists()
