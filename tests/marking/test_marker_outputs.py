"""What markers, course teams and award boards read (issue 11): terminal tables at 80 and 120
columns, brackets in help and hints, the board pack as printed, self-contained reports, the
third-marking workbook, feedback drafts, exports and cohort charts."""

from __future__ import annotations

import ast
import functools
import re
import shutil
import struct
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import typer.core
import typer.main
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from gaffertape import ui
from gaffertape.charts import ChartExporter
from gaffertape.cli import app, main
from gaffertape.errors import UserError
from gaffertape.export import export_table, export_workbook
from gaffertape.marking import api, charts
from gaffertape.marking.api import Marking
from gaffertape.marking.template import write_template
from gaffertape.sites.workflows.post import read_third_marks
from gaffertape.workspace import Workspace

from .conftest import CATS, long_marks


@pytest.fixture(autouse=True)
def workspace_folder(tmp_path: Path) -> Path:
    """The workspace the commands run in (only `gaffertape init` creates one)."""
    return Workspace.init(tmp_path / "ws").root


SRC = Path(__file__).resolve().parents[2] / "src" / "gaffertape"
SCRIPTS = {
    "M0227345": {"first": [6] * 5, "second": [6, 5, 3, 6, 6], "third": [6, 6, 5, 6, 6]},
    "M0227346": {"first": [2] * 5, "second": [1, 1, 0, 1, 1]},
    "M0227347": {"first": [4] * 5, "second": [4] * 5},
    "M0227348": {"first": [7, 6, 6, 7, 5], "second": [5, 4, 3, 5, 4]},
}
MARKERS = {"first": "Ann Smith", "second": "Bob Jones", "third": "Cat Lee"}


@pytest.fixture
def data() -> Marking:
    marks = long_marks(SCRIPTS, markers=MARKERS)
    marks["comments"] = marks["role"].map({
        "first": "Clear aims; the evaluation is thin.",
        "second": "Design choices are not justified against the requirements.",
        "third": "Agree with the first marker on the design."})
    return Marking.from_marks(marks)


@pytest.fixture
def marks_csv(data: Marking, tmp_path: Path) -> Path:
    path = tmp_path / "marks.csv"
    data.marks.drop(columns=["where"], errors="ignore").to_csv(path, index=False)
    return path


def _run(args: list[str], width: int, monkeypatch) -> tuple[str, str]:
    """Run the CLI with stdout and stderr consoles of ``width`` columns."""
    monkeypatch.setattr(ui, "stdout", Console(width=width))
    monkeypatch.setattr(ui, "console", Console(width=width, stderr=True))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


# --- terminal -------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 120])
def test_flags_table_keeps_pi_and_course_whole_and_says_what_it_hid(
        width, marks_csv, tmp_path, monkeypatch) -> None:
    out, err = _run(["-w", str(tmp_path / "ws"), "marking", "flags", "--from", str(marks_csv)],
                    width, monkeypatch)
    assert all(len(line) <= width for line in out.splitlines())
    for pi in ("M0227345", "M0227346", "M0227348"):
        assert re.search(rf"│ {pi} +│ TM470-25J +│", out), out  # whole, copyable, one line
    assert "straddle" in out  # plain-English reasons, not codes
    assert "pct;boundary" not in out
    if width == 120:
        assert "Ann Smith" in out and "Bob Jones" in out
    else:
        assert "--wide" in err and "--format csv" in err and "first marker" in err
    wide, _ = _run(["-w", str(tmp_path / "ws"), "marking", "flags", "--from", str(marks_csv),
                    "--wide"], width, monkeypatch)
    assert "Ann Smith" in wide and "attention" in wide


