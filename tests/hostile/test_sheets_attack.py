"""`gaffertape sheets` against the hostile workbooks an adversarial pass found (sixth session).

Each input here made a folder run abort, crash, hang or lose its output before the fix that
this file holds in place: a run of a billion spaces in an .ods, a python-calamine panic, an
unchecked .xlsb, a CSV of billions of cells or fields, a control character in an XLSX export,
one worksheet listed as many sheets, a pipe named .csv, and `sheets wide` writing two tables to
one file. The .xls and .xlsb builders write the smallest files python-calamine reads (BIFF8 in
a version-3 compound file; BIFF12 records in a zip), so hostile records can be placed exactly,
with the standard library only.
"""

from __future__ import annotations

import os
import random
import re
import struct
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaffertape.errors import UserError
from gaffertape.sheets.bounds import MAX_MEMBERS, check_workbook
from gaffertape.sheets.grid import cell_ref
from gaffertape.sheets.readers import read_grids

from .conftest import _MANIFEST, gaffertape, good_xlsx, with_members

# ---------------------------------------------------------------- .xls (BIFF8 in a compound file)

_SECTOR, _FREE, _END, _FAT = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _biff(rtype: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def _bof(kind: int) -> bytes:  # 0x0005 workbook globals, 0x0010 worksheet
    return _biff(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x0206))


def xls_number(row: int, col: int, value: float) -> bytes:
    return _biff(0x0203, struct.pack("<HHHd", row, col, 0, value))


def xls_dimensions(rows: int, cols: int) -> bytes:
    return _biff(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))


_XLS_TABLE = (xls_number(0, 0, 1) + xls_number(0, 1, 2) + xls_number(1, 0, 3)
              + xls_number(1, 1, 4))


def xls_file(path: Path, cells: bytes = _XLS_TABLE, *, dims: bytes | None = None,
             sheet_offset: int | None = None, directory_loop: bool = False) -> Path:
    """One sheet, "S", holding the BIFF records ``cells``; ``sheet_offset`` overrides where
    BOUNDSHEET says the sheet starts; ``directory_loop`` makes the directory's sector chain
    point back at itself."""

    def globals_(offset: int) -> bytes:
        sheet = _biff(0x0085, struct.pack("<IBB", offset, 0, 0) + b"\x01\x00S")
        return _bof(0x0005) + _biff(0x0042, struct.pack("<H", 1252)) + sheet + _biff(0x000A)

    body = (_bof(0x0010) + (dims if dims is not None else xls_dimensions(2, 2)) + cells
            + _biff(0x000A))
    offset = len(globals_(0)) if sheet_offset is None else sheet_offset
    stream = globals_(offset) + body
    stream += b"\x00" * max(0, 4096 - len(stream))  # >= 4096 bytes: not in the mini stream
    sectors = -(-len(stream) // _SECTOR)
    fat = [_FAT, 1 if directory_loop else _END] + [3 + i for i in range(sectors - 1)] + [_END]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<9I", 0, 1, 1, 0, 0x1000, _END, 0, _END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\x00").encode("utf-16-le")
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", _FREE, _FREE, child) + b"\x00" * 36
                + struct.pack("<III", start, size, 0))

    directory = (entry("Root Entry", 5, 1, _END, 0) + entry("Workbook", 2, _FREE, 2, len(stream))
                 + b"\x00" * 256)
    path.write_bytes(header + struct.pack(f"<{len(fat)}I", *fat) + directory
                     + stream.ljust(sectors * _SECTOR, b"\x00"))
    return path


# ---------------------------------------------------------------- .xlsb (BIFF12 records in a zip)

def _b12(rtype: int, data: bytes = b"") -> bytes:
    head = bytes([rtype]) if rtype < 0x80 else bytes([(rtype & 0x7F) | 0x80, rtype >> 7])
    size, length = len(data), bytearray()
    while True:
        size, low = size >> 7, size & 0x7F
        length.append(low | (0x80 if size else 0))
        if not size:
            return head + bytes(length) + data


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb_row(row: int) -> bytes:  # BrtRowHdr
    return _b12(0x00, struct.pack("<IIHHBBBII", row, 0, 0, 0, 0, 0, 0, 0, 0))


def xlsb_number(col: int, value: float) -> bytes:  # BrtCellReal
    return _b12(0x05, struct.pack("<IId", col, 0, value))


def xlsb_file(path: Path, cells: bytes) -> Path:
    """One sheet, "S", of the BIFF12 cell records ``cells`` (a dimension of A1:A1)."""
    sheet = (_b12(0x81) + _b12(0x94, struct.pack("<4I", 0, 0, 0, 0)) + _b12(0x91) + cells
             + _b12(0x92) + _b12(0x82))
    book = (_b12(0x83) + _b12(0x8F) + _b12(0x9C, struct.pack("<II", 0, 1) + _wide("rId1")
                                           + _wide("S")) + _b12(0x90) + _b12(0x84))
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http'
            b'://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet1.bin"/></Relationships>')
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.bin", book)
        archive.writestr("xl/_rels/workbook.bin.rels", rels)
        archive.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


# ---------------------------------------------------------------- the promise, checked

def _folder_with(tmp_path: Path, name: str, build) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    good_xlsx(folder / "good.xlsx")
    build(folder / name)
    return folder


def _assert_refused_and_rest_written(tmp_path: Path, name: str, out: str = "out.csv") -> str:
    run = gaffertape("sheets", "tidy", "in", "--out", out, cwd=tmp_path)
    assert run.returncode == 1, run.stderr[-2000:]  # not -6 (a Rust abort) nor a traceback
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert len(run.errors) == 1 and name in run.errors[0], run.errors
    assert "gaffertape bug" not in run.errors[0], run.errors[0]
    assert (tmp_path / out).exists()  # the good workbook's observations were written
    return run.errors[0]


def _ods(path: Path, table: bytes) -> Path:
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="'
               b'urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names'
               b':tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument'
               b':xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>' + table
               + b"</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
    return path


@pytest.mark.parametrize("spaces", [b"1000000000", b"+1&#48;00000000"])
def test_ods_run_of_spaces_is_refused_not_materialised(tmp_path: Path, spaces: bytes) -> None:
    """<text:s text:c="1000000000"/>: calamine builds " " * c (entity-decoded, "+" allowed)."""
    cell = (b'<table:table-cell office:value-type="string"><text:p>a<text:s text:c="' + spaces
            + b'"/>b</text:p></table:table-cell>')
    _folder_with(tmp_path, "spaces.ods", lambda p: _ods(
        p, b'<table:table table:name="S"><table:table-row>' + cell
           + b"</table:table-row></table:table>"))
    assert (tmp_path / "in" / "spaces.ods").stat().st_size < 2_000
    _assert_refused_and_rest_written(tmp_path, "spaces.ods")


@pytest.mark.parametrize("text, columns, rows", [
    pytest.param(None, 20, 20, id="10 MB of text repeated over 20 x 20 cells"),
    pytest.param(b'a<text:s text:c="32767"/>b', 100, 1000,
                 id="32,767 spaces repeated over 100 x 1,000 cells"),
])
def test_ods_text_repeated_over_many_cells_is_refused(tmp_path: Path, text: bytes | None,
                                                      columns: int, rows: int) -> None:
    """calamine writes a repeated cell's text out once per cell: 4 GB from a 300 KB file,
    and 3.3 GB from 801 bytes (a space run within its own bound, times the repeats)."""
    cell = (b'<table:table-cell table:number-columns-repeated="%d" office:value-type="string">'
            b"<text:p>%s</text:p></table:table-cell>" % (columns, text or _text_of(10)))
    _folder_with(tmp_path, "fanout.ods", lambda p: _ods(
        p, b'<table:table table:name="S"><table:table-row table:number-rows-repeated="%d">'
           % rows + cell + b"</table:table-row></table:table>"))
    assert (tmp_path / "in" / "fanout.ods").stat().st_size < 300_000
    error = _assert_refused_and_rest_written(tmp_path, "fanout.ods")
    assert "repeated cells and rows copy up to" in error, error


