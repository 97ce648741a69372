"""Read .xlsx/.xlsm/.xls/.ods/.csv files into :class:`Grid` objects, fast.

python-calamine reads values and merged ranges for every binary format. It misses merged ranges
in .ods, so those come from a streaming parse of ``content.xml`` (see :mod:`.ods_merges`).
Every failure becomes a :class:`UserError` naming the file, so a folder run can carry on.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from gaffertape.errors import UserError
from gaffertape.sheets.bounds import SHORTEST_CELL, check_workbook
from gaffertape.sheets.calamine_read import Merge, Refused, Sheet, Unreadable, read_sheets
from gaffertape.sheets.grid import Grid, from_rows, from_sheets
from gaffertape.sheets.isolation import WORKER_MEMORY, ReaderDied, memory_for, read_isolated
from gaffertape.sheets.ods_merges import ods_merges
from gaffertape.tablefile import decode_text

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
SUFFIXES = WORKBOOK_SUFFIXES | {".csv"}
UNCHECKED = {".xlsb": "binary Excel"}
"""Formats python-calamine reads but whose cells cannot be checked before it allocates them
(a far cell in a 1 KB .xlsb made it ask for 512 GB and abort): refused with a hint."""
MAX_BYTES = 200 * 1024 * 1024
MAX_CELLS = 20_000_000
MAX_SHEETS = 1_000  # each costs a few milliseconds to lay out, however small


def read_grids(path: Path | str) -> list[Grid]:
    """Every sheet of ``path`` as a grid; raises UserError for unreadable or oversized files."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in UNCHECKED:
        raise UserError(f"{path}: {suffix} ({UNCHECKED[suffix]}) is not read: its cells cannot "
                        "be checked before the reader makes room for them",
                        hint="save it as .xlsx (Excel: File > Save As) and tidy that")
    if suffix not in SUFFIXES:
        raise UserError(f"{path}: not a spreadsheet ({suffix or 'no suffix'})",
                        hint=f"use one of {', '.join(sorted(SUFFIXES))}")
    if not path.is_file():
        if path.exists():
            raise UserError(f"{path}: not a regular file (a folder, pipe or device)",
                            hint="give the path of a spreadsheet file")
        raise UserError(f"{path}: no such file", hint="check the path")
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"{path}: file is larger than {MAX_BYTES // 2**20} MB",
                        hint="split the workbook or export the sheets you need")
    if suffix == ".csv":
        return [_read_csv(path)]
    return _read_workbook(path, suffix)


