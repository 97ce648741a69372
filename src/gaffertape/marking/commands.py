"""CLI commands for the marking capability: thin wrappers over :mod:`gaffertape.marking.api`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gaffertape import ui
from gaffertape.cli.context import current_workspace
from gaffertape.errors import UserError
from gaffertape.export import export_table, export_workbook
from gaffertape.marking import api
from gaffertape.marking.charts import STATIC_FORMATS
from gaffertape.marking.report import script_report

app = typer.Typer(help="Marking: flags, final marks, reports, cohort, board pack, feedback.",
                  no_args_is_help=True)

FromOpt = Annotated[Path | None, typer.Option(
    "--from", help="Marks CSV/XLSX (columns course, pi, role, marker, category, mark, comments);"
                   " default: the workspace store's marks table.")]
SchemeOpt = Annotated[Path | None, typer.Option(
    "--scheme", help="Mark scheme TOML; default: [marking] in gaffertape.toml, else built in.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]
ExportOpt = Annotated[Path | None, typer.Option("--export", help="Also write to .csv or .xlsx.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Output folder; default: <workspace>/reports/marking.")]


def _load(source: Path | None, scheme_file: Path | None) -> api.Marking:
    workspace = current_workspace()
    scheme = api.scheme_for(workspace, scheme_file)
    return api.load(source, workspace=workspace, scheme=scheme)


def _out(out: Path | None) -> Path:
    return out or current_workspace().reports_dir / "marking"


def _show(df: pd.DataFrame, fmt: str, export: Path | None) -> None:
    if fmt not in {"table", "csv", "json"}:
        raise UserError(f"--format {fmt!r} is not one of table, csv, json")
    if export:
        export_table(df, export)
    ui.print_dataframe(df, fmt=fmt)


@app.command()
def flags(source: FromOpt = None, scheme: SchemeOpt = None, fmt: FormatOpt = "table",
          export: ExportOpt = None,
          every: Annotated[bool, typer.Option("--all", help="Every script, not just flagged.")]
          = False) -> None:
    """Scripts whose markers differ significantly, with every reason, most urgent first."""
    data = _load(source, scheme)
    table = data.flags if every else data.flagged
    columns = ["attention", "pi", "status", "first_pct", "second_pct", "diff_pct", "final_pct",
               "flag_codes"]  # the terminal view; --format csv/json and --export have them all
    _show(table if export or fmt != "table" else table[columns].round(1), fmt, export)
    ui.print_summary("Marking flags", {
        "scripts": len(data.flags), "flagged": len(data.flagged),
        "needs third marker": int((data.flags["status"] == api.NEEDS_THIRD).sum())})


@app.command()
def report(pi: Annotated[str, typer.Argument(help="The student's PI, e.g. A1234567.")],
           source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
           course: Annotated[str | None, typer.Option(help="Course, if the PI is on several.")]
           = None,
           formats: Annotated[str, typer.Option(help="Static chart formats: png,svg,pdf or ''.")]
           = "png") -> None:
    """One script: plain-English summary, category differences, charts (HTML + static)."""
    wanted = tuple(f for f in formats.split(",") if f)
    bad = set(wanted) - set(STATIC_FORMATS)
    if bad:
        raise UserError(f"--formats {sorted(bad)} not supported", hint="use png, svg and/or pdf")
    data = _load(source, scheme)
    flag, role = data.script(pi, course)
    text, table = script_report(flag, role, data.scheme)
    ui.stdout.print(text)
    ui.print_dataframe(table.round(2))
    written = api.write_script_reports(data, [flag["pi"]], _out(out) / "scripts", wanted,
                                       course=flag["course"])
    ui.print_summary("Script report", {"status": flag["status"], "files": len(written),
                                       "report": written[0]})


@app.command("cohort")
def cohort_command(source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
                   xlsx: Annotated[bool, typer.Option(help="Also one XLSX workbook.")] = False
                   ) -> None:
    """Cohort: scripts by attention, per-category disagreement and reliability, marker bias."""
    data = _load(source, scheme)
    tables = api.cohort_report(data)
    folder = _out(out)
    for name, df in tables.items():
        export_table(df, folder / f"cohort_{name}.csv")
    if xlsx:
        export_workbook(tables, folder / "cohort.xlsx")
    ui.print_summary("Per-category disagreement", tables["categories"].round(2))
    ui.print_summary("Marker bias vs partners (percentage points; 10 largest, all in the CSV)",
                     tables["markers"].iloc[:10, :6].round(2))
    ui.print_summary("Cohort", {"scripts": len(data.flags), "flagged": len(data.flagged),
                                "written to": folder})


@app.command()
def board(source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
          pdf: Annotated[bool, typer.Option(help="Also print the pack to PDF.")] = True) -> None:
    """Award-board pack: one page per flagged script (HTML, and PDF via headless Chromium)."""
    data = _load(source, scheme)
    if data.flagged.empty:
        ui.console.print("No flagged scripts: nothing for the award board.")
        return
    written = api.write_board(data, _out(out), pdf=pdf)
    ui.print_summary("Award-board pack", {"flagged scripts": len(data.flagged),
                                          **{p.suffix[1:]: p for p in written}})


@app.command("feedback")
def feedback_command(source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
                     export: ExportOpt = None) -> None:
    """Draft feedback per script and category from templates, as editable Markdown files."""
    data = _load(source, scheme)
    folder = _out(out) / "feedback"
    drafts = api.write_feedback(data, folder)
    if export:
        export_table(drafts, export)
    ui.print_summary("Feedback drafts", {"scripts": drafts["pi"].nunique(), "folder": folder})


@app.command("write-reports")
def write_reports_command(
        board_pack: Annotated[bool, typer.Option("--board", help="Include the board pack.")]
        = False) -> None:
    """Everything the main job needs, from the store: flags, cohort, third-marking list."""
    summary = api.write_reports(current_workspace(), board=board_pack)
    summary["needs_third_marker"] = len(summary["needs_third_marker"])
    summary["files"] = len(summary["files"])
    ui.print_summary("Marking reports", summary)


@app.command("scheme")
def scheme_command(scheme: SchemeOpt = None) -> None:
    """Show the mark scheme in force (defaults filled in), as JSON, to check or copy."""
    active = api.scheme_for(current_workspace(), scheme)
    ui.stdout.file.write(active.model_dump_json(indent=2) + "\n")
    ui.print_summary("Mark scheme", {"name": active.name, "categories": len(active.categories),
                                     "max weighted total": f"{active.max_total:g}",
                                     "final rule": active.final_rule.value})
