"""`gaffertape sql` starts light: heavy libraries are imported only by what needs them.

Start-up is most of a query's time once a CSV has its Parquet copy (docs/sql.md, "Speed"), so
this holds the lazy imports in place; the time itself is measured in benchmarks/sql_speed.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

from gaffertape.cli import CAPABILITY_GROUPS
from gaffertape.workspace import Workspace

HEAVY = ("pandas", "numpy", "sqlglot", "keyring", "plotly", "dash", "pyspark", "openpyxl")

CHECK = """
import sys
from gaffertape.cli import main
sys.argv = ["gaffertape", "-w", sys.argv[1], "sql", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
print("loaded:", *sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def loaded(workspace: Workspace, *args: str) -> tuple[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(heavy=HEAVY), str(workspace.root), *args],
        capture_output=True, text=True, timeout=120)
    line = next(ln for ln in result.stderr.splitlines() if ln.startswith("loaded:"))
    return result.stdout, line.split()[1:]


def test_a_csv_query_imports_no_heavy_library(sql_workspace: Workspace) -> None:
    out, heavy = loaded(sql_workspace, "select sum(score) as s from grades_2024", "-f", "csv")
    assert out.splitlines() == ["s", str(sum(40 + i * 3 for i in range(12)))]
    assert heavy == []


def test_pandas_comes_in_only_when_a_result_needs_it(sql_workspace: Workspace) -> None:
    _, heavy = loaded(sql_workspace, "select count(*) as n from marks", "-f", "json")
    assert heavy == ["numpy", "pandas"]  # the store table is read in typed DataFrame chunks


def test_help_still_lists_every_group() -> None:
    result = subprocess.run([sys.executable, "-m", "gaffertape", "--help"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "200"})
    for group in ["init", "sql", "tables", "login", *CAPABILITY_GROUPS]:
        assert f" {group} " in result.stdout, group
