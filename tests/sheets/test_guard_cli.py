"""The uniqueness guard as a user meets it: `gaffertape sheets tidy` in a real subprocess on a
workbook whose keys still clash. The warning is one line on stderr naming file, sheet, table
and count; nothing of it reaches stdout; the data is all written; the run succeeds."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd


def _workbook(tmp_path: Path) -> Path:
    """Sheet "Fine" is identifiable; sheet "Regions" has "North" twice under one heading."""
    workbook = openpyxl.Workbook()
    fine = workbook.active
    fine.title = "Fine"
    for row in [["Area", "Men", "Women"], ["Leeds", 1, 2], ["York", 3, 4]]:
        fine.append(row)
    regions = workbook.create_sheet("Regions")
    for row in [["Region", "Count"], ["North", 1], ["South", 2], ["North", 3]]:
        regions.append(row)
    path = tmp_path / "clashing keys.xlsx"
    workbook.save(path)
    return path


def _sheets(tmp_path: Path, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """`gaffertape sheets ...` in a real subprocess in ``tmp_path``, on a terminal this wide."""
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("GAFFERTAPE_WORKSPACE", None)
    result = subprocess.run([sys.executable, "-m", "gaffertape", "sheets", *args], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_clash_warning_is_one_line_on_stderr_and_the_data_is_all_written(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    out = tmp_path / "data.csv"
    # a narrow terminal must not wrap the warning
    result = _sheets(tmp_path, "tidy", path.name, "--out", out.name, columns=40)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: clashing keys.xlsx (sheet 'Regions', table 0): 2 observation(s) share a key "
        "with another; see `gaffertape sheets inspect` (clashing cells are outlined in red) "
        "or add a recipe"]
    assert "share a key" not in result.stdout and "warning" not in result.stdout
    data = pd.read_csv(out)
    assert len(data) == 4 + 3  # the clashing observations are kept, not dropped
    assert data.loc[data["sheet"] == "Regions", "row_header"].tolist() == ["North", "South",
                                                                         "North"]


def test_wide_warns_too_and_keeps_both_clashing_rows(tmp_path: Path) -> None:
    """`sheets wide` pivots each table: two rows with the same label must stay two rows (never
    one of them, nor their sum), and the run says they clash."""
    path = _workbook(tmp_path)
    result = _sheets(tmp_path, "wide", path.name, "--out", "wide", columns=200)
    assert "(sheet 'Regions', table 0): 2 observation(s) share a key" in result.stderr
    (regions,) = (tmp_path / "wide").glob("*Regions*.csv")
    table = pd.read_csv(regions, encoding="utf-8-sig")
    assert table["row_header"].tolist() == ["North", "South", "North"]
    assert table["Count"].tolist() == [1, 2, 3]


def test_tidy_to_stdout_is_csv_for_a_pipe(tmp_path: Path) -> None:
    """`--out -`: the observations as CSV on stdout (formula-safe, like every export), the
    warning and the summary on stderr, so `| csvlook` or `| duckdb` sees data only."""
    path = _workbook(tmp_path)
    workbook = openpyxl.load_workbook(path)
    workbook["Fine"]["A3"] = "@SUM(B2:C2)"  # a text a spreadsheet would run as a formula
    workbook.save(path)
    result = _sheets(tmp_path, "tidy", path.name, "--out", "-")
    data = pd.read_csv(io.StringIO(result.stdout))
    assert len(data) == 4 + 3 and "share a key" in result.stderr
    assert "7 observations -> stdout (CSV)" in " ".join(result.stderr.split())
    assert set(data.loc[data["sheet"] == "Fine", "row_header"]) == {"Leeds", "'@SUM(B2:C2)"}