def test_ods_text_repeated_a_few_times_is_read(tmp_path: Path) -> None:
    from gaffertape.sheets.api import tidy_file

    cell = (b'<table:table-cell table:number-columns-repeated="3" office:value-type="string">'
            b"<text:p>%s</text:p></table:table-cell>" % _text_of(1))
    number = b'<table:table-cell office:value-type="float" office:value="7"><text:p>7</text:p>'
    path = _ods(tmp_path / "notes.ods", b'<table:table table:name="S"><table:table-row '
                b'table:number-rows-repeated="3">' + cell + number + b"</table:table-cell>"
                b"</table:table-row></table:table>")
    assert len(tidy_file(path)) > 0


_ROW = b"<table:table-row%s>%s</table:table-row>"


@pytest.mark.parametrize("cell", [
    b'<table:table-cell table:number-columns-repeated="2000" office:value="1"/>',
    b'<table:table-cell table:number-columns-repeated="2000" table:formula="of:=1"/>',
    b'<table:table-cell office:string-value="x" table:number-columns-repeated="2000"/>',
], ids=["value", "formula", "string-value"])
def test_ods_cells_with_a_value_but_no_value_type_are_counted(tmp_path: Path,
                                                             cell: bytes) -> None:
    """calamine reads office:value, the other -value attributes and table:formula on their
    own; the check looked only for value-type, so 779 bytes spread 40 million cells (2.5 GB)."""
    table = b'<table:table table:name="S">%s</table:table>' % (
        _ROW % (b' table:number-rows-repeated="20000"', cell))
    path = _ods(tmp_path / "bare.ods", table)
    with pytest.raises(UserError, match=r"20,000 rows x 2,000 columns"):
        check_workbook(path, ".ods", 20_000_000)


@pytest.mark.parametrize("row", [
    _ROW % (b"", b'<table:table-cell office:string-value="%s" office:value-type="string" '
                 b'table:number-columns-repeated="1100"/>'),
    _ROW % (b' table:number-rows-repeated="1100"',
            b'<table:table-cell office:value-type="string" office:string-value="%s"/>'),
], ids=["before-the-column-repeat", "in-a-repeated-row-of-self-closing-cells"])
def test_ods_text_in_attributes_copied_by_repeats_is_counted(tmp_path: Path, row: bytes) -> None:
    """A 1 MB office:string-value copied 1,100 times (1.1 GB) passed when it came before the
    repeat, or sat in a self-closing cell of a repeated row (2.9 GB)."""
    table = b'<table:table table:name="S">%s</table:table>' % (row % _text_of(1))
    with pytest.raises(UserError, match=r"copy up to .* bytes of text"):
        check_workbook(_ods(tmp_path / "copies.ods", table), ".ods", 20_000_000)


def _varied(row: bytes, count: int) -> bytes:
    """``count`` copies of ``row``, a short random comment after every eighth (so the content
    compresses less than the 200x a bomb would)."""
    letters = random.Random(3).choices(b"abcdefghijklmnopqrstuvwxyz", k=2 * count)
    return b"".join(row + (b"<!--%c%c-->" % tuple(letters[2 * i:2 * i + 2]) if i % 8 == 0
                           else b"") for i in range(count))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("rows, value_repeat", [
    (b'<table:table-row table:number-rows-repeated="2"/>', 60_000),
    (b"<table:table-row/>", 200_000),
], ids=["repeated-empty-rows", "empty-rows-then-a-wide-one"])
def test_ods_runs_of_self_closing_rows_are_read_in_linear_time(tmp_path: Path, rows: bytes,
                                                              value_repeat: int) -> None:
    """Each row searched for its end tag as far as the table's end: 60,000 repeated empty rows
    (44 KB) took 79 s in the quick bound, 200,000 empty rows and a 100-column one (77 KB) 91 s
    in the walk."""
    last = _ROW % (b"", b'<table:table-cell table:number-columns-repeated="%d" office:value-'
                        b'type="float" office:value="1"/>' % (1 if value_repeat == 60_000 else 100))
    path = _ods(tmp_path / "rows.ods", b'<table:table table:name="S">%s</table:table>'
                % (_varied(rows, value_repeat) + last))
    try:
        check_workbook(path, ".ods", 20_000_000)
    except UserError as exc:
        assert "rows.ods" in exc.one_line()


_SPLIT_ROWS = (b'<table:table-row table:number-rows-repeated="9990"><table:table-cell '
               b'office:value-type="float" office:value="1"/></table:table-row>')
_FAR_ROW = (b'<table:table-row><table:table-cell table:number-columns-repeated="10000"/>'
            b'<table:table-cell office:value-type="float" office:value="1"/></table:table-row>')
"""9,990 rows of one value, then a value at column 10,001: one table of 100 million cells, or
two small ones to a check that takes a table start between them for real."""


@pytest.mark.parametrize("fake", [
    (b'<table:table-row><table:table-cell><table:table table:name="F"/></table:table-cell>'
     b"</table:table-row>"),
    (b'<table:table-row><table:table-cell office:value-type="string" office:string-value='
     b"'<table:table table:name=\"F\">'/></table:table-row>"),
], ids=["inside a cell", "in an attribute value"])
def test_ods_table_split_only_for_the_check_fails_within_the_memory_it_measured(
        tmp_path: Path, fake: bytes) -> None:
    """A table start that calamine does not read as one (inside a cell, or in an attribute
    value, where its lenient parser allows a raw "<") split one table in two for the byte
    check, and calamine built 100 million cells (805 bytes: 6 GB and 15 s in the worker
    before it was refused). The worker is held to the memory the check measured, so the file
    fails at once; the run goes on."""
    _folder_with(tmp_path, "split.ods", lambda p: _ods(
        p, b'<table:table table:name="S">' + _SPLIT_ROWS + fake + _FAR_ROW + b"</table:table>"))
    assert (tmp_path / "in" / "split.ods").stat().st_size < 1_000
    error = _assert_refused_and_rest_written(tmp_path, "split.ods")
    allowed = re.search(r"up to ([\d,]+) MB more memory", error)
    assert allowed and int(allowed[1].replace(",", "")) < 1024, error  # not the 8 GB ceiling


def _in_comments(count: int) -> bytes:
    """``count`` tables inside comments, each measured at 19.6 million cells by a check that
    reads them as markup (4,000 empty rows, then a value at column 4,901)."""
    return b"".join(b'<!--<table:table table:name="G%d">' % k + b"<table:table-row/>" * 4000
                    + _ROW % (b"", b'<table:table-cell table:number-columns-repeated="4900"/>'
                                   b'<table:table-cell office:value-type="float" '
                                   b'office:value="1"/>') + b"</table:table>-->"
                    for k in range(count))


@pytest.mark.parametrize(("table", "refusal"), [
    (b'<table:table table:name="S">' + _SPLIT_ROWS + b'<!--<table:table table:name="F">-->'
     + _FAR_ROW + b"</table:table>", r"9,991 rows x 10,001 columns"),
    (_in_comments(2) + b'<table:table table:name="S">' + _SPLIT_ROWS
     + b'<![CDATA[<table:table table:name="F">]]>' + _FAR_ROW + b"</table:table>",
     r"9,991 rows x 10,001 columns"),
    (_in_comments(2) + b'<table:table table:name="S">' + _ROW % (
        b"", b'<table:table-cell office:value-type="string" table:number-columns-repeated='
             b'"2000"><text:p><?x <table:?>' + b"a" * 2**20 + b"</text:p></table:table-cell>")
     + b"</table:table>", r"copy up to [\d,]+ bytes of text"),
], ids=["a table start in a comment", "tables in comments and a start in CDATA",
        "a cell's text behind a processing instruction"])
