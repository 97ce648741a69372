"""Merged ranges of an .ods file, which python-calamine does not report.

Parses ``content.xml`` with a hardened lxml parser (no entities, no network, no DTD). Only rows
that hold a spanning cell are walked cell by cell; other rows just add their repeat count, which
keeps this cheap on large sheets.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from gaffertape.sheets.grid import Merge

_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TABLE, _ROW = f"{{{_T}}}table", f"{{{_T}}}table-row"
_NAME = f"{{{_T}}}name"
_ROWS_REP, _COLS_REP = f"{{{_T}}}number-rows-repeated", f"{{{_T}}}number-columns-repeated"
_COLS_SPAN, _ROWS_SPAN = f"{{{_T}}}number-columns-spanned", f"{{{_T}}}number-rows-spanned"
_SPANNING = etree.XPath("//t:table-cell[@t:number-columns-spanned or @t:number-rows-spanned]",
                        namespaces={"t": _T})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=True)


def ods_merges(path: Path) -> dict[str, list[Merge]]:
    """Sheet name -> merged ranges; empty when the file has no readable content.xml."""
    try:
        with zipfile.ZipFile(path) as archive:
            content = archive.read("content.xml")
        if b"-spanned" not in content:
            return {}
        root = etree.fromstring(content, _PARSER)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        return {}
    rows_with_spans = {cell.getparent() for cell in _SPANNING(root)}
    merges: dict[str, list[Merge]] = {}
    for table in root.iter(_TABLE):
        found = merges.setdefault(table.get(_NAME, ""), [])
        row = 0
        for element in table.iter(_ROW):
            if element in rows_with_spans:
                found.extend(_row_merges(element, row))
            row += int(element.get(_ROWS_REP, "1"))
    return merges


def _row_merges(row_element: etree._Element, row: int) -> list[Merge]:
    merges, col = [], 0
    for cell in row_element:
        cols, rows = int(cell.get(_COLS_SPAN, "1")), int(cell.get(_ROWS_SPAN, "1"))
        if cols > 1 or rows > 1:
            merges.append((row, col, row + rows - 1, col + cols - 1))
        col += int(cell.get(_COLS_REP, "1"))
    return merges
