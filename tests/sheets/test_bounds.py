"""The zip checks of :mod:`gaffertape.sheets.bounds` count what really inflates, not what the
zip's headers say: a header that lies about a member's sizes must not get a bomb through."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaffertape.errors import UserError
from gaffertape.sheets.bounds import check_workbook

_BIG = 64 * 1024 * 1024


def _zip_with_big_member(path: Path) -> Path:
    block = b" " * (1024 * 1024)
    with (zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
          archive.open("xl/styles.xml", "w") as member):
        for _ in range(_BIG // len(block)):
            member.write(block)
    return path


def _patch_central_directory(path: Path, offset: int, value: int) -> None:
    """Overwrite one 4-byte field of the (only) central directory entry and local header."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + offset, value)
    struct.pack_into("<I", data, offset - 2, value)  # the same field in the local header
    path.write_bytes(bytes(data))


def test_member_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    bomb = _zip_with_big_member(tmp_path / "liar.xlsx")
    _patch_central_directory(bomb, 24, 1000)  # uncompressed size: 1,000 bytes, it says
    assert zipfile.ZipFile(bomb).getinfo("xl/styles.xml").file_size == 1000
    with pytest.raises(UserError, match=r"liar.xlsx: refused: xl/styles.xml inflates"):
        check_workbook(bomb, ".xlsx", 20_000_000)