def test_ods_markup_inside_comments_is_not_read_as_markup(tmp_path: Path, table: bytes,
                                                           refusal: str) -> None:
    """calamine reads past comments, CDATA and processing instructions; the byte checks took
    what is inside for markup. A table start in one split a table in two for them; tables in
    comments were measured, so the worker's memory allowance reached its 8 GB ceiling (1,385
    bytes: the worker built 6 GB again); "<table:" in one ended a cell's text early, so 2 GB
    of copies were counted as 200 KB (2.5 KB: 6 GB in the worker, 2.2 GB in this process).
    They are blanked out before the checks, which now refuse each file at once."""
    with pytest.raises(UserError, match=refusal):
        check_workbook(_ods(tmp_path / "hidden.ods", table), ".ods", 20_000_000)


def test_ods_with_a_doctype_is_refused(tmp_path: Path) -> None:
    """Parsers read a DOCTYPE's internal subset differently; OpenDocument files have none."""
    path = _ods(tmp_path / "doctype.ods", b'<!DOCTYPE x [<!ENTITY e "<table:table-row/>">]>'
                b'<table:table table:name="S"></table:table>')
    with pytest.raises(UserError, match="holds a declaration"):
        check_workbook(path, ".ods", 20_000_000)


def test_ods_as_large_as_the_check_measured_is_read_within_its_memory(tmp_path: Path) -> None:
    """The memory a worker is held to leaves room for all the cells the check let through:
    a million numbers (1,000 rows repeated, each a value repeated over 1,000 columns) and a
    thousand texts with characters Python keeps in 4 bytes each."""
    numbers = (b'<table:table-row table:number-rows-repeated="1000"><table:table-cell '
               b'office:value-type="float" office:value="1.5" table:number-columns-repeated='
               b'"1000"/></table:table-row>')
    texts = b"".join(b'<table:table-row><table:table-cell office:value-type="string"><text:p>'
                     b"%d \xf0\x9f\x98\x80</text:p></table:table-cell></table:table-row>" % i
                     for i in range(1000))
    path = _ods(tmp_path / "large.ods", b'<table:table table:name="S">' + numbers + texts
                + b"</table:table>")
    [grid] = read_grids(path)
    assert grid.cells.shape == (2000, 1000)
    assert grid.cells[1999, 0] == "999 \U0001f600" and grid.cells[999, 999] == 1.5


@pytest.mark.parametrize("attribute", [b"columns-spanned", b"rows-spanned"])
def test_ods_merge_count_too_long_for_a_number_is_no_crash(tmp_path: Path,
                                                           attribute: bytes) -> None:
    """int() refuses over 4,300 digits: a 5,000-digit span in a spanning cell's row raised a
    ValueError from the merges scan ("a gaffertape bug") instead of a line naming the file."""
    cell = (b'<table:table-cell table:number-%s="%s" office:value-type="float" '
            b'office:value="1"/>' % (attribute, b"1" * 5000))
    path = _ods(tmp_path / "digits.ods", b'<table:table table:name="S">' + _ROW % (b"", cell)
                + b"</table:table>")
    try:
        [grid] = read_grids(path)
    except UserError as exc:
        assert "digits.ods" in exc.one_line()
    else:
        assert grid.merged == [] and grid.cells.tolist() == [[1.0]]


def _memory_of_each_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The memory each worker read is allowed, in order (the reads themselves are real)."""
    from gaffertape.sheets import readers

    allowed: list[int] = []
    real = readers.read_isolated

    def read_isolated(path: str, max_sheets: int, max_cells: int, memory: int) -> object:
        allowed.append(memory)
        return real(path, max_sheets, max_cells, memory)

    monkeypatch.setattr(readers, "read_isolated", read_isolated)
    return allowed


def test_ods_whose_repeats_need_more_than_its_size_allows_is_measured_and_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An .ods is read first within the memory its content could need if nothing repeated;
    one whose honest repeats need more is then measured, and read again within that. (The
    base allowance is made small, so two million cells from 300 bytes need more than it.)"""
    from gaffertape.sheets import isolation

    monkeypatch.setattr(isolation, "WORKER_BASE", 64 * 2**20)
    allowed = _memory_of_each_read(monkeypatch)
    numbers = (b'<table:table-row table:number-rows-repeated="2000"><table:table-cell '
               b'office:value-type="float" office:value="1.5" table:number-columns-repeated='
               b'"1000"/></table:table-row>')
    [grid] = read_grids(_ods(tmp_path / "repeats.ods", b'<table:table table:name="S">'
                             + numbers + b"</table:table>"))
    assert grid.cells.shape == (2000, 1000) and grid.cells[1999, 999] == 1.5
    assert len(allowed) == 2 and allowed[1] > allowed[0] + 256 * 10**6, allowed


def test_sparse_xlsx_that_needs_more_than_its_size_allows_is_checked_and_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An .xlsx is read first within the memory its parts could need: one far cell of an
    honest sheet (a million cells from 300 bytes of XML) needs more, so the file is checked
    whole and read again. (The base allowance is made small, as above.)"""
    from gaffertape.sheets import isolation

    monkeypatch.setattr(isolation, "WORKER_BASE", 16 * 2**20)
    allowed = _memory_of_each_read(monkeypatch)
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2000"><c r="ALL2000">'
             b"<v>2</v></c></row></sheetData></worksheet>")
    path = with_members(good_xlsx(tmp_path / "sparse.xlsx"), {"xl/worksheets/sheet1.xml": sheet})
    [grid] = read_grids(path)
    assert grid.cells.shape == (2000, 1000) and grid.cells[1999, 999] == 2
    assert len(allowed) == 2 and allowed[1] > allowed[0], allowed


def test_xlsx_part_larger_than_it_says_is_refused_by_name(tmp_path: Path) -> None:
    """Its declared size passes the quick check; calamine stops on it, and the whole check
    then names it."""
    path = with_members(good_xlsx(tmp_path / "liar.xlsx"), {"xl/styles.xml": b" " * 10**6})
    data = bytearray(path.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while not data.startswith(b"xl/styles.xml", entry + 46):
        entry = data.find(b"PK\x01\x02", entry + 4)
    local = int.from_bytes(data[entry + 42:entry + 46], "little")
    for size_at in (entry + 24, local + 22):  # its uncompressed size, in both headers
        data[size_at:size_at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"liar\.xlsx: cannot read: corrupt zip: xl/styles\.xml "
                                        r"inflates to more than the 1,000 bytes it declares"):
        read_grids(path)


def test_zip_allowed_much_memory_is_checked_whole_before_it_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes padding an .ods's content raise its quick allowance (21.5 bytes each), and text
    repeated within it would then be read up to the answer bound instead of refused at 1 GB
    of copies. Over CHECKED_FIRST_ABOVE (made 0 here: every file is over it) the whole
    check runs first: the repeats are refused before any read, an ordinary file is read
    within what its check measured."""
    from gaffertape.sheets import readers

    monkeypatch.setattr(readers, "CHECKED_FIRST_ABOVE", 0)
    allowed = _memory_of_each_read(monkeypatch)
    cell = (b'<table:table-cell table:number-columns-repeated="20" office:value-type="string">'
            b"<text:p>%s</text:p></table:table-cell>" % _text_of(10))
    repeated = _ods(tmp_path / "copies.ods", b'<table:table table:name="S">' + _ROW % (
        b' table:number-rows-repeated="20"', cell) + b"</table:table>")
    with pytest.raises(UserError, match="repeated cells and rows copy up to"):
        read_grids(repeated)
    assert allowed == []
    assert read_grids(good_xlsx(tmp_path / "good.xlsx"))[0].cells.shape == (6, 3)
    numbers = _ods(tmp_path / "numbers.ods", b'<table:table table:name="S">' + _ROW % (
        b"", b'<table:table-cell office:value-type="float" office:value="1"/>')
        + b"</table:table>")
    assert read_grids(numbers)[0].cells.tolist() == [[1.0]]
    assert len(allowed) == 2


