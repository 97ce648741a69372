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
from gaffertape.sheets import isolation
from gaffertape.sheets.bounds import check_workbook, quick_check
from gaffertape.sheets.calamine_read import Merge, Refused, Sheet, Unreadable
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
    try:
        sheets, merges = _read_in_worker(path, suffix)
    except Refused as exc:
        raise _refused(path, *exc.args) from None
    except Unreadable as exc:
        raise _unreadable(path, *exc.args) from exc
    return from_sheets([(name, _cell_array(n_rows, n_cols, cells),
                         merges.get(name, []) if merges else calamine_merges)
                        for name, n_rows, n_cols, cells, calamine_merges in sheets],
                       source=str(path))


CHECKED_FIRST_ABOVE = 1024**3
"""A zip whose quick allowance is over this is checked whole before it is read, as every
file once was: what the worker builds within its allowance, this process builds again, and
the bytes a file pads its cells' parts with raise the allowance (by 72 bytes each in a
sheet). The real workbooks are allowed 743 MB at most."""


def _read_in_worker(path: Path, suffix: str) -> tuple[list[Sheet], dict[str, list[Merge]]]:
    """A workbook's sheets, read by python-calamine in the worker process (see
    :mod:`.isolation`), and an .ods file's merges (see :mod:`.ods_merges`).

    A Rust abort ends the worker, not this process, and the worker's memory is capped, so
    a zip workbook needs only the quick check first (see ``bounds.quick_check``): it is read
    within the memory its parts could need if none of its cells repeated. Ordinary files
    need a fraction of that, and skip the rest of the check, which took a tenth of the
    pipeline's time (a third on a large .ods). When the read fails or calamine refuses the
    file, the whole check runs and says why if it can (a bomb, a far cell, repeats or copies
    of text that ask too much); a file it lets through that ran out of memory (honest
    repeats, a sparse sheet) is read again within what the check measured. A file whose
    quick allowance is over :data:`CHECKED_FIRST_ABOVE` is checked whole first. (An .xls is
    not a zip: nothing is checked first, and it is read within the worker's ceiling.)"""
    memory, merges = _first_allowance(path, suffix)
    try:
        return read_isolated(str(path), MAX_SHEETS, MAX_CELLS, memory), merges
    except (ReaderDied, Unreadable, Refused) as failed:
        # a checked .xlsx is read within the worker's ceiling: its check reads every cell's
        # place as calamine does
        more = _checked_allowance(path, suffix, otherwise=WORKER_MEMORY)
        if not _out_of_memory(failed) or more <= memory:
            raise
    return read_isolated(str(path), MAX_SHEETS, MAX_CELLS, more), merges


def _first_allowance(path: Path, suffix: str) -> tuple[int, dict[str, list[Merge]]]:
    """The memory the first read is allowed (see :func:`_read_in_worker`), and an .ods
    file's merges, read from the content the quick check inflated (the content is let go
    before calamine reads the file)."""
    quick = quick_check(path, suffix, MAX_CELLS)
    if quick is None:
        return WORKER_MEMORY, {}
    merges = ods_merges(path, quick.ods) if quick.ods else {}
    memory = memory_for(quick.cells, quick.text)
    del quick
    if memory > CHECKED_FIRST_ABOVE:  # large, or padded to look large
        memory = _checked_allowance(path, suffix, otherwise=memory)
    return memory, merges


def _checked_allowance(path: Path, suffix: str, *, otherwise: int) -> int:
    """Run the whole check (which raises the reason a file asks too much, if it finds one);
    an .ods is then allowed what its check measured (see ``isolation.memory_for``), another
    file ``otherwise``."""
    checked = check_workbook(path, suffix, MAX_CELLS)
    if checked is None:
        return otherwise
    return memory_for(checked.cells, len(checked.content) + checked.copied)


def _out_of_memory(failed: Exception) -> bool:
    """Could ``failed`` be the reader running out of the memory it was allowed? Rust aborts
    (the worker dies of a signal), Python raises MemoryError; a time-out is not, nor is a
    file over a bound that calamine itself reports (:class:`Refused`)."""
    if isinstance(failed, ReaderDied):
        return not failed.timed_out
    return isinstance(failed, Unreadable) and failed.args[1] == "MemoryError"


def _refused(path: Path, bound: str, found: int | str) -> UserError:
    if bound == "sheets":
        return UserError(f"{path}: refused: {found:,} sheets (limit {MAX_SHEETS:,})",
                         hint="split the workbook, or export the sheets you need")
    if bound == "values":
        return UserError(f"{path}: refused: its cells' values come to {found:,} bytes (limit "
                         f"{isolation.MAX_ANSWER_BYTES:,}): text copied into many cells?",
                         hint="shorten the long texts, or export the sheets you need as CSV")
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
