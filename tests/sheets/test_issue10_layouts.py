"""Issue 10's layouts that test_identifiable.py did not yet hold, one small workbook each, built
at test time and read through the public API (``gaffertape.tidy_sheets``).

Keys are checked here with pandas directly, not with the package's own guard, so a test
also fails if the guard itself went wrong.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from gaffertape import tidy_sheets

KEY = ["source_file", "sheet", "table", "table_title", "row_header", "column_header", "sub_table"]


def _xlsx(tmp_path: Path, rows: list[list[object]], name: str = "t.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def _unique(path: Path) -> pd.DataFrame:
    """The observations of ``path``, after checking that no two share a key."""
    data = tidy_sheets(path)
    clashing = data[data.duplicated(KEY, keep=False)]
    assert len(data) and clashing.empty, clashing[KEY]
    return data


def test_year_heading_row_names_the_columns(tmp_path: Path) -> None:
    """Years written as numbers (2004, 2005, and "2006, estimate") head the columns: they are
    not a row of data, and every value is keyed by its year."""
    rows: list[list[object]] = [["Table 1. Sales"], [], ["Item", 2004, 2005, "2006, estimate"]]
    rows += [[f"Item {i}", 10 + i, 20 + i, 30.5 + i] for i in range(4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"2004", "2005", "2006, estimate"}
    assert len(data) == 12 and set(data["row_header"]) == {f"Item {i}" for i in range(4)}


def test_header_separated_from_the_data_by_a_blank_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Area", "Men", "Women"], []]
    rows += [[f"Area {i}", 10 + i, 20.5 + i] for i in range(4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all() and set(data["column_header"]) == {"Men", "Women"}
    assert len(data) == 8


def test_title_right_above_headings_with_an_empty_stub_stays_the_title(tmp_path: Path) -> None:
    """The sheet's first line, right over column headings whose stub cell is empty, is the
    title (it was once taken for a stub heading and lost)."""
    rows: list[list[object]] = [["Table 1. Students"], [None, "Men", "Women"]]
    rows += [[f"Area {i}", 10 + i, 20.5 + i] for i in range(4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert data["table_title"].eq("Table 1. Students").all()
    assert set(data["column_header"]) == {"Men", "Women"} and len(data) == 8


def test_unit_line_under_a_title_goes_to_the_unit_column(tmp_path: Path) -> None:
    """"thousands" alone at the right, between a plain title and the headings, is the unit:
    not a level of the last column's header."""
    rows: list[list[object]] = [["Visits to the UK"], [None, None, None, "thousands"],
                                [None, "All visits", "Europe", "Other"]]
    rows += [[f"Q{q}", 100.5 * q, 60.25 * q, 40.25 * q] for q in range(1, 4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"All visits", "Europe", "Other"}
    assert data["unit"].eq("thousands").all()
    assert data["table_title"].str.startswith("Visits to the UK").all()


def test_footnote_marker_in_brackets_goes_to_the_flags(tmp_path: Path) -> None:
    """"Wales (a)" is the row Wales with footnote (a), like "Apr¹" and "Total*"."""
    rows: list[list[object]] = [["Deaths"], [None, "Count"], ["England", 10], ["Wales (a)", 11],
                                ["Scotland", "12*"]]
    data = _unique(_xlsx(tmp_path, rows)).set_index("row_header")
    assert list(data.index) == ["England", "Wales", "Scotland"]
    assert data.loc["Wales", "value_flags"] == "(a)" and data.loc["Wales", "value"] == 11
    assert data.loc["Scotland", "value_flags"] == "*" and data.loc["England", "value_flags"] == ""


def test_unit_line_naming_the_place_too(tmp_path: Path) -> None:
    """"United Kingdom (thousands)" over the headings: the unit is thousands, and neither the
    line nor the unit becomes a level of the column headers."""
    rows: list[list[object]] = [["1 Visits"], [None, None, "United Kingdom (thousands)"],
                                [None, "Europe", "Other"]]
    rows += [[f"Q{q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"Europe", "Other"}
    assert data["unit"].eq("thousands").all()


def test_label_columns_under_stub_headings_both_key_the_rows(tmp_path: Path) -> None:
    """"Item" and "Unit" head the two label columns: rows are keyed by both (the same item is
    counted in numbers and in percent), and the headings name no data column."""
    rows: list[list[object]] = [["Table 3. Things"], ["Item", "Unit", "2019", "2020"]]
    rows += [[f"Thing {q}", unit, 100.5 * q, 60.5 * q]
             for unit in ("Number", "Percent") for q in range(1, 4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert {"Thing 1 | Number", "Thing 1 | Percent"} <= set(data["row_header"])
    assert set(data["column_header"]) == {"2019", "2020"}
    assert data["table_title"].eq("Table 3. Things").all()


def test_stub_heading_over_the_empty_stub_is_not_part_of_the_title(tmp_path: Path) -> None:
    """"STATE" on its own row, right over the column headings' empty stub cell, heads the label
    column: the title stays the title."""
    rows: list[list[object]] = [["Table 3. Prisoners"], [], ["STATE"], [None, "Men", "Women"]]
    rows += [[f"State {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert data["table_title"].eq("Table 3. Prisoners").all()
    assert set(data["column_header"]) == {"Men", "Women"} and len(data) == 6


def test_block_headings_in_the_label_column_become_the_sub_table(tmp_path: Path) -> None:
    """Stacked blocks with the same row labels, told apart only by a heading row in the label
    column ("MALE", "FEMALE"): the heading is each block's sub-table."""
    rows: list[list[object]] = [["Table 4"], ["Region", "2019", "2020"], ["MALE"]]
    rows += [[f"Region {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    rows += [["FEMALE"]] + [[f"Region {q}", 10.5 * q, 6.5 * q] for q in range(1, 4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all() and len(data) == 12
    assert data.groupby("sub_table")["value"].count().to_dict() == {"FEMALE": 6, "MALE": 6}


def test_block_title_below_the_first_block(tmp_path: Path) -> None:
    """Only the second block has a title ("Women") of its own: its rows are told apart from the
    first block's by it, and the two blocks stay one table."""
    rows: list[list[object]] = [["Table 5. Men and women"], ["Region", "2019", "2020"]]
    rows += [[f"Region {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    rows += [[], ["Women"]] + [[f"Region {q}", 10.5 * q, 6.5 * q] for q in range(1, 4)]
    data = _unique(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all()
    assert data.groupby("sub_table")["value"].count().to_dict() == {"": 6, "Women": 6}


def test_indented_rows_nest_under_their_parent_not_the_row_above(tmp_path: Path) -> None:
    """US crime: an area, then its 2016 and "Percent change" rows with the area cell empty;
    indented states under their division. A state's rows nest under the division (not under
    the division's last row, "Percent change"), and its 2016 row keeps that parent too."""
    rows: list[list[object]] = [["Table 2"], ["Area", "Year", "Population", "Violent crime"]]
    for area in ("Northeast", "New England", "     Connecticut", "     Maine", "Midwest"):
        rows += [[area, 2015, 5600, 180], [None, 2016, 5620, 178],
                 [None, "Percent change", None, -1.2]]
    data = _unique(_xlsx(tmp_path, rows))
    states = {h for h in data["row_header"] if "Connecticut" in h or "Maine" in h}
    assert states == {f"New England | {state} | {year}" for state in ("Connecticut", "Maine")
                      for year in ("2015", "2016", "Percent change")}
    assert {"Northeast | 2015", "Midwest | Percent change"} <= set(data["row_header"])


def test_a_single_table_is_not_split(tmp_path: Path) -> None:
    """A spacer column between the counts and a rate, and a blank row part-way down: still one
    table, since the part on the right has no row labels of its own."""
    rows: list[list[object]] = [["Table 6"], ["Area", "Men", "Women", None, "Rate"]]
    rows += [[f"Area {q}", 100.5 * q, 60.5 * q, None, 1.5 * q] for q in range(1, 4)]
    rows += [[]] + [[f"Area {q}", 100.5 * q, 60.5 * q, None, 1.5 * q] for q in range(4, 7)]
    data = _unique(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all() and len(data) == 18
    assert set(data["column_header"]) == {"Men", "Women", "Rate"}


def test_item_numbers_are_row_keys(tmp_path: Path) -> None:
    """Line numbers 1, 2, 3 ... beside labels that repeat: the numbers name the rows (they are
    not values), so each row keeps a key of its own."""
    rows: list[list[object]] = [["Table 8"], ["Line", "Item", "2019", "2020"]]
    rows += [[q, "Other services", 100.5 * q, 60.5 * q] for q in range(1, 5)]
    data = _unique(_xlsx(tmp_path, rows))
    assert set(data["row_header"]) == {f"{q} | Other services" for q in range(1, 5)}
    assert set(data["column_header"]) == {"2019", "2020"} and len(data) == 8


def test_repeated_column_headings_are_named_by_the_column_they_follow(tmp_path: Path) -> None:
    """vaccinations.xlsx: under two title lines, after each school year, columns headed
    "FOOTNOTES" and "SURVEY TYPE" again. Each belongs to the year on its left."""
    rows: list[list[object]] = [
        [None, "School Assessment - MMR"], [None, "All kindergartners"],
        ["Names", "2009-10", "FOOTNOTES", "SURVEY TYPE", "2010-11", "FOOTNOTES", "SURVEY TYPE"],
        ["Alabama", 94.0, "*", "Census", 93.1, "**", "Census"],
        ["Alaska", 90.5, None, "Voluntary", 91.0, "*", "Census"],
        ["Arizona", 95.0, "§", "Census", 94.0, None, "Census"]]
    data = _unique(_xlsx(tmp_path, rows))
    by_cell = data.set_index("cell")["column_header"]
    assert by_cell["B4"].endswith("2009-10") and by_cell["E4"].endswith("2010-11")
    for cell, year in (("C4", "2009-10"), ("D4", "2009-10"), ("F4", "2010-11"), ("G4", "2010-11")):
        assert by_cell[cell].startswith(year + " | "), by_cell[cell]
    assert not any("FOOTNOTES" in by_cell[c] for c in ("B4", "E4", "B5", "E5"))
