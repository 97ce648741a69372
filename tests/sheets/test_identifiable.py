"""Every observation identifiable: one small workbook per layout, built at test time.

Each layout used to give observations that share a key (sheet, table, title, row header,
column header, sub-table); each test asserts the keys are unique and what they say. The tests
from ``_unique`` on (issue 10's remaining layouts) check the keys with pandas directly, not with
the package's own guard, so they also fail if the guard itself went wrong.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd

from gaffertape.sheets import api
from gaffertape.sheets.uniqueness import ambiguous, clash_warnings


def _xlsx(tmp_path: Path, rows: list[list[object]], name: str = "t.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def _identifiable(path: Path) -> pd.DataFrame:
    data = api.tidy_file(path)
    assert len(data) and not ambiguous(data).any(), data[ambiguous(data)]
    return data


def test_numeric_heading_row(tmp_path: Path) -> None:
    """Percentiles 10, 20, 30 under 'Percentiles', next to 'Median' and 'Mean' (ASHE)."""
    rows: list[list[object]] = [["Table 9: hours"], [],
                                [None, None, None, "Percentiles"],
                                ["Description", "Median", "Mean", 10, 20, 30]]
    rows += [[f"Area {i}", 37 + i, 33.1, 15, 23.5 + i, 27.8] for i in range(6)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert {"Median", "Percentiles | 10", "Percentiles | 30"} <= set(data["column_header"])
    assert len(data) == 6 * 5


def test_header_block_over_column_numbers_and_codes(tmp_path: Path) -> None:
    """Measure names, a row of column numbers, a blank row, series codes, then the data (LFS):
    one table whose columns carry the measure name and the code."""
    rows: list[list[object]] = [["A02 Labour Force Survey"],
                                [None, "Total in employment", "Unemployed", "Inactive"],
                                [None, 1, 2, 3], [], ["All persons", "MGRZ", "MGSC", "MGSI"], []]
    rows += [[f"Q{q} 2020", 100 + q, 5 + q, 40 - q] for q in range(1, 5)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all()
    assert "Total in employment | MGRZ" in set(data["column_header"])


def test_summary_rows_do_not_inherit_the_month(tmp_path: Path) -> None:
    """Year and month columns, then 'Latest three months' and '% change' rows (ONS travel)."""
    rows: list[list[object]] = [["Visits"], [None, None, "All visits"]]
    rows += [[2015 if m == "Jan" else None, m, v] for m, v in
             (("Jan", 10), ("Feb", 11), ("Mar", 12))]
    rows += [[], ["Latest three months", None, 33], ["% change", None, 5], [],
             ["Year to date", None, 33], ["% change", None, 3]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["row_header"]) == {
        "2015 | Jan", "2015 | Feb", "2015 | Mar", "Latest three months",
        "Latest three months | % change", "Year to date", "Year to date | % change"}


def test_stacked_blocks_share_the_upper_header(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Summary"], [None, "Employed", "Unemployed"],
                                ["All persons", "MGRZ", "MGSC"]]
    rows += [[f"Q{q}", 9.5 * q, q + 1] for q in range(1, 4)] + [[], []]
    rows += [["Male", "MGSE", None]]  # the second block's code row has a blank
    rows += [[f"Q{q}", 4.5 * q, q + 1] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    second = data[data["table"] == 1]
    assert set(second["column_header"]) == {"Employed | MGSE", "Unemployed"}


def test_already_tidy_table_keeps_all_its_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "tidy.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["", "OBS", "Area", "Month", "Year"])
        i = 0
        for year in (2012, 2013):
            for month in ("Jan", "Feb"):
                for area in ("Europe", "Other"):
                    writer.writerow([i, 10.5 + i, area, month, year])
                    i += 1
    data = _identifiable(path)
    assert list(data["column_header"].unique()) == ["OBS"]
    assert "0 | Europe | Jan | 2012" in set(data["row_header"])


def test_years_down_the_side_with_a_change_row(tmp_path: Path) -> None:
    """Area, then 2015 / 2016 / 'Percent change' in a Year column (US crime)."""
    rows: list[list[object]] = [["Table 2"], ["Area", "Year", "Population", "Violent crime"]]
    for area in ("Northeast", "Midwest"):
        rows += [[area, 2015, 5600, 180], [None, 2016, 5620, 178],
                 [None, "Percent change", None, -1.2]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert {"Northeast | 2015", "Midwest | Percent change"} <= set(data["row_header"])
    assert "Year" not in set(data["column_header"])


def test_parent_row_does_not_take_a_child_label(tmp_path: Path) -> None:
    rows: list[list[object]] = [[None, None, "Count"], ["North", "Leeds", 1],
                                [None, "York", 2], ["South", None, 3], [None, "Bath", 4]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert list(data["row_header"]) == ["North | Leeds", "North | York", "South", "South | Bath"]


def test_year_like_values_do_not_cut_a_long_table(tmp_path: Path) -> None:
    """Issue 8: rows whose values all look like years, inside a long run of data, stay data:
    no row is lost and the data is one table."""
    path = tmp_path / "long.csv"
    n = 20_000
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "first", "second"])
        for i in range(n):
            year_like = i % 97 == 5 or i % 97 == 6  # some adjacent, too
            writer.writerow([f"r{i}", 1990 + i % 50 if year_like else i * 3.5,
                             2001 if year_like else i % 7 + 0.25])
    data = api.tidy_file(path)
    assert len(data) == 2 * n
    assert data["table"].eq(0).all() and data["row_header"].nunique() == n


def test_total_found_from_the_numbers(tmp_path: Path) -> None:
    """'Construction type' is 100 = the sum of its parts: a total, though no label says so."""
    rows: list[list[object]] = [["Houses"], [None, 2000, 2005],
                                ["Construction type", 100, 100], ["Site built", 94, 96],
                                ["Modular", 3, 2], ["Other", 3, 2], [],
                                ["Floor area", 40, 30], ["Small", 12, 11], ["Large", 9, 8]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data.loc[data["is_total"], "row_header"]) == {"Construction type"}


def test_total_row_with_shares_beside_the_counts(tmp_path: Path) -> None:
    """'United States' over the states: its count is their sum, its share column is not (shares
    never add up), yet the whole row is a total; no label says so."""
    rows: list[list[object]] = [["Housing units"], ["State", "Units", "Detached (%)"],
                                ["United States", 600, 62.5], ["Alabama", 100, 70.1],
                                ["Alaska", 200, 55.0], ["Arizona", 300, 64.3]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data.loc[data["is_total"], "row_header"]) == {"United States"}


def test_first_row_labelled_total_something(tmp_path: Path) -> None:
    """'Total holdings' on the first row heads the rows below though they do not add up to it
    (a nested breakdown); lower down, 'Total supply' is one line of an account, not a total."""
    rows: list[list[object]] = [["Holdings"], ["Country", 2004, 2005],
                                ["Total holdings", 2560, 3317], ["Europe", 1356, 1614],
                                ["United Kingdom", 461, 544], ["Total supply", 12, 14],
                                ["Japan", 150, 160]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data.loc[data["is_total"], "row_header"]) == {"Total holdings"}


def test_total_columns_found_from_the_numbers(tmp_path: Path) -> None:
    """Columns headed 'Total': one over 'Public' and 'Private' beside it (their sum), one over
    everything on its right with the nested total in place of its parts. A 'Total' of one year
    among years sums nothing beside it and stays data."""
    rows: list[list[object]] = [["Spending"],
                                ["Year", "Total", "Schools", None, None, "Colleges"],
                                [None, None, "Total", "Public", "Private", None]]
    rows += [[1990 + i, 10 + 2 * i + 7, 10 + 2 * i, 6 + i, 4 + i, 7] for i in range(4)]
    rows += [[], ["Sales"], ["Item", "2006", "2007", "Total"]]
    rows += [[f"Item {i}", i + 1, 2 * i + 5, 13 * i + 1] for i in range(4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    totals = data[data["is_total"]]
    assert set(totals["column_header"]) == {"Total", "Schools | Total"}
    assert set(totals["table"]) == {0} and len(totals) == 8


def test_labels_on_the_right_and_headings_below(tmp_path: Path) -> None:
    """A mirrored layout (unpivotr's "right-down"): the numbers first, their row labels on the
    right (the outer label on the last row of its group), the column headings below. The sheet
    is read turned the usual way round; cells still name the real cells."""
    rows: list[list[object]] = [[1, 2, "Under 25", None], [3, 4, "25 and over", "Men"],
                                [5, 6, "Under 25", None], [7, 8, "25 and over", "Women"],
                                ["Low", "High", None, None]]
    data = _identifiable(_xlsx(tmp_path, rows))
    found = {(r.row_header, r.column_header, r.cell): r.value for r in data.itertuples()}
    assert found == {("Men | Under 25", "Low", "A1"): 1, ("Men | Under 25", "High", "B1"): 2,
                     ("Men | 25 and over", "Low", "A2"): 3, ("Men | 25 and over", "High", "B2"): 4,
                     ("Women | Under 25", "Low", "A3"): 5, ("Women | Under 25", "High", "B3"): 6,
                     ("Women | 25 and over", "Low", "A4"): 7,
                     ("Women | 25 and over", "High", "B4"): 8}


def test_labels_at_the_end_of_their_groups(tmp_path: Path) -> None:
    """unpivotr's "up-right left-down": each heading at the right end of its span, each outer
    row label on the last row of its group. Filled the usual way, "Female" would head nothing
    on its left and "Degree" would name the rows of the next group."""
    rows: list[list[object]] = [[None, None, None, "Female", None, "Male"],
                                [None, None, "Low", "High", "Low", "High"],
                                [None, "Young", 10, 20, 30, 40], ["Degree", "Old", 50, 60, 70, 80],
                                [None, "Young", 90, 11, 12, 13], ["Diploma", "Old", 14, 15, 16, 17]]
    data = _identifiable(_xlsx(tmp_path, rows))
    found = {r.value: (r.row_header, r.column_header) for r in data.itertuples()}
    assert len(found) == 16
    assert found[10] == ("Degree | Young", "Female | Low")
    assert found[70] == ("Degree | Old", "Male | Low")
    assert found[13] == ("Diploma | Young", "Male | High")


def test_qualifier_columns_become_flags(tmp_path: Path) -> None:
    """A laboratory sheet: each result followed by a qualifier code ("U" not detected, "J3"
    estimated) in a column with no heading of its own. The code is the flag of the number on
    its left, not an observation sharing that number's key."""
    rows: list[list[object]] = [[None, "Site:", "A", None, "B", None],
                                ["Parameter", "Units"],
                                ["Nitrogen", "mg/L", 3.2, None, 1.2, None],
                                ["Nitrate", "mg/L", 0.025, "U", 0.025, "U"],
                                ["Phosphorus", "mg/L", 0.04, None, 0.17, "J3"]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert len(data) == 6
    flags = {(r.row_header, r.column_header): r.value_flags for r in data.itertuples()}
    assert flags[("Nitrate | mg/L", "A")] == "U" and flags[("Phosphorus | mg/L", "B")] == "J3"
    assert flags[("Nitrogen | mg/L", "A")] == ""
    cells = api.tidy_files([tmp_path / "t.xlsx"]).per_file().iloc[0]
    assert cells["observations"] == 6 and cells["qualifier code"] == 3


def test_side_by_side_tables_are_split(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Table 9"],
                                ["Code", "Area", "Estimate", None, "Code", "Area", "Estimate"]]
    rows += [[f"UKC{i}", f"North {i}", 10 + i, None, f"UKI{i}", f"London {i}", 50 + i]
             for i in range(4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert sorted(data["table"].unique()) == [0, 1]
    assert set(data.loc[data["table"] == 1, "row_header"]) == {f"UKI{i} | London {i}"
                                                               for i in range(4)}


def test_unit_line_goes_to_the_unit_column(tmp_path: Path) -> None:
    """'thousands' alone at the far right above the headings is the unit, not a header level."""
    rows: list[list[object]] = [["1 Visits to the UK"], [None, None, None, "thousands"],
                                [None, "All visits", "Europe", "Other"]]
    rows += [[f"Q{q}", 100.5 * q, 60.25 * q, 40.25 * q] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"All visits", "Europe", "Other"}
    assert data["unit"].eq("thousands").all()


def test_footnote_markers_leave_the_labels_for_the_flags(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Visits"], [None, None, "All visits"],
                                [2015, "Mar", 12], [None, "Apr¹", "13.5*"], [None, "May†", 14]]
    data = _identifiable(_xlsx(tmp_path, rows)).set_index("row_header")
    assert (data.loc["2015 | Apr", "value_flags"] == "* ¹"
            and data.loc["2015 | May", "value_flags"] == "†")
    assert data.loc["2015 | Mar", "value_flags"] == ""


def test_footnote_markers_on_column_headings_go_to_the_flags(tmp_path: Path) -> None:
    """'Europe¹' under 'Visits (a)': the column is 'Visits | Europe', every number in it carries
    '(a) ¹'; 'Other' has only its parent's '(a)'."""
    rows: list[list[object]] = [["Visits by area"], [None, "Visits (a)", None],
                                [None, "Europe¹", "Other"], ["2015", 12, 5], ["2016", 13, 6]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"Visits | Europe", "Visits | Other"}
    flags = data.groupby("column_header")["value_flags"].agg(set).to_dict()
    assert flags == {"Visits | Europe": {"(a) ¹"}, "Visits | Other": {"(a)"}}


def test_code_list_is_keyed_by_its_codes(tmp_path: Path) -> None:
    """A classification with no numbers: division letters, then '01', '02' codes and names."""
    rows: list[list[object]] = [["Table 2. Subdivisions"], [],
                                [None, "A", "Agriculture, Forestry and Fishing"],
                                [None, None, "01", "Agriculture"],
                                [None, None, "02", "Aquaculture"],
                                [], [None, "B", "Mining"], [None, None, "06", "Coal Mining"],
                                [None, None, "07", "Oil and Gas Extraction"]]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data.set_index("row_header").loc["B | 06", "raw"] == "Coal Mining"


def test_clash_warnings_counted_per_table_match_the_whole_frame(tmp_path: Path) -> None:
    """The pipeline counts clashes per table from row and column codes (fast); it must say
    exactly what the frame-wide check says: same tables, same counts, same order. Clashes here
    come from repeated labels, repeated column headings and repeated sub-table titles."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "One"
    for row in [["Region", "Count", "Count", "Rate"], ["North", 1, 2, 3], ["South", 4, 5, 6],
                ["North", 7, 8, 9], [], [], [], ["Area", "Men", "Women"], ["Full-time"],
                ["Leeds", 1, 2], ["Leeds", 3, 4], ["Part-time"], ["Leeds", 5, 6]]:
        first.append(row)
    second = workbook.create_sheet("Two")
    for row in [["Item", "2019", "2020"], ["A", 1, 2], ["B", 3, 4], ["A", 5, 6], ["A", 7, 8]]:
        second.append(row)
    path = tmp_path / "clashes.xlsx"
    workbook.save(path)
    result = api.tidy_files([path])
    expected = clash_warnings(result.data)
    assert len(expected) >= 2 and result.warnings == expected


def test_records_with_their_dates_in_a_row_below(tmp_path: Path) -> None:
    """A table of records (ONS BOP "Records"): each record's quarter in brackets right under
    its number. The notes are that number's flags, not the next record's headings, and the
    text column "Record since" under its own heading is a column of the one table, not the
    row labels of a second table beside it."""
    rows: list[list[object]] = [
        ["Summary of statistics"],
        [None, None, "Latest", None, "Record since", None, "Record", None, "Record"],
        [None, None, "quarter", None, None, None, "highest", None, "lowest"], [],
        ["Current account"],
        ["Trade in goods", None, -29.3, None, "Largest deficit since 2019 Q3", None, 1.6, None,
         -49.4],
        [None, None, None, None, None, None, "(1981 Q1)", None, "(2019 Q1)"], [],
        ["Trade in services", None, 28.1, None, "Largest surplus since 2018 Q3", None, 28.8,
         None, 0.0],
        [None, None, None, None, None, None, "(2017 Q3)", None, "(1965 Q3)"], [],
        ["Capital account"],
        ["Capital balance", None, -0.1, None, "Largest deficit since 2019 Q4", None, 0.5, None,
         -1.6],
        [None, None, None, None, None, None, "(2007 Q4)", None, "(2006 Q2)"], []]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["table"]) == {0} and len(data) == 3 * 4
    assert set(data["sub_table"]) == {"Current account", "Capital account"}
    highest = data[data["column_header"] == "Record | highest"].set_index("row_header")
    assert highest["value"].to_dict() == {"Trade in goods": 1.6, "Trade in services": 28.8,
                                          "Capital balance": 0.5}
    assert highest["value_flags"].to_dict() == {"Trade in goods": "(1981 Q1)",
                                                "Trade in services": "(2017 Q3)",
                                                "Capital balance": "(2007 Q4)"}
    since = data[data["column_header"] == "Record since"]
    assert since["raw"].tolist()[:2] == ["Largest deficit since 2019 Q3",
                                         "Largest surplus since 2018 Q3"]


def test_first_blocks_title_above_the_headings(tmp_path: Path) -> None:
    """'Men' over the headings, 'Women' in the body: each names its own block's sub-table (not
    'Men' as the title of both). A caption ('Table 5. Men and women') stays the title."""
    block = [[f"Region {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    rows: list[list[object]] = [["Men"], ["Region", "2019", "2020"], *block, [], ["Women"],
                                *block]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data.groupby("sub_table")["value"].count().to_dict() == {"Men": 6, "Women": 6}
    assert set(data["table_title"]) == {""}
    captioned = _identifiable(_xlsx(tmp_path, [["Table 5. Men and women"], *rows[1:]], "c.xlsx"))
    assert set(captioned["table_title"]) == {"Table 5. Men and women"}
    assert set(captioned["sub_table"]) == {"", "Women"}


def test_year_heading_row_names_the_columns(tmp_path: Path) -> None:
    """Years written as numbers (2004, 2005, and "2006, estimate") head the columns: they are
    not a row of data, and every value is keyed by its year."""
    rows: list[list[object]] = [["Table 1. Sales"], [], ["Item", 2004, 2005, "2006, estimate"]]
    rows += [[f"Item {i}", 10 + i, 20 + i, 30.5 + i] for i in range(4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"2004", "2005", "2006, estimate"}
    assert len(data) == 12 and set(data["row_header"]) == {f"Item {i}" for i in range(4)}


def test_header_separated_from_the_data_by_a_blank_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Area", "Men", "Women"], []]
    rows += [[f"Area {i}", 10 + i, 20.5 + i] for i in range(4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all() and set(data["column_header"]) == {"Men", "Women"}
    assert len(data) == 8


def test_title_right_above_headings_with_an_empty_stub_stays_the_title(tmp_path: Path) -> None:
    """The sheet's first line, right over column headings whose stub cell is empty, is the
    title (it was once taken for a stub heading and lost)."""
    rows: list[list[object]] = [["Table 1. Students"], [None, "Men", "Women"]]
    rows += [[f"Area {i}", 10 + i, 20.5 + i] for i in range(4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data["table_title"].eq("Table 1. Students").all()
    assert set(data["column_header"]) == {"Men", "Women"} and len(data) == 8


def test_unit_line_under_a_title_goes_to_the_unit_column(tmp_path: Path) -> None:
    """"thousands" alone at the right, between a plain title and the headings, is the unit:
    not a level of the last column's header."""
    rows: list[list[object]] = [["Visits to the UK"], [None, None, None, "thousands"],
                                [None, "All visits", "Europe", "Other"]]
    rows += [[f"Q{q}", 100.5 * q, 60.25 * q, 40.25 * q] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"All visits", "Europe", "Other"}
    assert data["unit"].eq("thousands").all()
    assert data["table_title"].str.startswith("Visits to the UK").all()


def test_footnote_marker_in_brackets_goes_to_the_flags(tmp_path: Path) -> None:
    """"Wales (a)" is the row Wales with footnote (a), like "Apr¹" and "Total*"."""
    rows: list[list[object]] = [["Deaths"], [None, "Count"], ["England", 10], ["Wales (a)", 11],
                                ["Scotland", "12*"]]
    data = _identifiable(_xlsx(tmp_path, rows)).set_index("row_header")
    assert list(data.index) == ["England", "Wales", "Scotland"]
    assert data.loc["Wales", "value_flags"] == "(a)" and data.loc["Wales", "value"] == 11
    assert data.loc["Scotland", "value_flags"] == "*" and data.loc["England", "value_flags"] == ""


def test_unit_line_naming_the_place_too(tmp_path: Path) -> None:
    """"United Kingdom (thousands)" over the headings: the unit is thousands, and neither the
    line nor the unit becomes a level of the column headers."""
    rows: list[list[object]] = [["1 Visits"], [None, None, "United Kingdom (thousands)"],
                                [None, "Europe", "Other"]]
    rows += [[f"Q{q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert set(data["column_header"]) == {"Europe", "Other"}
    assert data["unit"].eq("thousands").all()


def test_label_columns_under_stub_headings_both_key_the_rows(tmp_path: Path) -> None:
    """"Item" and "Unit" head the two label columns: rows are keyed by both (the same item is
    counted in numbers and in percent), and the headings name no data column."""
    rows: list[list[object]] = [["Table 3. Things"], ["Item", "Unit", "2019", "2020"]]
    rows += [[f"Thing {q}", unit, 100.5 * q, 60.5 * q]
             for unit in ("Number", "Percent") for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert {"Thing 1 | Number", "Thing 1 | Percent"} <= set(data["row_header"])
    assert set(data["column_header"]) == {"2019", "2020"}
    assert data["table_title"].eq("Table 3. Things").all()


def test_stub_heading_over_the_empty_stub_is_not_part_of_the_title(tmp_path: Path) -> None:
    """"STATE" on its own row, right over the column headings' empty stub cell, heads the label
    column: the title stays the title."""
    rows: list[list[object]] = [["Table 3. Prisoners"], [], ["STATE"], [None, "Men", "Women"]]
    rows += [[f"State {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data["table_title"].eq("Table 3. Prisoners").all()
    assert set(data["column_header"]) == {"Men", "Women"} and len(data) == 6


def test_block_headings_in_the_label_column_become_the_sub_table(tmp_path: Path) -> None:
    """Stacked blocks with the same row labels, told apart only by a heading row in the label
    column ("MALE", "FEMALE"): the heading is each block's sub-table."""
    rows: list[list[object]] = [["Table 4"], ["Region", "2019", "2020"], ["MALE"]]
    rows += [[f"Region {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    rows += [["FEMALE"]] + [[f"Region {q}", 10.5 * q, 6.5 * q] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all() and len(data) == 12
    assert data.groupby("sub_table")["value"].count().to_dict() == {"FEMALE": 6, "MALE": 6}


def test_block_title_below_the_first_block(tmp_path: Path) -> None:
    """Only the second block has a title ("Women") of its own: its rows are told apart from the
    first block's by it, and the two blocks stay one table."""
    rows: list[list[object]] = [["Table 5. Men and women"], ["Region", "2019", "2020"]]
    rows += [[f"Region {q}", 100.5 * q, 60.5 * q] for q in range(1, 4)]
    rows += [[], ["Women"]] + [[f"Region {q}", 10.5 * q, 6.5 * q] for q in range(1, 4)]
    data = _identifiable(_xlsx(tmp_path, rows))
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
    data = _identifiable(_xlsx(tmp_path, rows))
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
    data = _identifiable(_xlsx(tmp_path, rows))
    assert data["table"].eq(0).all() and len(data) == 18
    assert set(data["column_header"]) == {"Men", "Women", "Rate"}


def test_item_numbers_are_row_keys(tmp_path: Path) -> None:
    """Line numbers 1, 2, 3 ... beside labels that repeat: the numbers name the rows (they are
    not values), so each row keeps a key of its own."""
    rows: list[list[object]] = [["Table 8"], ["Line", "Item", "2019", "2020"]]
    rows += [[q, "Other services", 100.5 * q, 60.5 * q] for q in range(1, 5)]
    data = _identifiable(_xlsx(tmp_path, rows))
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
    data = _identifiable(_xlsx(tmp_path, rows))
    by_cell = data.set_index("cell")["column_header"]
    assert by_cell["B4"].endswith("2009-10") and by_cell["E4"].endswith("2010-11")
    for cell, year in (("C4", "2009-10"), ("D4", "2009-10"), ("F4", "2010-11"), ("G4", "2010-11")):
        assert by_cell[cell].startswith(year + " | "), by_cell[cell]
    assert not any("FOOTNOTES" in by_cell[c] for c in ("B4", "E4", "B5", "E5"))


def test_export_with_a_metadata_preamble_and_codes(tmp_path: Path) -> None:
    """A HESA-style CSV export: "Title:", "Date:", "Filters:" lines (and the lines continuing
    them) above the table are its notes, not header levels or data; the UKPRN column is an
    identifier beside the provider names, not a value; the "Total" row with no UKPRN is
    "Total", not the last provider's code."""
    providers = "".join(f'"1000{7800 + i}","University {i}","{i},950","6,470","{i + 6},420"\n'
                        for i in range(1, 10))
    path = tmp_path / "dt051.csv"
    path.write_text(
        'Title:,"Table 1 - HE student enrolments by HE provider"\n'
        "Reference ID:,DT051 Table 1\nDate:,2024\n"
        "Filters:,Country of HE provider,All\n,Academic year,2022/23\nSearch:,\n\n\n"
        '"UKPRN","HE provider","Female","Male","Total"\n' + providers
        + '"","Total","45,855","58,230","104,085"\n', encoding="utf-8")
    data = _identifiable(path)
    assert set(data["table"]) == {0} and set(data["column_header"]) == {"Female", "Male",
                                                                        "Total"}
    assert set(data["row_header"]) == {f"1000{7800 + i} | University {i}"
                                       for i in range(1, 10)} | {"Total"}
    assert data.loc[data["row_header"] == "Total", "value"].tolist() == [45855, 58230, 104085]
    assert len(data) == 10 * 3  # no "Date: 2024" observation, no UKPRN taken for a value
