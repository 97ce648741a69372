"""Merged ranges of an .ods file, which python-calamine does not report.

``content.xml`` is scanned with byte regexes: only the rows holding a spanning cell are walked
cell by cell, so a large workbook costs milliseconds. A file that binds the table namespace to
another prefix has no merges here: python-calamine reads tables only under ``table:`` (it finds
no sheets in such a file), and the lxml parse that read it built a tree of the whole content
(a 547 KB file took 3.2 GB).
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from gaffertape.sheets.grid import Merge

_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_STANDARD = f'xmlns:table="{_T}"'.encode()
_CELL_RE = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)/?>")
# (at most 12 digits: int() refuses over 4,300, and a longer count is no real one; calamine
# reports such a file, whose merges then do not matter)
_ATTR = {name: re.compile(rf'table:number-{name}="(\d{{1,12}})"'.encode())
         for name in ("rows-repeated", "columns-repeated", "columns-spanned", "rows-spanned")}


class OdsContent(NamedTuple):
    """An .ods file's content.xml as the bounds check inflated it, and where its tables start
    (see :func:`ods_tables`), so the merges scan finds neither again; and what the check
    measured, which bounds what the reader may build from it (see ``isolation.memory_for``)."""

    content: bytes
    tables: list[tuple[int, str]]
    cells: int = 0  # at most this many cells, over all the tables (0: not measured)
    copied: int = 0  # bytes of text the repeats copy, at most


def ods_merges(path: Path, checked: OdsContent | None = None) -> dict[str, list[Merge]]:
    """Sheet name -> merged ranges; empty when the file has no readable content.xml.

    ``checked`` is the file's content.xml when the caller has already read it."""
    if checked is None:
        try:
            with zipfile.ZipFile(path) as archive:
                content = archive.read("content.xml")
        except (zipfile.BadZipFile, KeyError):
            return {}
        checked = OdsContent(content, ods_tables(content))
    if b"-spanned" not in checked.content or _STANDARD not in checked.content:
        return {}  # (python-calamine reads tables only under the ``table:`` prefix)
    return _scan(checked)


def _attr(attrs: bytes, name: str) -> int:
    match = _ATTR[name].search(attrs)
    return int(match[1]) if match else 1


def _scan(checked: OdsContent) -> dict[str, list[Merge]]:
    """The merges of every table."""
    content, tables = checked.content, checked.tables
    merges: dict[str, list[Merge]] = {name: [] for _, name in tables}
    ends = [start for start, _ in tables[1:]] + [len(content)]
    for (start, name), end in zip(tables, ends, strict=True):
        spans = offsets(content, b"-spanned", start, end)
        merges[name].extend(_table_merges(content, start, spans))
    return merges


def offsets(content: bytes, needle: bytes, start: int = 0, end: int | None = None
            ) -> Iterator[int]:
    """Each offset of ``needle`` in ``content[start:end]``, as it is found (a plain find loop:
    several times faster than a regex scan; a list of them all, for 23 million in a comment,
    took 1.2 GB)."""
    end = len(content) if end is None else end
    at = content.find(needle, start, end)
    while at >= 0:
        yield at
        at = content.find(needle, at + 1, end)


def _table_merges(content: bytes, start: int, spans: Iterable[int]) -> list[Merge]:
    """The merges of the table starting at ``start``, whose spanning cells are at ``spans``.

    Only the rows holding a spanning cell are read; the rows before each are counted, not
    walked (a large sheet has tens of thousands of rows and a few dozen merges). Each stretch
    of the content is searched once: the count goes on from the furthest point read."""
    merges: list[Merge] = []
    counted, row = start, 0  # `row`: the index of the first row at or after offset `counted`
    for span in spans:
        # the row's own tag is the last to open before its cell (a row group or the rows
        # element opens before its rows, and a closing tag starts "</")
        row_start = content.rfind(b"<table:table-row", counted, span)
        if row_start < 0:  # in a row already read, or before the first: no row opens here
            counted = max(counted, span)  # (from here: 320,000 of them took 45 s, searched
            continue  # back to the table's start each time)
        row += _rows_between(content, counted, row_start)
        tag_end = content.find(b">", row_start)
        repeat = _attr(content[row_start:tag_end], "rows-repeated")
        if content[tag_end - 1] != ord("/"):  # not an empty row: read its cells
            body_end = content.find(b"</table:table-row>", tag_end)
            merges.extend(_row_merges(content[tag_end + 1:body_end], row))
            tag_end = body_end
        # the rest is counted from here (no row opens before the span: its row was the last)
        counted, row = max(tag_end, span), row + repeat
    return merges


def ods_tables(content: bytes) -> list[tuple[int, str]]:
    """(offset, name) of every ``<table:table>``, found from the name attributes (few) rather
    than by a regex over every tag (a cell is a ``<table:table-cell``)."""
    tables = []
    for at in offsets(content, _NAME):
        tag = content.rfind(b"<", 0, at)
        if _TABLE_TAG.match(content, tag):
            name = content[at + len(_NAME):content.find(b'"', at + len(_NAME))]
            tables.append((tag, html.unescape(name.decode())))
    return tables


_NAME = b'table:name="'
_TABLE_TAG = re.compile(rb"<table:table\s")


def _rows_between(content: bytes, start: int, end: int) -> int:
    """Sheet rows whose tags open in ``content[start:end]``, with their repeats. Counted
    without a regex: a count of the tag's name, less the row groups and ``<table:table-rows>``
    elements that share it (rare), plus the repeats (rare)."""
    rows = content.count(b"<table:table-row", start, end)
    for container in (b"<table:table-row-group", b"<table:table-rows"):
        rows -= content.count(container, start, end)
    repeats = offsets(content, b"table:number-rows-repeated=", start, end)
    return rows + sum(_attr(content[at:content.find(b">", at)], "rows-repeated") - 1
                      for at in repeats)


def _row_merges(body: bytes, row: int) -> list[Merge]:
    merges, col = [], 0
    for cell in _CELL_RE.finditer(body):
        attrs = cell[1]
        cols, rows = _attr(attrs, "columns-spanned"), _attr(attrs, "rows-spanned")
        if cols > 1 or rows > 1:
            merges.append((row, col, row + rows - 1, col + cols - 1))
        col += _attr(attrs, "columns-repeated")
    return merges
