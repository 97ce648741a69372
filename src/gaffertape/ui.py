"""Terminal output: progress bars for long work and a short summary at the end.

All user-facing commands report through this module so that output looks the same everywhere.
Progress and messages go to stderr; data (tables, CSV) goes to stdout so it can be piped.

Tables fit the terminal: key columns (a PI, a course) are never wrapped or cut, because people
copy them into the next command; lower-priority columns drop out at narrow widths, and a note on
stderr names them and says how to see them. Cell text is never read as Rich markup, so
``[sites.marks]`` in a value shows as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
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

if TYPE_CHECKING:  # pandas is imported by the commands that make DataFrames, not on start-up
    import pandas as pd

console = Console(stderr=True)
stdout = Console()

#: Text columns longer than this may wrap (to no narrower than this) rather than drop out.
WRAP_WIDTH = 24
#: What a Rich table's borders and padding add to each column, and once per table.
COLUMN_CHROME, TABLE_CHROME = 3, 1
HIDDEN_HINT = "use --wide, or --format csv for every column"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline


def printable(text: str) -> str:
    """``text`` with control characters written out (``\\x1b``), not sent to the terminal.

    Names from other systems (a zip entry, a site's page) may hold ANSI escapes that would
    clear the screen, retitle the window or hide a line of output; Rich passes ESC through."""
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


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


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """Every value as display text ('' for missing)."""
    return df.astype(object).where(df.notna(), "").astype(str).map(printable)


def fit_columns(cells: pd.DataFrame, width: int, key: Sequence[str] = ()) -> list[str]:
    """The columns that fit ``width``: every key column, then the others in order while they fit.

    A key column takes its full width. A long text column may wrap down to ``WRAP_WIDTH``; any
    other column needs its full width or is left out.
    """
    natural = {c: max([len(str(c)), *cells[c].str.len()]) for c in cells.columns}
    shown = [c for c in cells.columns if c in key]
    used = TABLE_CHROME + sum(natural[c] + COLUMN_CHROME for c in shown)
    for column in cells.columns:
        if column in key:
            continue
        need = min(natural[column], max(WRAP_WIDTH, len(str(column))))
        if used + need + COLUMN_CHROME <= width:
            shown.append(column)
            used += need + COLUMN_CHROME
    return [c for c in cells.columns if c in shown]


def render_table(df: pd.DataFrame, *, key: Sequence[str] = (), width: int | None = None,
                 title: str | None = None) -> tuple[Table, list[str]]:
    """A Rich table of ``df`` fitted to ``width`` (None: every column), and the hidden columns."""
    cells = _cells(df)
    shown = list(cells.columns) if width is None else fit_columns(cells, width, key)
    table = Table(title=title, title_justify="left")
    for column in shown:
        fixed = column in key
        table.add_column(Text(str(column)), no_wrap=fixed, overflow="fold",
                         min_width=max([len(str(column)), *cells[column].str.len()])
                         if fixed else None)
    for row in cells[shown].itertuples(index=False):
        table.add_row(*(Text(v) for v in row))
    return table, [c for c in cells.columns if c not in shown]


def print_table(df: pd.DataFrame, *, key: Sequence[str] = (), wide: bool = False,
                to: Console | None = None, title: str | None = None) -> list[str]:
    """Print ``df`` fitted to the terminal (``wide``: every column), noting hidden columns.

    Returns the hidden columns. The note goes to stderr, so piped data stays clean.
    """
    out = to or stdout
    table, hidden = render_table(df, key=key, width=None if wide else out.width, title=title)
    span = Measurement.get(out, out.options.update(width=10_000), table)
    needed = span.maximum if wide else span.minimum  # key columns alone can outgrow the width
    if needed > out.width:  # then the terminal wraps the long lines, and nothing is cut
        out = Console(file=out.file, width=needed, color_system=out.color_system)
    out.print(table)
    if hidden:
        noun = "column" if len(hidden) == 1 else "columns"
        console.print(Text(f"{len(hidden)} more {noun} at a wider terminal "
                           f"({', '.join(map(str, hidden))}): {HIDDEN_HINT}", style="dim"))
    return hidden


def print_summary(title: str, summary: Mapping[str, object] | pd.DataFrame, *,
                  key: Sequence[str] = ()) -> None:
    """Print a compact summary table on stderr: key/value pairs or a small DataFrame."""
    if not isinstance(summary, Mapping):  # a DataFrame
        print_table(summary, key=key, to=console, title=title)
        return
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("", no_wrap=True)
    table.add_column("", overflow="fold")
    for name, value in summary.items():
        table.add_row(Text(printable(str(name))), Text(printable(str(value))))
    console.print(table)


def print_dataframe(df: pd.DataFrame, *, fmt: str = "table", key: Sequence[str] = (),
                    wide: bool = False, title: str | None = None) -> None:
    """Print a DataFrame to stdout as a Rich table fitted to the terminal, CSV or JSON lines."""
    if fmt == "csv":  # often redirected into a file and opened in a spreadsheet
        from gaffertape.export import neutralise

        stdout.file.write(neutralise(df).to_csv(index=False))
    elif fmt == "json":
        stdout.file.write(df.to_json(orient="records", lines=True, force_ascii=False))
    else:
        print_table(df, key=key, wide=wide, title=title)


def plain(text: object) -> str:
    """``text`` escaped so that Rich prints square brackets as typed, never as markup, and
    control characters written out (see :func:`printable`): it is text from outside (a
    file's name, a cell) put into a message."""
    return escape(printable(str(text)))