def test_ods_that_fails_for_another_reason_is_read_once(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged file is not measured and read again: only running out of memory is."""
    allowed = _memory_of_each_read(monkeypatch)
    cell = b'<table:table-cell office:value-type="float" office:value="x"/>'
    path = _ods(tmp_path / "damaged.ods", b'<table:table table:name="S">' + _ROW % (b"", cell)
                + b"</table:table>")
    with pytest.raises(UserError, match=r"damaged.ods: cannot read: CalamineError"):
        read_grids(path)
    assert len(allowed) == 1


def test_only_running_out_of_memory_is_read_again() -> None:
    from gaffertape.sheets.calamine_read import Unreadable
    from gaffertape.sheets.isolation import ReaderDied
    from gaffertape.sheets.readers import _out_of_memory

    assert _out_of_memory(ReaderDied("x", hint="", timed_out=False))  # killed by a signal
    assert not _out_of_memory(ReaderDied("x", hint="", timed_out=True))
    assert _out_of_memory(Unreadable("S", "MemoryError", ""))
    assert not _out_of_memory(Unreadable("S", "XmlError", "ill-formed document"))


def _spans_before_the_rows(path: Path, count: int) -> Path:
    """An .ods whose one table holds ``count`` "-spanned" in its description, before its only
    row (random text before them, so the content deflates within the ratio bound)."""
    noise = random.Random(1).randbytes(count // 4).hex().encode()
    return _ods(path, b'<table:table table:name="S"><table:desc><text:p>' + noise
                + b" -spanned" * count + b"</text:p></table:desc>" + _ROW % (
                    b"", b'<table:table-cell office:value-type="float" office:value="1"/>')
                + b"</table:table>")


@pytest.mark.timeout(20)
def test_ods_spans_before_the_first_row_are_searched_once(tmp_path: Path) -> None:
    """The merges scan searched back from each "-spanned" to the table's start while no row
    stood between: 320,000 of them (19 KB) took 45 s, 5 million (385 KB) hours."""
    [grid] = read_grids(_spans_before_the_rows(tmp_path / "spans.ods", 320_000))
    assert grid.cells.tolist() == [[1.0]] and grid.merged == []


def test_ods_spans_are_not_all_held_at_once(tmp_path: Path) -> None:
    """Every offset of "-spanned" was kept in a list first: 23 million (a 1 MB file) took
    1.2 GB."""
    from gaffertape.sheets.ods_merges import ods_merges

    path = _spans_before_the_rows(tmp_path / "spans.ods", 2_000_000)
    checked = check_workbook(path, ".ods", 20_000_000)
    tracemalloc.start()
    try:
        assert ods_merges(path, checked) == {"S": []}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"{peak:,} bytes"


def test_idle_worker_gives_back_what_a_large_file_took(tmp_path: Path) -> None:
    """The worker kept its last answer until the next request, and C's allocator kept the
    freed heap: after one large file, an idle worker (the app's waits for hours) held 6 GB."""
    import time

    from gaffertape.sheets import isolation

    rows = b"".join(b'<table:table-row><table:table-cell office:value-type="string"><text:p>row '
                    b'%d of a longer label</text:p></table:table-cell><table:table-cell office:'
                    b'value-type="float" office:value="%d"/></table:table-row>' % (i, i)
                    for i in range(1_000_000))
    path = _ods(tmp_path / "large.ods", b'<table:table table:name="S">' + rows + b"</table:table>")
    [(_, n_rows, _, _, _)] = isolation.read_isolated(str(path), 1, 20_000_000)
    assert n_rows == 1_000_000
    status = Path(f"/proc/{isolation._worker.pid}/status")  # type: ignore[union-attr]

    def resident() -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS"))
        return int(line.split()[1]) * 1024

    for _ in range(100):  # (the worker frees it once the answer is sent)
        if resident() < 128 * 2**20:
            break
        time.sleep(0.1)
    assert resident() < 128 * 2**20, f"{resident():,} bytes resident"


def test_ods_under_another_table_prefix_has_no_merges_to_parse() -> None:
    """calamine reads tables only under the ``table:`` prefix; the merges of a file binding
    the namespace to another went through an lxml tree of the whole content (3.2 GB)."""
    from gaffertape.sheets.ods_merges import OdsContent, ods_merges

    content = (b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
               b'office:1.0" xmlns:t="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><t:table'
               b' t:name="S"><t:table-row><t:table-cell t:number-columns-spanned="2"/>'
               b"</t:table-row></t:table></office:document-content>")
    assert ods_merges(Path("x.ods"), OdsContent(content, [])) == {}


def test_records_whose_keys_read_as_numbers_keep_their_cells(tmp_path: Path) -> None:
    """Mixed line ends made this CSV a key/value listing ("a | b", "1 | 2" ...) whose keys
    row holds numbers and is read as data: its observations had no cell to point at
    (KeyError, "a gaffertape bug")."""
    from gaffertape.sheets.api import tidy_files

    path = tmp_path / "mixed.csv"
    path.write_bytes(b"a,b\r1,2\n3,4\r\n5,6\r\r\n" * 2)
    result = tidy_files([path])
    assert result.errors == {}
    assert {"A2", "B2"} <= set(result.data["cell"])


def test_xlsb_is_refused_before_the_reader_sees_it(tmp_path: Path) -> None:
    """One cell at row 1,048,576, column 16,384 in a 923-byte .xlsb made python-calamine ask
    for 512 GB and abort the run: the format is refused, with a hint to save it as .xlsx."""
    cells = xlsb_row(0) + xlsb_number(0, 1) + xlsb_row(1_048_575) + xlsb_number(16_383, 1)
    _folder_with(tmp_path, "far.xlsb", lambda p: xlsb_file(p, cells))
    assert (tmp_path / "in" / "far.xlsb").stat().st_size < 2_000
    assert "save it as .xlsx" in _assert_refused_and_rest_written(tmp_path, "far.xlsb")


def test_reader_panic_fails_one_file_not_the_run(tmp_path: Path) -> None:
    """A sheet offset past the end of an .xls stream makes calamine panic; pyo3's
    PanicException derives from BaseException, so ``except Exception`` let it end the run."""
    _folder_with(tmp_path, "offset.xls", lambda p: xls_file(p, sheet_offset=0x00FFFFFF))
    assert "cannot read" in _assert_refused_and_rest_written(tmp_path, "offset.xls")


@pytest.mark.parametrize("build", [
    pytest.param(lambda p: xls_file(p, _XLS_TABLE + xls_number(0xFFFF, 0xFFFF, 5)),
                 id="a cell at column 65,535 (137 GB dense)"),
    pytest.param(lambda p: xls_file(p, dims=xls_dimensions(0xFFFFFFFF, 0xFFFF)),
                 id="DIMENSIONS of 4 billion rows"),
    pytest.param(lambda p: xls_file(p, directory_loop=True),
                 id="a compound-file directory chain that loops"),
])
def test_xls_that_aborts_the_reader_fails_one_file_not_the_run(tmp_path: Path, build) -> None:
    """Each of these 5 KB files made python-calamine abort (Rust out of memory, SIGABRT)
    inside ``CalamineWorkbook.from_path``, ending the whole folder run. An .xls is read in a
    worker process: the file is refused in one line, and the .xls after it is read by a new
    worker."""
    folder = _folder_with(tmp_path, "bomb.xls", build)
    xls_file(folder / "good.xls")
    error = _assert_refused_and_rest_written(tmp_path, "bomb.xls")
    assert "save it as .xlsx" in error, error
    tidy = pd.read_csv(tmp_path / "out.csv")
    assert set(tidy["source_file"].map(lambda f: Path(f).name)) == {"good.xls", "good.xlsx"}
    read_after = tidy[tidy["source_file"].str.endswith("good.xls")]["value"]
    assert len(read_after) and set(read_after) <= {1, 2, 3, 4}


def test_read_past_the_time_limit_fails_that_file_and_the_next_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that takes longer than the worker may is refused in one line (the worker is
    stopped: a file that hangs the reader must not hang the run), and the file after it is
    read by a new worker. The worker is given a named pipe nobody writes to, so its read
    hangs for certain (a real file bigger than the limit allows would make the test slow)."""
    from gaffertape.sheets import isolation

    fifo = tmp_path / "hangs.xls"
    os.mkfifo(fifo)
    monkeypatch.setattr(isolation, "WORKER_SECONDS", 0.5)
    with pytest.raises(isolation.ReaderDied, match=r"hangs\.xls: cannot read: .*took longer "
                                                   r"than 0.5 s") as failed:
        isolation.read_isolated(fifo, 10, 1000)
    assert failed.value.timed_out
    [grid] = read_grids(xls_file(tmp_path / "next.xls"))
    assert grid.cells.shape == (2, 2)


def test_values_over_the_answer_bound_are_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker refuses values that pickle to more than the bound, whatever memory it was
    allowed: this process would build them all again. (The bound is made 100 bytes.)"""
    from gaffertape.sheets import isolation

    monkeypatch.setattr(isolation, "MAX_ANSWER_BYTES", 100)
    with pytest.raises(UserError, match=r"big\.xlsx: refused: its cells' values come to "
                                        r"[\d,]+ bytes \(limit 100\)"):
        read_grids(good_xlsx(tmp_path / "big.xlsx"))


def _zip_parts(data: bytes) -> tuple[bytes, bytes, int]:
    """A one-disk zip's local parts, its directory and its number of entries."""
    end = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack("<HIIH", data[end + 10:end + 22])[:3]
    return data[:offset], data[offset:offset + size], count


def _moved(directory: bytes, by: int) -> bytes:
    """``directory`` with every entry's local-header offset moved by ``by``."""
    moved, at = bytearray(directory), 0
    while at < len(moved):
        names = sum(struct.unpack_from("<HHH", moved, at + 28))
        offset = struct.unpack_from("<I", moved, at + 42)[0]
        struct.pack_into("<I", moved, at + 42, offset + by)
        at += 46 + names
    return bytes(moved)


def _end_record(count: int, directory: int, offset: int, comment: int) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, directory, offset, comment)


def _two_zips(first: Path, second: Path, out: Path) -> Path:
    """One file holding both zips: ``first``'s parts and directory, whose end record's
    comment holds ``second``'s directory and an end record claiming a comment that is not
    there. zipfile takes the last end record (``second``); a reader that checks the comment's
    length takes ``first``'s. (An adversarial pass's layout.)"""
    a_locals, a_directory, a_count = _zip_parts(first.read_bytes())
    b_locals, b_directory, b_count = _zip_parts(second.read_bytes())
    shifted = _moved(b_directory, len(a_locals))  # second's parts stand after first's
    a_at = len(a_locals) + len(b_locals)
    b_end = _end_record(b_count, len(shifted), a_at + len(a_directory) + 22, 100)
    a_end = _end_record(a_count, len(a_directory), a_at, len(shifted) + len(b_end))
    out.write_bytes(a_locals + b_locals + a_directory + a_end + shifted + b_end)
    return out


def test_zip_holding_two_zips_is_refused(tmp_path: Path) -> None:
    """zipfile (so every check) read the harmless zip, calamine the one with a cell at
    XFD1048576: in this process that aborted it; in the worker it was read twice at up to
    8 GB (and a shared-string fanout was accepted: 6 GB here, from 11 KB)."""
    from .conftest import far_cell_xlsx

    path = _two_zips(far_cell_xlsx(tmp_path / "far.xlsx"), good_xlsx(tmp_path / "good.xlsx"),
                     tmp_path / "two.xlsx")
    assert [i.filename for i in zipfile.ZipFile(path).infolist()] == [
        i.filename for i in zipfile.ZipFile(tmp_path / "good.xlsx").infolist()]
    with pytest.raises(UserError, match=r"two\.xlsx: refused: its zip's end record is not "
                                        r"where the file ends"):
        read_grids(path)


def _two_zips_the_last_pointing_past_itself(first: Path, second: Path, out: Path) -> Path:
    """Both zips again, each end record ending its zip and the last ending the file; the last
    says its directory starts after itself. zipfile ignores that (it reads the directory just
    before the record, ``second``'s); calamine's reader refuses that record and takes the
    earlier one, ``first``'s. (A second adversarial pass's layout.)"""
    a_locals, a_directory, a_count = _zip_parts(first.read_bytes())
    b_locals, b_directory, b_count = _zip_parts(second.read_bytes())
    b_at = len(a_locals) + len(b_locals) + len(a_directory) + 22  # where b's directory is
    claimed = b_at + len(b_directory)  # the last end record itself
    # (zipfile shifts every offset back by claimed - b_at)
    shifted = _moved(b_directory, len(a_locals) + claimed - b_at)
    a_end = _end_record(a_count, len(a_directory), len(a_locals) + len(b_locals), 0)
    b_end = _end_record(b_count, len(shifted), claimed, 0)
    out.write_bytes(a_locals + b_locals + a_directory + a_end + shifted + b_end)
    return out


def test_zip_holding_two_zips_behind_a_directory_that_points_past_its_record_is_refused(
        tmp_path: Path) -> None:
    """The last end record ended the file, so the first rule let it through: calamine read a
    shared-string fanout the whole check refuses (main 1.3 GB from 10 KB). The directory must
    end where its record begins."""
    from .conftest import far_cell_xlsx

    path = _two_zips_the_last_pointing_past_itself(
        far_cell_xlsx(tmp_path / "far.xlsx"), good_xlsx(tmp_path / "good.xlsx"),
        tmp_path / "skip.xlsx")
    assert len(zipfile.ZipFile(path).infolist()) == len(
        zipfile.ZipFile(tmp_path / "good.xlsx").infolist())
    with pytest.raises(UserError, match=r"skip\.xlsx: refused: its zip's end record is not "
                                        r"where the file ends, or not right after its directory"):
        read_grids(path)


def test_zip_version_zipfile_cannot_read_is_one_line(tmp_path: Path) -> None:
    """A directory entry needing zip version 6.4 raised NotImplementedError ("a gaffertape
    bug")."""
    path = good_xlsx(tmp_path / "version.xlsx")
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + 6, 64)
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"version\.xlsx: cannot read: corrupt zip: zip file "
                                        r"version 6.4"):
        read_grids(path)