def _read_csv(path: Path) -> Grid:
    text = decode_text(path, path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t|")
    except csv.Error:
        dialect = csv.excel
    # a field may be as long as the file (the default limit, 128 KiB, stopped whole folder runs)
    csv.field_size_limit(max(MAX_BYTES, csv.field_size_limit()))
    lines = max(text.count("\n"), text.count("\r")) + 1
    fields = text.count(dialect.delimiter) + lines  # at least as many as the reader makes
    if fields > MAX_CELLS:  # refused before the reader builds them (150 MB of commas: 2.2 GB)
        raise UserError(f"{path}: more than {MAX_CELLS:,} cells ({fields:,} separators and "
                        "line ends)", hint="split the file, or check its separators")
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows: list[list[object]] = [list(r) for r in reader]
    except csv.Error as exc:
        raise UserError(f"{path} line {reader.line_num}: cannot read as CSV: {exc}",
                        hint="check the quoting on that line, or re-save the file") from exc
    width = max(map(len, rows), default=0)
    if len(rows) * width > MAX_CELLS:  # every row is padded to the widest: check first
        widest = next(n for n, row in enumerate(rows, 1) if len(row) == width)
        raise UserError(f"{path}: more than {MAX_CELLS:,} cells ({len(rows):,} lines, and line "
                        f"{widest:,} has {width:,} fields)",
                        hint="split the file, or check that line's separators")
    return from_rows(rows, source=str(path), sheet=path.stem)


def _read_workbook(path: Path, suffix: str) -> list[Grid]:
    # an .xls cannot be checked before calamine reads it, and an .ods check reads its XML
    # by bytes, not as calamine parses it (a table start in a comment split a table in two,
    # and an 800-byte file aborted the run): both are read in a worker process, an .ods
    # within the memory its check allows
    try:
        if suffix == ".ods":
            sheets, merges = _read_ods(path)
        else:
            check_workbook(path, suffix, MAX_CELLS)  # before calamine allocates anything
            sheets = (read_isolated(str(path), MAX_SHEETS, MAX_CELLS) if suffix == ".xls"
                      else read_sheets(str(path), MAX_SHEETS, MAX_CELLS))
            merges = {}
    except Refused as exc:
        raise _refused(path, *exc.args) from None
    except Unreadable as exc:
        raise _unreadable(path, *exc.args) from exc
    return from_sheets([(name, _cell_array(n_rows, n_cols, cells),
                         merges.get(name, []) if merges else calamine_merges)
                        for name, n_rows, n_cols, cells, calamine_merges in sheets],
                       source=str(path))


def _read_ods(path: Path) -> tuple[list[Sheet], dict[str, list[Merge]]]:
    """An .ods file's sheets, and its merges (see :mod:`.ods_merges`).

    Its content.xml is checked (a bomb, hidden markup: see ``bounds``) and the file read in
    the worker within the memory it could need if nothing in it repeated
    (:func:`_unrepeated_memory`): ordinary files need a fraction of that. Only when the read
    fails for want of memory are its repeats and runs of spaces measured, the costly part of
    the check (a third of the time of tidying a 5 MB .ods): a file whose repeats ask too
    much is refused then, naming them, and one they do not is read again within what they
    measure. A file that fails for another reason, or as badly within that, fails as it did."""
    checked = check_workbook(path, ".ods", MAX_CELLS, measure=False)
    # (the merges read first: the inflated content.xml is let go before calamine reads it)
    merges = ods_merges(path, checked) if checked else {}
    memory = _unrepeated_memory(len(checked.content)) if checked else WORKER_MEMORY
    del checked
    try:
        return read_isolated(str(path), MAX_SHEETS, MAX_CELLS, memory), merges
    except (ReaderDied, Unreadable) as failed:
        if not _out_of_memory(failed):
            raise
        measured = check_workbook(path, ".ods", MAX_CELLS)  # refuses what the repeats ask
        if measured is None:
            raise
        more = memory_for(measured.cells, len(measured.content) + measured.copied)
        del measured
        if more <= memory:
            raise
    return read_isolated(str(path), MAX_SHEETS, MAX_CELLS, more), merges


def _unrepeated_memory(content: int) -> int:
    """The worker's memory for an .ods of ``content`` bytes of XML that repeats nothing: a
    cell for each of the shortest cell tags those bytes could hold (no more than a file may
    have), and as much text."""
    return memory_for(min(content // SHORTEST_CELL, MAX_CELLS), content)


def _out_of_memory(failed: ReaderDied | Unreadable) -> bool:
    """Could ``failed`` be the reader running out of the memory it was allowed? Rust aborts
    (the worker dies of a signal), Python raises MemoryError; a time-out is not."""
    if isinstance(failed, ReaderDied):
        return not failed.timed_out
    return failed.args[1] == "MemoryError"


def _refused(path: Path, bound: str, found: int | str) -> UserError:
    if bound == "sheets":
        return UserError(f"{path}: refused: {found:,} sheets (limit {MAX_SHEETS:,})",
                         hint="split the workbook, or export the sheets you need")
    return UserError(f"{path} (sheet {found!r}): more than {MAX_CELLS:,} cells",
                     hint="split the workbook or export the sheets you need")


def _cell_array(n_rows: int, n_cols: int, cells: list[object]) -> np.ndarray:
    """A sheet's cells, row by row, as a 2-d object array, filled in C from the flat list."""
    return np.fromiter(cells, dtype=object, count=n_rows * n_cols).reshape(n_rows, n_cols)


def _encrypted_ooxml(path: Path) -> bool:
    """Office saves a password-protected .xlsx as an OLE container instead of a zip."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return False
    with path.open("rb") as stream:
        return stream.read(8) == _OLE_MAGIC


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _unreadable(path: Path, sheet: str | None, kind: str, message: str) -> UserError:
    """calamine's failure (``kind``: its exception's type name) as one line naming the file."""
    where = f"{path} (sheet {sheet!r})" if sheet else str(path)
    text = message.lower()
    if "password" in text or "encrypt" in text or _encrypted_ooxml(path):
        hint = "it looks password-protected or encrypted: save an unprotected copy"
    else:
        hint = "the file may be corrupt or not really a spreadsheet: open and re-save it"
    return UserError(f"{where}: cannot read: {kind}: {message}", hint=hint)