def test_member_cut_short_is_reported_as_corrupt(tmp_path: Path) -> None:
    book = tmp_path / "short.xlsx"
    with zipfile.ZipFile(book, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/styles.xml", bytes(range(256)) * 4000)
    size = zipfile.ZipFile(book).getinfo("xl/styles.xml").compress_size
    _patch_central_directory(book, 20, size // 2)  # compressed size: half of the stream
    with pytest.raises(UserError, match=r"short.xlsx: cannot read: corrupt zip"):
        check_workbook(book, ".xlsx", 20_000_000)


def test_member_with_a_broken_deflate_stream_is_reported_as_corrupt(tmp_path: Path) -> None:
    """Bytes that are no deflate stream (a damaged download) are the file's error, named, not
    the inflater's exception escaping the folder run."""
    book = tmp_path / "garbled.xlsx"
    with zipfile.ZipFile(book, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/styles.xml", b"<styleSheet/>" * 500)
    data = bytearray(book.read_bytes())
    start = data.index(b"xl/styles.xml") + len("xl/styles.xml")  # the stream follows its name
    data[start:start + 8] = b"\xff" * 8
    book.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"garbled.xlsx: cannot read: corrupt zip"):
        check_workbook(book, ".xlsx", 20_000_000)


def test_ordinary_members_pass(tmp_path: Path) -> None:
    book = tmp_path / "fine.xlsx"
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("stored.xml", b"<a/>" * 1000, compress_type=zipfile.ZIP_STORED)
        archive.writestr("deflated.xml", b"<b/>" * 1000, compress_type=zipfile.ZIP_DEFLATED)
    assert check_workbook(book, ".xlsx", 20_000_000) is None


_PADDING_ROW = (b'<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                b'table:number-columns-repeated="1024"/></table:table-row>')
_VALUE = b'<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>' \
         b"</table:table-cell>"


def _ods_table(*rows: bytes) -> bytes:
    return b'<table:table table:name="T">' + b"".join(rows) + _PADDING_ROW + b"</table:table>"


def _row(cells: bytes, repeat: int = 1) -> bytes:
    """A row of ``cells`` with LibreOffice's padding cell at its end."""
    attrs = b' table:number-rows-repeated="%d"' % repeat if repeat > 1 else b""
    return (b"<table:table-row" + attrs + b">" + cells + b'<table:table-cell '
            b'table:number-columns-repeated="1000"/></table:table-row>')


def _empty(repeat: int) -> bytes:
    return b'<table:table-cell table:number-columns-repeated="%d"/>' % repeat


def _cells_of(content: bytes) -> int:
    from gaffertape.sheets.bounds import _check_ods_extent

    try:
        _check_ods_extent(Path("t.ods"), content, 1000)
    except UserError as exc:
        return int(str(exc).split(" = ")[1].split(" cells")[0].replace(",", ""))
    return 0  # within the limit


def test_ods_padding_does_not_count_but_every_repeat_before_a_value_does() -> None:
    """LibreOffice pads every row and sheet with empty repeated cells and rows: they must not
    count. Empty repeats before a value, and small repeats that multiply, must (a check that
    looked only at repeats of 100 or more holding a value let both through, and calamine
    aborted on the result)."""
    assert _cells_of(_ods_table(_row(_VALUE * 3), _row(_VALUE * 5, repeat=2))) == 0
    empty_rows_first = _ods_table(b'<table:table-row table:number-rows-repeated="5000">'
                                  b"<table:table-cell/></table:table-row>", _row(_VALUE))
    assert _cells_of(empty_rows_first) == 5001 * 1
    empty_cells_first = _ods_table(_row(_empty(2000) + _VALUE))
    assert _cells_of(empty_cells_first) == 1 * 2001
    value = _VALUE.replace(b"table-cell ", b'table-cell table:number-columns-repeated="40" ', 1)
    multiplied = _ods_table(*[_row(value * 2, repeat=30)] * 3)  # no repeat reaches 100
    assert _cells_of(multiplied) == 90 * 80


@pytest.mark.parametrize("written", [b"='500'", b' = "500"', b'="&#53;00"'])
def test_ods_repeat_in_a_form_the_scan_cannot_read_is_refused(written: bytes) -> None:
    """Valid XML that calamine reads as a repeat of 500, but a byte scan for
    ``-repeated="digits"`` would miss: refused rather than let through."""
    cell = _VALUE.replace(b"table-cell ", b"table-cell table:number-columns-repeated" + written
                          + b" ", 1)
    from gaffertape.sheets.bounds import _check_ods_extent

    with pytest.raises(UserError, match="repeat is written in a form"):
        _check_ods_extent(Path("t.ods"), _ods_table(_row(cell)), 1000)


def test_ods_grouped_rows_and_covered_cells_count() -> None:
    covered = b'<table:covered-table-cell table:number-columns-repeated="600"/>'
    grouped = _ods_table(b"<table:table-row-group>" + _row(covered + _VALUE, repeat=3)
                         + b"</table:table-row-group>")
    assert _cells_of(grouped) == 3 * 601


_ROWS = st.lists(st.tuples(st.lists(st.tuples(st.integers(1, 60), st.booleans()), max_size=5),
                           st.integers(1, 60)), max_size=8)


@given(_ROWS)
@settings(max_examples=300, deadline=None)
def test_ods_quick_bound_is_never_below_the_walk(rows: list) -> None:  # type: ignore[type-arg]
    """The bound clears a table without walking it only if the walk could not find more: it
    must never be below what the walk measures, and the walk must measure what the rows say
    (rows up to the last with a value, times the widest row up to its last value)."""
    from gaffertape.sheets.bounds import _ods_table_extent, _table_bound

    made = []
    expected_rows = expected_width = row_index = 0
    for cells, repeat in rows:
        made.append(_row(b"".join(_VALUE.replace(b"table-cell ", b'table-cell table:number-'
                                                 b'columns-repeated="%d" ' % n, 1)
                                  if valued else _empty(n) for n, valued in cells), repeat))
        width = col = 0
        for n, valued in cells:
            col += n
            width = col if valued else width
        if width:
            expected_rows, expected_width = row_index + repeat, max(expected_width, width)
        row_index += repeat
    content = _ods_table(*made)
    _, found_rows, found_width = _ods_table_extent(content, 0, len(content))
    assert (found_rows, found_width) == (expected_rows, expected_width)
    assert _table_bound(content, 0, len(content)) >= found_rows * found_width


_PIECES = st.one_of(
    st.sampled_from([b"<c", b">", b"<v>1</v>", b' s="1"', b"</c>", b" ", b'"', b"x"]),
    st.builds(lambda letters, digits, closed: b' r="' + letters.encode() + digits.encode()
              + (b'"' if closed else b""),
              st.text("ABXZ", max_size=5), st.text("0123456789", max_size=9), st.booleans()))


@given(st.lists(_PIECES, max_size=40).map(b"".join))
def test_quick_extent_scan_sees_the_widest_and_longest_reference(xml: bytes) -> None:
    """The one-pass scan for the longest references (see ``_widest_references``) must agree
    with reading every reference: the widest column letters (capped at 3) of any reference
    followed by a row number, and the most row digits (capped at 7, counted from 4) of any
    reference that closes right after them."""
    from gaffertape.sheets.bounds import _REFERENCE, _widest_references

    letters, digits = 0, 3
    for column, row, closed in _REFERENCE.findall(xml):
        if column and row:
            letters = max(letters, min(len(column), 3))
        if closed and len(row) >= 4:
            digits = max(digits, min(len(row), 7))
    assert _widest_references(xml) == (letters, digits)


def _far_workbook(path: Path, rels: bytes = b"", rename: dict[str, str] | None = None) -> Path:
    """A workbook whose sheet 'Far' holds a value at XFD1048576 (17 billion cells for
    calamine), its worksheet relationship pointing at ``rels`` when given, and members
    renamed per ``rename``."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Far"
    book.active["XFD1048576"] = 1
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if rels and info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'"/xl/worksheets/sheet1.xml"', b'"%s"' % rels)
            archive.writestr((rename or {}).get(info.filename, info.filename), data)
    return path


@pytest.mark.parametrize("target", [b"/xl/Worksheets/Sheet1.xml", b"worksheets\\sheet1.xml"])
def test_a_worksheet_named_in_another_case_or_with_backslashes_is_still_checked(
        tmp_path: Path, target: bytes) -> None:
    """python-calamine finds xl/worksheets/sheet1.xml from the target /xl/Worksheets/Sheet1.xml
    (and aborts on its far cell), so the check must match the target to the member as loosely."""
    book = _far_workbook(tmp_path / "cased.xlsx", rels=target)
    with pytest.raises(UserError, match=r"cased.xlsx \(sheet 'Far'\): refused: a value as far"):
        check_workbook(book, ".xlsx", 20_000_000)


def test_every_xml_member_is_checked_when_the_sheet_list_cannot_be_read(tmp_path: Path) -> None:
    """Without a readable workbook.xml and relationships the check cannot tell worksheets from
    other members: it checks them all rather than none."""
    book = _far_workbook(tmp_path / "norels.xlsx",
                         rename={"xl/_rels/workbook.xml.rels": "xl/_rels/Workbook.xml.rels"})
    with pytest.raises(UserError, match=r"\(sheet 'xl/worksheets/sheet1.xml'\): refused"):
        check_workbook(book, ".xlsx", 20_000_000)
