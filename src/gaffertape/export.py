"""One writer for every table gaffertape exports (CSV and XLSX), safe to open in a spreadsheet.

Data comes from remote sites and user files, so any text cell may be hostile: a marker name such
as ``=HYPERLINK(...)`` would run as a live formula when the export is opened. Following the OWASP
CSV-injection guidance, every text cell that starts with ``= + - @`` (or a tab or carriage
return) is written with a leading apostrophe, which spreadsheets show as plain text. Every
capability exports through :func:`export_table` / :func:`export_workbook`, never ``to_csv`` or
``to_excel`` directly, so the rule holds everywhere.

CSV is written as UTF-8 with a byte-order mark, so Excel opens accents intact and pandas reads
it unchanged. XLSX gets a frozen bold header row, column widths that fit the data, and
percentages shown to one decimal place (columns named ``*pct*`` hold percentages, ``share*``
columns fractions shown as percentages); the stored values keep full precision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.atomic import atomic_write
from gaffertape.errors import UserError
from gaffertape.formulas import neutralise_cell

MAX_COLUMN_WIDTH = 60


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot be taken for formulas."""
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe


def export_table(df: pd.DataFrame, dest: Path | str, *, sheet_name: str = "data") -> Path:
    """Write a DataFrame as CSV or XLSX (by suffix), atomically and formula-safe."""
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix == ".xlsx":
        return export_workbook({sheet_name: df}, dest)
    if suffix != ".csv":
        raise UserError(f"{dest}: can only export .csv or .xlsx", hint="change the file suffix")
    with atomic_write(dest) as tmp:
        neutralise(df).to_csv(tmp, index=False, encoding="utf-8-sig")
    return dest


def export_workbook(tables: dict[str, pd.DataFrame], dest: Path | str, *,
                    finish: Callable[[Any], None] | None = None) -> Path:
    """Write several DataFrames as sheets of one XLSX workbook, atomically and formula-safe.

    ``finish`` gets the openpyxl workbook before it is saved, for extras such as data
    validation or sheet protection (e.g. the third-marking template).
    """
    dest = Path(dest)
    with atomic_write(dest) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, df in tables.items():
            sheet = name[:31]
            _excel_escaped(neutralise(df)).to_excel(writer, sheet_name=sheet, index=False)
            _format_sheet(writer.sheets[sheet], df)
        if finish is not None:
            finish(writer.book)
    return dest


_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")
"""Control characters an XLSX file cannot hold as they are (openpyxl refuses them, and with
them the whole export: one pasted character lost a folder's output), and the ``_`` of a text
that reads like Excel's escape for one (``_x0041_``, which Excel reads as "A")."""


def _excel_escaped(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its text written as Excel itself writes it: a control character as
    ``_x0001_``, the ``_`` starting ``_x0041_`` as ``_x005F_``, so Excel and
    python-calamine read back the text that was written."""
    def escaped(value: object) -> object:
        if isinstance(value, str) and _UNWRITABLE.search(value):
            return _UNWRITABLE.sub(lambda found: f"_x{ord(found[0]):04X}_", value)
        return value

    for column in df.columns:
        if df[column].dtype == object or pd.api.types.is_string_dtype(df[column]):
            df[column] = df[column].map(escaped)
    df.columns = [escaped(str(c)) for c in df.columns]
    return df


def number_format(column: str) -> str | None:
    """How a column's numbers are shown: percentages to one decimal place, else as stored."""
    name = column.lower()
    if name.startswith("share"):
        return "0.0%"
    if "pct" in name:
        return "0.0"
    return None


def _format_sheet(sheet: object, df: pd.DataFrame) -> None:
    """Freeze and embolden the header row and size each column to its longest value."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]
    for cell in sheet[1]:  # type: ignore[index]
        cell.font = Font(bold=True)
    for position, column in enumerate(df.columns, start=1):
        lengths = [len(str(v)) for v in df[column] if not pd.isna(v)]  # empty cells: 0
        longest = max([len(str(column)), *lengths])
        width = min(longest + 2, MAX_COLUMN_WIDTH)
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = width  # type: ignore[attr-defined]
        shown = number_format(str(column))
        if shown and pd.api.types.is_numeric_dtype(df[column]):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=position,  # type: ignore[attr-defined]
                                           max_col=position):
                cell.number_format = shown
