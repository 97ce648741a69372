"""CLI commands for the marking capability: thin wrappers over :mod:`gaffertape.marking.api`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.text import Text

from gaffertape import ui
from gaffertape.charts import STATIC_FORMATS
from gaffertape.chromium import find_chromium
from gaffertape.cli.context import current_workspace
from gaffertape.errors import UserError
from gaffertape.export import export_table
from gaffertape.marking import api
from gaffertape.marking.pages import signed
from gaffertape.marking.report import script_report
from gaffertape.marking.template import write_template

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


WideOpt = Annotated[bool, typer.Option(
    "--wide", help="Show every column, however wide the terminal (long lines wrap).")]
PI_COURSE = ("pi", "course")


def _formats(formats: str) -> tuple[str, ...]:
    wanted = tuple(f for f in formats.split(",") if f)
    bad = set(wanted) - set(STATIC_FORMATS)
    if bad:
        raise UserError(f"--formats {sorted(bad)} not supported", hint="use png, svg and/or pdf")
    return wanted


def _show(df: pd.DataFrame, fmt: str, export: Path | None, *, key: tuple[str, ...] = PI_COURSE,
          wide: bool = False, title: str | None = None) -> None:
    if fmt not in {"table", "csv", "json"}:
        raise UserError(f"--format {fmt!r} is not one of table, csv, json")
    if export:
        export_table(df, export)
    ui.print_dataframe(df, fmt=fmt, key=key, wide=wide, title=title)


def flags_view(table: pd.DataFrame) -> pd.DataFrame:
    """The flags table for people at a terminal, most useful columns first (later ones drop
    out at narrow widths): PI, course, both marks, the signed difference, the reasons in
    plain English, then marker names, status, final mark and attention order."""
    return pd.DataFrame({
        "pi": table["pi"], "course": table["course"],
        "first %": table["first_pct"].round(1), "second %": table["second_pct"].round(1),
        "diff": [signed(d) for d in table["second_pct"] - table["first_pct"]],
        "reasons": table["reasons"], "first marker": table["first_marker"],
        "second marker": table["second_marker"], "status": table["status"],
        "final %": table["final_pct"], "attention": table["attention"]})


@app.command()
def flags(source: FromOpt = None, scheme: SchemeOpt = None, fmt: FormatOpt = "table",
          export: ExportOpt = None, wide: WideOpt = False,
          every: Annotated[bool, typer.Option("--all", help="Every script, not just flagged.")]
          = False) -> None:
    """Scripts whose markers differ significantly, with every reason, most urgent first.

    diff is second minus first marker, in percentage points. --format csv/json and --export
    give every column of the flags table.
    """
    data = _load(source, scheme)
    table = data.flags if every else data.flagged
    _show(table if export or fmt != "table" else flags_view(table), fmt, export, wide=wide)
    ui.print_summary("Marking flags", {
        "scripts": len(data.flags), "flagged": len(data.flagged),
        "needs third marker": int((data.flags["status"] == api.NEEDS_THIRD).sum())})


@app.command()
def report(pi: Annotated[str | None, typer.Argument(
               help="The student's PI, e.g. A1234567 (or use --flagged / --all).")] = None,
           source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
           course: Annotated[str | None, typer.Option(help="Course, if the PI is on several.")]
           = None,
           flagged: Annotated[bool, typer.Option("--flagged", help="Every flagged script.")]
           = False,
           every: Annotated[bool, typer.Option("--all", help="Every script.")] = False,
           formats: Annotated[str, typer.Option(
               help="Also write each chart as a file: png,svg,pdf (the report has them inline "
                    "as SVG).")] = "",
           interactive: Annotated[bool, typer.Option(
               "--interactive", help="Interactive charts in report.html (hover, zoom; plotly.js "
                                     "inline, ~4.8 MB a report) instead of static SVG.")]
           = False, wide: WideOpt = False) -> None:
    """Script reports: plain-English summary, category differences, markers' comments, charts.

    Each report.html is one self-contained file (it works offline, moved or emailed); its
    charts are static SVG (~60 KB a report), or interactive with --interactive.
    """
    wanted = _formats(formats)
    if sum([pi is not None, flagged, every]) != 1:
        raise UserError("say which scripts: a PI, --flagged or --all (one of them)")
    data = _load(source, scheme)
    folder = _out(out) / "scripts"
    if pi is not None:
        flag, role = data.script(pi, course)
        text, table = script_report(flag, role, data.scheme)
        ui.stdout.print(Text(text))
        ui.print_dataframe(table.round(2), key=("category",), wide=wide)
        scripts = [(flag["course"], flag["pi"])]
    else:
        scripts = api.select_scripts(data, "flagged" if flagged else "all")
    written = api.write_script_reports(data, scripts, folder, wanted, interactive=interactive)
    reports = [p for p in written if p.name == "report.html"]
    if pi is None:
        _show(pd.DataFrame({"course": [c for c, _ in scripts], "pi": [p for _, p in scripts],
                            "report": [str(p) for p in reports]}), "table", None,
              key=("pi", "course", "report"), wide=wide)
    ui.print_summary("Script reports", {"scripts": len(scripts), "files": len(written),
                                        "folder": folder})


#: What a course team reads first at a narrow terminal; the other columns follow as they fit.
TERMINAL_FIRST = {"categories": ["category", "alpha_interval", "mean_diff", "mean_abs_diff",
                                 "share_differ_2plus"],
                  "markers": ["marker", "mean_diff_pct", "share_flagged", "scripts"]}


def _first(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``df`` with ``columns`` moved to the front (the terminal drops later columns first)."""
    return df[[*columns, *(c for c in df.columns if c not in columns)]]


