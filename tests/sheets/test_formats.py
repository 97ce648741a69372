"""Identical output from .xlsx, .ods and .csv versions of one table, and ODS merges."""

import re
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gaffertape.sheets import api
from gaffertape.sheets.ods_merges import ods_merges
from gaffertape.sheets.readers import read_grids

_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:xlink="http://www.w3.org/1999/xlink"><office:body><office:spreadsheet>
<table:table table:name="Data">
<table:table-row><table:table-cell/><table:table-cell table:number-columns-spanned="2"
 office:value-type="string"><text:p>2016</text:p></table:table-cell><table:covered-table-cell/>
</table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Subject</text:p>
</table:table-cell><table:table-cell office:value-type="string"><text:p>Men</text:p>
</table:table-cell><table:table-cell office:value-type="string"><text:p>Women</text:p>
</table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1"><table:table-cell office:value-type="string">
<text:p>Maths</text:p></table:table-cell><table:table-cell office:value-type="float"
 office:value="10"><text:p>10</text:p></table:table-cell><table:table-cell
 office:value-type="float" office:value="12"><text:p>12</text:p></table:table-cell>
</table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


def _write_ods(path: Path, content: str = _ODS_CONTENT) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>""")
        archive.writestr("content.xml", re.sub(r">\s+<", "><", content))
    return path


def test_ods_merges_are_read(tmp_path: Path) -> None:
    path = _write_ods(tmp_path / "t.ods")
    assert ods_merges(path) == {"Data": [(0, 1, 0, 2)]}
    grid = read_grids(path)[0]
    assert grid.merged == [(0, 1, 0, 2)]


def test_ods_and_csv_give_the_same_observations(tmp_path: Path) -> None:
    ods = api.tidy(_write_ods(tmp_path / "t.ods"))
    assert list(ods["column_header"]) == ["2016 | Men", "2016 | Women"]
    csv = tmp_path / "t.csv"
    csv.write_text(",2016,2016\nSubject,Men,Women\nMaths,10,12\n", encoding="utf-8")
    other = api.tidy(csv)
    cols = ["cell", "row_header", "column_header", "value"]
    assert ods[cols].equals(other[cols])


def test_ods_merge_scan_agrees_with_a_full_parse() -> None:
    content = _ODS_CONTENT.encode()
    assert _scanned(content) == _parsed(content) == {"Data": [(0, 1, 0, 2)]}


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _parsed(content: bytes) -> dict[str, list[tuple[int, int, int, int]]]:
    """The merges a namespace-aware parse of every row finds: the reference for the byte scan
    (which reads only the rows with a spanning cell)."""
    from lxml import etree

    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    merges: dict[str, list[tuple[int, int, int, int]]] = {}
    for table in root.iter(f"{{{_TABLE}}}table"):
        found = merges.setdefault(table.get(f"{{{_TABLE}}}name", ""), [])
        row = 0
        for element in table.iter(f"{{{_TABLE}}}table-row"):
            col = 0
            for cell in element:
                cols = int(cell.get(f"{{{_TABLE}}}number-columns-spanned", "1"))
                rows = int(cell.get(f"{{{_TABLE}}}number-rows-spanned", "1"))
                if cols > 1 or rows > 1:
                    found.append((row, col, row + rows - 1, col + cols - 1))
                col += int(cell.get(f"{{{_TABLE}}}number-columns-repeated", "1"))
            row += int(element.get(f"{{{_TABLE}}}number-rows-repeated", "1"))
    return merges


def _scanned(content: bytes) -> dict[str, list[tuple[int, int, int, int]]]:
    """The merges the byte scan finds in ``content`` (the path every real .ods takes)."""
    from gaffertape.sheets.ods_merges import OdsContent, _scan, ods_tables

    return _scan(OdsContent(content, ods_tables(content)))


_GROUPED_ROWS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>
<table:table table:style-name="ta1" table:name="Grouped">
<table:table-header-rows><table:table-row><table:table-cell office:value-type="string">
<text:p>Title</text:p></table:table-cell></table:table-row></table:table-header-rows>
<table:table-row-group><table:table-row table:number-rows-repeated="2"><table:table-cell/>
</table:table-row><table:table-row><table:table-cell/><table:table-cell
 table:number-columns-spanned="2" office:value-type="string"><text:p>2016</text:p>
</table:table-cell><table:covered-table-cell/></table:table-row></table:table-row-group>
<table:table-row/><table:table-row><table:table-cell table:number-rows-spanned="2"
 office:value-type="string"><text:p>Wales</text:p></table:table-cell></table:table-row>
</table:table>
<table:table table:name="Second"><table:table-row><table:table-cell
 table:number-columns-spanned="3" office:value-type="string"><text:p>x</text:p>
</table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"""


