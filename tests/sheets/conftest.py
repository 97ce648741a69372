"""Fixture workbooks built at test time with openpyxl: small, deterministic, real files."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

# The real-data evaluations (benchmarks/sheets_realdata.py) need ../shared, so they live with
# the benchmarks, not in the package; the realdata tests import the same module.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _compound(ws: openpyxl.worksheet.worksheet.Worksheet, top: int) -> None:
    """A TEF-like compound table: title, two-level header, Full-time/Part-time blocks, notes."""
    ws.cell(top, 1, "Table 1: Students by subject")
    ws.cell(top + 2, 2, "2016")
    ws.merge_cells(start_row=top + 2, start_column=2, end_row=top + 2, end_column=3)
    ws.cell(top + 2, 4, "2017")
    ws.merge_cells(start_row=top + 2, start_column=4, end_row=top + 2, end_column=5)
    ws.cell(top + 3, 1, "Subject")
    for col, label in enumerate(["Men", "Women", "Men", "Women"], start=2):
        ws.cell(top + 3, col, label)
    rows = [("Full-time",), ("Maths", 10, 12, 11, "[x]"), ("History", 20, "12.5*", 21, 22),
            ("Total", 30, 24.5, 32, None), ("Part-time",), ("Maths", 1, 2, "..", 4),
            ("History", 5, 6, 7, 8)]
    for offset, values in enumerate(rows, start=top + 4):
        for col, value in enumerate(values, start=1):
            ws.cell(offset, col, value)
    ws.cell(top + 12, 1, "Source: test office. [x] suppressed, * estimate.")


@pytest.fixture
def compound_xlsx(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    _compound(workbook.active, 1)
    workbook.active.title = "Data"
    path = tmp_path / "compound.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def shifted_xlsx(tmp_path: Path) -> Path:
    """The same table one release later: renamed sheet, an extra title line on top."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "Renamed 2018"
    ws.cell(1, 1, "Provisional release")
    _compound(ws, 2)
    path = tmp_path / "shifted.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def two_tables_xlsx(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["Table A"])
    ws.append(["Region", "Count"])
    ws.append(["North", 1])
    ws.append(["South", 2])
    ws.append([])
    ws.append([])
    ws.append(["Table B"])
    ws.append(["Age", "Rate", "Share"])
    ws.append(["Under 18", 0.5, 10])
    ws.append(["18+", 0.7, 90])
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    return path

