from pathlib import Path

from gaffertape.sheets import api
from gaffertape.sheets.readers import read_grids
from gaffertape.sheets.records import records_grid


def test_key_value_listing_becomes_one_row_per_record(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("Name: Ann\nAge: 31\nTown: Leeds\nName: Bob\nAge: 42\nTown: York\n",
                    encoding="utf-8")
    grid = records_grid(read_grids(path)[0])
    assert grid is not None and grid.values[0] == ["Name", "Age", "Town"]
    data = api.tidy(path)
    assert set(data["row_header"]) == {"Ann", "Bob"}
    assert data.set_index("cell").loc["A5", "value"] == 42.0  # points at the original cell
    (table,) = api.wide(data).values()
    assert table.to_dict("records") == [{"row_header": "Ann", "Age": 31.0, "Town": "Leeds"},
                                        {"row_header": "Bob", "Age": 42.0, "Town": "York"}]


def test_ordinary_two_column_table_is_not_a_listing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Region,Count\nNorth,1\nSouth,2\nEast,3\nWest,4\n", encoding="utf-8")
    assert records_grid(read_grids(path)[0]) is None