def test_ods_merges_count_rows_in_groups_and_repeats_not_the_groups(tmp_path: Path) -> None:
    """A row group (``<table:table-row-group>``, an outline) and the header rows hold rows
    but are not rows themselves; a repeated row counts as many rows as it repeats. The
    merges must sit where calamine puts their values."""
    content = _GROUPED_ROWS.encode()
    expected = {"Grouped": [(3, 1, 3, 2), (5, 0, 6, 0)], "Second": [(0, 0, 0, 2)]}
    assert _scanned(content) == _parsed(content) == expected
    grouped, second = read_grids(_write_ods(tmp_path / "g.ods", _GROUPED_ROWS))
    # the grids keep the ranges cut to their cells (2 columns, 6 rows; "x" fills 1 column)
    assert grouped.merged == [(3, 1, 3, 1), (5, 0, 5, 0)] and second.merged == [(0, 0, 0, 0)]
    assert grouped.cell(3, 1) == "2016" and grouped.cell(5, 0) == "Wales"


_CELL = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                  st.booleans())  # columns spanned, rows spanned, columns repeated, text
_ROW = st.tuples(st.lists(_CELL, max_size=4), st.integers(1, 3),
                 st.booleans())  # cells, rows repeated, in a row group
_TABLES = st.lists(st.lists(_ROW, max_size=6), min_size=1, max_size=3)


def _ods_content(tables: list[list[tuple[list[tuple[int, int, int, bool]], int, bool]]]) -> bytes:
    """content.xml for generated tables: cells that span and repeat, rows that repeat
    (empty ones self-closing), some inside a row group, and text that says "-spanned"."""
    parts = ['<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
             'office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
             'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
             '<office:spreadsheet>']
    for t, rows in enumerate(tables):
        parts.append(f'<table:table table:name="T{t}">')
        for cells, repeat, grouped in rows:
            parts.append("<table:table-row-group>" if grouped else "")
            attrs = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
            if not cells:
                parts.append(f"<table:table-row{attrs}/>")
            else:
                parts.append(f"<table:table-row{attrs}>")
                for cols, rows_spanned, cols_repeated, has_text in cells:
                    cell = (f'<table:table-cell table:number-columns-spanned="{cols}" '
                            f'table:number-rows-spanned="{rows_spanned}" '
                            f'table:number-columns-repeated="{cols_repeated}"')
                    parts.append(cell + ("><text:p>rows-spanned</text:p></table:table-cell>"
                                         if has_text else "/>"))
                parts.append("</table:table-row>")
            parts.append("</table:table-row-group>" if grouped else "")
        parts.append("</table:table>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    return "".join(parts).encode()


@given(_TABLES)
@settings(max_examples=200, deadline=None)
def test_ods_merge_scan_agrees_with_the_xml_parse(tables: list) -> None:  # type: ignore[type-arg]
    """The byte scan reads only the rows with a spanning cell and counts the others: it must
    find what a namespace-aware parse of every row finds."""
    content = _ods_content(tables)
    assert _scanned(content) == _parsed(content)
