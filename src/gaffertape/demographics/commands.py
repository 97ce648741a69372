"""CLI for demographics: load, generate, grid, animate, pyramid, report.

Datasets live in the workspace store; charts read them from there and are written to
``reports/demographics/`` (or ``--out``) as interactive HTML plus any static formats asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gaffertape import ui
from gaffertape.cli.context import current_workspace
from gaffertape.demographics import api
from gaffertape.demographics.aggregate import POPULATIONS, band_order, excluded
from gaffertape.demographics.charts import FORMATS
from gaffertape.demographics.comparators import load_hesa
from gaffertape.demographics.records import FIELDS, load_oulad
from gaffertape.demographics.store import save_comparators
from gaffertape.demographics.synthetic import LABEL, generate_comparators, generate_students
from gaffertape.errors import UserError
from gaffertape.workspace import Workspace

app = typer.Typer(help="Demographics: how the student body changed, in grids, animations and "
                       "pyramids.", no_args_is_help=True)

DatasetOpt = Annotated[str | None, typer.Option(
    "--dataset", "-d", help="Records dataset (default: the one loaded last).")]
CountOpt = Annotated[bool, typer.Option("--count", help="Absolute numbers, not percentages.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", help="File name without suffix (default: reports/demographics/<dataset>-…).")]
FormatOpt = Annotated[str, typer.Option(
    "--format", "-f", help=f"Comma-separated, from: {', '.join(FORMATS)}.")]
ComparatorsOpt = Annotated[list[str] | None, typer.Option(
    "--comparators", "-c", help="Comparator dataset(s) (default: all saved).")]


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not column:
            raise UserError(f"--map {pair!r} is not field=column",
                            hint=f"e.g. --map id=PI; fields are {', '.join(FIELDS)}")
        mapping[field.strip()] = column.strip()
    return mapping


@app.command("load")
def load_command(
    paths: Annotated[list[Path], typer.Argument(help="CSV/XLSX of students, OULAD folder, "
                                                     "or HESA tables with --comparators.")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Dataset name.")] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", "-m", help="field=column, e.g. --map id=PI --map sex=Gender.")] = None,
    comparators: Annotated[bool, typer.Option(
        "--comparators", help="The files are comparator tables (HESA).")] = False,
    year: Annotated[int | None, typer.Option(help="Academic year of a comparator table "
                                                  "that does not say (2021 = 2021/22).")] = None,
    population: Annotated[str | None, typer.Option(
        help=f"Comparator population if the table does not say: {', '.join(POPULATIONS)}.")
    ] = None,
) -> None:
    """Load student records (or comparator tables) into the workspace."""
    workspace = current_workspace()
    if comparators:
        _load_comparators(workspace, paths, name or "hesa", year, population)
        return
    if len(paths) != 1:
        raise UserError("load one records file or OULAD folder at a time",
                        hint="run the command once per file, each with its own --name")
    path = paths[0]
    with ui.console.status(f"Reading {path}"):
        if path.is_dir():
            records, name = load_oulad(path), name or "oulad"
        else:
            records, name = api.load_students(path, _mapping(mapping or [])), name or path.stem
    with ui.console.status(f"Counting and saving {len(records):,} records as {name!r}"):
        table = api.save_dataset(workspace, name, records, source=str(path))
    _summarise(name, records, table)


def _load_comparators(workspace: Workspace, paths: list[Path], name: str, year: int | None,
                      population: str | None) -> None:
    frames, failed = [], 0
    with ui.make_progress() as progress:
        task = progress.add_task("Reading comparator tables", total=len(paths), status="")
        for path in paths:
            try:
                frames.append(load_hesa(path, year=year, population=population))
                status = "ok"
            except UserError as exc:
                ui.console.print(f"[red]error:[/red] {exc.one_line()}", highlight=False,
                                 soft_wrap=True)
                status, failed = "error", failed + 1
            progress.update(task, advance=1, status=f"{path.name}: {status}")
    if frames:
        table = pd.concat(frames, ignore_index=True)
        save_comparators(workspace.store, name, table, source="; ".join(map(str, paths)))
        ui.print_summary(f"Comparators {name!r}", {
            "files": len(paths), "failed": failed, "rows": len(table),
            "institutions": table["institution"].nunique(),
            "years": ", ".join(map(str, sorted(table["year"].unique()))),
            "crossed by age and sex": "no (HESA publishes sex and age separately)"
            if not ((table["sex"] != "all") & (table["age_band"] != "all ages")).any()
            else "yes"})
    if failed:
        raise typer.Exit(1)


def _summarise(name: str, records: pd.DataFrame, table: pd.DataFrame) -> None:
    summary = dict(zip(*excluded(records).to_dict("list").values(), strict=True))
    years = table["year"]
    ui.print_summary(f"Dataset {name!r}", {
        **summary, "years": f"{years.min()}-{years.max()}",
        "age bands": ", ".join(band_order(table))})


@app.command("generate")
def generate_command(
    students: Annotated[int, typer.Option(help="How many synthetic students.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    name: Annotated[str, typer.Option("--name", "-n")] = "synthetic",
) -> None:
    """Make a SYNTHETIC institution (50 years) and three synthetic comparators."""
    if students < 1 or students > 50_000_000:
        raise UserError("--students must be between 1 and 50,000,000")
    workspace = current_workspace()
    with ui.console.status(f"Generating {students:,} {LABEL} students"):
        records = generate_students(students, seed=seed)
        comparators = generate_comparators(students, seed=seed)
    with ui.console.status(f"Counting and saving {students:,} records"):
        table = api.save_dataset(workspace, name, records, source=f"generated (seed {seed})",
                                 synthetic=True)
        save_comparators(workspace.store, f"{name}-comparators", comparators,
                         source=f"generated (seed {seed})", synthetic=True)
    _summarise(name, records, table)


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = set(formats) - set(FORMATS)
    if not formats or unknown:
        raise UserError(f"--format {text!r}: choose from {', '.join(FORMATS)}")
    return formats


def _write(fig: object, dest: Path, formats: tuple[str, ...], what: str) -> None:
    with ui.console.status(f"Writing the {what} ({', '.join(formats)})"):
        written = api.write_demographics_figure(fig, dest, formats)
    ui.print_summary(what.capitalize(), {"written": ", ".join(map(str, written))})


def _dest(out: Path | None, data: api.Dataset, suffix: str) -> Path:
    if out is not None:
        return out
    folder = current_workspace().reports_dir / "demographics"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{data.name}-{suffix}"


@app.command("grid")
def grid_command(
    dataset: DatasetOpt = None, count: CountOpt = False,
    rows: Annotated[int, typer.Option(min=1, max=20)] = 5,
    cols: Annotated[int, typer.Option(min=1, max=20)] = 10,
    population: Annotated[list[str] | None, typer.Option(
        "--population", "-p", help="Population(s) to draw (default: all four).")] = None,
    out: OutOpt = None, fmt: FormatOpt = "html,png",
) -> None:
    """Small multiples: one panel per year (5 x 10 by default), shared axes."""
    data = api.dataset(current_workspace(), dataset)
    fig = api.demographics_grid(data.table, rows=rows, cols=cols, percent=not count,
                                populations=tuple(population or POPULATIONS),
                                quality=data.quality)
    _write(fig, _dest(out, data, "grid"), _formats(fmt), "grid")


@app.command("animate")
def animate_command(dataset: DatasetOpt = None, count: CountOpt = False, out: OutOpt = None,
                    fmt: FormatOpt = "html,png") -> None:
    """The four distributions animated over the years (play control, fixed axes)."""
    data = api.dataset(current_workspace(), dataset)
    fig = api.demographics_animation(data.table, percent=not count, quality=data.quality)
    _write(fig, _dest(out, data, "animation"), _formats(fmt), "animation")


@app.command("pyramid")
def pyramid_command(
    dataset: DatasetOpt = None, comparators: ComparatorsOpt = None,
    population: Annotated[str, typer.Option("--population", "-p")] = "studying",
    count: CountOpt = False,
    institution: Annotated[list[str] | None, typer.Option(
        "--institution", "-i", help="Comparator institution(s) to draw (default: all).")] = None,
    no_play: Annotated[bool, typer.Option("--no-play", help="Year slider only.")] = False,
    out: OutOpt = None, fmt: FormatOpt = "html,png",
) -> None:
    """Population pyramids (sex by age band): the institution beside its comparators."""
    workspace = current_workspace()
    data = api.dataset(workspace, dataset)
    fig = api.population_pyramid(data.table, api.comparators(workspace, comparators),
                                 population=population, percent=not count, animate=not no_play,
                                 institution=data.name, institutions=institution,
                                 quality=data.quality)
    _write(fig, _dest(out, data, f"pyramid-{population.replace(' ', '-')}"), _formats(fmt),
           "pyramid")


@app.command("report")
def report_command(dataset: DatasetOpt = None, comparators: ComparatorsOpt = None,
                   out: Annotated[Path | None, typer.Option("--out", "-o")] = None) -> None:
    """One self-contained HTML report: the story, exclusions, grid, animation, pyramids."""
    workspace = current_workspace()
    data = api.dataset(workspace, dataset)
    dest = out or _dest(None, data, "report.html")
    with ui.console.status("Writing the report"):
        api.demographics_report(dest, data.table, data.quality,
                                api.comparators(workspace, comparators),
                                institution=data.name, synthetic=data.synthetic)
    ui.print_summary("Report", {"written": dest, "dataset": data.name,
                                "synthetic": "yes" if data.synthetic else "no"})