@app.command("cohort")
def cohort_command(source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
                   xlsx: Annotated[bool, typer.Option(help="Also one XLSX workbook.")] = False,
                   formats: Annotated[str, typer.Option(
                       help="Static chart formats: png,svg,pdf or '' for none.")] = "png",
                   wide: WideOpt = False) -> None:
    """Cohort: per-category disagreement and reliability, marker bias, and charts.

    Tables go to stdout (so `> file` captures them); the files are cohort_<table>.csv,
    cohort_charts.html and cohort_<chart>.<format>, the same names the main job writes.
    """
    wanted = _formats(formats)
    if wanted and find_chromium() is None:
        ui.console.print(Text("Static cohort charts skipped: Chromium was not found (install "
                              "Debian's chromium package or set BROWSER_PATH); the interactive "
                              "charts are in cohort_charts.html."))
        wanted = ()
    data = _load(source, scheme)
    folder = _out(out)
    written = api.write_cohort(data, folder, xlsx=xlsx, formats=wanted)
    tables = api.cohort_report(data)
    ui.print_dataframe(_first(tables["categories"].round(2), TERMINAL_FIRST["categories"]),
                       key=("category",), wide=wide,
                       title="Per-category disagreement (raw marks; least reliable first)")
    ui.print_dataframe(_first(tables["markers"].round(2), TERMINAL_FIRST["markers"]),
                       key=("marker",), wide=wide,
                       title="Marker bias vs partners (percentage points; largest first)")
    ui.print_summary("Cohort", {"scripts": len(data.flags), "flagged": len(data.flagged),
                                "files": len(written), "written to": folder,
                                "charts": folder / "cohort_charts.html"})


@app.command()
def board(source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
          pdf: Annotated[bool, typer.Option(help="Also print the pack to PDF.")] = True) -> None:
    """Award-board pack: a cover listing every flagged script and its page, then one page per
    flagged script with a box for the board's decision (HTML, and PDF via headless Chromium).
    """
    data = _load(source, scheme)
    if data.flagged.empty:
        ui.console.print("No flagged scripts: nothing for the award board.")
        return
    written = api.write_board(data, _out(out), pdf=pdf)
    ui.print_summary("Award-board pack", {"flagged scripts": len(data.flagged),
                                          **{p.suffix[1:]: p for p in written}})


@app.command("template")
def template_command(
        source: FromOpt = None, scheme: SchemeOpt = None,
        dest: Annotated[Path | None, typer.Option(
            "--out", help="Workbook to write; default: <workspace>/reports/marking/"
                          "third_marks.xlsx.")] = None,
        flagged: Annotated[bool, typer.Option(
            "--flagged/--all", help="Flagged scripts only (default), or every script.")]
        = True) -> None:
    """A fill-in workbook for third marks, in the format `gaffertape sites post` reads.

    One row per script; the first and second marks are shown read-only (a note on each mark
    cell and the 'earlier marks' sheet); a mark above a category's maximum is refused.
    """
    data = _load(source, scheme)
    table = data.flagged if flagged else data.flags
    if table.empty:
        raise UserError("no flagged scripts: nothing to third-mark", hint="--all for every script")
    dest = dest or _out(None) / "third_marks.xlsx"
    write_template(table, data.roles, data.scheme, dest)
    ui.print_summary("Third-marking workbook", {
        "scripts": len(table), "workbook": dest,
        "when filled in": f"gaffertape sites post {dest} --dry-run, then without --dry-run"})


@app.command("feedback")
def feedback_command(source: FromOpt = None, scheme: SchemeOpt = None, out: OutOpt = None,
                     export: ExportOpt = None) -> None:
    """Draft feedback per script: overall mark and grade, each category, markers' comments.

    Scripts without a final mark yet get drafts marked PROVISIONAL (file name and first line).
    """
    data = _load(source, scheme)
    folder = _out(out) / "feedback"
    drafts = api.write_feedback(data, folder)
    if export:
        export_table(drafts, export)
    scripts = drafts.drop_duplicates(["course", "pi"])
    ui.print_summary("Feedback drafts", {
        "scripts": len(scripts), "provisional (no final mark yet)": int(
            scripts["provisional"].sum()), "folder": folder})


@app.command("write-reports")
def write_reports_command(
        board_pack: Annotated[bool, typer.Option("--board", help="Include the board pack.")]
        = False) -> None:
    """Everything the main job needs, from the store: flags, cohort, third-marking list."""
    summary = api.write_reports(current_workspace(), board=board_pack)
    for note in summary.pop("notes"):
        ui.console.print(Text(note))
    summary["needs_third_marker"] = len(summary["needs_third_marker"])
    summary["files"] = len(summary["files"])
    summary["board"] = ", ".join(summary["board"]) or "not asked for (--board)"
    ui.print_summary("Marking reports", summary)


@app.command("scheme")
def scheme_command(scheme: SchemeOpt = None) -> None:
    """Show the mark scheme in force (defaults filled in), as JSON, to check or copy."""
    active = api.scheme_for(current_workspace(), scheme)
    ui.stdout.file.write(active.model_dump_json(indent=2) + "\n")
    ui.print_summary("Mark scheme", {"name": active.name, "categories": len(active.categories),
                                     "max weighted total": f"{active.max_total:g}",
                                     "final rule": active.final_rule.value})