def test_print_table_fits_and_notes_hidden_columns() -> None:
    df = pd.DataFrame({"pi": ["X1234567"], "course": ["TM470-25J"], "a": ["x" * 40],
                       "b": ["y" * 40], "c": ["[sites.marks]"]})
    table, hidden = ui.render_table(df, key=("pi", "course"), width=60)
    assert hidden == ["b", "c"]
    shown = Console(width=60, record=True)
    shown.print(table)
    assert "X1234567" in shown.export_text()
    everything, none_hidden = ui.render_table(df, key=("pi",), width=None)
    console = Console(width=300, record=True)
    console.print(everything)
    assert none_hidden == [] and "[sites.marks]" in console.export_text()  # not markup


def test_cohort_tables_go_to_stdout_with_full_names(marks_csv, tmp_path, monkeypatch) -> None:
    out, err = _run(["-w", str(tmp_path / "ws"), "marking", "cohort", "--from", str(marks_csv),
                     "--formats", ""], 80, monkeypatch)
    assert "Per-category disagreement" in out and "Marker bias" in out
    assert "alpha_interval" in out and "mean_diff_pct" in out  # what matters most, at 80
    for name in [*CATS, "Ann Smith", "Bob Jones"]:
        assert name in out, name
    assert "Per-category" not in err and "Cohort" in err  # messages and summary on stderr


def _commands(group: typer.core.TyperGroup, path: list[str]):
    """Every registered command under ``group``, lazily loaded capability groups included."""
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield [*path, name], command
        if hasattr(command, "list_commands"):
            yield from _commands(command, [*path, name])


def _help_texts(command: typer.core.TyperCommand) -> list[str]:
    texts = [command.help or ""]
    texts += [getattr(p, "help", None) or "" for p in command.params]
    return texts


def test_every_help_shows_its_square_brackets(monkeypatch) -> None:
    root = typer.main.get_command(app)
    checked = 0
    walked = [([], root), *_commands(root, [])]
    assert {"marking", "sites", "sheets", "demo"} <= {p[0] for p, _ in walked if p}
    for path, command in walked:
        help_text = CliRunner().invoke(app, [*path, "--help"]).stdout
        flat = re.sub(r"[\s│]+", "", help_text)
        for text in _help_texts(command):
            for bracketed in re.findall(r"\[[^\]\\]+\]", text.replace("\\[", "[")):
                assert re.sub(r"\s+", "", bracketed) in flat, (path, bracketed)
                checked += 1
    assert checked >= 3  # [marking] in --scheme, [sites.*] hints ... (the walk found them)


def _hints() -> list[str]:
    """Every literal hint= string in the package (f-strings: their literal parts joined)."""
    hints = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for keyword in getattr(node, "keywords", []):
                if keyword.arg == "hint" and isinstance(keyword.value, ast.Constant):
                    hints.append(keyword.value.value)
                elif keyword.arg == "hint" and isinstance(keyword.value, ast.JoinedStr):
                    hints.append("X".join(v.value for v in keyword.value.values
                                          if isinstance(v, ast.Constant)))
    return hints


@pytest.mark.parametrize("hint", [h for h in _hints() if "[" in h])
def test_every_hint_shows_its_square_brackets(hint, monkeypatch, capsys) -> None:
    monkeypatch.setattr(ui, "console", Console(width=400, stderr=True))

    def fails() -> None:
        raise UserError("it went wrong", hint=hint)

    monkeypatch.setattr("gaffertape.cli.app", fails)
    with pytest.raises(SystemExit):
        main()
    assert hint in " ".join(capsys.readouterr().err.split())


# --- board pack -----------------------------------------------------------------------------


