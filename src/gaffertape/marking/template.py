"""The third marker's fill-in workbook, in exactly the format ``gaffertape sites post`` reads.

Sheet 1, ``third marks`` (the sheet ``sites post`` reads): one row per flagged script, columns
``pi``, ``course``, one per category (named as in the mark scheme), ``comments``. Only the mark
and comment cells can be edited (the sheet is protected, without a password, so nobody types
over a PI by accident); each mark cell refuses a number outside 0..category maximum, and its
note shows the first and second marks.

Sheet 2, ``earlier marks`` (protected): both markers' names, marks per category, totals, the
signed difference and the reasons, for reference while marking. It sits on its own sheet
because ``sites post`` would read any extra column on sheet 1 as a category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.export import export_workbook
from gaffertape.marking.charts import number
from gaffertape.marking.scheme import MarkScheme

MARKS_SHEET, EARLIER_SHEET = "third marks", "earlier marks"


def template_tables(flags: pd.DataFrame, roles: pd.DataFrame,
                    scheme: MarkScheme) -> dict[str, pd.DataFrame]:
    """The two sheets as DataFrames: blank third marks, and the earlier marks beside them."""
    names = [c.name for c in scheme.categories]
    blank = flags[["pi", "course"]].copy()
    for name in [*names, "comments"]:
        blank[name] = pd.Series([None] * len(blank), dtype=object)
    earlier = flags[["pi", "course", "first_marker", "second_marker"]].merge(
        roles, on=["course", "pi"], suffixes=("", "_r"))
    columns = {"pi": "pi", "course": "course", "first_marker": "first marker",
               "second_marker": "second marker"}
    for name in names:
        columns[f"first:{name}"] = f"first: {name}"
        columns[f"second:{name}"] = f"second: {name}"
    shown = earlier[list(columns)].rename(columns=columns)
    info = flags.set_index(["course", "pi"]).loc[list(zip(earlier["course"], earlier["pi"],
                                                          strict=True))]
    shown["first_pct"] = info["first_pct"].to_numpy()
    shown["second_pct"] = info["second_pct"].to_numpy()
    shown["second_minus_first_pct"] = (info["second_pct"] - info["first_pct"]).to_numpy()
    shown["reasons"] = info["reasons"].to_numpy()
    return {MARKS_SHEET: blank, EARLIER_SHEET: shown}


def _protect(book: Any, tables: dict[str, pd.DataFrame], scheme: MarkScheme) -> None:
    """Lock everything but the mark and comment cells; validate marks; note earlier marks."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    marks, earlier = book[MARKS_SHEET], book[EARLIER_SHEET]
    rows = len(tables[MARKS_SHEET])
    by_pi = tables[EARLIER_SHEET].set_index(["course", "pi"])
    fill = PatternFill("solid", fgColor="FFF8DC")
    for offset, cat in enumerate(scheme.categories, start=3):
        check = DataValidation(type="decimal", operator="between", formula1="0",
                               formula2=f"{cat.max:g}", allow_blank=True, showErrorMessage=True,
                               errorTitle="Mark out of range",
                               error=f"{cat.name}: a mark from 0 to {cat.max:g}.",
                               promptTitle=cat.name, prompt=f"0 to {cat.max:g}",
                               showInputMessage=True)
        marks.add_data_validation(check)
        for row in range(2, rows + 2):
            cell = marks.cell(row=row, column=offset)
            check.add(cell)
            key = (marks.cell(row=row, column=2).value, marks.cell(row=row, column=1).value)
            before = by_pi.loc[key]
            cell.comment = Comment(
                f"first {number(before[f'first: {cat.name}'])}, second "
                f"{number(before[f'second: {cat.name}'])} (max {cat.max:g})", "gaffertape")
    editable = range(3, 3 + len(scheme.categories) + 1)  # the marks, then comments
    for row in range(2, rows + 2):
        for column in editable:
            cell = marks.cell(row=row, column=column)
            cell.protection = Protection(locked=False)
            cell.fill = fill
    marks.column_dimensions[get_column_letter(editable[-1])].width = 40  # room to write
    for sheet in (marks, earlier):
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False  # widths may still be changed


def write_template(flags: pd.DataFrame, roles: pd.DataFrame, scheme: MarkScheme,
                   dest: Path) -> Path:
    """Write the fill-in workbook for ``flags`` (usually the flagged scripts) to ``dest``."""
    tables = template_tables(flags, roles, scheme)
    return export_workbook(tables, dest, finish=lambda book: _protect(book, tables, scheme))
