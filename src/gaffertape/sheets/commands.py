"""CLI commands for the sheets capability: tidy, wide and inspect.

Each command wraps a function of :mod:`gaffertape.sheets.api`; folder runs report a bad file and
carry on, then exit non-zero at the end if any file failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gaffertape import ui
from gaffertape.atomic import write_text_atomic
from gaffertape.errors import UserError
from gaffertape.sheets.api import FLAGS, TidyResult, expand_paths, layouts, tidy_files, wide
from gaffertape.sheets.coverage import REASONS, not_emitted_text
from gaffertape.sheets.export import check_destination, write_frame, write_store, write_wide
from gaffertape.sheets.inspect_html import render, summary_rows
from gaffertape.sheets.recipes import load_recipes
from gaffertape.sheets.uniqueness import ambiguous

app = typer.Typer(help="Sheets: messy workbooks -> long-form data with provenance.",
                  no_args_is_help=True)

Paths = Annotated[list[Path], typer.Argument(help="Workbooks (.xlsx .xls .ods .csv) or folders.")]
OutFile = Annotated[Path | None, typer.Option(
    "--out", "-o", help="data.parquet, data.csv or data.xlsx; - for CSV on stdout")]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Folder for one file per table.")]
_WHERE = "use --out data.parquet, --out data.csv, --out data.xlsx, --out - (CSV) or --store"
STDOUT = Path("-")
Recipes = Annotated[Path | None, typer.Option("--recipes", "-r", help="TOML recipe file.")]


def _run(paths: list[Path], recipes: Path | None) -> TidyResult:
    files = expand_paths(paths)
    if not files:
        raise UserError("no spreadsheets found", hint="pass files or folders of workbooks")
    with ui.make_progress() as progress:
        task = progress.add_task("Reading", total=len(files), status="")

        def advance(path: Path, status: str) -> None:
            progress.update(task, advance=1, status=ui.plain(f"{path.name}: {status}"))

        result = tidy_files(files, recipes=recipes, on_file=advance)
    for message in result.errors.values():
        ui.console.print(f"[red]error:[/red] {ui.plain(message)}", highlight=False, soft_wrap=True)
    for message in result.warnings:
        ui.console.print(f"[yellow]warning:[/yellow] {ui.plain(message)}", highlight=False,
                         soft_wrap=True)
    return result


def _finish(result: TidyResult, written: str) -> None:
    data = result.data
    per_file = result.per_file()
    if len(per_file):
        ui.print_summary("Cells per file (filled cells: observations, or why not)", per_file)
    totals = per_file[list(REASONS)].sum().to_dict() if len(per_file) else {}
    ui.print_summary("Sheets", {
        "files": result.files, "failed": len(result.errors),
        "tables": data.groupby(["source_file", "sheet", "table"]).ngroups if len(data) else 0,
        "observations": len(data),
        "ambiguous": int(ambiguous(data).sum()),
        "flagged": int((data[FLAGS].astype(str) != "").sum()) if len(data) else 0,
        "cells not emitted": not_emitted_text(totals),
        "written": written,
    })
    if result.errors:
        raise typer.Exit(1)


def _write_out(result: TidyResult, out: Path) -> str:
    """Write the observations to ``out``, unless that would replace earlier output with worse.

    No observations: nothing is written. Some files failed and ``out`` already exists: the
    earlier file is kept and this run's result goes beside it (``data.partial.parquet``), so a
    run that failed never replaces good output.
    """
    if result.data.empty:
        kept = f"{out} left as it was" if out.exists() else f"{out} not created"
        _warn(f"no observations, so nothing written ({kept})")
        return f"nothing ({kept})"
    if result.errors and out.exists():
        partial = out.with_name(f"{out.stem}.partial{out.suffix}")
        _warn(f"{len(result.errors)} file(s) failed: {out} left as it was; this run's "
              f"observations are in {partial}")
        return str(write_frame(result.data, partial))
    return str(write_frame(result.data, out))


def _warn(message: str) -> None:
    ui.console.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)


@app.command("tidy")
def tidy_command(
    paths: Paths,
    out: OutFile = None,
    store: Annotated[bool, typer.Option("--store", help="Write to the workspace store.")] = False,
    recipes: Recipes = None,
) -> None:
    """Detect tables and write one long-form dataset (one observation per row)."""
    if out is None and not store:
        raise UserError("say where to write", hint=_WHERE)
    if out is not None and out != STDOUT:
        check_destination(out)  # fail fast, before reading anything
    if recipes:
        load_recipes(recipes)
    result = _run(paths, recipes)
    written = []
    if out == STDOUT:  # for pipes: formula-safe CSV, messages stay on stderr
        ui.print_dataframe(result.data, fmt="csv")
        written.append(f"{len(result.data)} observations -> stdout (CSV)")
    elif out is not None:
        written.append(_write_out(result, out))
    if store:
        from gaffertape.cli.context import current_workspace

        workspace = current_workspace()
        count = write_store(result.data, workspace.store)
        written.append(f"{count} rows -> {workspace.db_path}:sheet_observations")
    _finish(result, "; ".join(written))


@app.command("wide")
def wide_command(
    paths: Paths,
    out: OutDir = Path("wide"),
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or parquet")] = "csv",
    recipes: Recipes = None,
) -> None:
    """Write one wide table per detected table (rows x column-header paths)."""
    if fmt not in {"csv", "parquet"}:
        raise UserError(f"--format {fmt!r} is not csv or parquet")
    result = _run(paths, recipes)
    files = write_wide(wide(result.data), out, fmt) if len(result.data) else []
    _finish(result, f"{len(files)} file(s) in {out}")


@app.command("inspect")
def inspect_command(
    path: Annotated[Path, typer.Argument(help="One workbook.")],
    html: Annotated[Path | None, typer.Option("--html", help="HTML file to write.")] = None,
    recipes: Recipes = None,
) -> None:
    """Show detected tables as text and write an HTML view with cell roles coloured."""
    sheets = layouts(path, load_recipes(recipes) if recipes else None)
    dest = html or path.with_name(f"{path.stem}.inspect.html")
    write_text_atomic(dest, render(sheets, path.name))
    rows = summary_rows(sheets)
    if rows:
        ui.print_summary(f"{path.name}: detected tables", pd.DataFrame(rows))
    ui.print_summary("Inspector", {"sheets": len(sheets), "tables": len(rows), "html": dest})