def test_zip_padded_with_nuls_is_read_and_one_after_a_stub_is_refused(tmp_path: Path) -> None:
    """A writer may pad a file to a block with NULs: read. Bytes before the zip (a
    self-extracting stub; no workbook has one) are where a second zip would hide: refused."""
    padded = good_xlsx(tmp_path / "padded.xlsx")
    padded.write_bytes(padded.read_bytes() + bytes(-padded.stat().st_size % 512 or 512))
    assert read_grids(padded)[0].cells.shape == (6, 3)
    stub = tmp_path / "stub.xlsx"
    stub.write_bytes(b"MZ" + bytes(4094) + good_xlsx(tmp_path / "g.xlsx").read_bytes())
    with pytest.raises(UserError, match=r"stub\.xlsx: refused: its zip's end record"):
        read_grids(stub)


def test_zip_with_a_comment_is_read(tmp_path: Path) -> None:
    path = good_xlsx(tmp_path / "commented.xlsx")
    with zipfile.ZipFile(path, "a") as archive:
        archive.comment = b"written by a tool that signs its zips"
    assert read_grids(path)[0].cells.shape == (6, 3)


def _text_of(megabytes: float) -> bytes:
    """Text that deflates about 40:1 (under the 200:1 ratio bound)."""
    import random

    rng = random.Random(1)
    return b"".join(rng.choice([b"a" * 16, b"b" * 16]) for _ in range(int(megabytes * 2**16)))


