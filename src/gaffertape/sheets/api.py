"""The Python API of the sheets capability; the CLI commands are thin wrappers around it.

Each function returns a pandas DataFrame. Folder runs never stop at one bad file: its error is
recorded (see :func:`tidy_files`) and the other files carry on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.sheets.coverage import OBSERVATION, REASONS, cell_accounts
from gaffertape.sheets.detect import detect
from gaffertape.sheets.grid import Grid, cell_ref
from gaffertape.sheets.layout import SheetLayout
from gaffertape.sheets.orientation import turned_grid
from gaffertape.sheets.readers import SUFFIXES, UNCHECKED, read_grids
from gaffertape.sheets.recipes import Recipe, apply_recipes, load_recipes
from gaffertape.sheets.records import name_records, records_grid
from gaffertape.sheets.tidy import COLUMNS, TableObservations, observation_columns, to_frame
from gaffertape.sheets.uniqueness import clash_warning, clash_warnings
from gaffertape.sheets.values import MAX_CELL_TEXT

FLAGS = "value_flags"
"""The output column with each value's marker (``*``, ``[x]``, ``text``...). Not ``flags``,
which attribute access cannot reach: ``DataFrame.flags`` is a pandas property."""
OUTPUT_COLUMNS = [FLAGS if name == "flags" else name for name in COLUMNS]


@dataclass
class TidyResult:
    """The combined observations, one error line per file that could not be read, and per file
    what became of its filled cells (see :mod:`gaffertape.sheets.coverage`)."""

    data: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)
    files: int = 0
    cells: dict[str, Counter[str]] = field(default_factory=dict)
    # one line per sheet whose long texts were cut (see values.MAX_CELL_TEXT), and per table
    # whose observations share keys (see sheets.uniqueness)
    warnings: list[str] = field(default_factory=list)

    def per_file(self) -> pd.DataFrame:
        """One row per file: filled cells, observations, and the cells not emitted by reason."""
        rows = [{"file": name, "cells": sum(counts.values()),
                 OBSERVATION: counts.get(OBSERVATION, 0),
                 **{reason: counts.get(reason, 0) for reason in REASONS}}
                for name, counts in self.cells.items()]
        return pd.DataFrame(rows, columns=["file", "cells", OBSERVATION, *REASONS])


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given, and the spreadsheets inside any folder (recursively, sorted), with
    those in formats that are refused (so the run says why, rather than skip them)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*"))
                         if p.suffix.lower() in SUFFIXES | UNCHECKED.keys()
                         and not p.name.startswith((".", "~$")))
        else:
            found.append(path)
    return found


def layouts(path: Path | str,
            recipes: list[Recipe] | None = None) -> list[tuple[Grid, SheetLayout]]:
    """Every sheet of one file with its detected (and recipe-adjusted) layout."""
    result = []
    for sheet in read_grids(path):
        records = records_grid(sheet)
        grid = records or turned_grid(sheet) or sheet
        grid.cut = sheet.cut  # (a rearranged grid: the texts cut as the sheet was read)
        layout = name_records(detect(grid)) if records else detect(grid)
        if recipes:
            layout = apply_recipes(grid, layout, recipes)
        result.append((grid, layout))
    return result


def tidy_file(path: Path | str, recipes: list[Recipe] | None = None) -> pd.DataFrame:
    """Long-form observations of one workbook (raises UserError if it cannot be read)."""
    return _tidy_file(path, recipes)[0]


def _tidy_file(path: Path | str, recipes: list[Recipe] | None
               ) -> tuple[pd.DataFrame, Counter[str], list[str]]:
    """The observations, the file's filled cells counted by what became of them, and the
    uniqueness guard's warnings (see :mod:`gaffertape.sheets.uniqueness`)."""
    parts, counts, cut = [], Counter[str](), []
    for grid, layout in layouts(path, recipes):
        parts += observation_columns(grid, layout)
        counts += cell_accounts(grid, layout)
        if grid.cut:
            cut.append(_cut_warning(grid))
    frame = to_frame(parts, OUTPUT_COLUMNS)
    return frame, counts, cut + _clash_warnings(parts, frame)


def _cut_warning(grid: Grid) -> str:
    first = cell_ref(*grid.cut[0])
    return (f"{grid.source} (sheet {grid.sheet!r}): {len(grid.cut):,} cell text(s) longer than "
            f"{MAX_CELL_TEXT:,} characters (Excel's limit) cut to that length, the first at "
            f"{first}")