def _pdf_pages(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def test_board_pack_as_printed(data: Marking, tmp_path: Path) -> None:
    html_path, pdf_path = api.write_board(data, tmp_path)
    pages = _pdf_pages(pdf_path)
    flagged = data.flagged
    assert len(pages) == 1 + len(flagged)  # cover, then one page per flagged script
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    cover = pages[0]
    assert "Award board: 3 flagged scripts" in cover
    for row in flagged.itertuples():
        start = next(n for n, t in enumerate(pages, start=1) if f"TM470-25J {row.pi}:" in t)
        # the cover row: PI, both marks and names, signed difference, reasons, page
        diff = row.second_pct - row.first_pct
        assert re.search(rf"{row.pi} {row.first_pct:.1f}% \(Ann Smith\) {row.second_pct:.1f}% "
                         rf"\(Bob Jones\) −{abs(diff):.1f} .*? {start}\b", cover), cover
        page = pages[start - 1]
        assert f"Board decision for TM470-25J {row.pi}" in page and "Initials" in page
        assert "Clear aims; the evaluation is thin." in page  # markers' comments
        assert "Design choices are not justified" in page
    assert "6.0" not in pages[1] and "−3" in "".join(pages)  # integer marks, signed diffs
    board = html_path.read_text()
    assert board.count("<section") == 3 and "<script src" not in board


def test_board_without_chromium_says_so_and_lists_the_pack(data, tmp_path, monkeypatch) -> None:

    workspace = Workspace.init(tmp_path / "ws")
    store = workspace.store
    if "marks" not in set(store.tables()["table"]):
        with store.connect() as conn:
            conn.execute("CREATE TABLE marks (course TEXT, pi TEXT, role TEXT, marker TEXT,"
                         " category TEXT, mark REAL, comments TEXT)")
    store.write_df("marks", data.marks.drop(columns=["where"], errors="ignore"))
    monkeypatch.setattr(api, "find_chromium", lambda: None)
    summary = api.write_reports(workspace, board=True)
    assert summary["board"] == [str(workspace.reports_dir / "marking" / "board.html")]
    assert any("board.pdf skipped" in n and "apt-get" not in n and "chromium" in n
               for n in summary["notes"])
    folder = workspace.reports_dir / "marking"
    assert {"cohort_scripts.csv", "cohort_categories.csv", "cohort_markers.csv",
            "cohort_charts.html", "third_marking.csv", "board.html"} <= {
        p.name for p in folder.iterdir()}


def test_charts_keep_marker_and_category_colours_apart(data: Marking) -> None:
    _, table = api.report.script_report(*data.script("M0227345"), data.scheme)
    dodged = charts.category_chart(table, "t")
    stacked = charts.totals_chart(table, data.scheme, "t")
    role_colours = {t.marker.color for t in dodged.data}
    category_colours = {t.marker.color for t in stacked.data}
    assert role_colours == set(charts.ROLE_COLOURS.values())
    assert len(category_colours) == 5 and not role_colours & category_colours
    assert list(dodged.data[0].text) == ["6"] * 5  # integer marks, not 6.0
    totals = [a.text for a in stacked.layout.annotations if "/64" in a.text]
    assert totals == ["<b>48/64 (75.0%)</b>", "<b>39/64 (60.9%)</b>", "<b>45.5/64 (71.1%)</b>"]


# --- per-script reports ---------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("interactive", [False, True], ids=["static", "interactive"])
def test_report_is_self_contained_and_draws_offline(data: Marking, tmp_path: Path,
                                                     browser, interactive: bool) -> None:
    written = api.write_script_reports(data, ["M0227345"], tmp_path / "out", ("svg",),
                                       interactive=interactive)
    assert sorted(p.name for p in written) == ["categories.svg", "report.html", "totals.svg"]
    alone = tmp_path / "emailed" / "report.html"
    alone.parent.mkdir()
    shutil.move(str(written[0]), alone)
    text = alone.read_text()
    assert "<script src" not in text and "Clear aims" in text
    if interactive:
        assert "Plotly.newPlot(" in text and len(text) > 3_000_000  # plotly.js inline
    else:
        assert "<script" not in text and len(text) < 200_000  # the charts are inline SVG
    page = browser.new_page()
    page.route("http*://**", lambda route: route.abort())  # offline
    page.goto(alone.as_uri())
    page.wait_for_selector("svg.main-svg")
    assert page.locator("div.chart svg.main-svg").count() >= 2
    assert page.locator("g.trace.bars").count() >= 2
    page.close()


def test_reports_in_batches_give_each_script_its_own_charts(data: Marking, tmp_path: Path,
                                                            monkeypatch) -> None:
    """Eight charts drawn three at a time in two pages: every report, PNG and SVG must still be
    its own script's, and the progress bar must advance once per script, in order."""
    monkeypatch.setattr(api, "ChartExporter", functools.partial(ChartExporter, batch=3))
    updates: list[dict] = []
    make_progress = ui.make_progress

    def recording_progress(**kwargs):
        progress = make_progress(**kwargs)
        update = progress.update
        progress.update = lambda task, **kw: (updates.append(kw), update(task, **kw))[1]
        return progress

    monkeypatch.setattr(ui, "make_progress", recording_progress)
    scripts = api.select_scripts(data, "all")
    written = api.write_script_reports(data, scripts, tmp_path / "out", ("png", "svg"))
    assert len(written) == 5 * len(scripts)
    assert [(u["advance"], u["status"]) for u in updates] == [(1, pi) for _, pi in scripts]
    for course, pi in scripts:
        folder = tmp_path / "out" / f"{course}_{pi}"
        report = (folder / "report.html").read_text()
        svgs = re.findall(r'<svg class="main-svg".*?</svg>', report, re.S)
        assert [re.search(r'class="gtitle"[^>]*>([^<]*)<', svg)[1] for svg in svgs] == [
            f"{course} {pi}: marks by category", f"{course} {pi}: totals by category"]
        defs = re.findall(r'<defs id="(defs-[^"]+)"', report)
        assert len(set(defs)) == 2  # clip paths of one chart never apply to the other
        assert (folder / "categories.svg").read_text() == svgs[0]
        roles = 3 if "third" in SCRIPTS[pi] else 2
        totals = (folder / "totals.png").read_bytes()
        assert totals[:4] == b"\x89PNG" and struct.unpack(">II", totals[16:24]) == (
            900, 260 + 60 * roles)


def test_report_flagged_and_all(marks_csv, tmp_path, monkeypatch) -> None:
    base = ["-w", str(tmp_path / "ws"), "marking", "report", "--from", str(marks_csv),
            "--formats", ""]
    out, _ = _run([*base, "--flagged"], 80, monkeypatch)
    folder = tmp_path / "ws" / "reports" / "marking" / "scripts"
    reports = list(folder.glob("*/report.html"))
    assert len(reports) == 3 and "M0227347" not in out
    assert all(str(path) in out for path in reports)  # whole, even wider than the terminal
    _run([*base, "--all"], 120, monkeypatch)
    assert len(list(folder.glob("*/report.html"))) == 4
    result = CliRunner().invoke(app, [*base])
    assert isinstance(result.exception, UserError)
    _run([*base, "M0227346", "--interactive"], 120, monkeypatch)
    assert "Plotly.newPlot(" in (folder / "TM470-25J_M0227346" / "report.html").read_text()


# --- feedback -------------------------------------------------------------------------------


def test_feedback_is_provisional_until_final_and_kind_to_students(data, tmp_path) -> None:
    tmp_path = tmp_path / "drafts"  # beside the test's workspace folder
    drafts = api.write_feedback(data, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["TM470-25J_M0227345.md", "TM470-25J_M0227346_PROVISIONAL.md",
                     "TM470-25J_M0227347.md", "TM470-25J_M0227348_PROVISIONAL.md"]
    provisional = (tmp_path / "TM470-25J_M0227346_PROVISIONAL.md").read_text()
    assert provisional.splitlines()[0].startswith("PROVISIONAL")
    final = (tmp_path / "TM470-25J_M0227345.md").read_text()
    assert not final.startswith("PROVISIONAL")
    assert "Overall mark: 71% (Pass 2)." in final
    assert "Clear aims; the evaluation is thin." in final
    student_words = " ".join(drafts["draft"])
    for qualifier in ("bare", "solid", "strong"):
        assert qualifier not in student_words
    assert "Fail" not in student_words


# --- working files --------------------------------------------------------------------------


def test_third_mark_template_is_what_sites_post_reads(data: Marking, tmp_path: Path) -> None:
    dest = write_template(data.flagged, data.roles, data.scheme, tmp_path / "third.xlsx")
    book = openpyxl.load_workbook(dest)
    sheet = book["third marks"]
    assert book.sheetnames[0] == "third marks" and sheet.protection.sheet
    assert [c.value for c in sheet[1]] == ["pi", "course", *CATS, "comments"]
    assert sheet["A2"].protection.locked and not sheet["C2"].protection.locked
    assert sheet["C2"].comment.text.startswith("first ")
    rules = sheet.data_validations.dataValidation
    assert {r.formula2 for r in rules} == {"8"} and all(r.showErrorMessage for r in rules)
    earlier = book["earlier marks"]
    assert earlier.protection.sheet and earlier.max_row == 1 + len(data.flagged)
    headers = [c.value for c in earlier[1]]
    assert "first: Evaluation" in headers and "second: Evaluation" in headers
    # a third marker fills in one script; sites post reads exactly that
    sheet["C2"], sheet["D2"], sheet["E2"], sheet["F2"], sheet["G2"] = 5, 5, 4, 6, 6
    sheet["H2"] = "Agreed with the first marker."
    book.save(dest)
    entries = read_third_marks(dest)
    pi = sheet["A2"].value
    assert list(entries) == [("TM470-25J", pi)]
    assert entries[("TM470-25J", pi)]["marks"] == dict(zip(CATS, [5, 5, 4, 6, 6], strict=True))
    assert entries[("TM470-25J", pi)]["comments"] == "Agreed with the first marker."


def test_template_cli_writes_the_flagged_scripts(marks_csv, tmp_path, monkeypatch) -> None:
    _, err = _run(["-w", str(tmp_path / "ws"), "marking", "template", "--from", str(marks_csv)],
                  120, monkeypatch)
    frame = pd.read_excel(tmp_path / "ws" / "reports" / "marking" / "third_marks.xlsx",
                          engine="calamine")
    assert len(frame) == 3 and "sites post" in err


def test_exports_format_percentages_and_keep_accents(tmp_path: Path) -> None:
    df = pd.DataFrame({"marker": ["Zoë Brontë"], "first_pct": [71.09375],
                       "share_flagged": [0.25]})
    export_table(df, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(tmp_path / "x.csv")["marker"][0] == "Zoë Brontë"
    export_workbook({"t": df}, tmp_path / "x.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx")["t"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet["B2"].number_format == "0.0" and sheet["C2"].number_format == "0.0%"
    assert sheet["B2"].value == 71.09375  # full precision kept
    assert sheet.column_dimensions["A"].width >= len("Zoë Brontë")


# --- cohort ---------------------------------------------------------------------------------


def test_cohort_charts_show_band_boundaries_and_disagreement(data: Marking) -> None:
    figures = charts.cohort_charts(data.flags, data.roles, data.scheme)
    assert list(figures) == ["marker_distribution", "first_vs_second", "category_disagreement"]
    box = figures["marker_distribution"]
    assert {t.name for t in box.data} == {"Ann Smith (4)", "Bob Jones (4)"}
    scatter = figures["first_vs_second"]
    band = scatter.data[0]
    assert list(band.y) == [15, 115, 85, -15]  # the 15-point band either side of y = x
    assert sorted({s.x0 for s in scatter.layout.shapes if s.x0 == s.x1}) == [40, 55, 70, 85]
    heat = figures["category_disagreement"].data[0]
    assert list(heat.y) == CATS and list(heat.x) == list(range(-8, 9))
    row = list(heat.y).index("Design and implementation")
    assert heat.z[row][list(heat.x).index(-3)] == 50  # 2 of the 4 double-marked scripts


def test_main_job_and_cohort_command_write_the_same_names(marks_csv, tmp_path,
                                                          monkeypatch) -> None:
    _run(["-w", str(tmp_path / "ws"), "marking", "cohort", "--from", str(marks_csv),
          "--formats", "", "--out", str(tmp_path / "cli")], 120, monkeypatch)
    cli_names = {p.name for p in (tmp_path / "cli").iterdir()}
    assert cli_names == {"cohort_scripts.csv", "cohort_categories.csv", "cohort_markers.csv",
                         "cohort_charts.html"}
    assert api.COHORT_TABLES == ("scripts", "categories", "markers")


def test_main_job_without_chromium_says_the_pdf_was_skipped(tmp_path, monkeypatch,
                                                             capsys) -> None:
    from gaffertape.cli import mainjob
    from gaffertape.sites.engine import HostThrottle

    monkeypatch.delenv("GAFFERTAPE_PASSWORD", raising=False)
    monkeypatch.setattr(api, "find_chromium", lambda: None)
    monkeypatch.setattr(ui, "console", Console(width=200, stderr=True))
    HostThrottle.reset()
    ctx = mainjob.run_steps(students=10, faults="none", workspace=tmp_path / "ws", zip_mb=0.01)
    HostThrottle.reset()
    err = " ".join(capsys.readouterr().err.split())
    assert "board.pdf skipped: Chromium was not found" in err
    assert "gaffertape marking board" in err  # how to get it
    assert "award-board pack" in err and "board.html" in ctx.results["board"]
    assert not (tmp_path / "ws" / "reports" / "marking" / "board.pdf").exists()


def test_template_filled_in_is_posted_by_sites_post(tmp_path, monkeypatch) -> None:
    """End to end against the demo university: fetch marks, write the workbook, fill in one
    script (leave the rest blank), post: exactly that script's third marks land."""
    from gaffertape.demo import DemoConfig, DemoUniversity, Faults
    from gaffertape.sites.engine import HostThrottle

    monkeypatch.delenv("GAFFERTAPE_WORKSPACE", raising=False)
    config = DemoConfig(seed=7, students=16, zip_mb=0.01, faults=Faults.profile("none"),
                        truth_path=tmp_path / "truth.json", port=0)
    ws, runner = tmp_path / "ws", CliRunner()
    HostThrottle.reset()
    with DemoUniversity(config) as demo:
        monkeypatch.setenv("GAFFERTAPE_PASSWORD", demo.password)
        site = ["--base-url", demo.base_url, "--username", demo.username, "--quiet"]
        result = runner.invoke(app, ["-w", str(ws), "sites", "marks", *site])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["-w", str(ws), "marking", "template"])
        assert result.exit_code == 0, result.output
        workbook = ws / "reports" / "marking" / "third_marks.xlsx"
        book = openpyxl.load_workbook(workbook)
        sheet = book["third marks"]
        assert sheet.max_row >= 3, "the demo flags at least two scripts"
        for column in range(3, 3 + len(CATS)):
            sheet.cell(row=2, column=column, value=5)
        sheet.cell(row=2, column=3 + len(CATS), value="Agreed at 5s")
        book.save(workbook)
        result = runner.invoke(app, ["-w", str(ws), "sites", "post", str(workbook), *site])
        assert result.exit_code == 0, result.output
        posted = [p for p in demo.truth()["third_marks"] if p["accepted"]]
    HostThrottle.reset()
    assert [p["pi"] for p in posted] == [sheet["A2"].value]  # the blank rows were not posted


def test_cohort_without_chromium_skips_static_charts_with_a_note(marks_csv, tmp_path,
                                                                  monkeypatch) -> None:
    from gaffertape.marking import commands

    monkeypatch.setattr(commands, "find_chromium", lambda: None)
    _, err = _run(["-w", str(tmp_path / "ws"), "marking", "cohort", "--from", str(marks_csv),
                   "--out", str(tmp_path / "c")], 120, monkeypatch)
    assert "Static cohort charts skipped" in " ".join(err.split())
    assert (tmp_path / "c" / "cohort_charts.html").is_file()
    assert not list((tmp_path / "c").glob("*.png"))
