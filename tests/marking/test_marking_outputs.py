"""Files written: script reports with static charts, the board pack (HTML + PDF), the main job's
``write_reports`` from the store, exports and the CLI. One browser-backed test keeps this fast."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from gaffertape.cli import app
from gaffertape.export import export_table, export_workbook
from gaffertape.marking import api, charts
from gaffertape.marking.api import Marking
from gaffertape.workspace import Workspace

from .conftest import long_marks

SCRIPTS = {
    "A0000001": {"first": [6] * 5, "second": [6, 5, 3, 6, 6], "third": [6, 6, 5, 6, 6]},
    "A0000002": {"first": [2] * 5, "second": [1, 1, 0, 1, 1]},
    "A0000003": {"first": [4] * 5, "second": [4] * 5},
}


@pytest.fixture
def data() -> Marking:
    return Marking.from_marks(long_marks(SCRIPTS))


def test_charts_show_every_marker_and_the_grade_boundaries(data: Marking) -> None:
    _, table = api.report.script_report(*data.script("A0000001"), data.scheme)
    dodged = charts.category_chart(table, "t")
    assert dodged.layout.barmode == "group"
    assert [t.name for t in dodged.data] == ["first marker", "second marker", "third marker"]
    stacked = charts.totals_chart(table, data.scheme, "t")
    assert stacked.layout.barmode == "stack" and len(stacked.data) == 5
    assert sorted(s.x0 for s in stacked.layout.shapes) == [40, 55, 70, 85]
    third = api.report.script_report(*data.script("A0000003"), data.scheme)[1]
    two = charts.category_chart(third, "")
    assert len(two.data) == 2  # no third marker: no third bar


def test_script_charts_fix_their_margins_only_where_the_labels_fit(data: Marking) -> None:
    """Fixed margins save Plotly a second layout; labels that might not fit keep growing ones."""
    table = api.report.script_report(*data.script("A0000001"), data.scheme)[1]
    for spec in (charts.category_spec(table, "t"), charts.totals_spec(table, data.scheme, "t")):
        assert spec["layout"]["margin"]["autoexpand"] is False
    wordy = table.assign(category=[f"Critical evaluation of sources, part {i}"
                                   for i in range(len(table))])
    for spec in (charts.category_spec(wordy, "t"), charts.totals_spec(wordy, data.scheme, "t")):
        assert "autoexpand" not in spec["layout"]["margin"]


def test_static_reports_and_board_pack(data: Marking, tmp_path) -> None:
    written = api.write_script_reports(data, ["A0000001"], tmp_path / "scripts", ("png", "svg"))
    names = sorted(p.name for p in written)
    assert names == ["categories.png", "categories.svg", "report.html", "totals.png", "totals.svg"]
    assert all(p.stat().st_size > 1000 for p in written)
    totals = tmp_path / "scripts" / "TM470-25J_A0000001" / "totals.png"
    assert totals.read_bytes()[:4] == b"\x89PNG"
    html_path, pdf_path = api.write_board(data, tmp_path)
    board = html_path.read_text()
    assert board.count("<section") == 2 and board.count("Plotly.newPlot(") == 4
    assert "TM470-25J A3:" not in board
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf_path.read_bytes())
    assert len(pages) == 3  # the cover, then one page per flagged script


def test_write_reports_from_the_store(tmp_path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    store = workspace.store
    if "marks" not in set(store.tables()["table"]):  # the sites migration may not exist yet
        with store.connect() as conn:
            conn.execute("CREATE TABLE marks (course TEXT, pi TEXT, role TEXT, marker TEXT,"
                         " category TEXT, mark REAL, comments TEXT)")
    store.write_df("marks", long_marks(SCRIPTS))
    summary = api.write_reports(workspace)
    assert summary["scripts"] == 3 and summary["flagged"] == 2 and summary["agreed"] == 1
    assert summary["needs_third_marker"] == ["A0000002"]
    folder = workspace.reports_dir / "marking"
    assert sorted(p.name for p in folder.iterdir()) == [
        "cohort_categories.csv", "cohort_category_disagreement.png", "cohort_charts.html",
        "cohort_first_vs_second.png", "cohort_marker_distribution.png", "cohort_markers.csv",
        "cohort_scripts.csv", "third_marking.csv"]
    stored = store.query_df("SELECT pi, status, final_pct FROM marking_flags ORDER BY pi")
    assert stored["status"].tolist() == ["third marked", "needs third marker", "agreed"]
    api.write_reports(workspace)  # a rerun replaces, never duplicates
    assert len(store.query_df("SELECT * FROM marking_flags")) == 3


def test_store_without_marks_table_says_what_to_do(tmp_path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    with workspace.store.connect() as conn:
        conn.execute("DROP TABLE IF EXISTS marks")
    with pytest.raises(api.UserError, match="no marks table yet"):
        api.load(workspace=workspace)


def test_exports_csv_and_xlsx(data: Marking, tmp_path) -> None:
    export_table(data.flags, tmp_path / "f.csv")
    export_table(data.flags, tmp_path / "f.xlsx")
    export_workbook(api.cohort_report(data), tmp_path / "cohort.xlsx")
    assert len(pd.read_csv(tmp_path / "f.csv")) == 3
    assert len(pd.read_excel(tmp_path / "f.xlsx", engine="calamine")) == 3
    sheets = pd.ExcelFile(tmp_path / "cohort.xlsx", engine="calamine").sheet_names
    assert sheets == ["scripts", "categories", "markers"]
    with pytest.raises(api.UserError, match="only export"):
        export_table(data.flags, tmp_path / "f.json")


def test_cli_flags_report_cohort_feedback(tmp_path) -> None:
    marks = tmp_path / "marks.csv"
    long_marks(SCRIPTS).to_csv(marks, index=False)
    runner = CliRunner()
    base = ["--workspace", str(Workspace.init(tmp_path / "ws").root), "marking"]
    result = runner.invoke(app, [*base, "flags", "--from", str(marks), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "A0000002" in result.stdout and "A0000003" not in result.stdout.split("Marking flags")[0]
    result = runner.invoke(app, [*base, "report", "A0000002", "--from", str(marks),
                                 "--formats", ""])
    assert result.exit_code == 0, result.output
    assert "totals differ by 16.4 percentage points" in result.stdout
    result = runner.invoke(app, [*base, "cohort", "--from", str(marks), "--xlsx"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ws" / "reports" / "marking" / "cohort.xlsx").exists()
    result = runner.invoke(app, [*base, "feedback", "--from", str(marks)])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "ws" / "reports" / "marking" / "feedback").glob("*.md"))) == 3


def test_cli_bad_input_is_a_user_error(tmp_path) -> None:
    marks = tmp_path / "marks.csv"
    df = long_marks(SCRIPTS)
    df.loc[3, "mark"] = 9
    df.to_csv(marks, index=False)
    Workspace.init(tmp_path / "ws")
    result = CliRunner().invoke(app, ["--workspace", str(tmp_path / "ws"), "marking", "flags",
                                      "--from", str(marks)])
    assert isinstance(result.exception, api.UserError)
    assert "marks.csv row 5: mark 9 above maximum 8 for 'Evaluation'" in str(result.exception)


def test_workspace_config_tweaks_the_rules(tmp_path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    (workspace.root / "scheme.toml").write_text("[scheme]\nfinal_rule = 'closest_original'\n")
    workspace.config_path.write_text(
        '[marking]\nscheme_file = "scheme.toml"\n'
        "[marking.scheme.rules]\nthreshold_pct = 2\n")
    workspace = Workspace.open(workspace.root)
    scheme = api.scheme_for(workspace)
    # the file wins over the inline table when both are given
    assert scheme.final_rule.value == "closest_original" and scheme.rules.threshold_pct == 15
    workspace.config_path.write_text("[marking.scheme.rules]\nthreshold_pct = 2\n")
    data = api.load(long_marks(SCRIPTS), workspace=Workspace.open(workspace.root))
    assert data.scheme.rules.threshold_pct == 2
    assert data.flags.set_index("pi").loc["A0000003"].status == "agreed"  # identical marks


def test_cli_rejects_unknown_chart_format(tmp_path) -> None:
    Workspace.init(tmp_path / "ws")
    result = CliRunner().invoke(app, ["--workspace", str(tmp_path / "ws"), "marking", "report",
                                      "A0000001", "--formats", "gif"])
    assert isinstance(result.exception, api.UserError)


def test_cli_scheme_board_and_write_reports(tmp_path) -> None:
    marks = tmp_path / "marks.csv"
    long_marks(SCRIPTS).to_csv(marks, index=False)
    runner = CliRunner()
    base = ["--workspace", str(Workspace.init(tmp_path / "ws").root), "marking"]
    result = runner.invoke(app, [*base, "scheme"])
    assert result.exit_code == 0, result.output
    assert '"final_rule": "third"' in result.stdout
    result = runner.invoke(app, [*base, "board", "--from", str(marks), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ws" / "reports" / "marking" / "board.html").exists(), result.output
    result = runner.invoke(app, [*base, "write-reports"])  # the store has no marks yet
    assert isinstance(result.exception, api.UserError)
    assert "marks table" in str(result.exception)
