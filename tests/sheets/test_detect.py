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