def _clash_warnings(parts: list[TableObservations], frame: pd.DataFrame) -> list[str]:
    """The warnings :func:`clash_warnings` gives on ``frame``, from each table's own count: a
    table is one part, unless a file repeats a sheet name (then the frame is checked whole)."""
    tables = [(part.grid.sheet, part.table.index) for part in parts]
    if len(set(tables)) < len(tables):
        return clash_warnings(frame)
    return [clash_warning(p.grid.source, p.grid.sheet, p.table.index, p.ambiguous)
            for p in parts if p.ambiguous]


def tidy_files(paths: Iterable[Path | str], *, recipes: Path | str | None = None,
               on_file: Callable[[Path, str], None] | None = None) -> TidyResult:
    """One combined dataset from many files; unreadable files are reported in ``errors``."""
    loaded = load_recipes(recipes) if recipes else None
    files = expand_paths(paths)
    frames, errors, warnings = [], {}, []
    cells: dict[str, Counter[str]] = {}
    for path in files:
        try:
            frame, cells[str(path)], clashes = _tidy_file(path, loaded)
            frames.append(frame)
            warnings.extend(clashes)
            status = "ok"
        except UserError as exc:
            errors[str(path)] = exc.one_line()
            status = "error"
        except Exception as exc:  # a layout nobody foresaw: only this file fails, the run goes on
            errors[str(path)] = UserError(
                f"{path}: could not be tidied ({type(exc).__name__}: {exc})",
                hint="a gaffertape bug: please report it with the file").one_line()
            status = "error"
        if on_file:
            on_file(path, status)
    return TidyResult(_concat(frames), errors, len(files), cells, warnings)


def tidy(*paths: Path | str, recipes: Path | str | None = None) -> pd.DataFrame:
    """Long-form dataset of one or more workbooks or folders; raises if any file failed."""
    result = tidy_files(paths, recipes=recipes)
    if result.errors:
        first = next(iter(result.errors.values()))
        raise UserError(f"{len(result.errors)} of {result.files} file(s) failed; first: {first}")
    return result.data


def wide(data: pd.DataFrame) -> dict[tuple[str, str, int], pd.DataFrame]:
    """One wide table per (file, sheet, table), pivoted back from the long form."""
    tables = {}
    for key, group in data.groupby(["source_file", "sheet", "table"], sort=False):
        tables[key] = pivot_wide(group)
    return tables


def wide_row_keys(group: pd.DataFrame) -> pd.Series:
    """Which wide row each observation of one table belongs to.

    Rows are keyed by (sub-table, row-header path), so a record spread over several sheet rows
    comes back as one row. Where that key is missing, or repeats a column (forward-filled
    labels), the sheet row keeps rows apart.
    """
    sheet_row = "row " + group["cell"].str.extract(r"(\d+)$", expand=False)
    keys = [group["sub_table"], group["row_header"]]
    clash = group.duplicated(["sub_table", "row_header", "column_header"], keep=False)
    ambiguous = clash.groupby(keys, sort=False).transform("any") | (group["row_header"] == "")
    return (group["sub_table"] + "\x1f" + group["row_header"]).where(~ambiguous, sheet_row)


def pivot_wide(group: pd.DataFrame) -> pd.DataFrame:
    """Rows are (sub-table, row header) with those as columns; columns are header paths."""
    frame = group.assign(_row=wide_row_keys(group))
    cell = frame["value"].astype(object).where(frame["value"].notna(), frame["raw"])
    frame = frame.assign(_cell=cell).drop_duplicates(["_row", "column_header"])
    values = frame.set_index(["_row", "column_header"])["_cell"].unstack(sort=False)
    keys = frame.groupby("_row", sort=False)[["sub_table", "row_header"]].first()
    table = keys.join(values).reset_index(drop=True)
    table.columns.name = None
    table.attrs["title"] = str(group["table_title"].iloc[0])
    if not table["sub_table"].astype(bool).any():
        table = table.drop(columns="sub_table")
    return table


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if len(frames) == 1:
        return frames[0]  # already indexed 0..n-1: a copy would only cost time
    if frames:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(columns=OUTPUT_COLUMNS)


# names registered in gaffertape._API (``gaffertape.tidy_sheets(...)``)
tidy_sheets = tidy
tidy_sheet_files = tidy_files
wide_sheets = wide
