from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.sheets import api


def test_long_form_of_compound_table(compound_xlsx: Path) -> None:
    data = api.tidy(compound_xlsx)
    assert list(data.columns) == api.OUTPUT_COLUMNS
    first = data.iloc[0]
    assert (first["cell"], first["row_header"], first["column_header"], first["sub_table"],
            first["value"]) == ("B6", "Maths", "2016 | Men", "Full-time", 10.0)
    flagged = data.set_index("cell")
    assert flagged.loc["E6", "value_flags"] == "[x]" and pd.isna(flagged.loc["E6", "value"])
    assert flagged.loc["C7", "value"] == 12.5 and flagged.loc["C7", "value_flags"] == "*"
    assert set(data["sub_table"]) == {"Full-time", "Part-time"}
    assert data.loc[data["row_header"] == "Total", "is_total"].all()
    assert data["table_title"].eq("Table 1: Students by subject").all()


def test_wide_pivots_back(compound_xlsx: Path) -> None:
    (table,) = api.wide(api.tidy(compound_xlsx)).values()
    assert list(table.columns[:2]) == ["sub_table", "row_header"]
    assert "2017 | Women" in table.columns and len(table) == 5


def test_folder_with_a_bad_file_carries_on(compound_xlsx: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip at all")
    result = api.tidy_files([tmp_path])
    assert result.files == 2 and len(result.data) > 0
    assert list(result.errors) == [str(tmp_path / "broken.xlsx")]
    assert "broken.xlsx" in result.errors[str(tmp_path / "broken.xlsx")]
    with pytest.raises(UserError, match="1 of 2"):
        api.tidy(tmp_path)


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        api.tidy_file(tmp_path / "nope.xlsx")
    with pytest.raises(UserError, match="not a spreadsheet"):
        api.tidy_file(tmp_path / "notes.txt")


def test_csv_and_ffill(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("Quarter,Month,Output\n1st,Jan,3.5\n,Feb,1.2\n2nd,Apr,1.1\n", encoding="utf-8")
    data = api.tidy(path)
    assert list(data["row_header"]) == ["1st | Jan", "1st | Feb", "2nd | Apr"]
    assert list(data["column_header"].unique()) == ["Output"]


def test_enormous_file_is_refused_before_reading(compound_xlsx: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from gaffertape.sheets import readers

    monkeypatch.setattr(readers, "MAX_CELLS", 10)
    with pytest.raises(UserError, match=r"sheet 'Data'\): refused: .*65 cells \(limit 10\)"):
        api.tidy_file(compound_xlsx)


def test_encrypted_looking_file_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UserError, match=r"locked\.xlsx: cannot read") as info:
        api.tidy_file(path)
    assert "password-protected" in (info.value.hint or "")


def test_array_wise_row_paths_match_the_row_walk() -> None:
    """The fast path (labels filled down within sub-tables) must agree with the general walk."""
    import random

    from gaffertape.sheets.detect import detect
    from gaffertape.sheets.grid import from_rows
    from gaffertape.sheets.tidy import _label_cells, _label_texts, _nested_paths, _row_paths

    rng = random.Random(7)
    for _ in range(200):
        rows: list[list[object]] = [["Title"], [None, "A", "B"]]
        codes = rng.random() < 0.3  # a first column naming each row, one row without
        for n in range(rng.randint(2, 12)):
            if rng.random() < 0.2:
                rows.append([rng.choice(["Full-time", "Part-time:", "All"])])
            else:
                first = (f"c{n}" if n != 3 else None) if codes else rng.choice([None, "x1", "y2"])
                labels = [first, rng.choice([None, "p", 2012.0])]
                rows.append([*labels, rng.random(), rng.choice([1.5, "[x]", None])])
        grid = from_rows(rows)
        for table in detect(grid).tables:
            body = np.array(sorted(set(table.body_rows) - set(table.section_rows)), dtype=int)
            labels = _label_cells(grid, table, body)
            fast = [list(part) for part in _row_paths(grid, table, body, labels)]
            walk = [list(part) for part in _nested_paths(grid, table, body, _label_texts(labels))]
            assert fast == walk


def test_indent_style_hints_nest_row_labels() -> None:
    """A reader's indent hints (not leading spaces) nest a row under the one above it."""
    from gaffertape.sheets.detect import detect
    from gaffertape.sheets.grid import from_rows
    from gaffertape.sheets.tidy import observations

    grid = from_rows([["Spending by area"], [None, "2019", "2020"], ["Health", 10.0, 12.0],
                      ["Hospitals", 6.0, 7.0], ["Clinics", 4.0, 5.0], ["Education", 8.0, 9.0],
                      ["Schools", 8.0, 9.0]])
    grid.indent = {(3, 0): 1, (4, 0): 1, (6, 0): 1}
    data = observations(grid, detect(grid))
    assert data.drop_duplicates("row_header")["row_header"].tolist() == [
        "Health", "Health | Hospitals", "Health | Clinics", "Education", "Education | Schools"]
