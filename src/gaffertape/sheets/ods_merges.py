"""Merged ranges of an .ods file, which python-calamine does not report.

Streams ``content.xml`` with a hardened lxml parser (no entities, no network, no DTD) and tracks
row/column positions through ``number-rows-repeated`` / ``number-columns-repeated``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from gaffertape.sheets.grid import Merge

_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TABLE, _ROW, _CELL, _COVERED = (f"{{{_T}}}{n}" for n in
                                 ("table", "table-row", "table-cell", "covered-table-cell"))
_NAME = f"{{{_T}}}name"
_ROWS_REP, _COLS_REP = f"{{{_T}}}number-rows-repeated", f"{{{_T}}}number-columns-repeated"
_COLS_SPAN, _ROWS_SPAN = f"{{{_T}}}number-columns-spanned", f"{{{_T}}}number-rows-spanned"


def ods_merges(path: Path) -> dict[str, list[Merge]]:
    """Sheet name -> merged ranges; empty when the file has no readable content.xml."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            return _parse(stream)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        return {}


def _parse(stream: object) -> dict[str, list[Merge]]:
    merges: dict[str, list[Merge]] = {}
    sheet, row, col = "", 0, 0
    events = etree.iterparse(stream, events=("start", "end"), resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=True)
    for event, el in events:
        tag = el.tag
        if event == "start":
            if tag == _TABLE:
                sheet, row = el.get(_NAME, ""), 0
                merges[sheet] = []
            elif tag == _ROW:
                col = 0
            elif tag == _CELL and (el.get(_COLS_SPAN) or el.get(_ROWS_SPAN)):
                cols, rows = int(el.get(_COLS_SPAN, "1")), int(el.get(_ROWS_SPAN, "1"))
                if cols > 1 or rows > 1:
                    merges[sheet].append((row, col, row + rows - 1, col + cols - 1))
            continue
        if tag in (_CELL, _COVERED):
            col += int(el.get(_COLS_REP, "1"))
            el.clear()
        elif tag == _ROW:
            row += int(el.get(_ROWS_REP, "1"))
            el.clear()
    return merges
