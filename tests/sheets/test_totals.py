"""Totals and subtotals found from the numbers: one small sheet per rule, built at test time.

A *total* is a row or column the sheet marks as one in two ways that agree (the table's first
row, a label beginning "Total", numbers summing the rows above, a "Total" heading over the
columns it sums, a row of 100s heading its shares); a *subtotal* has one sign only (a group's
heading row that adds up its group, an "All industries" row of rates). Both are `is_total`.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from gaffertape.sheets import api
from gaffertape.sheets.detect import detect
from gaffertape.sheets.grid import from_rows
from gaffertape.sheets.roles import cell_roles


def _row_roles(rows: list[list[object]]) -> dict[str, str]:
    """Row label -> the role of the row's first number."""
    grid = from_rows(rows, source="t", sheet="s")
    roles = cell_roles(grid, detect(grid))
    return {str(row[0]): roles[(r, 1)] for r, row in enumerate(rows)
            if row and (r, 1) in roles and roles[(r, 0)] == "row_label"}


def _tidy(tmp_path: Path, rows: list[list[object]]):  # type: ignore[no-untyped-def]
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / "t.xlsx")
    return api.tidy_file(tmp_path / "t.xlsx")


GROUPS: list[list[object]] = [
    ["Shipments"], ["Industry", 2005, 2006, 2007],
    ["All manufacturing", 100, 110, 121], [],
    ["Durable goods", 60, 66, 72], ["Wood", 25, 27, 30], ["Metals", 35, 39, 42], [],
    ["Nondurable goods", 40, 44, 49], ["Food", 30, 33, 37], ["Paper", 10, 11, 12]]


def test_a_groups_heading_row_is_a_subtotal(tmp_path: Path) -> None:
    """'Durable goods' adds up its group but nothing else says so: a subtotal; 'All
    manufacturing', the first row, over both groups: the total. Both are is_total."""
    roles = _row_roles(GROUPS)
    assert roles["All manufacturing"] == "total"
    assert roles["Durable goods"] == roles["Nondurable goods"] == "subtotal"
    assert roles["Wood"] == "data"
    data = _tidy(tmp_path, GROUPS)
    assert set(data.loc[data["is_total"], "row_header"]) == {
        "All manufacturing", "Durable goods", "Nondurable goods"}


def test_a_total_closing_its_group_and_a_row_of_rates(tmp_path: Path) -> None:
    """'Services, total' sums the rows above it: a total. 'All industries' says all but its
    numbers are rates that sum nothing: a subtotal, still is_total."""
    rows: list[list[object]] = [
        ["Output"], ["Industry", 2005, 2006],
        ["Farms", 5, 6], ["Mines", 7, 8],
        ["Banks", 20, 22], ["Shops", 30, 31], ["Services, total", 50, 53],
        ["All industries", 3.1, 3.4], ["Schools", 9, 10]]
    roles = _row_roles(rows)
    assert roles["Services, total"] == "total"
    assert roles["All industries"] == "subtotal"
    assert roles["Farms"] == roles["Schools"] == "data"
    data = _tidy(tmp_path, rows)
    assert set(data.loc[data["is_total"], "row_header"]) == {"Services, total",
                                                             "All industries"}


def test_a_row_of_hundreds_heads_its_shares(tmp_path: Path) -> None:
    """'Floor area 100' over size bands that round to 101 and an average among them: the base
    of a percentage distribution, a total, though its block does not add up."""
    rows: list[list[object]] = [
        ["New houses, percent"], ["Characteristic", 1990, 2000],
        ["Total houses (1,000)", 900, 1100], [],
        ["Floor area", 100, 100], ["Under 1,200", 36, 21], ["1,200 to 1,599", 28, 29],
        ["1,600 and over", 37, 51], ["Average (sq ft)", 1500, 1740], [],
        ["Bedrooms", 100, 100], ["2 or less", 13, 17], ["3 or more", 87, 83]]
    roles = _row_roles(rows)
    assert roles["Floor area"] == roles["Bedrooms"] == "total"
    assert roles["Under 1,200"] == roles["Average (sq ft)"] == "data"


def test_total_columns_skip_suppressed_cells_and_nest(tmp_path: Path) -> None:
    """'Total' sums 'Married: Total' and the columns after its parts; a suppressed "(D)"
    leaves only its own row unchecked. A 'Total' beside no parts it sums stays data."""
    rows: list[list[object]] = [
        ["Households, percent"],
        ["Year", "Total", "Married", None, None, "Single", "Other"],
        [None, None, "Total", "With children", "Without", None, None]]
    rows += [[1990 + i, 100, 60 - i, 30, 30 - i, 25 + i, 15] for i in range(4)]
    rows += [[1995, 100, 55, "(D)", "(D)", 30, 15]]
    rows += [[], ["Sales"], ["Item", "Total", 2006, 2007]]
    rows += [[f"Item {i}", 50 + i, i + 1, 2 * i + 5] for i in range(4)]
    data = _tidy(tmp_path, rows)
    totals = data[data["is_total"]]
    assert set(totals["column_header"]) == {"Total", "Married | Total"}
    assert set(totals["table"]) == {0} and len(totals) == 10