def _shared_string_fanout(path: Path, text: bytes, cells: int) -> Path:
    """``good_xlsx`` whose one sheet has ``cells`` rows each using the one shared string
    ``text`` (``uniqueCount="1"``: within that bound)."""
    good_xlsx(path)
    with zipfile.ZipFile(path) as source:
        rels = source.read("xl/_rels/workbook.xml.rels")
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return with_members(path, {
        "xl/sharedStrings.xml": b'<sst %s uniqueCount="1"><si><t>%s</t></si></sst>' % (ns, text),
        "xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>", (
            b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')),
        "xl/worksheets/sheet1.xml": b'<worksheet %s><sheetData>%s</sheetData></worksheet>' % (
            ns, b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d"><v>1</v></c>'
                         b"</row>" % (i, i, i) for i in range(1, cells + 1))),
    })


@pytest.mark.parametrize("megabytes, cells", [
    pytest.param(10, 400, id="a 10 MB string in 400 cells"),
    pytest.param(32_752 / 2**20, 100_000, id="an Excel-sized string in 100,000 cells"),
])
def test_shared_string_copied_into_many_cells_is_refused(tmp_path: Path, megabytes: float,
                                                         cells: int) -> None:
    """calamine gives each cell its own copy of its shared string: 4 GB from a 268 KB file,
    3.3 GB from 760 KB (within Excel's 32,767-character limit), and the process aborted."""
    _folder_with(tmp_path, "fanout.xlsx",
                 lambda p: _shared_string_fanout(p, _text_of(megabytes), cells))
    error = _assert_refused_and_rest_written(tmp_path, "fanout.xlsx")
    assert "could each copy its longest shared string" in error, error


def _with_parts_declaring_more(path: Path, count: int) -> Path:
    """``path`` with ``count`` empty parts whose directory entries each say 1 MB."""
    with zipfile.ZipFile(path, "a") as archive:
        for i in range(count):
            archive.writestr(zipfile.ZipInfo(f"junk/{i}"), b"")
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        if data.startswith(b"junk/", at + 46):
            data[at + 24:at + 28] = (2**20).to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


def test_parts_calamine_never_reads_do_not_raise_the_memory_allowed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's memory was bounded by what every part declared: a thousand empty parts
    declaring 1 MB each (96 KB in all) raised it to the 8 GB ceiling, and a shared-string
    fanout was then read (this process took 3.7 GB). Only the parts whose bytes become cells
    count, as they inflate."""
    from gaffertape.sheets.bounds import quick_check

    allowed = _memory_of_each_read(monkeypatch)
    path = _with_parts_declaring_more(good_xlsx(tmp_path / "padded.xlsx"), 1000)
    assert sum(i.file_size for i in zipfile.ZipFile(path).infolist()) > 1000 * 2**20
    found = quick_check(path, ".xlsx", 20_000_000)
    assert found is not None and found.text < 10_000, found
    assert read_grids(path)[0].cells.shape == (6, 3)
    assert allowed and allowed[0] < 2**30, allowed


def test_padding_inside_a_sheet_does_not_buy_a_fanout(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100 MB comment inside the sheet (563 KB of file) raised the memory allowed to 7.7 GB,
    and a shared-string fanout of 1.25 GB was read (main 1.3 GB). The quick check bounds the
    fanout from the sheets' bytes and the longest shared string; over the bound, the whole
    check counts the cells, and refuses it before the worker reads anything."""
    allowed = _memory_of_each_read(monkeypatch)
    path = _shared_string_fanout(tmp_path / "padded.xlsx", _text_of(1), 1100)
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    padding = b"<!--" + random.Random(2).randbytes(2**19).hex().encode() + b"-->"
    with_members(path, {"xl/worksheets/sheet1.xml": sheet.replace(b"<sheetData>",
                                                                  padding + b"<sheetData>")})
    with pytest.raises(UserError, match="could each copy its longest shared string"):
        read_grids(path)
    assert allowed == []


def test_sheet_of_more_cell_tags_than_cells_allowed_is_refused_before_the_walk(
        tmp_path: Path) -> None:
    """Cell tags without a reference send a sheet to the walk, which follows the XML in
    Python in this process: 50 million of them (1 MB of file) took 156 s. Each tag is a cell
    at least, so more tags than the limit are refused first."""
    path = with_members(good_xlsx(tmp_path / "tags.xlsx"), {
        "xl/worksheets/sheet1.xml": b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                                    b'spreadsheetml/2006/main"><sheetData><row r="1">'
                                    + b"<c/>" * 2000 + b"</row></sheetData></worksheet>"})
    with pytest.raises(UserError, match=r"tags\.xlsx \(sheet 'Data'\): refused: 2,000 cell "
                                        r"tags, each at least one cell \(limit 1,000\)"):
        check_workbook(path, ".xlsx", 1000)


def test_reader_message_quoting_the_file_is_cut(tmp_path: Path) -> None:
    """calamine's message quoted a 200 MB comment: a one-line error 200 million characters
    long. It is cut to a few hundred."""
    cells = (b'<table:table-cell office:value-type="float" office:value="1"/><!--'
             + b"x" * 100_000 + b'--><table:table-cell office:value-type="float" '
             b'office:value="2"/>')
    path = _ods(tmp_path / "quoted.ods", b'<table:table table:name="S">' + _ROW % (b"", cells)
                + b"</table:table>")
    try:
        read_grids(path)
    except UserError as exc:
        assert len(exc.one_line()) < 1_000, len(exc.one_line())
    from gaffertape.sheets.calamine_read import _cut

    assert len(_cut("y" * 10**6)) < 400 and _cut("short") == "short"


def test_a_long_shared_string_in_a_few_cells_is_read(tmp_path: Path) -> None:
    """The bound is on cells times the longest string, not on either alone."""
    from gaffertape.sheets.api import tidy_file

    path = _shared_string_fanout(tmp_path / "notes.xlsx", _text_of(1), 20)
    assert len(tidy_file(path)) > 0


@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"<", b"")), min_size=1,
                max_size=12), st.lists(st.integers(1, 60), max_size=8))
