"""Checks on a workbook's zip before any reader allocates anything from it.

An .xlsx or .ods file is a zip of XML. A few kilobytes can declare a sheet of 17 billion cells
(one cell at ``XFD1048576``) or inflate to gigabytes of XML (a zip bomb), and python-calamine
allocates the whole dense sheet before our cell-count guard could look at it: the process dies
with a Rust out-of-memory abort, taking a whole folder run with it. So, before calamine opens
the file:

* every zip member is streamed once through :mod:`zipfile` (CRC-32 checked, so a header that
  lies about its size fails as corrupt), counting the bytes actually inflated against a bound on
  the size and on the compression ratio, as :mod:`gaffertape.sites.safezip` does for scripts;
* every .xlsx worksheet's real extent (the furthest row and column holding a value) is checked
  against the cell limit on the way, and its declared extent (``<dimension ref=…>``) is read.

Memory stays flat: members are read in chunks, never whole.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from gaffertape.errors import UserError

CHUNK = 1024 * 1024
MAX_MEMBER_BYTES = 1024**3
"""Bound on one zip member's inflated size (a 20-million-cell sheet is well under it)."""
MAX_RATIO = 200.0
"""Bound on one member's compression ratio; real workbooks stay under 170 (styles.xml)."""
RATIO_SLACK = 1024 * 1024
"""Small members may compress better than the ratio: this much is always allowed."""

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
# ` r="C12"` on a cell, ` r="12"` on a row: the widest column letters and the longest row numbers
_LETTERS = {n: re.compile(rb' r="[A-Z]{%d}\d' % n) for n in (3, 2, 1)}
_DIGITS = {n: re.compile(rb' r="[A-Z]{0,3}\d{%d}"' % n) for n in (7, 6, 5, 4, 3, 2, 1)}
_COLUMN_BOUNDS = ((3, 16_384), (2, 26 * 27), (1, 26))
_ROW_BOUNDS = ((7, 1_048_576), (6, 999_999), (5, 99_999), (4, 9_999), (3, 999), (2, 99), (1, 9))
# a cell with content: its tag is not self-closing
_VALUE_CELL = re.compile(rb' r="([A-Z]{1,3})(\d{1,7})"[^>/]*>')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_TAIL = 64  # bytes of the previous chunk kept, so a tag cut by a chunk boundary is still seen


def check_workbook(path: Path, suffix: str, max_cells: int) -> None:
    """Raise :class:`UserError` (naming the file, and the sheet where it can) when the zip
    inside ``path`` breaks a bound, is corrupt, or declares or holds a sheet over ``max_cells``.

    .xls files are not zips (their format caps a sheet at 65,536 x 256 cells) and are let
    through; a file that is not a zip at all is left to the reader to report.
    """
    if suffix not in {".xlsx", ".xlsm", ".ods"} or not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = _worksheet_names(archive) if suffix != ".ods" else {}
            for info in archive.infolist():
                if info.is_dir():
                    continue
                extent = _Extent() if info.filename in sheets else None
                _stream_member(path, archive, info, extent)
                if extent is None:
                    continue
                if extent.cells > max_cells:  # maybe only formatted, empty rows: look closer
                    extent = _Extent(exact=True)
                    _stream_member(path, archive, info, extent)
                extent.check(path, sheets[info.filename], max_cells)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read: corrupt zip: {exc}",
                        hint="the file may be damaged: open and re-save it") from exc


def _stream_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   extent: _Extent | None) -> None:
    limit = min(MAX_MEMBER_BYTES, max(info.compress_size, 1) * MAX_RATIO + RATIO_SLACK)
    if info.file_size > limit:
        raise _bomb(path, info, info.file_size)
    size, tail = 0, b""
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise _bomb(path, info, size)
            if extent is not None:
                extent.scan(tail + chunk)
                tail = chunk[-_TAIL:]


def _bomb(path: Path, info: zipfile.ZipInfo, size: int) -> UserError:
    return UserError(
        f"{path}: refused: {info.filename} inflates to more than {size:,} bytes from "
        f"{info.compress_size:,} (limits: {MAX_MEMBER_BYTES // 2**20:,} MB, "
        f"{MAX_RATIO:g}x compression)",
        hint="this looks like a zip bomb; if the workbook is genuine, export the sheets you "
             "need as CSV",
    )


@dataclass
class _Extent:
    """The declared and the furthest filled row and column of one worksheet's XML.

    The quick pass only bounds them, from how long the longest references are (does any
    ``r="..."`` have a 3-letter column, a 6-digit row?): a handful of searches that stop at the
    first hit, whatever the sheet's size. Only a sheet whose bound is over the limit gets the
    ``exact`` pass, which reads the reference of every cell that has content (rows that are
    only formatted do not count, as calamine skips them too). References are found by their
    ``r`` attribute wherever it sits in the tag, so attribute order cannot hide a cell.
    """

    exact: bool = False
    declared_rows: int = 0
    declared_cols: int = 0
    declared_ref: str = ""
    rows: int = 0
    columns: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    def scan(self, data: bytes) -> None:
        if not self.declared_ref and (dim := _DIMENSION.search(data)):
            first_col, first_row, last_col, last_row = dim.groups()
            self.declared_ref = dim[0].split(b'"')[1].decode()
            if last_col:
                self.declared_rows = int(last_row) - int(first_row) + 1
                self.declared_cols = column_number(last_col) - column_number(first_col) + 1
        if self.exact:
            self._scan_cells(data)
            return
        self.columns = max(self.columns, next(
            (bound for letters, bound in _COLUMN_BOUNDS if _LETTERS[letters].search(data)), 0))
        self.rows = max(self.rows, next(
            (bound for digits, bound in _ROW_BOUNDS if _DIGITS[digits].search(data)), 0))

    def _scan_cells(self, data: bytes) -> None:
        found = _VALUE_CELL.findall(data)
        if found:
            self.rows = max(self.rows, *(int(row) for _, row in found))
            widest = max((len(col), col) for col, _ in found)[1]
            self.columns = max(self.columns, column_number(widest))

    def check(self, path: Path, sheet: str, max_cells: int) -> None:
        """Refuse a sheet whose filled cells span more than ``max_cells``.

        The declared range alone is not refused: python-calamine (0.9) sizes a sheet by its
        cells, not by the declaration, and Excel's "used range" is often inflated by
        formatting, so such a sheet is read as its real, small extent. The declaration is
        named in the message when it, too, is huge.
        """
        real = self.rows * self.columns
        if real <= max_cells:
            return
        declared = self.declared_rows * self.declared_cols
        said = f"; it declares {self.declared_ref}" if declared > max_cells else ""
        raise UserError(
            f"{path} (sheet {sheet!r}): refused: a value as far as row {self.rows:,}, "
            f"column {self.columns:,} makes a sheet of {real:,} cells (limit {max_cells:,}){said}",
            hint="delete the far-away cells and save again, or export the sheet as CSV",
        )


def column_number(letters: bytes) -> int:
    """1-based column number of ``b'A'``, ``b'AB'``, ``b'XFD'``."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _worksheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip member -> sheet name for every worksheet of an .xlsx (from workbook.xml and its
    relationships); empty when they cannot be read (then calamine reports the problem)."""
    try:
        workbook = etree.fromstring(archive.read("xl/workbook.xml"), _PARSER)
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    names = {}
    for sheet in workbook.iter("{*}sheet"):
        rel = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rel, "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        names[str(PurePosixPath(member))] = sheet.get("name", "")
    return names
