"""The demographics CLI end to end in a real workspace: generate, load, charts, report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gaffertape.cli import app
from gaffertape.errors import UserError
from gaffertape.workspace import Workspace

runner = CliRunner()


@pytest.fixture(autouse=True)
def workspace_folder(tmp_path: Path) -> Path:
    """The workspace the commands run in (only `gaffertape init` creates one)."""
    return Workspace.init(tmp_path / "ws").root


def run(ws: Path, *args: str) -> object:
    return runner.invoke(app, ["-w", str(ws), "demographics", *args])


def test_generate_then_every_chart_and_the_report(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = run(ws, "generate", "--students", "4000", "--seed", "2")
    assert result.exit_code == 0, result.output
    store = Workspace.open(ws).store
    assert store.query_df("SELECT count(*) AS n FROM demographics_students")["n"][0] == 4000
    assert set(store.query_df("SELECT name FROM demographics_datasets")["name"]) == {
        "synthetic", "synthetic-comparators"}
    for command in (["grid", "--rows", "2", "--cols", "3"], ["animate"],
                    ["pyramid", "--population", "graduated", "--count"]):
        result = run(ws, *command, "--format", "html")
        assert result.exit_code == 0, result.output
    folder = ws / "reports" / "demographics"
    assert {p.name for p in folder.iterdir()} == {
        "synthetic-grid.html", "synthetic-animation.html", "synthetic-pyramid-graduated.html"}
    result = run(ws, "report")
    assert result.exit_code == 0, result.output
    report = (folder / "synthetic-report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in report and "What could not be counted" in report
    assert report.count("Plotly.newPlot") >= 4


def test_load_with_a_mapping_and_a_failed_reload_keeps_the_good_dataset(tmp_path: Path) -> None:
    ws, good = tmp_path / "ws", tmp_path / "students.csv"
    good.write_text("PI,Born,Gender,Start,End,Done\nA1,1990,F,2010,2012,yes\n"
                    "A2,1970,M,2010,,no\n", encoding="utf-8")
    mapping = ["--map", "id=PI", "--map", "birth_year=Born", "--map", "sex=Gender",
               "--map", "year_joined=Start", "--map", "year_left=End", "--map", "graduated=Done"]
    result = run(ws, "load", str(good), "--name", "inst", *mapping)
    assert result.exit_code == 0, result.output
    bad = tmp_path / "broken.csv"
    bad.write_text("PI,Born\nA1,1990\n", encoding="utf-8")
    result = run(ws, "load", str(bad), "--name", "inst", *mapping)
    assert isinstance(result.exception, UserError)  # main() prints it as one line, exit 2
    assert "broken.csv: no column 'Gender'" in result.exception.one_line()
    store = Workspace.open(ws).store
    assert store.query_df("SELECT rows FROM demographics_datasets WHERE name = 'inst'")[
        "rows"][0] == 2


def test_comparators_one_bad_file_others_saved(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    good = tmp_path / "sex.csv"
    good.write_text('Filters:,Academic year,2020/21\n\n"UKPRN","HE provider","Female","Male"\n'
                    '"1","Alpha","10","20"\n', encoding="utf-8")
    bad = tmp_path / "other.csv"
    bad.write_text("Region,Count\nNorth,5\n", encoding="utf-8")
    result = run(ws, "load", "--comparators", str(good), str(bad))
    assert result.exit_code == 1
    assert "other.csv: no counts by sex or age band" in result.output
    store = Workspace.open(ws).store
    assert store.query_df("SELECT sum(count) AS n FROM demographics_comparators")["n"][0] == 30


def test_charts_without_data_say_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "ws", "grid")
    assert isinstance(result.exception, UserError)
    assert "gaffertape demographics load" in result.exception.one_line()