def test_longest_shared_string_is_never_under_its_text_however_chunked(
        texts: list[bytes], cuts: list[int]) -> None:
    """Streamed in chunks cut anywhere, the measure of the longest string is at least the
    longest text (a ``<si`` cut in two only joins strings: longer still)."""
    from gaffertape.sheets.bounds import _StringTable

    xml = b"<sst>" + b"".join(b"<si><t>%s</t></si>" % t for t in texts) + b"</sst>"
    table, at = _StringTable(), 0
    for cut in [*cuts, len(xml)]:
        table.read(xml[at:at + cut])
        at += cut
    table.read(xml[at:])
    table.finish()
    assert table.longest >= max(map(len, texts))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_long_label_is_cut_not_copied_into_every_observation(tmp_path: Path,
                                                             suffix: str) -> None:
    """A 2 MB row label beside 100 numbers made 100 observations each carrying it: 200 MB of
    CSV from a 60 KB file. Texts past Excel's limit (32,767 characters) are cut to it as they
    are read, with a warning naming the sheet and the cell."""
    label = _text_of(2)
    if suffix == ".csv":
        (tmp_path / "label.csv").write_bytes(
            b"Region," + b",".join(b"%d" % y for y in range(2000, 2100)) + b"\n"
            + label + b"," + b",".join(b"%d" % i for i in range(100)) + b"\n")
    else:  # the sheet's XML written here: openpyxl itself cuts a text to Excel's limit
        def row(number: int, first: bytes, values: range) -> bytes:
            cells = b"".join(b'<c r="%s%d"><v>%d</v></c>' % (cell_ref(0, i + 1).rstrip("1")
                             .encode(), number, value) for i, value in enumerate(values))
            return (b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c>%s</row>'
                    % (number, number, first, cells))
        with_members(good_xlsx(tmp_path / "label.xlsx"), {"xl/worksheets/sheet1.xml": (
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>" + row(1, b"Region", range(2000, 2100)) + row(2, label, range(100))
            + b"</sheetData></worksheet>")})
    run = gaffertape("sheets", "tidy", f"label{suffix}", "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "1 cell text(s) longer than 32,767 characters (Excel's limit) cut to that length, " \
           "the first at A2" in run.stderr
    tidy = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    assert len(tidy) == 100 and set(tidy["row_header"].str.len()) == {32_767}
    assert (tmp_path / "out.csv").stat().st_size < 100 * 33_000


def test_reader_panic_in_a_small_table_is_one_line(tmp_path: Path) -> None:
    """The other readers of spreadsheets a user hands over (demographics records, PIs lists)
    go through ``tablefile.read_excel``: a panic there must be a UserError naming the file
    too, not a BaseException that ends the command with a traceback."""
    from gaffertape.errors import UserError
    from gaffertape.tablefile import read_excel

    path = xls_file(tmp_path / "offset.xls", sheet_offset=0x00FFFFFF)
    with pytest.raises(UserError, match=r"offset\.xls: cannot read"):
        read_excel(path, dtype=str)


def test_xls_that_aborts_the_reader_in_a_small_table_is_one_line(tmp_path: Path) -> None:
    """The same for a student-records or marks .xls: refused in one line, and this process,
    which read it, is still here to say so."""
    from gaffertape.errors import UserError
    from gaffertape.tablefile import read_excel

    path = xls_file(tmp_path / "records.xls", dims=xls_dimensions(0xFFFFFFFF, 0xFFFF))
    with pytest.raises(UserError, match=r"records\.xls: cannot read: the spreadsheet reader"):
        read_excel(path, dtype=str)
    assert read_excel(xls_file(tmp_path / "fine.xls"), header=None).shape == (2, 2)


def test_one_worksheet_listed_as_many_sheets_is_refused(tmp_path: Path) -> None:
    """Every <sheet> of workbook.xml may point at the same part: calamine reads it once for
    each (10,000 entries: 15 s and 10,000 copies of the data)."""
    def aliased(path: Path) -> Path:
        good_xlsx(path)
        with zipfile.ZipFile(path) as source:
            workbook = source.read("xl/workbook.xml").decode()
        start = workbook.index("<sheet ")
        first = workbook[start:workbook.index("/>", start) + 2]
        copies = "".join(first.replace('name="Data"', f'name="S{i}"')
                         .replace('sheetId="1"', f'sheetId="{i + 2}"') for i in range(3))
        return with_members(path, {"xl/workbook.xml":
                                   workbook.replace(first, first + copies).encode()})

    _folder_with(tmp_path, "aliased.xlsx", aliased)
    assert "are the same part" in _assert_refused_and_rest_written(tmp_path, "aliased.xlsx")


def test_sheet_list_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    """xl/workbook.xml is read first, to tell which parts are sheets; it was inflated without
    the bounds (a 1.4 MB file took 3 GB and 12 s before it was refused as a zip bomb)."""
    def bomb(path: Path) -> Path:
        good_xlsx(path)
        with zipfile.ZipFile(path) as source:
            workbook = source.read("xl/workbook.xml")
        return with_members(path, {"xl/workbook.xml": workbook + b" " * 32 * 2**20})

    bomb(tmp_path / "bomb.xlsx")
    tracemalloc.start()
    try:
        with pytest.raises(UserError, match=r"bomb\.xlsx: refused: xl/workbook\.xml inflates"):
            check_workbook(tmp_path / "bomb.xlsx", ".xlsx", 20_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak:,} bytes held while refusing it"
    _folder_with(tmp_path, "bomb.xlsx", bomb)
    assert "zip bomb" in _assert_refused_and_rest_written(tmp_path, "bomb.xlsx")


def test_zip_of_too_many_parts_is_refused_before_they_are_read(tmp_path: Path) -> None:
    """Every part of the zip is inflated and checked, then listed again by the reader:
    200,000 empty parts took 3.7 s and 240 MB, and a 200 MB file holds ten times as many."""
    def crowded(path: Path) -> Path:
        good_xlsx(path)
        return with_members(path, {f"x/{n}": b"" for n in range(MAX_MEMBERS)})

    _folder_with(tmp_path, "crowded.xlsx", crowded)
    error = _assert_refused_and_rest_written(tmp_path, "crowded.xlsx")
    assert f"parts (limit {MAX_MEMBERS:,}" in error


def test_zip_directory_too_long_is_refused_before_zipfile_reads_it(tmp_path: Path) -> None:
    """zipfile reads the whole directory into objects (about 560 bytes a part) before any part
    can be checked; 90,000 parts also make the zip a zip64, whose end record says the size."""
    path = with_members(good_xlsx(tmp_path / "listed.xlsx"),
                        {f"x/{n:08d}/part": b"" for n in range(90_000)})
    tracemalloc.start()
    try:
        with pytest.raises(UserError, match=r"listed\.xlsx: refused: its zip's directory is "):
            check_workbook(path, ".xlsx", 20_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak:,} bytes held while refusing it"


@settings(deadline=None)
@given(st.binary(max_size=200), st.binary(min_size=16, max_size=16),
       st.binary(min_size=18, max_size=18), st.binary(max_size=60))
def test_any_bytes_with_an_end_record_are_read_or_refused(head: bytes, locator: bytes,
                                                          record: bytes, junk: bytes) -> None:
    """Any bytes, with a zip end record and a zip64 locator right before it (pointing
    anywhere, claiming any disk), are let through to the reader or refused in one line: the
    check reads them before zipfile has said they are a zip (a locator claiming several
    disks made ``zipfile.is_zipfile`` raise)."""
    with tempfile.TemporaryDirectory() as folder:
        for n, data in enumerate((head + b"PK\x06\x07" + locator + b"PK\x05\x06" + record + junk,
                                  head + junk)):
            path = Path(folder) / f"{n}.xlsx"
            path.write_bytes(data)
            try:
                check_workbook(path, ".xlsx", 20_000_000)
            except UserError as exc:
                assert str(path) in exc.one_line()


def _declared(path: Path, name: str, size: int) -> Path:
    """``path`` with its zip directory saying that part ``name`` inflates to ``size`` bytes."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while data[at + 46:at + 46 + int.from_bytes(data[at + 28:at + 30], "little")] != name.encode():
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24:at + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


class _Padded:
    """A deflate compressor that writes junk after the end of its stream."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def compress(self, data: bytes) -> bytes:
        return self.inner.compress(data)

    def flush(self) -> bytes:
        return self.inner.flush() + b"\0" * 4096


def _padded(path: Path, member: str, monkeypatch) -> Path:
    """The good workbook with ``member`` deflated and followed by junk inside its size."""
    good_xlsx(path)
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    make = zipfile._get_compressor
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            with monkeypatch.context() as patch:
                if name == member:
                    patch.setattr(zipfile, "_get_compressor",
                                  lambda *args, **kw: _Padded(make(*args, **kw)))
                archive.writestr(name, data)
    return path


@pytest.mark.parametrize("build, says", [
    (lambda path, _: _declared(path, "xl/workbook.xml", 3 * 2**30), "parts declare 3,221,"),
    (lambda path, _: _declared(path, "xl/styles.xml", 10),
     "inflates to more than the 10 bytes it declares"),
    (lambda path, patch: _padded(path, "xl/workbook.xml", patch),
     "xl/workbook.xml has data after its compressed stream"),
], ids=["declares-too-much", "inflates-past-its-size", "junk-after-the-stream"])
def test_parts_are_held_to_what_they_declare(tmp_path: Path, monkeypatch, build,
                                             says: str) -> None:
    """The bounds count what a part declares and the compressed bytes it really has: 15,000
    parts of 1 MB each, one part listed 2,000 times, or 1 MB of deflate padded to 5 MB (so
    allowed to inflate to 1 GB) took minutes or gigabytes before they were refused."""
    path = build(good_xlsx(tmp_path / "lying.xlsx"), monkeypatch)
    with pytest.raises(UserError, match=says):
        check_workbook(path, ".xlsx", 20_000_000)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_parts_compressed_as_office_never_does_are_refused(tmp_path: Path, method: int) -> None:
    """A bzip2 or LZMA part was inflated whole by zipfile before its size could be bounded
    (785 bytes of bzip2 took 2 GB); bad LZMA options raised LZMAError. calamine cannot read
    them either."""
    path = good_xlsx(tmp_path / "packed.xlsx")
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(UserError, match=f"is compressed by method {method}"):
        check_workbook(path, ".xlsx", 20_000_000)


def test_part_whose_header_is_past_the_end_is_a_corrupt_zip(tmp_path: Path) -> None:
    """A part's local header read past the end of the file raised struct.error."""
    path = good_xlsx(tmp_path / "short.xlsx")
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 42:at + 46] = (len(data) - 10).to_bytes(4, "little")  # the first part's header
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"short\.xlsx: cannot read: corrupt zip: bad local header"):
        check_workbook(path, ".xlsx", 20_000_000)


