from pathlib import Path

import duckdb
import pandas as pd
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
