"""Checks on a workbook's zip before any reader allocates anything from it.

An .xlsx or .ods file is a zip of XML. A few kilobytes can declare a sheet of 17 billion cells
(one cell at ``XFD1048576``) or inflate to gigabytes of XML (a zip bomb), and python-calamine
allocates the whole dense sheet before our cell-count guard could look at it: the process dies
with a Rust out-of-memory abort, taking a whole folder run with it. So, before calamine opens
the file:

* every zip member is inflated once, in pieces, counting the bytes that actually come out
  against a bound on the size and on the compression ratio (as :mod:`gaffertape.sites.safezip`
  does for scripts), so a header that lies about its size gains nothing;
* every .xlsx worksheet's real extent (the furthest row and column holding a value) is checked
  against the cell limit on the way, and its declared extent (``<dimension ref=…>``) is read;
* the text calamine would copy into cells is bounded (see :data:`MAX_COPIED_TEXT`): an .xlsx's
  cells times its longest shared string, an .ods's text times its repeats.

Memory stays flat: members are read in chunks, never whole.
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, NamedTuple, Protocol

from isal import isal_zlib
from lxml import etree

from gaffertape.errors import UserError
from gaffertape.sheets.ods_merges import OdsContent, ods_tables, offsets

CHUNK = 1024 * 1024
MAX_MEMBER_BYTES = 1024**3
"""Bound on one zip member's inflated size (a 20-million-cell sheet is well under it)."""
MAX_RATIO = 200.0
"""Bound on one member's compression ratio; real workbooks stay under 170 (styles.xml)."""
RATIO_SLACK = 1024 * 1024
"""Small members may compress better than the ratio: this much is always allowed."""
MAX_COPIED_TEXT = 1024**3
"""Bound on the text calamine copies into cells: out of an .xlsx's shared strings (taken as
every cell of every sheet times the longest shared string), or by an .ods's repeated cells
and rows that hold text (see :func:`_table_bound`). One 32,752-character string used by
100,000 cells (a 760 KB .xlsx) is 3.3 GB of copies, and aborted the process, as did 10 MB of
text repeated over 20 x 20 .ods cells. The real workbooks of ``files/`` stay under 48 MB
(``vaccinations.xlsx``: 14,173 cells, a 3,537-byte string)."""
MAX_MEMBERS = 20_000
"""Parts a workbook's zip may hold: a sheet brings a few (its XML, relationships, drawings),
so a thousand sheets stay well under it. Each part is inflated and checked, and the reader
lists them all again: 200,000 empty parts (an 18 MB file) took 3.7 s and 240 MB."""
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 256
"""Bound on the zip's central directory, which lists the parts (46 bytes each and the part's
name): checked before zipfile reads it whole (see :func:`_check_directory`)."""
MAX_TOTAL_BYTES = 2 * MAX_MEMBER_BYTES
"""Bound on what a workbook's parts declare they inflate to, in all."""
MAX_SHEET_LIST_BYTES = 16 * 1024 * 1024
"""Bound on xl/workbook.xml and its relationships, which are kept whole and parsed: a
thousand sheets take well under 1 MB."""

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_FEW_ROWS = 999  # no row number of 4 digits; x 16,384 columns is still under 20 million cells
_COLUMN_BOUNDS = {0: 0, 1: 26, 2: 26 * 27, 3: 16_384}  # by letters in the widest column
_ROW_BOUNDS = {3: _FEW_ROWS, 4: 9_999, 5: 99_999, 6: 999_999, 7: 1_048_576}  # by row digits


def _news(letters: int, digits: int) -> re.Pattern[bytes]:
    """A cell tag the quick scan has not seen the like of: one whose reference has more column
    letters or more row digits than ``letters`` and ``digits``, or that is not written the way
    the scan reads (``<c r="A1"``: another attribute first, no reference, single quotes,
    spaces, lower case). The last kind sends the sheet to the walk (see :class:`_CellWalk`).

    One search finds the next such tag, so a sheet's hundreds of thousands of cells are each
    tried once, at C speed; the runs are possessive (``++``): giving back letters or digits
    cannot make a match."""
    if letters == 0:  # nothing seen yet: the first cell is news
        return re.compile(rb"<c[\s/>]")
    return re.compile(rb'<c(?! r="[A-Z]{1,%d}+\d{1,%d}+")[\s/>]' % (letters, digits))


_NEWS = {(letters, digits): _news(letters, digits)
         for letters in range(4) for digits in range(3, 8)}
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]{1,3}+)(\d{1,7}+)"')
_CELL_TAG = b'<c r="'  # in a sheet the quick pass clears, every cell tag starts so
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # <x:c ...>: calamine reads it as a cell too
_ANY_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_LOOKAHEAD = 24  # bytes a cell tag needs to be told canonical (`<c r="XFD1048576"` and more)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_TAIL = 64  # bytes of the previous chunk kept, so a tag cut by a chunk boundary is still seen


def check_workbook(path: Path, suffix: str, max_cells: int) -> OdsContent | None:
    """Raise :class:`UserError` (naming the file, and the sheet where it can) when the zip
    inside ``path`` breaks a bound, is corrupt, or declares or holds a sheet over ``max_cells``.

    .xls files are not zips (their format caps a sheet at 65,536 x 256 cells) and are let
    through; a file that is not a zip at all is left to the reader to report. Returns an .ods
    file's ``content.xml``, inflated and checked here, and its tables, so its merges are read
    without inflating or searching it again (``None`` otherwise).
    """
    checked = _open_and_check(path, suffix, max_cells, quick=False)
    assert not isinstance(checked, QuickCheck)
    return checked


class QuickCheck(NamedTuple):
    """What :func:`quick_check` found of a zip workbook: at most how many cells and bytes of
    text its parts could make if none of its cells repeated (an .xlsx's cells cannot; an
    .ods's repeats are not measured), and an .ods file's content."""

    cells: int
    text: int
    ods: OdsContent | None
    fanout: int = 0  # an .xlsx's cells times its longest shared string (see _Fanout)


