"""Terminal output: progress bars for long work and a short summary at the end.

All user-facing commands report through this module so that output looks the same everywhere.
Progress and messages go to stderr; data (tables, CSV) goes to stdout so it can be piped.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from gaffertape.export import neutralise

console = Console(stderr=True)
stdout = Console()


class RateColumn(ProgressColumn):
    """Items per second (Rich's own speed column is for bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")


def make_progress(*, transient: bool = False) -> Progress:
    """A progress bar showing count, percentage, rate, ETA, elapsed time and a status field."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        transient=transient,
    )


def print_summary(title: str, summary: Mapping[str, object] | pd.DataFrame) -> None:
    """Print a compact summary table: key/value pairs or a small DataFrame."""
    table = Table(title=title, title_justify="left", show_header=isinstance(summary, pd.DataFrame))
    if isinstance(summary, pd.DataFrame):
        for column in summary.columns:
            table.add_column(str(column))
        for row in summary.itertuples(index=False):
            table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    else:
        table.add_column("")
        table.add_column("")
        for key, value in summary.items():
            table.add_row(str(key), str(value))
    console.print(table)


def print_dataframe(df: pd.DataFrame, *, fmt: str = "table") -> None:
    """Print a DataFrame to stdout as a Rich table, CSV or JSON lines."""
    if fmt == "csv":  # often redirected into a file and opened in a spreadsheet
        stdout.file.write(neutralise(df).to_csv(index=False))
    elif fmt == "json":
        stdout.file.write(df.to_json(orient="records", lines=True, force_ascii=False))
    else:
        table = Table(show_lines=False)
        for column in df.columns:
            table.add_column(str(column))
        for row in df.itertuples(index=False):
            table.add_row(*("" if pd.isna(v) else str(v) for v in row))
        stdout.print(table)
