"""The one writer for every export (`gaffertape.export`): what is written is what is read back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from gaffertape.export import export_table

TEXTS = ["North\x01", "tab\there", "N_x0041_", "_x005F_", "=SUM(A1:A2)", "plain", "café"]


def test_xlsx_round_trips_control_characters_and_excel_escapes(tmp_path: Path) -> None:
    """openpyxl refused control characters (and with them the whole export), and wrote a
    text reading "N_x0041_" so that Excel and python-calamine read "NA". Both are now written
    as Excel writes them; formulas still come back as text."""
    export_table(pd.DataFrame({"text\x02": TEXTS}), tmp_path / "out.xlsx")
    header, *rows = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_index(
        0).to_python()
    assert header == ["text\x02"]
    assert [row[0] for row in rows] == [*TEXTS[:4], "'=SUM(A1:A2)", "plain", "café"]