def quick_check(path: Path, suffix: str, max_cells: int) -> QuickCheck | None:
    """The part of :func:`check_workbook` that costs little: the zip's directory, the sizes
    its parts declare (a bomb that says what it is), the sheet list, and the parts whose
    bytes become cells, inflated within the bounds (an .ods file's content, with the markup
    calamine reads past blanked: see :func:`_unmarked`; an .xlsx's sheets, measured, and its
    shared strings, whose longest string bounds the text its cells copy). Left out: the
    other parts, and measuring the sheets' extents and an .ods file's repeats, four-fifths
    of the check's time. Where the copied text could pass its bound, the whole check runs
    here instead (and returns the same result if it passes). A reader that reads the file
    within the memory the result bounds (``isolation.memory_for``) runs
    :func:`check_workbook` only when that read fails, to say why. ``None`` for a file that
    is not a zip (as :func:`check_workbook`)."""
    checked = _open_and_check(path, suffix, max_cells, quick=True)
    assert not isinstance(checked, OdsContent)
    return checked


def _open_and_check(path: Path, suffix: str, max_cells: int,
                    quick: bool) -> OdsContent | QuickCheck | None:
    if suffix not in {".xlsx", ".xlsm", ".ods"}:
        return None
    try:  # opened once: the zip's directory and its members are read from this handle
        raw = path.open("rb")
    except OSError:
        return None  # as zipfile.is_zipfile(path) said: the reader reports the file
    with raw:
        try:
            is_zip = zipfile.is_zipfile(raw)  # (raises on a zip "spanning several disks")
        except zipfile.BadZipFile as exc:
            raise _corrupt(path, exc) from exc
        return _check_zip(path, raw, suffix, max_cells, quick) if is_zip else None


def _check_zip(path: Path, raw: BinaryIO, suffix: str, max_cells: int,
               quick: bool) -> OdsContent | QuickCheck | None:
    """:func:`check_workbook` (or :func:`quick_check`) on the open zip ``raw``."""
    ods_content = None
    try:
        _check_directory(path, raw)
        with zipfile.ZipFile(raw) as archive:
            parts = archive.infolist()
            _check_parts(path, parts)
            sheets: dict[str, str] = {}
            unreadable = None
            try:
                sheets = _worksheet_names(path, parts, raw) if suffix != ".ods" else {}
            except UserError as exc:  # said once every member has passed the bounds
                unreadable = exc
            found = None
            if quick and not unreadable:
                found = _quick(path, raw, suffix, [p for p in parts if not p.is_dir()],
                               sheets, max_cells)
                if found.fanout <= MAX_COPIED_TEXT:
                    return found
                # (else the whole check counts the cells that could copy the longest string)
            fanout = _Fanout()
            for info in parts:
                if not info.is_dir():
                    ods_content = _check_member(path, raw, info, suffix, sheets, max_cells,
                                                fanout) or ods_content
            if unreadable:
                raise unreadable
            fanout.check(path)
            if found:
                return found
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, isal_zlib.error, EOFError,
            OSError, ValueError, NotImplementedError) as exc:  # (a zip version zipfile lacks)
        raise _corrupt(path, exc) from exc
    return ods_content


_SHORTEST_XLSX_CELL = len(b"<c/>")  # (calamine places a cell without a reference after the last)


