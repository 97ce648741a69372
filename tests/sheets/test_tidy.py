from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.sheets import api
from gaffertape.sheets.tidy import SEP


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


def test_enormous_file_is_refused_naming_its_extent(compound_xlsx: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from gaffertape.sheets import readers

    monkeypatch.setattr(readers, "MAX_CELLS", 10)
    with pytest.raises(UserError, match=r"sheet 'Data'\): refused: 35 cell tags, each at least "
                                        r"one cell \(limit 10\)"):
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


def _stack_walk(grid, table, body, texts):  # type: ignore[no-untyped-def]
    """The indentation walk as first written (a stack of (depth, label), filtered per row):
    the reference the bisecting walk in ``_nested_paths`` must agree with."""
    from gaffertape.sheets import tidy

    sections = sorted(set(table.section_rows))
    titles = dict(zip(sections, tidy._section_labels(grid, sections), strict=True))
    order = sorted(titles.keys() | set(table.body_rows))
    depths = tidy._indents(grid, table, order)
    resets = [r for r, depth in zip(order, depths, strict=True) if depth == 0 and r in titles]
    since = np.array([*resets, -1], dtype=np.intp)[np.searchsorted(resets, body) - 1]
    columns = tidy._carried_labels(texts, body, since)
    outline = tidy._outline_column(grid, table, order)
    owns = (columns[-1 if outline is None else outline] if columns
            else np.full(len(body), "", dtype=object)).tolist()
    continues = (texts[outline] == "").tolist() if outline is not None else [False] * len(body)
    labels = tidy._joined(columns, len(body)).tolist()
    stack: list[tuple[int, str]] = []
    sub_table, subs, paths = "", [], []
    depth, i = 0, 0
    for r, row_depth in zip(order, depths, strict=True):
        if r in titles:
            depth, label = row_depth, titles[r]
            if depth == 0:
                sub_table, stack = label, []
            else:
                stack = [*(s for s in stack if s[0] < depth), (depth, label)]
            continue
        if not continues[i]:
            depth = row_depth
        parents = [s for s in stack if s[0] < depth]
        path = [s[1] for s in parents]
        paths.append(SEP.join([*path, labels[i]] if labels[i] else path))
        subs.append(sub_table)
        if not continues[i]:
            stack = [*parents, (depth, owns[i])] if owns[i] else parents
        i += 1
    return subs, paths


def test_indented_walk_matches_the_stack_walk() -> None:
    """Indented labels, sub-table titles at any depth, rows continuing the item above and a
    second label column, at random: the walk gives what the plain stack walk gives."""
    import random

    from gaffertape.sheets.grid import from_rows
    from gaffertape.sheets.layout import Table
    from gaffertape.sheets.tidy import _label_cells, _label_texts, _nested_paths

    rng = random.Random(11)
    for _ in range(400):
        rows: list[list[object]] = [[None, None, "Value"]]
        body, sections = [], []
        for r in range(1, rng.randint(2, 30)):
            indent = " " * rng.choice([0, 0, 2, 4, 6, 3])
            if rng.random() < 0.15:
                rows.append([indent + rng.choice(["Full-time", "Part-time:", "All", ":"]),
                             None, None])
                sections.append(r)
                continue
            first = None if rng.random() < 0.2 else indent + rng.choice(["a", "b", "c", "d"])
            second = rng.choice([None, "2016", "Percent change", "x"])
            rows.append([first, second, rng.random()])
            body.append(r)
        if not body:
            continue
        grid = from_rows(rows)
        if rng.random() < 0.2:
            grid.indent = {(r, 0): rng.randint(0, 3) for r in range(1, len(rows))
                           if rng.random() < 0.5}
        table = Table(index=0, left=0, right=2, header_rows=[0], body_rows=body,
                      section_rows=sections, label_cols=rng.choice([[0], [0, 1]]),
                      data_cols=[2])
        rows_ = np.array(body, dtype=np.intp)
        texts = _label_texts(_label_cells(grid, table, rows_))
        subs, paths = _nested_paths(grid, table, rows_, texts)
        assert (subs.tolist(), paths.tolist()) == _stack_walk(grid, table, rows_, texts)


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


def test_a_files_frame_is_its_tables_frames_one_after_another() -> None:
    """to_frame builds a file's columns once for all its tables (cell references, flags and
    raw text, sub-tables, totals); each table's observations must come out as if its frame
    were built alone, whatever the tables before it hold."""
    from gaffertape.sheets.detect import detect
    from gaffertape.sheets.grid import from_rows
    from gaffertape.sheets.tidy import observation_columns, to_frame

    rng = np.random.default_rng(7)
    cells = [1.5, 2.0, 7, "[x]", "..", "12*", "3.4 (p)", None, "n/a", 40.25]
    labels = ["Wales", "England¹", "Scotland", "Total", "  Cardiff", "North (a)", "Other"]
    parts = []
    for sheet in range(40):
        rows: list[list[object]] = [[f"Table {sheet}"], [None, "2019", "2020²", "2021"]]
        for r in range(int(rng.integers(2, 9))):
            if rng.random() < 0.15:
                rows.append(["Part-time:"])
            rows.append([str(rng.choice(labels)) + f" {r}",
                         *(cells[i] for i in rng.integers(0, len(cells), 3))])
        if rng.random() < 0.5:  # a second table under the first
            rows += [[], ["Second"], [None, "Q1", "Q2"],
                     *([f"Area {r}", float(r), "[c]" if r % 2 else 2.0] for r in range(4))]
        grid = from_rows(rows, source="book.xlsx", sheet=f"S{sheet}")
        parts += observation_columns(grid, detect(grid))
    whole = to_frame(parts)
    one_by_one = pd.concat([to_frame([part]) for part in parts if len(part.value)],
                           ignore_index=True)
    assert len(whole) > 500 and whole["is_total"].any()
    assert whole["flags"].ne("").any() and whole["sub_table"].ne("").any()
    pd.testing.assert_frame_equal(whole, one_by_one)


def _told_apart_by_arrays(sub_tables: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """The array version `_rows_told_apart` replaced (kept here as the reference)."""
    groups: dict[tuple[str, str], int] = {}
    first = np.array([groups.setdefault(key, len(groups))
                      for key in zip(sub_tables.tolist(), paths.tolist(), strict=True)])
    sizes = np.bincount(first)
    if sizes.max() == 1:
        return paths
    repeated = sizes[first] > 1
    under_own = np.zeros(len(paths), dtype=bool)
    under_own[1:] = ~repeated[:-1] & (paths[:-1] != "") & (sub_tables[:-1] == sub_tables[1:])
    all_under_own = np.ones(len(sizes), dtype=bool)
    np.logical_and.at(all_under_own, first[repeated], under_own[repeated])
    fix = repeated & all_under_own[first] & (paths != "")
    told = paths.copy()
    told[fix] = paths[np.flatnonzero(fix) - 1] + SEP + paths[fix]
    return told


def test_repeated_row_labels_are_told_apart_as_the_array_version_did() -> None:
    """Random columns of sub-tables and labels (repeats, empty labels, a repeat right under
    another repeat or under an empty label, sub-tables changing between them) get the same
    row paths from `_rows_told_apart` as from the array version it replaced."""
    from gaffertape.sheets.tidy import _rows_told_apart
    from gaffertape.sheets.values import object_array

    rng = np.random.default_rng(10)
    told_some = 0
    for _ in range(3000):
        labels, subs_ = [], []
        for group in range(int(rng.integers(1, 8))):  # a parent row, then its repeated rows
            sub = str(rng.choice(["", "", "", "Full-time", "Part-time"]))
            parent = f"Group {group}" if rng.random() < 0.8 else str(rng.choice(["", "Total"]))
            children = rng.choice(["% change", "Total", ""], int(rng.integers(0, 3))).tolist()
            labels += [parent, *children]
            subs_ += [sub] * (1 + len(children))
        subs, paths = object_array(subs_), object_array(labels)
        expected = _told_apart_by_arrays(subs, paths)
        assert _rows_told_apart(subs, paths).tolist() == expected.tolist()
        told_some += expected.tolist() != paths.tolist()
    assert told_some > 100  # the random tables do exercise the telling apart
    # a repeat under an empty label is not told apart, nor are its other repeats
    paths = object_array(["A", "x", "", "x"])
    assert _rows_told_apart(object_array([""] * 4), paths).tolist() == ["A", "x", "", "x"]
    paths = object_array(["A", "x", "B", "x"])
    assert _rows_told_apart(object_array([""] * 4), paths).tolist() == [
        "A", f"A{SEP}x", "B", f"B{SEP}x"]
