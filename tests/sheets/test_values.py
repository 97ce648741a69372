import pytest

from gaffertape.sheets.values import is_numeric_like, is_year, parse_value


@pytest.mark.parametrize(("raw", "number", "flag"), [
    ("12.3*", 12.3, "*"), ("[x]", None, "[x]"), ("..", None, ".."), ("-", None, "-"),
    ("N/A", None, "N/A"), ("1,234", 1234.0, ""), ("3.4 [r]", 3.4, "[r]"), (7, 7.0, ""),
    ("2005 \\1", 2005.0, "\\1"), ("Maths", None, "text"), (None, None, ""),
    ("x", None, "x"), ("X", None, "text"),
])
def test_parse_value_keeps_the_marker(raw: object, number: float | None, flag: str) -> None:
    assert parse_value(raw) == (number, flag)


def test_numeric_like_and_years() -> None:
    assert is_numeric_like("[c]") and is_numeric_like(3.0) and not is_numeric_like("Total")
    assert is_year(1998.0) and is_year("2000 \\1") and not is_year(12.5) and not is_year("x")


def test_array_parse_agrees_with_parse_value() -> None:
    """The observations' values and flags are parsed array-wise (Grid.numbers, flags_of), and
    the detector's kinds made with them: each cell must come out as parse_value, is_year and
    is_numeric_like say, whatever its type."""
    import datetime
    import math

    import numpy as np

    from gaffertape.sheets.grid import from_cells
    from gaffertape.sheets.values import EMPTY, NUMBER, TEXT, YEAR, cell_types, flags_of

    raw = ["12.3*", "1,234", "[x]", "..", "Total", " ", 7, 2.5, True, datetime.date(2020, 1, 2),
           "(12)", "45%", -3, 0.0, "2015", None, np.float64(1.5), "1999", 2000, 1850.5, "x"]
    cells = np.empty(len(raw), dtype=object)
    cells[:] = raw
    flags = flags_of(cells, cell_types(cells))
    grid = from_cells(cells[None].copy(), source="s", sheet="t", merged=[])
    for value, number, flag, kind in zip(raw, grid.numbers[0].tolist(), flags.tolist(),
                                         grid.kinds[0].tolist(), strict=True):
        expected, expected_flag = parse_value(value)
        assert (math.isnan(number) if expected is None else number == expected), value
        assert flag == expected_flag, value
        blank = value is None or (isinstance(value, str) and not value.strip())
        assert kind == (EMPTY if blank else YEAR if is_year(value)
                        else NUMBER if is_numeric_like(value) else TEXT), value


def test_grid_numbers_parse_only_numeric_cells_and_miss_nothing() -> None:
    """Grid.numbers parses only the cells whose kind is numeric; it must equal parsing every
    cell (labels, markers, blanks, years, booleans, dates)."""
    import datetime

    import numpy as np

    from gaffertape.sheets.grid import from_cells
    from gaffertape.sheets.values import parse_value

    raw = [["Total", "12.3*", "  ", "..", True], [2015, "2016", "(3)", datetime.date(2020, 1, 2),
                                                  "x"], ["", None, 4.5, "N/A", "1,234"]]
    cells = np.empty((3, 5), dtype=object)
    cells[:] = raw
    grid = from_cells(cells.copy(), source="s", sheet="t", merged=[])
    expected = [[np.nan if n is None else n for n, _ in map(parse_value, row)] for row in raw]
    assert np.array_equal(grid.numbers, expected, equal_nan=True)
    assert np.count_nonzero(~np.isnan(grid.numbers)) == 6