def test_csv_over_the_cell_limit_is_refused_clearly(tmp_path: Path) -> None:
    """One line of 100,000 commas over 250 short lines: 25 million cells (the workbook limit is
    20 million), from a 100 KB file."""
    _folder_with(tmp_path, "wide.csv",
                 lambda p: p.write_bytes(b"," * 100_000 + b"1\n" + b"1\n" * 250))
    message = _assert_refused_and_rest_written(tmp_path, "wide.csv")
    assert "cells" in message


def test_xlsx_output_survives_control_characters_in_cells(tmp_path: Path) -> None:
    """A control character in a cell (here as Excel writes U+0001, which calamine decodes)
    made openpyxl refuse the whole XLSX export: the folder's output was lost."""
    book = good_xlsx(tmp_path / "control.xlsx")
    with zipfile.ZipFile(book) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
    with_members(book, {"xl/worksheets/sheet1.xml": sheet.replace(b"North", b"North_x0001_")})
    run = gaffertape("sheets", "tidy", "control.xlsx", "--out", "out.xlsx", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-1500:]
    out = pd.read_excel(tmp_path / "out.xlsx", engine="openpyxl")
    assert len(out) == 6 and out["row_header"].str.startswith("North").sum() == 2


def test_fifo_named_csv_is_called_what_it_is(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, "pipe.csv", os.mkfifo)
    assert (folder / "pipe.csv").exists()
    run = gaffertape("sheets", "tidy", "in", "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 1 and len(run.errors) == 1
    assert "no such file" not in run.errors[0] and "pipe.csv" in run.errors[0]


def test_wide_keeps_tables_of_same_named_files_apart(tmp_path: Path) -> None:
    """2019/marks.xlsx and 2020/marks.xlsx, each with sheet "Data": `wide` wrote both tables
    to marks__Data__t0.csv (one year silently lost) while saying "2 file(s)"."""
    for year in ("2019", "2020"):
        (tmp_path / "in" / year).mkdir(parents=True)
        good_xlsx(tmp_path / "in" / year / "marks.xlsx")
    run = gaffertape("sheets", "wide", "in", "--out", "wide", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-1000:]
    assert sorted(p.name for p in (tmp_path / "wide").glob("*.csv")) == [
        "marks__Data__t0.csv", "marks__Data__t0_2.csv"]


def test_wide_survives_a_very_long_sheet_name(tmp_path: Path) -> None:
    """Excel stops sheet names at 31 characters; the XML does not: 300 made the output file
    name too long ("unexpected OSError: [Errno 36]"), ending the run."""
    book = good_xlsx(tmp_path / "long.xlsx")
    with zipfile.ZipFile(book) as source:
        workbook = source.read("xl/workbook.xml")
    with_members(book, {"xl/workbook.xml": workbook.replace(b'name="Data"',
                                                            b'name="' + b"x" * 300 + b'"')})
    run = gaffertape("sheets", "wide", "long.xlsx", "--out", "wide", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-1000:]
    assert len(list((tmp_path / "wide").glob("*.csv"))) == 1


@pytest.mark.parametrize("content", [b"," * 25_000_000, b"\r" * 25_000_000],
                         ids=["commas", "line ends"])
def test_csv_of_too_many_fields_is_refused_before_they_are_read(tmp_path: Path,
                                                                content: bytes) -> None:
    """25 MB of separators are 25 million fields: the reader built them all (150 MB took
    2.2 GB) before the cell limit was looked at."""
    _folder_with(tmp_path, "many.csv", lambda p: p.write_bytes(b"a,b\n" + content))
    assert "separators and line ends" in _assert_refused_and_rest_written(tmp_path, "many.csv")


def test_escape_sequences_from_names_and_cells_do_not_reach_the_terminal(tmp_path: Path) -> None:
    """A file named to erase its own error line (ESC[2K, ESC[8m), and a table title that
    clears the screen when `sheets inspect` prints it (_x001B_ is Excel's escape for ESC,
    which calamine decodes): the terminal must see neither."""
    name = "x\x1b[2K\x1b[1Gall files read\x1b[8m.xlsx"
    _folder_with(tmp_path, name, lambda p: p.write_bytes(b"not a zip"))
    run = gaffertape("sheets", "tidy", "in", "--out", "out.csv", cwd=tmp_path)
    assert run.returncode == 1 and len(run.errors) == 1 and "all files read" in run.errors[0]
    book = good_xlsx(tmp_path / "marks.xlsx")
    with zipfile.ZipFile(book) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
    with_members(book, {"xl/worksheets/sheet1.xml": sheet.replace(
        b"Students by region", b"Students_x001B_[2J_x001B_[H by region")})
    shown = gaffertape("sheets", "inspect", "marks.xlsx", cwd=tmp_path)
    assert shown.returncode == 0 and "Students" in shown.stdout + shown.stderr
    assert "\x1b" not in run.stderr + run.stdout + shown.stdout + shown.stderr
