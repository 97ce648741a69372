from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from gaffertape.cli import app
from gaffertape.store import Store
from gaffertape.workspace import Workspace

runner = CliRunner()


def test_tidy_to_parquet_csv_and_store(compound_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "data.parquet"
    ws = Workspace.init(tmp_path / "ws").root
    result = runner.invoke(app, ["-w", str(ws), "sheets", "tidy", str(compound_xlsx),
                                 "--out", str(out), "--store"])
    assert result.exit_code == 0, result.output
    parquet = duckdb.read_parquet(str(out)).df()
    assert len(parquet) == 19
    columns = {"source_file", "cell", "row_header", "column_header", "value", "value_flags"}
    assert columns <= set(parquet)
    store = Store(ws / "gaffertape.db")
    assert store.query_df("select count(*) n from sheet_observations")["n"][0] == 19
    again = runner.invoke(app, ["-w", str(ws), "sheets", "tidy", str(compound_xlsx), "--store"])
    assert again.exit_code == 0
    assert store.query_df("select count(*) n from sheet_observations")["n"][0] == 19


def test_folder_run_reports_bad_file_and_exits_non_zero(compound_xlsx: Path,
                                                        tmp_path: Path) -> None:
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0 not really an encrypted file")
    out = tmp_path / "all.csv"
    result = runner.invoke(app, ["sheets", "tidy", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 1
    assert len(pd.read_csv(out)) == 19


def test_a_detector_bug_on_one_file_fails_that_file_only(compound_xlsx: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception nobody foresaw (a layout that trips a bug, as the min() of no rows once
    did) is that file's one-line error: the folder run writes the other files and exits 1."""
    from gaffertape.sheets import api

    detect = api.detect

    def trips_on_the_copy(grid):  # type: ignore[no-untyped-def]
        if "copy" in grid.source:
            raise ValueError("min() arg is an empty sequence")
        return detect(grid)

    monkeypatch.setattr(api, "detect", trips_on_the_copy)
    (tmp_path / "copy.xlsx").write_bytes(compound_xlsx.read_bytes())
    out = tmp_path / "all.csv"
    result = runner.invoke(app, ["sheets", "tidy", str(compound_xlsx), str(tmp_path / "copy.xlsx"),
                                 "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 19
    assert "copy.xlsx: could not be tidied (ValueError: min() arg is an empty sequence)" in (
        result.output.replace("\n", " "))
    assert "Traceback" not in result.output


def test_inspect_and_wide(compound_xlsx: Path, tmp_path: Path) -> None:
    html = tmp_path / "view.html"
    result = runner.invoke(app, ["sheets", "inspect", str(compound_xlsx), "--html", str(html)])
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert 'class="header"' in page and 'class="subtable"' in page
    folder = tmp_path / "w"
    result = runner.invoke(app, ["sheets", "wide", str(compound_xlsx), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "w").glob("*.csv"))) == 1


def test_clashing_keys_are_reported_and_shown(tmp_path: Path) -> None:
    """Two rows with the same label under the same headers cannot be told apart: the run warns
    naming file, sheet and table, and the inspector outlines the clashing cells."""
    path = tmp_path / "clash.csv"
    path.write_text("Region,Count\nNorth,1\nSouth,2\nNorth,3\n", encoding="utf-8")
    result = runner.invoke(app, ["sheets", "tidy", str(path), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    assert "clash.csv (sheet 'clash', table 0): 2 observation(s) share a key" in " ".join(
        result.output.split())
    html = tmp_path / "view.html"
    result = runner.invoke(app, ["sheets", "inspect", str(path), "--html", str(html)])
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert page.count('class="data clash"') == 2 and "share a key" in page


def test_identifiable_table_gives_no_warning(compound_xlsx: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["sheets", "tidy", str(compound_xlsx), "--out",
                                 str(tmp_path / "o.csv")])
    assert result.exit_code == 0 and "share a key" not in result.output