def _quick(path: Path, raw: BinaryIO, suffix: str, parts: list[zipfile.ZipInfo],
           sheets: dict[str, str], max_cells: int) -> QuickCheck:
    """:func:`quick_check` once the directory and the sheet list have passed. The bounds
    count only the parts whose bytes become cells (an .ods's content, an .xlsx's sheets and
    shared strings), as they really inflate: what other parts declare, or parts calamine
    never reads, must not raise the memory a file is read within (a 96 KB file of empty
    parts declaring 1 MB each raised it to 8 GB)."""
    for info in parts:
        _declared_limit(path, info, MAX_MEMBER_BYTES)
    if suffix == ".ods":
        content = next((info for info in parts if info.filename == "content.xml"), None)
        xml = (_unmarked(path, _stream_member(path, raw, content, None, keep=True))
               if content else b"")
        return QuickCheck(min(len(xml) // SHORTEST_CELL, max_cells), len(xml),
                          OdsContent(xml, ods_tables(xml)))
    sheet_bytes = text = longest = 0
    for info in parts:
        key = _member_key(info.filename)
        if key in sheets:
            size = _inflated_size(path, raw, info)
            sheet_bytes, text = sheet_bytes + size, text + size
        elif key == _SHARED_STRINGS:  # (small: its bound on the text cells copy is cheap)
            strings = _StringTable()
            _stream_member(path, raw, info, strings)
            strings.check(path, max_cells)
            text, longest = text + strings.size, max(longest, strings.longest)
    cells = min(sheet_bytes // _SHORTEST_XLSX_CELL, max_cells)
    return QuickCheck(cells, text, None, cells * longest)


def _inflated_size(path: Path, raw: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Bytes ``info`` inflates to, within the bounds (see :func:`_stream_member`)."""
    counter = _Size()
    _stream_member(path, raw, info, counter)
    return counter.size


@dataclass
class _Size:
    """A watcher that only counts the bytes."""

    size: int = 0

    def read(self, chunk: bytes) -> None:
        self.size += len(chunk)

    def finish(self) -> None:
        pass


def _corrupt(path: Path, exc: Exception) -> UserError:
    return UserError(f"{path}: cannot read: corrupt zip: {exc}",
                     hint="the file may be damaged: open and re-save it")


def _check_directory(path: Path, raw: BinaryIO) -> None:
    """Refuse a zip whose directory is longer than :data:`MAX_DIRECTORY_BYTES`, before
    zipfile reads it and makes an object of every entry (about 560 bytes each: 2.5 million
    entries fit in 200 MB). The size is the one zipfile itself will use (the zip64 record's
    where there is one), from its own reading of the end record: a record placed or written
    to fool a second reading would not fool this one.

    That record must also be the only reading there is: with its comment, it ends the file
    (NUL padding aside), and the directory it points at ends where it begins (zip64 records
    between). zipfile takes the last record it finds and the directory just before it,
    wherever the record says that is; calamine's zip reader takes an earlier record when the
    last is inconsistent. Files holding two zips, each checked as one and read as the other,
    showed every check a harmless zip and calamine a far cell or a shared-string fanout."""
    end = zipfile._EndRecData(raw)  # type: ignore[attr-defined]  # (zipfile's own)
    if end is None:
        return  # (no record: zipfile refuses the file itself)
    directory = end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
    if directory > MAX_DIRECTORY_BYTES:
        raise UserError(
            f"{path}: refused: its zip's directory is {directory:,} bytes (limit "
            f"{MAX_DIRECTORY_BYTES:,}): room for more than {MAX_MEMBERS:,} parts",
            hint="open the workbook in Excel or LibreOffice and save it again")
    if not _one_reading(raw, end):
        raise UserError(f"{path}: refused: its zip's end record is not where the file ends, or "
                        "not right after its directory: it may hold two zips",
                        hint="open the workbook in Excel or LibreOffice and save it again")


_NUL_PADDING = 65_536  # bytes of NULs a writer may leave after the end record (block padding)


def _one_reading(raw: BinaryIO, end: list[Any]) -> bool:
    """Do the end record ``end`` (as :func:`zipfile._EndRecData` read it), its comment and
    its directory account for the end of the file exactly?"""
    location = end[zipfile._ECD_LOCATION]  # type: ignore[attr-defined]
    comment, said = end[zipfile._ECD_COMMENT], end[zipfile._ECD_COMMENT_SIZE]  # type: ignore[attr-defined]
    records = location  # where the directory must end: the end record, or the zip64 records
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
        records -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
    if len(comment) != said or end[zipfile._ECD_OFFSET] + end[zipfile._ECD_SIZE] != records:  # type: ignore[attr-defined]
        return False
    after = location + zipfile.sizeEndCentDir + said
    size = raw.seek(0, 2)
    if size - after > _NUL_PADDING:
        return False
    raw.seek(after)
    return raw.read().strip(b"\0") == b""


def _check_parts(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    """Refuse more than :data:`MAX_MEMBERS` parts, or parts that declare more than
    :data:`MAX_TOTAL_BYTES` in all (each is then held to what it declares: see
    :func:`_stream_member`), before any is inflated: 15,000 small parts of 1 MB each, or one
    part listed 2,000 times, took minutes."""
    if len(parts) > MAX_MEMBERS:
        raise UserError(
            f"{path}: refused: its zip holds {len(parts):,} parts (limit {MAX_MEMBERS:,}; a "
            "workbook has a few dozen)",
            hint="open the workbook in Excel or LibreOffice and save it again")
    total = sum(info.file_size for info in parts)
    if total > MAX_TOTAL_BYTES:
        raise UserError(
            f"{path}: refused: its parts declare {total:,} bytes in all (limit "
            f"{MAX_TOTAL_BYTES:,})",
            hint="this looks like a zip bomb; if the workbook is genuine, export the sheets you "
                 "need as CSV")


def _check_member(path: Path, raw: BinaryIO, info: zipfile.ZipInfo,
                  suffix: str, sheets: dict[str, str], max_cells: int, fanout: _Fanout
                  ) -> OdsContent | None:
    """Inflate one member within the bounds, checking it on the way if it is a worksheet,
    the shared strings or an .ods file's content (and adding a worksheet's cells and the
    longest shared string to ``fanout``); returns that content (else ``None``)."""
    if suffix == ".ods":
        if info.filename != "content.xml":
            _stream_member(path, raw, info, None)
            return None
        content = _unmarked(path, _stream_member(path, raw, info, None, keep=True))
        tables = ods_tables(content)
        _check_ods_spaces(path, content)  # first: the extent's text bound relies on it
        cells, copied = _check_ods_extent(path, content, max_cells, tables)
        return OdsContent(content, tables, cells, copied)
    key = _member_key(info.filename)
    sheet, shared = sheets.get(key), key == _SHARED_STRINGS
    if sheet is None and not shared:
        _stream_member(path, raw, info, None)
    if sheet is not None:
        extent = _Extent()
        _stream_member(path, raw, info, extent)
        if extent.odd or extent.cells > max_cells:  # look closer, as calamine reads
            if extent.tags > max_cells:  # (the walk, in Python, took 156 s for 50 million)
                raise UserError(f"{path} (sheet {sheet!r}): refused: {extent.tags:,} cell tags, "
                                f"each at least one cell (limit {max_cells:,})",
                                hint="split the sheet, or export it as CSV")
            extent = _walked(path, raw, info, sheet)
        extent.check(path, sheet, max_cells)
        fanout.cells += extent.count
    if shared:  # (a member listed as a sheet too is checked as both)
        strings = _StringTable()
        _stream_member(path, raw, info, strings)
        strings.check(path, max_cells)
        fanout.longest = max(fanout.longest, strings.longest)
    return None


@dataclass
class _Fanout:
    """The cells of a workbook's sheets and its longest shared string (in bytes of XML, at
    least its length once read), whose product bounds the text calamine copies into cells."""

    cells: int = 0
    longest: int = 0

    def check(self, path: Path) -> None:
        if self.cells * self.longest > MAX_COPIED_TEXT:
            raise UserError(
                f"{path}: refused: {self.cells:,} cells could each copy its longest shared "
                f"string ({self.longest:,} bytes): up to {self.cells * self.longest:,} bytes "
                f"of text (limit {MAX_COPIED_TEXT:,})",
                hint="shorten that long text, or export the sheets you need as CSV")


class _Watcher(Protocol):
    """What reads a member's chunks as they inflate (see :func:`_stream_member`)."""

    def read(self, chunk: bytes) -> None: ...

    def finish(self) -> None: ...


def _stream_member(path: Path, raw: BinaryIO, info: zipfile.ZipInfo,
                   watcher: _Watcher | None, *, keep: bool = False,
                   most: int = MAX_MEMBER_BYTES) -> bytes:
    """Inflate one member in chunks within the bounds (``most`` bytes at most), showing each
    to ``watcher``; its bytes are returned only with ``keep`` (else ``b""``: memory stays
    flat). A member may not inflate to more than it declares: the declared sizes are what
    :func:`_check_parts` adds up."""
    limit = _declared_limit(path, info, most)
    size, kept = 0, []
    for chunk in _inflated(raw, info):
        size += len(chunk)
        if size > limit:
            raise _bomb(path, info, size, limit)
        if size > info.file_size:  # (named as a corrupt zip by _check_zip, as in _inflated)
            raise zipfile.BadZipFile(f"{info.filename} inflates to more than the "
                                     f"{info.file_size:,} bytes it declares")
        if keep:
            kept.append(chunk)
        if watcher is not None:
            watcher.read(chunk)
    if watcher is not None:
        watcher.finish()
    return b"".join(kept)


def _declared_limit(path: Path, info: zipfile.ZipInfo, most: int) -> int:
    """The most ``info`` may inflate to (``most``, or :data:`MAX_RATIO` times its compressed
    size); refuses a part that declares more, or that is encrypted or compressed in a way
    Office and LibreOffice never write."""
    if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        how = "encrypted" if info.flag_bits & 1 else f"compressed by method {info.compress_type}"
        raise UserError(f"{path}: cannot read: its part {info.filename} is {how}, which the "
                        "reader cannot open (Excel and LibreOffice only store or deflate)",
                        hint="its parts are password-protected or compressed in a way this "
                             "tool cannot read: open it and save an ordinary copy")
    limit = min(most, max(info.compress_size, 1) * MAX_RATIO + RATIO_SLACK)
    if info.file_size > limit:
        raise _bomb(path, info, info.file_size, limit)
    return int(limit)


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name and extra field lengths
_PIECE = 16 * 1024
"""Compressed bytes inflated at a time: at most ~16 MB come out of them (deflate's ratio is
bounded near 1,032), so a bomb is refused after a few steps without filling memory."""


def _inflated(raw: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A stored or deflated member's bytes as they inflate (all that Office and LibreOffice
    write, and all that calamine reads), straight from the file: the bound counts the bytes
    that come out, so :mod:`zipfile`'s CRC check, a third of this module's time, adds no
    protection (a corrupt member is calamine's to report). Compressed bytes after the end of
    the deflate stream are refused: they would count towards the ratio allowed."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    raw.seek(name_length + extra_length, 1)
    # ISA-L's inflate (the same deflate as zlib's, 2.4x faster): every member is inflated once
    inflater = isal_zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type else None
    left = info.compress_size
    while left > 0:
        piece = raw.read(min(left, _PIECE if inflater else CHUNK))
        if not piece:
            raise EOFError(f"{info.filename} is cut short")
        left -= len(piece)
        if chunk := inflater.decompress(piece) if inflater else piece:
            yield chunk
        if inflater and inflater.eof and (left or inflater.unused_data):
            raise zipfile.BadZipFile(f"{info.filename} has data after its compressed stream")
    if inflater and not inflater.eof:
        raise EOFError(f"{info.filename} is cut short")


def _bomb(path: Path, info: zipfile.ZipInfo, size: int, limit: int) -> UserError:
    return UserError(
        f"{path}: refused: {info.filename} inflates to more than {size:,} bytes from "
        f"{info.compress_size:,} (limit for it: {limit:,} bytes; {MAX_RATIO:g}x compression "
        "at most)",
        hint="this looks like a zip bomb; if the workbook is genuine, export the sheets you "
             "need as CSV",
    )


@dataclass
class _Extent:
    """The declared and the furthest filled row and column of one worksheet's XML.

    The quick pass (the default) only bounds them, from how long the longest references are
    (does any cell have a 3-letter column, a 6-digit row?), in one read of the XML (see
    :func:`_widest_cells`). It can do so only if every cell tag is written ``<c r="A1"``, as
    Excel, LibreOffice and openpyxl write them; a sheet with any other cell tag is ``odd``.
    An odd sheet, or one whose bound is over the limit, is read again by the ``exact`` pass,
    which follows the XML the way calamine does (see :class:`_CellWalk`).
    """

    exact: bool = False
    declared_rows: int = 0
    declared_cols: int = 0
    declared_ref: str = ""
    rows: int = 0
    columns: int = 0
    odd: bool = False  # a cell tag the quick pass cannot read
    count: int = 0  # cells: the quick pass's cell tags, or the walk's filled cells
    tags: int = 0  # the quick pass's cell tags of any form (each at least one cell)
    widest: tuple[int, int] = (0, 3)  # the quick pass's (letters, digits) so far
    _tail: bytes = b""
    _walk: _CellWalk | None = None

    def __post_init__(self) -> None:
        if self.exact:
            self._walk = _CellWalk()

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    def read(self, chunk: bytes) -> None:
        """Take the member's next inflated ``chunk``."""
        data = self._tail + chunk
        if not self.declared_ref and (dim := _DIMENSION.search(data)):
            first_col, first_row, last_col, last_row = dim.groups()
            self.declared_ref = dim[0].split(b'"')[1].decode()
            if last_col:
                self.declared_rows = int(last_row) - int(first_row) + 1
                self.declared_cols = column_number(last_col) - column_number(first_col) + 1
        if self._walk is not None:
            self._walk.feed(chunk)
        elif not self.odd:  # a tag near the end is read whole from the next chunk's tail
            self._scan(data, len(data) - _LOOKAHEAD)
            self.count += data.count(_CELL_TAG) - self._tail.count(_CELL_TAG)  # each once
        if self._walk is None:
            self.tags += len(_ANY_CELL_TAG.findall(data)) - len(_ANY_CELL_TAG.findall(self._tail))
        self._tail = data[-_TAIL:]

    def finish(self) -> None:
        """The member has been read: the tags at its very end, or the walk's result."""
        if self._walk is not None:
            self.rows, self.columns = self._walk.close()
            self.count = self._walk.filled
        elif not self.odd:
            self._scan(self._tail, len(self._tail))

    def _scan(self, data: bytes, stop: int) -> None:
        """The quick pass over the tags of ``data`` that start before ``stop``."""
        letters, digits, odd = _widest_cells(data, *self.widest, stop)
        prefixed = _PREFIXED_CELL.search(data)
        self.odd = odd or (prefixed is not None and prefixed.start() < stop)
        self.widest = letters, digits
        self.columns = max(self.columns, _COLUMN_BOUNDS[letters])
        self.rows = max(self.rows, _ROW_BOUNDS[digits])

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


def _widest_cells(data: bytes, letters: int, digits: int, stop: int) -> tuple[int, int, bool]:
    """(column letters, row digits, odd) of the cell tags of ``data`` that start before
    ``stop``: the widest and longest references (from ``letters`` and ``digits``, the widest
    in the sheet's earlier chunks; 3 digits when no row number has 4), and whether some cell
    tag is not written ``<c r="A1"`` with at most 3 letters and 7 digits (the scan stops
    there: the sheet will be walked)."""
    start = 0
    while found := _NEWS[(letters, digits)].search(data, start):
        if found.start() >= stop:
            break
        reference = _CELL_REFERENCE.match(data, found.start())
        if not reference:
            return letters, digits, True
        letters, digits = max(letters, len(reference[1])), max(digits, len(reference[2]))
        start = found.start() + 1
    return letters, digits, False


_SHARED_STRINGS = "xl/sharedstrings.xml"  # as _member_key spells it: calamine's lookup is as loose
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*["']\+?(\d+)""")
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s>/]")  # <si>, <x:si ...>


@dataclass
class _StringTable:
    """The largest ``uniqueCount`` a workbook's shared strings declare, and the longest
    string. python-calamine reserves room for ``uniqueCount`` strings before reading one:
    ``uniqueCount="4000000000"`` asks for 96 GB and aborts the process. Found wherever it is
    written (a mention in a string's text can only make the check stricter). A string is
    measured from its ``<si`` to the next (markup and entities included, so never shorter
    than its text; a ``<si`` cut by a chunk boundary joins two strings: longer still)."""

    declared: int = 0
    longest: int = 0
    size: int = 0  # bytes of XML read
    _open: int = 0  # bytes of the string still open at the end of the last chunk
    _tail: bytes = b""

    def read(self, chunk: bytes) -> None:
        self.size += len(chunk)
        data = self._tail + chunk
        for found in _UNIQUE_COUNT.finditer(data):
            digits = found[1]
            self.declared = max(self.declared, 10**12 if len(digits) > 12 else int(digits))
        self._tail = data[-_TAIL:]
        first, *strings = _SHARED_STRING.split(chunk)
        self._open += len(first)
        if strings:
            self.longest = max(self.longest, self._open, *map(len, strings[:-1]))
            self._open = len(strings[-1])

    def finish(self) -> None:
        self.longest = max(self.longest, self._open)

    def check(self, path: Path, max_cells: int) -> None:
        if self.declared > max_cells:
            raise UserError(
                f"{path}: refused: its shared strings declare {self.declared:,} different "
                f"strings (limit {max_cells:,}), which the reader would make room for first",
                hint="open the workbook in Excel or LibreOffice and save it again")


class _Unreadable(Exception):
    """The walk met XML or a reference it cannot read, so it cannot bound the sheet."""


class _CellWalk:
    """How far a worksheet's filled cells reach, found by following its XML (lxml, without
    entities or network) the way python-calamine does, for sheets the quick pass cannot clear.

    calamine puts a cell at its ``r`` reference or, without one, right of the cell before it
    in the row; a row without ``r`` follows the one before. It counts only cells holding
    something (a child element), and reads nothing inside a cell but its value. Where the
    XML as lxml gives it does not say what calamine does (``<c/>`` and ``<c></c>`` look
    alike here; calamine moves on after the second, not the first), the walk takes the
    further position, so it never finds less than calamine would allocate. Finished elements
    are freed as it goes: memory stays flat on a sheet of any size."""

    def __init__(self) -> None:
        self._parser = etree.XMLPullParser(
            events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
            remove_comments=True, remove_pis=True)
        self.rows = self.columns = 0
        self._row = self._col = 0  # where a cell without a reference goes
        self._row_before = 0  # the row before the open row's own reference
        self._cell: tuple[int, int] | None = None  # the open cell's position
        self._depth = 0  # elements open inside the open cell
        self._filled = False  # the open cell has a child element
        self.filled = 0  # cells that hold something (calamine's cells)

    def feed(self, data: bytes) -> None:
        try:
            self._parser.feed(data)
        except etree.XMLSyntaxError as exc:
            raise _Unreadable(f"its XML is not well-formed ({exc})") from exc
        self._follow()

    def close(self) -> tuple[int, int]:
        """(rows, columns) up to the furthest filled cell."""
        try:
            self._parser.close()
        except etree.XMLSyntaxError as exc:
            raise _Unreadable(f"its XML is not well-formed ({exc})") from exc
        self._follow()
        return self.rows, self.columns

    def _follow(self) -> None:
        for event, element in self._parser.read_events():
            if self._cell is not None:
                self._inside_cell(event, element)
                continue
            name = element.tag.rpartition("}")[2]  # calamine matches local names
            if event == "start":
                if name == "c":
                    reference = element.get("r")
                    self._cell = (_position(reference) if reference is not None
                                  else (self._row, self._col))
                    self._depth, self._filled = 0, False
                elif name == "row":
                    self._row_before = self._row
                    if (reference := element.get("r")) is not None:
                        self._row = _row_number(reference) - 1
                continue
            if name == "row":
                if len(element):  # it held something: calamine goes to the next row
                    self._row, self._col = self._row + 1, 0
                else:  # <row/> leaves calamine where it was, <row></row> moves it on
                    self._row = max(self._row_before, self._row + 1)
            _drop(element)  # every finished element: a sheet of any other tags stays small

    def _inside_cell(self, event: str, element: etree._Element) -> None:
        if event == "start" or self._depth:  # the cell's value (calamine reads nothing else)
            self._depth += 1 if event == "start" else -1
            self._filled = True
            return
        row, col = self._cell  # type: ignore[misc]
        if self._filled:
            self.rows, self.columns = max(self.rows, row + 1), max(self.columns, col + 1)
            self._col = col + 1
            self.filled += 1
        else:  # <c/> leaves calamine's column where it was, <c></c> moves it on
            self._col = max(self._col, col + 1)
        self._cell = None
        _drop(element)


_REFERENCE_TEXT = re.compile(r"([A-Za-z]{0,9})(\d{1,15})")


def _position(reference: str) -> tuple[int, int]:
    """0-based (row, column) of a cell reference, read as calamine reads it (either case)."""
    found = _REFERENCE_TEXT.fullmatch(reference)
    if not found:
        raise _Unreadable(f"the cell reference {reference[:20]!r} cannot be read")
    return int(found[2]) - 1, max(column_number(found[1].upper().encode()) - 1, 0)


def _row_number(reference: str) -> int:
    if not reference.isascii() or not reference.isdigit() or len(reference) > 15:
        raise _Unreadable(f"the row number {reference[:20]!r} cannot be read")
    return int(reference)


def _drop(element: etree._Element) -> None:
    """Free a finished element and its finished siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _walked(path: Path, raw: BinaryIO, info: zipfile.ZipInfo,
            sheet: str) -> _Extent:
    """The exact extent of one worksheet member (see :class:`_CellWalk`)."""
    extent = _Extent(exact=True)
    try:
        _stream_member(path, raw, info, extent)
    except _Unreadable as exc:
        raise UserError(f"{path} (sheet {sheet!r}): refused: {exc}, so how far its cells "
                        "reach cannot be checked",
                        hint="open the workbook in Excel or LibreOffice and save it again") from exc
    return extent


def _check_ods_extent(path: Path, content: bytes, max_cells: int,
                      tables: list[tuple[int, str]] | None = None) -> tuple[int, int]:
    """Refuse an .ods table whose repeated rows and cells (``number-rows-repeated``,
    ``number-columns-repeated``) would spread values over more than ``max_cells`` cells.

    A few hundred bytes can repeat one value across 100,000 rows of 1,000 columns, many small
    repeats can multiply, a million empty rows can stand before one value: calamine
    materialises all of it. Every table is measured up to its furthest cell with content (a
    cell with a ``value-type`` or anything inside it); repeated *empty* cells and rows after
    it (LibreOffice pads every sheet with a million of them) do not count. A quick bound
    (:func:`_table_bound`) clears ordinary tables; the row-by-row walk measures the others.
    Content is already bounded in size (see above). ``tables``: where the tables start (see
    :func:`ods_tables`), when the caller has found them. Returns the cells let through (each
    table's quick bound, or its walked extent) and the bytes of text the repeats copy, in all.
    """
    # each named table, found from the few names rather than from every tag, and the
    # start: a table whose name is not read is measured with the one before (looser)
    tables = ods_tables(content) if tables is None else tables
    starts = sorted({0, *(at for at, _ in tables)})
    cells = copied = 0
    for start, end in zip(starts, [*starts[1:], len(content)], strict=True):
        bounds = _table_bound(content, start, end)
        if bounds is None:
            raise UserError(
                f"{path}: refused: a row or cell repeat is written in a form this check does "
                "not read (single quotes, spaces or an entity in number-...-repeated)",
                hint="open the file in LibreOffice and save it again, or export the sheets "
                     "as CSV")
        bound, text = bounds
        if bound > max_cells:
            bound = _check_ods_table_extent(path, content, start, end, max_cells)
        cells += bound
        copied += text
        if copied > MAX_COPIED_TEXT:
            raise UserError(
                f"{path}: refused: its repeated cells and rows copy up to {copied:,} bytes of "
                f"text (limit {MAX_COPIED_TEXT:,})",
                hint="delete the repeated text and save again, or export the sheets as CSV")
    return cells, copied


def _check_ods_table_extent(path: Path, content: bytes, start: int, end: int,
                            max_cells: int) -> int:
    """Walk the table at ``content[start:end]`` row by row; refuse it over ``max_cells``,
    else return its cells."""
    name, rows, width = _ods_table_extent(content, start, end)
    if rows * width > max_cells:
        raise UserError(
            f"{path} (sheet {name!r}): refused: repeated cells spread values over "
            f"{rows:,} rows x {width:,} columns = {rows * width:,} cells "
            f"(limit {max_cells:,})",
            hint="delete the repeated far-away cells and save again, or export the sheet "
                 "as CSV",
        )
    return rows * width


# every "-repeated", with its digits where it is written ="digits" (a literal first: C speed)
_REPEAT = re.compile(rb'-repeated(?:="(\d+)")?')
_COLUMNS_REPEAT = re.compile(rb'columns-repeated="(\d+)"')
SHORTEST_CELL = len(b"<table:table-cell/>")
"""Bytes of the shortest cell an .ods can write: a file without repeats has at most its
content's bytes over this many cells."""


MAX_SPACE_RUN = 32_767
"""Longest run of spaces one ``<text:s text:c="...">`` may ask for (Excel's limit on a cell's
whole text), and ``MAX_SPACES`` the most a file's runs may add up to: python-calamine writes
out every space (``text:c="1000000000"`` in a 788-byte file asked for 1 GB and aborted), and a
label made of them would be copied into every observation of its row."""
MAX_SPACES = 1_048_576
_SPACE_COUNT = re.compile(rb"""text:c\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")


_HIDDEN = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
"""The openings and closings of what calamine's XML parser reads past: comments, CDATA
sections and processing instructions."""


def _unmarked(path: Path, content: bytes) -> bytes:
    """``content`` with its comments, CDATA sections and processing instructions blanked out
    (spaces, so every offset and length stays): calamine reads past them, and the checks,
    which read bytes, must not take what is inside for markup. Tables inside comments made the
    checks measure 20 million cells more (and so let the reader's worker take 8 GB), a table
    start inside one split a table in two for them, and a ``<table:`` inside one ended a cell's
    text early. A ``<!`` that opens none of these (a DOCTYPE: OpenDocument files have none,
    and parsers read its internal subset differently) is refused."""
    data: bytes | bytearray = content
    del content  # (the caller's was the only other reference: two copies at most, not three)
    end = 0
    for start in _openings(data):
        if start < end:
            continue  # inside one already blanked
        opening = next((o for o in _HIDDEN if data.startswith(o, start)), None)
        if opening is None:
            raise UserError(f"{path}: refused: content.xml holds a declaration "
                            f"({bytes(data[start:start + 12])!r}), which OpenDocument files "
                            "do not have", hint="open the file in LibreOffice and save it again")
        stop = data.find(_HIDDEN[opening], start + len(opening))
        end = len(data) if stop < 0 else stop + len(_HIDDEN[opening])
        if start == 0 and data.find(b"<", 1, end) < 0:
            continue  # the XML declaration, with nothing inside (every file: not copied)
        if isinstance(data, bytes):
            data = bytearray(data)
        for at in range(start, end, len(_SPACES)):
            data[at:min(end, at + len(_SPACES))] = _SPACES[:end - at]
    return bytes(data) if isinstance(data, bytearray) else data


_SPACES = b" " * CHUNK


def _openings(content: bytes) -> list[int]:
    """Where ``<!`` and ``<?`` are, found from each ``!`` and ``?`` (a search for the single
    byte is 70 times as fast as for the pair; text seldom holds many)."""
    return sorted(at - 1 for mark in (b"!", b"?") for at in offsets(content, mark, 1)
                  if content[at - 1] == ord("<"))


def _check_ods_spaces(path: Path, content: bytes) -> None:
    """Refuse an .ods whose runs of spaces are longer than real text ever needs (see
    :data:`MAX_SPACE_RUN`). The count is read as calamine reads it: in either quotes, with
    entities decoded and a ``+`` allowed; a mention in a cell's text only counts too."""
    total = 0
    for double, single in _SPACE_COUNT.findall(content):
        written = html.unescape((double or single).decode(errors="replace")).strip()
        found = re.fullmatch(r"\+?(\d{1,12})", written)
        run = int(found[1]) if found else 0  # calamine cannot read it either: it stops there
        total += run
        if run > MAX_SPACE_RUN or total > MAX_SPACES:
            raise UserError(
                f"{path}: refused: a run of {run:,} spaces (<text:s text:c=...>), "
                f"{total:,} in the file so far (limits: {MAX_SPACE_RUN:,} a run, "
                f"{MAX_SPACES:,} a file)",
                hint="open the file in LibreOffice and save it again, or export the sheets "
                     "as CSV")


def _table_bound(content: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Upper bounds of the cells :func:`_ods_table_extent` finds in ``content[start:end]``
    and of the text its repeats copy, from a few passes at C speed instead of a walk over
    every row.

    Everything that counts stands before the end of the table's last cell with content (or
    of its tag, where its repeat may follow its ``value-type``): the rows up to there (each
    row tag, and each row repeat) times the widest row, which holds at most as many cells as
    its bytes allow, each repeated at most as the column repeats up to there add up, less
    those of each row's empty padding cell (self-closing, no value, last in its row: it never
    counts). The copied text is each repeat's extra copies of what it repeats (see
    :func:`_cell_text` and :func:`_row_text`). None when a repeat up to there is not written
    ``-repeated="digits"``: XML allows other forms, which calamine reads and these byte
    scans would not."""
    last = _last_value(content, start, end)
    if last < 0:
        return 0, 0
    last = _tag_end(content, last, end)  # that cell's own repeat counts too
    extra_rows = extra_columns = copied = 0
    for match in _REPEAT.finditer(content, start, last):
        if match[1] is None:
            return None
        if content.endswith(b"rows", 0, match.start()):
            extra = int(match[1]) - 1
            extra_rows += extra
            copied += _row_text(content, match.end()) * extra
        elif not _row_padding(content, match):
            extra = int(match[1]) - 1
            extra_columns += extra
            copied += _cell_text(content, match.end()) * extra
    # the row tags up to there (row groups too: a bound), and the bytes from each to the
    # next, which bound the cells of a row
    rows = content[start:last].split(b"<table:table-row")[1:]
    widest = max(map(len, rows), default=0) + len(b"<table:table-row")
    return (len(rows) + extra_rows) * (widest // SHORTEST_CELL + extra_columns), copied


def _cell_text(content: bytes, at: int) -> int:
    """Bytes of text, at most, in the cell whose tag holds ``at``: from the tag's start (an
    ``office:string-value`` may come before the repeat) up to the next ``table:`` tag (its
    own end tag, or, when it closes itself, the next cell's), plus the spaces its
    ``<text:s>`` runs add. A cell's content holds no ``table:`` tags (a table nested in a
    cell is the known limit of :func:`_check_ods_extent`)."""
    start, stop = max(content.rfind(b"<", 0, at), 0), len(content)
    for found in (content.find(b"<table:", at), content.find(b"</table:", at)):
        if 0 <= found < stop:
            stop = found
    return stop - start + _spaces(content, start, stop)


def _row_text(content: bytes, at: int) -> int:
    """Bytes of text, at most, that the row whose tag holds ``at`` makes: 0 when no cell of
    it holds anything (no end tag, no value or formula attribute), else its bytes and spaces
    times its widest column repeat. The row ends at its end tag or the next row's tag, which
    keeps a run of self-closing rows linear (each searched to the table's end: 79 s)."""
    following = content.find(b"<table:table-row", at)
    limit = len(content) if following < 0 else following
    stop = content.find(b"</table:table-row>", at, limit)
    stop = limit if stop < 0 else stop
    if all(content.find(mark, at, stop) < 0 for mark in (
            b"</table:table-cell>", b"</table:covered-table-cell>", *_HOLDS_VALUE)):
        return 0
    widest = max(map(int, _COLUMNS_REPEAT.findall(content, at, stop)), default=1)
    return (stop - at + _spaces(content, at, stop)) * widest


def _spaces(content: bytes, start: int, stop: int) -> int:
    """The spaces the ``<text:s text:c=...>`` runs in ``content[start:stop]`` add (each run
    at most :data:`MAX_SPACE_RUN`: :func:`_check_ods_spaces` refuses longer ones first)."""
    if content.find(b"text:c", start, stop) < 0:  # almost always: no run to read
        return 0
    return sum(int(run) if run.isdigit() and len(run) < 6 else MAX_SPACE_RUN
               for double, single in _SPACE_COUNT.findall(content, start, stop)
               for run in [(double or single).strip()])


_HOLDS_VALUE = (b"value", b"formula")
"""What marks a self-closing cell as holding something: calamine reads ``office:value``,
``office:string-value`` (and the other ``-value`` attributes) or ``table:formula`` on their
own, without a ``value-type`` (such cells were not counted: 779 bytes took 2.5 GB)."""


def _last_value(content: bytes, start: int, end: int) -> int:
    """Where the last cell with content in ``content[start:end]`` shows it (its closing tag,
    or a value or formula attribute: :data:`_HOLDS_VALUE`), -1 when there is none. (Such a
    word in text only moves it later, inside a cell that has content anyway.) Each search
    stops where the one before found something: one that finds nothing (a table without
    covered cells) reads only the rest of the table, not all of it."""
    last = content.rfind(b"</table:table-cell>", start, end)
    for mark in _HOLDS_VALUE:
        last = max(last, content.rfind(mark, max(last, start), end))
    return max(last, content.rfind(b"</table:covered-table-cell>", max(last, start), end))


def _tag_end(content: bytes, at: int, end: int) -> int:
    """Where the tag around ``at`` ends: the next ``<`` (XML allows none inside a tag)."""
    found = content.find(b"<", at + 1, end)
    return end if found < 0 else found


def _row_padding(content: bytes, repeat: re.Match[bytes]) -> bool:
    """Is ``repeat`` the last attribute of an empty cell closing its row (``<table:table-cell
    table:number-columns-repeated="1016"/></table:table-row>``, LibreOffice's padding)?"""
    if not content.startswith(b"/></table:table-row>", repeat.end()):
        return False
    tag, at = content.rfind(b"<", 0, repeat.start()), repeat.start()
    # (the two words of _HOLDS_VALUE spelt out: this runs for every padding cell)
    return content.find(b"value", tag, at) < 0 and content.find(b"formula", tag, at) < 0


def _ods_table_extent(content: bytes, start: int, end: int) -> tuple[str, int, int]:
    """(name, rows, columns) of the table at ``content[start:end]``, up to its furthest cell
    with content, read row by row from the tags' markers: XML allows no ``<`` in an attribute
    value nor, unescaped, in text, so each ``<table:...`` is a real tag."""
    tag = content[start:content.find(b">", start)]
    name = tag.split(b'table:name="', 1)[1].split(b'"', 1)[0] if b'table:name="' in tag else b""
    row = rows = width = 0
    at = content.find(b"<table:table-row", start, end)
    while at >= 0:
        after = at + len(b"<table:table-row")
        nxt = content.find(b"<table:table-row", after, end)
        if content[after] not in b"-s":  # a row, not <table:table-row-group> or -rows>
            closing = content.find(b"</table:table-row>", after, nxt if nxt >= 0 else end)
            body_end = min(e for e in (nxt, closing, end) if e >= 0)
            body = content.find(b"<", after, body_end)  # its first cell (the row's tag ends)
            repeat = _repeat_in_tag(content, at, b"table:number-rows-repeated")
            filled = _ods_row_width(content, body, body_end) if body >= 0 else 0
            if filled:
                width, rows = max(width, filled), row + repeat
            row += repeat
        at = nxt
    return name.decode(errors="replace"), rows, width


def _ods_row_width(content: bytes, start: int, end: int) -> int:
    """Columns up to the last cell with content among the cells in ``content[start:end]``:
    the cells up to it, each counted as often as it repeats."""
    last = _last_value(content, start, end)
    cell = max(content.rfind(b"<table:table-cell", start, last),
               content.rfind(b"<table:covered-table-cell", start, last)) if last >= 0 else -1
    if cell < 0:
        return 0
    before = (content.count(b"<table:table-cell", start, cell)
              + content.count(b"<table:covered-table-cell", start, cell))
    tag_end = content.find(b"<", cell + 1, end)  # the end of its tag (no "<" inside one)
    repeats = _COLUMNS_REPEAT.findall(content, start, end if tag_end < 0 else tag_end)
    return before + 1 + sum(int(n) - 1 for n in repeats)


def _repeat_in_tag(content: bytes, tag: int, name: bytes) -> int:
    """The value of the repeat attribute ``name`` of the tag at ``tag`` (1 if it has none)."""
    tag_end = content.find(b"<", tag + 1)
    at = content.find(name + b'="', tag, tag_end if tag_end >= 0 else len(content))
    if at < 0:
        return 1
    digits = at + len(name) + 2
    return int(content[digits:content.find(b'"', digits)])


def column_number(letters: bytes) -> int:
    """1-based column number of ``b'A'``, ``b'AB'``, ``b'XFD'``."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _member_key(member: str) -> str:
    return member.replace("\\", "/").lower()


def _worksheet_names(path: Path, parts: list[zipfile.ZipInfo], raw: BinaryIO
                     ) -> dict[str, str]:
    """Zip member (see :func:`_member_key`) -> sheet name for every worksheet of an .xlsx,
    from workbook.xml and its relationships, found as loosely as python-calamine finds them
    (case, slashes).

    Members are matched to the workbook's targets the same way (calamine finds
    ``xl/worksheets/sheet1.xml`` from a target written ``/xl/Worksheets/Sheet1.xml``). A
    sheet list that cannot be read strictly is refused: calamine's parser reads on where
    lxml stops (junk after the root, an undeclared entity), so a worksheet under any name
    could not be told apart, and checking every member as one left such a worksheet
    unchecked. Two sheets that are one member are refused: calamine would read it once for
    each (10,000 entries for one small member, a 60 KB file, took 15 s). Both parts are
    inflated within the bounds, like every member: this runs before the others are checked,
    and a 1.4 MB file whose workbook.xml inflated without them took 3 GB and 12 s."""
    members = {_member_key(info.filename): info for info in parts}
    try:
        workbook, rels = (
            etree.fromstring(_stream_member(path, raw, members[key], None, keep=True,
                                            most=MAX_SHEET_LIST_BYTES), _PARSER)
            for key in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise UserError(f"{path}: refused: its sheet list (xl/workbook.xml and its "
                        f"relationships) cannot be read ({exc}), so its sheets cannot be "
                        "checked",
                        hint="open the workbook in Excel or LibreOffice and save it again") from exc
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    names = {}
    for sheet in workbook.iter("{*}sheet"):
        rel = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rel, "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        key = _member_key(str(PurePosixPath(member.replace("\\", "/"))))
        if key in names:
            raise UserError(f"{path}: refused: sheets {names[key]!r} and {sheet.get('name')!r} "
                            f"are the same part ({key}): the workbook is malformed",
                            hint="open the workbook in Excel or LibreOffice and save it again")
        names[key] = sheet.get("name", "")
    return names
