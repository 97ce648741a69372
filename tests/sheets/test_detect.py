from pathlib import Path

from gaffertape.sheets.detect import detect
from gaffertape.sheets.grid import from_rows
from gaffertape.sheets.readers import read_grids
from gaffertape.sheets.roles import cell_roles
from gaffertape.sheets.tidy import observations


def test_compound_table_parts(compound_xlsx: Path) -> None:
    grid = read_grids(compound_xlsx)[0]
    (table,) = detect(grid).tables
    assert table.header_rows == [2, 3]
    assert table.label_cols == [0] and table.data_cols == [1, 2, 3, 4]
    assert table.section_rows == [4, 8]
    assert table.total_rows == [7]
    assert table.title == "Table 1: Students by subject"
    assert table.notes.startswith("Source:")


def test_several_tables_per_sheet(two_tables_xlsx: Path) -> None:
    layout = detect(read_grids(two_tables_xlsx)[0])
    assert [t.header_rows for t in layout.tables] == [[1], [7]]
    assert [t.title for t in layout.tables] == ["Table A", "Table B"]


def test_year_header_and_year_labels() -> None:
    grid = from_rows([["Table 9. Things"], [], ["Item", "1990", "2000"], [],
                      ["1980", "1", "2"], ["1985", "3", "4"]])
    (table,) = detect(grid).tables
    assert table.header_rows == [2] and table.label_cols == [0]


def test_cell_roles(compound_xlsx: Path) -> None:
    grid = read_grids(compound_xlsx)[0]
    roles = cell_roles(grid, detect(grid))
    assert roles[(0, 0)] == "title" and roles[(3, 1)] == "header"
    assert roles[(5, 0)] == "row_label" and roles[(5, 1)] == "data"
    assert roles[(7, 1)] == "total" and roles[(4, 0)] == "subtable" and roles[(12, 0)] == "note"


def test_any_grid_gives_observations() -> None:
    """The detector and tidy step run on an in-memory grid (as for benchmark corpora)."""
    grid = from_rows([["", "Men", "Women"], ["Maths", "10", "[c]"]], sheet="S")
    data = observations(grid, detect(grid))
    assert list(data["cell"]) == ["B2", "C2"]
    assert list(data["flags"]) == ["", "[c]"] and data["value"].iloc[0] == 10.0


def test_run_whose_numbers_all_stand_in_label_columns_is_no_table() -> None:
    """A short data run whose only number falls in what the detector takes for a label
    column ('Mean | Date: | 02 | Median') has no body: it is left outside the tables instead
    of stopping the whole file with a ValueError (found by comparing detectors on random
    grids)."""
    grid = from_rows([["A", 2001, None, 2001], ["Mean", "Date:", "02", "Median"],
                      [None, 2001, 2001, None], [None] * 4, [None] * 4, ["B", 1, 100, 3.5],
                      ["Men", 100, "..", 2001], ["A", 1, 2, 100], ["A", 2001, None, 3.5],
                      ["Total", 1, 2001, 2001]])
    layout = detect(grid)
    assert all(table.body_rows for table in layout.tables)
    data = observations(grid, layout)
    assert "B6" in set(data["cell"]) and set(cell_roles(grid, layout))


def test_a_thousand_tables_side_by_side_are_each_found() -> None:
    """1,100 small tables in one band, each after an empty column. Splitting them recursed
    once per table (past Python's limit of 1,000) and was cubic in the columns (300 of them
    took 39 s, 1,200 over 5 minutes); and sharing headers compared every table with every
    earlier one. (A guard against a hang, not a timing: the figure is in the commit.)"""
    blocks = 1_100
    header: list[object] = []
    rows: list[list[object]] = [[] for _ in range(3)]
    for b in range(blocks):
        header += ["Region", 2019, None]
        for r, row in enumerate(rows):
            row += [f"N{r}", b + r, None]
    layout = detect(from_rows([header, *rows], sheet="Band"))
    assert len(layout.tables) == blocks
    assert [t.label_cols for t in layout.tables[:2]] == [[0], [3]]
    assert layout.tables[-1].data_cols == [3 * blocks - 2]
