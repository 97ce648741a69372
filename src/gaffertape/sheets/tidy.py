"""Turn a detected layout into long-form observations: one row per data cell, with provenance.

Headers are read with merged cells filled across their span and sparse upper header rows
forward-filled; row labels are forward-filled down and nested by indentation; a sub-table title
row ("Full-time", "Part-time") becomes the ``sub_table`` dimension of every row below it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from datetime import date, datetime, time
from itertools import accumulate
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.internals import create_dataframe_from_blocks

from gaffertape.sheets.detect import is_numbering_row
from gaffertape.sheets.grid import Grid, cell_ref, cross
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.uniqueness import ambiguous_in_table
from gaffertape.sheets.values import (
    FLOAT,
    INT,
    NONE,
    OTHER,
    STR,
    Memo,
    flags_of,
    mapped_array,
    object_array,
)

COLUMNS = ["source_file", "sheet", "table", "table_title", "cell", "row_header", "column_header",
           "sub_table", "value", "raw", "flags", "is_total", "unit"]
SEP = " | "


def observations(grid: Grid, layout: SheetLayout) -> pd.DataFrame:
    """Long-form observations of every table in ``layout``."""
    return to_frame(observation_columns(grid, layout))


def observation_columns(grid: Grid, layout: SheetLayout) -> list[TableObservations]:
    """Each table's observations, for :func:`to_frame` to make one frame of many sheets."""
    return [_table_observations(grid, table) for table in layout.tables]


class TableObservations(NamedTuple):
    """One table's observations, as :func:`to_frame` needs them to build a file's frame.

    A table gives what only it can read: each observation's labels, number, cell and type,
    and where it sits. What is done the same way for every table (the cell references, the
    flags and raw text read from the cells, the constant columns) is left to :func:`to_frame`,
    which does it once for all the tables of a file: one set of array calls per file instead
    of one per table (most tables are small, where those calls cost more than the data)."""

    grid: Grid
    table: Table
    body: np.ndarray  # the table's body rows (sheet rows)
    rows: np.ndarray  # each observation's sheet row and column
    columns: np.ndarray
    row_header: np.ndarray
    column_header: np.ndarray
    sub_table: np.ndarray | None  # None: the table has no sub-tables (most)
    value: np.ndarray
    cells: np.ndarray  # each observation's cell and its type, for its flags and raw text
    types: np.ndarray
    # footnote markers of its row labels and of its column's headings ('' for none; None when
    # the table has none), added to the flags after the qualifiers, as a reader sees them
    label_marks: np.ndarray | None
    column_marks: np.ndarray | None
    is_total: np.ndarray | None  # None: the table has no total rows or columns
    ambiguous: int  # observations whose key another shares (see ``ambiguous_in_table``)


def to_frame(parts: list[TableObservations], names: list[str] = COLUMNS) -> pd.DataFrame:
    """One DataFrame of many tables' observations, its columns called ``names`` (in the order
    of :data:`COLUMNS`). Built once per file, each column in one piece: pandas construction
    is costly, and so is every numpy call made per table instead of once."""
    parts = [p for p in parts if len(p.value)]
    if not parts:
        return pd.DataFrame({name: pd.Series([], dtype=_DTYPES.get(column, object))
                             for name, column in zip(names, COLUMNS, strict=True)})
    lengths = [len(p.value) for p in parts]
    spans, n = _spans(lengths), sum(lengths)
    index = pd.RangeIndex(n)  # one shared index: pandas then skips aligning columns
    flags, raw = _flags_and_raw(parts, spans)
    made = {
        "source_file": _repeated([p.grid.source for p in parts], spans),
        "sheet": _repeated([p.grid.sheet for p in parts], spans),
        "table": np.repeat(np.array([p.table.index for p in parts], dtype=np.int64), lengths),
        "table_title": _repeated([p.table.title for p in parts], spans),
        "cell": _cell_refs(parts, spans),
        "row_header": _joined_up([p.row_header for p in parts]),
        "column_header": _joined_up([p.column_header for p in parts]),
        "sub_table": _spread([p.sub_table for p in parts], spans, _blanks(n)),
        "value": _joined_up([p.value for p in parts]),
        "raw": raw,
        "flags": flags,
        "is_total": _spread([p.is_total for p in parts], spans, np.zeros(n, dtype=bool)),
        "unit": _repeated([p.table.unit for p in parts], spans),
    }
    # Each column goes in as it is, as its own block, through pandas' public low-level entry
    # for frames made of ready arrays (pyarrow's ``to_pandas`` builds its frames with it).
    # ``pd.DataFrame`` would infer Arrow strings from a bare object array (converting every
    # string column costs more than the whole parse), and wrapping each column in a Series
    # to stop that cost three times what this does. No copy either: the arrays are new and
    # owned by the frame, and copying them into one consolidated block took longer than
    # reading the workbooks. Its assumptions hold: 2-d numpy arrays (one row per column
    # here), each of length n, placed at 0, 1, ... once each.
    blocks = [(column.reshape(1, n), np.array([at])) for at, column in enumerate(made.values())]
    return create_dataframe_from_blocks(blocks, index=index, columns=pd.Index(names))


def _joined_up(arrays: list[np.ndarray]) -> np.ndarray:
    """The tables' arrays one after another (one table's array as it is: made for this frame)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _repeated(values: list[object], spans: list[slice]) -> np.ndarray:
    """Each of ``values`` over its table's span (see :func:`_spans`), as an object column
    filled run by run: ``np.repeat`` copies an object array element by element, which costs
    about twice as much on a long column of a few strings."""
    column = np.empty(spans[-1].stop, dtype=object)
    for value, at in zip(values, spans, strict=True):
        column[at] = value
    return column


def text(value: object) -> str:
    """Display text of a cell: whole floats without '.0', dates in ISO form."""
    kind = type(value)
    if kind is str:
        return " ".join(value.split())  # type: ignore[union-attr]
    if value is None:
        return ""
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return " ".join(str(value).split())


def _column_headers_and_markers(grid: Grid, table: Table) -> tuple[dict[int, str],
                                                                   dict[int, str]]:
    """Header path per data column, and the footnote markers of its headings ("Europe¹" ->
    path "Europe", marker "¹"): a marker qualifies the column's numbers, it does not name it."""
    merged_rows = grid.merged_rows
    paths: dict[int, list[str]] = {c: [] for c in table.data_cols}
    marks: dict[int, list[str]] = {}
    header_rows = [h for h in table.shared_header_rows + table.header_rows
                   if not is_numbering_row(grid, h)]
    last = header_rows[-1] if header_rows else -1
    first_data = table.data_cols[0]
    boundaries: set[int] = set()  # columns where a parent (upper) header starts
    for h in header_rows:
        spread = h != last and h not in merged_rows  # a sparse upper row spans to the right
        carry = ""
        row, filled = grid.cells[h, first_data:table.right + 1].tolist(), grid.merged_values(h)
        if filled:  # a merged heading reads the same across its span
            row = [filled.get(c) if v is None else v for c, v in enumerate(row, first_data)]
        labels = list(map(_display, row))
        ends_spans = spread and _ends_its_groups(labels)  # each heading at its span's right end
        if ends_spans:
            boundaries.update(c for c, start in enumerate(_starts(labels), first_data) if start)
            labels, spread = list(_filled_up(labels)), False
        for c, label in enumerate(labels, first_data):
            if c in boundaries and not label:
                carry = ""  # a span never crosses its parent's boundary
            if label:
                carry = label
                if not ends_spans:
                    boundaries.add(c)
            elif spread:
                label = carry
            path = paths.get(c)  # None: not a data column
            if path is None or not label:
                continue
            label, mark = _LABEL_AND_MARKER[label]
            if not path or path[-1] != label:
                path.append(label)
            if mark:
                marks.setdefault(c, []).append(mark)
    headers = _told_apart({c: SEP.join(parts) for c, parts in paths.items()})
    return headers, {c: " ".join(found) for c, found in marks.items()}


def _told_apart(headers: dict[int, str]) -> dict[int, str]:
    """Columns whose header paths are the same ("Median", "change", "Mean", "change") are told
    apart by the nearest column on their left with a header of its own, the way a reader does:
    "Median | change", "Mean | change"."""
    if len(set(headers.values())) == len(headers):
        return headers  # no two columns alike (most tables), found at C speed
    counts: dict[str, int] = {}
    for path in headers.values():
        counts[path] = counts.get(path, 0) + 1
    if all(n == 1 or not path for path, n in counts.items()):
        return headers
    told: dict[int, str] = {}
    parent = ""
    for c, path in sorted(headers.items()):
        if counts[path] > 1 and path and parent:
            told[c] = parent + SEP + path
        else:
            told[c] = path
            parent = path.rsplit(SEP, 1)[-1] if counts[path] == 1 else parent
    return told if len(set(told.values())) > len(set(headers.values())) else headers


def _table_observations(grid: Grid, table: Table) -> TableObservations:
    """Columnar build: numpy indexing on the data block, each distinct text parsed once."""
    body = np.array(sorted(set(table.body_rows).difference(table.section_rows)), dtype=np.intp)
    labels = _label_cells(grid, table, body)
    sub_tables, paths = _row_paths(grid, table, body, labels)
    rows_apart = len(set(paths.tolist())) == len(paths)  # no label repeats (most tables)
    if not rows_apart:
        paths = _rows_told_apart(sub_tables, paths)
    cols = np.array(table.data_cols, dtype=np.intp)
    block = grid.types[cross(body, cols)]
    filled = block != NONE
    row_i, col_i = filled.nonzero()
    rows, columns = body[row_i], cols[col_i]
    at = rows * grid.n_cols + columns  # each observation's place in the flattened sheet
    by_column, markers = _column_headers_and_markers(grid, table)
    headers = object_array([by_column[c] for c in table.data_cols])
    row_marks = _label_markers(labels)
    column_marks = object_array([markers.get(c, "") for c in table.data_cols]) if markers else None
    return TableObservations(
        grid, table, body, rows, columns,
        row_header=paths[row_i], column_header=headers[col_i],
        sub_table=sub_tables[row_i] if table.section_rows else None,
        value=grid.numbers.ravel()[at], cells=grid.cells.ravel()[at], types=block[filled],
        label_marks=None if row_marks is None else row_marks[row_i],
        column_marks=None if column_marks is None else column_marks[col_i],
        is_total=_table_totals(grid, table, rows, columns),
        ambiguous=ambiguous_in_table([sub_tables, paths], headers, row_i, col_i,
                                     rows_apart=rows_apart))


_DTYPES: dict[str, type] = {"table": np.int64, "value": float, "is_total": bool}
_DISPLAY = Memo(text)


def _display(value: object) -> str:
    """:func:`text`, each distinct string made once (only strings: ``1 == 1.0 == True`` as keys);
    an empty cell (most cells of a heading row) without a call."""
    if type(value) is str:
        return _DISPLAY[value]  # type: ignore[return-value]
    return "" if value is None else text(value)
# footnote markers glued to a label: "Apr¹", "Jan†", "Total*", "Wales (a)". The shortest label
# wins, so the marker is the whole run of marker signs at the end: it is tried only from the
# start of a run (trying it from every sign in a run of 3,000 took a second a label), and
# _MARKER_AFTER_ONE covers the one label that ends inside its run (a single sign: "***").
_MARKER = re.compile(r"^(?P<label>.*?\S)\s*+(?P<marker>(?<![¹²³⁴⁵⁶⁷⁸⁹⁰])[¹²³⁴⁵⁶⁷⁸⁹⁰]++"
                     r"|(?<![*†‡§¶])[*†‡§¶]++|\([a-z]\))$")
_MARKER_AFTER_ONE = re.compile(r"^(?P<label>[^\S\n]*\S)\s*+(?P<marker>[¹²³⁴⁵⁶⁷⁸⁹⁰]++|[*†‡§¶]++"
                               r"|\([a-z]\))$")


def _label_and_marker(value: str) -> tuple[str, str]:
    """A label's display text without its footnote marker, and the marker."""
    shown = text(value)
    match = _MARKER.match(shown) or _MARKER_AFTER_ONE.match(shown)
    return (match["label"], match["marker"]) if match else (shown, "")


_LABEL_AND_MARKER = Memo(_label_and_marker)  # type: ignore[arg-type]
_LABEL = Memo(lambda value: _LABEL_AND_MARKER[value][0])  # type: ignore[index]
_LABEL_MARKER = Memo(lambda value: _LABEL_AND_MARKER[value][1])  # type: ignore[index]


def _leading_depth(label: str) -> int:
    """Indentation from leading spaces: two spaces per level."""
    return (len(label) - len(label.lstrip(" "))) // 2


_LEADING_SPACES = Memo(_leading_depth)  # type: ignore[arg-type]
# a label without a footnote marker and without leading spaces (most): nothing more to read
_PLAIN = Memo(lambda value: not _LABEL_MARKER[value] and not _LEADING_SPACES[value])


class _LabelCells(NamedTuple):
    """The row-label cells of a table's body rows (rows x label columns), read once for the
    row paths, the indentation test and the labels' footnote markers."""

    cells: np.ndarray
    types: np.ndarray
    strings: np.ndarray  # which cells hold text
    texts: list[str]  # the text of those cells, in order
    distinct: set[str]  # the different texts: what is asked of every text is asked of these
    # no text has a footnote marker or leading spaces (most tables): the indentation test and
    # the markers then need not look through the texts one after the other
    plain: bool


def _label_cells(grid: Grid, table: Table, body: np.ndarray) -> _LabelCells:
    """The label cells of the ``body`` rows (see :class:`_LabelCells`)."""
    block = _block(body, table.label_cols)
    cells, types = grid.cells[block], grid.types[block]
    strings = types == STR
    texts = cells[strings].tolist()
    distinct = set(texts)
    return _LabelCells(cells, types, strings, texts, distinct,
                       all(map(_PLAIN.__getitem__, distinct)))


def _block(rows: np.ndarray, cols: list[int]) -> tuple[object, object]:
    """The index of the block ``rows`` (ascending, each once) x ``cols``: two slices where
    both run on without a gap (most tables), which read a view of the sheet's arrays instead
    of gathering every cell, else what :func:`cross` gives."""
    if (len(rows) and rows[-1] - rows[0] == len(rows) - 1 and cols
            and cols == list(range(cols[0], cols[0] + len(cols)))):
        return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[0] + len(cols))
    return cross(rows, cols)


def _label_markers(labels: _LabelCells) -> np.ndarray | None:
    """The footnote markers of each row's own labels ("Apr¹" -> "¹"), or None when no label
    has one: the marker qualifies the row's numbers, it does not name the row."""
    if labels.plain or not any(map(_LABEL_MARKER.__getitem__, labels.distinct)):
        return None  # no label has a marker (most tables)
    found = list(map(_LABEL_MARKER.__getitem__, labels.texts))
    markers = _blanks(labels.cells.shape)
    markers[labels.strings] = object_array(found)
    per_row = markers[:, 0]
    for c in range(1, markers.shape[1]):
        per_row = np.where(markers[:, c] == "", per_row,
                           np.where(per_row == "", markers[:, c], per_row + " " + markers[:, c]))
    return per_row if (per_row != "").any() else None


def _blanks(shape: int | tuple[int, ...]) -> np.ndarray:
    """An object array of empty strings. ``np.full(shape, "", dtype=object)`` makes a
    fixed-width string array of "" first and converts it cell by cell: five times slower."""
    blanks = np.empty(shape, dtype=object)
    blanks.fill("")
    return blanks


def _with_marks(flags: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Each observation's flags with its marker added (either may be empty)."""
    return np.where(marks == "", flags, np.where(flags == "", marks, flags + " " + marks))


def _table_flags(part: TableObservations, flags: np.ndarray) -> np.ndarray:
    """A table's flags read from its cells (``flags``), with what the table adds to them:
    its row labels' footnote markers, the qualifier codes beside or under its numbers, and its
    headings' footnote markers, in that order."""
    if part.label_marks is not None:
        flags = _with_marks(flags, part.label_marks)
    flags = _with_qualifiers(part.grid, part.table, part.rows, part.columns, flags)
    if part.column_marks is not None:
        flags = _with_marks(flags, part.column_marks)
    return flags


def _with_qualifiers(grid: Grid, table: Table, rows: np.ndarray, cols: np.ndarray,
                     flags: np.ndarray) -> np.ndarray:
    """The flags, with the code of the qualifier column right of each number added
    ("0.025" beside "U" -> flag "U"), and the note of the qualifier row right under it
    ("1.6" over "(1981 Q1)" -> flag "(1981 Q1)")."""
    for r in table.flag_rows:
        above = (rows == r - 1).nonzero()[0]
        _add_texts(grid, flags, above, r, cols[above])
    for c in table.flag_cols:
        beside = (cols == c - 1).nonzero()[0]
        _add_texts(grid, flags, beside, rows[beside], c)
    return flags


def _add_texts(grid: Grid, flags: np.ndarray, at: np.ndarray, rows: object,
               cols: object) -> None:
    """Add to the flags of observations ``at`` the text in cells (``rows``, ``cols``), where
    there is one."""
    texts, strings = grid.cells[rows, cols], (grid.types[rows, cols] == STR).nonzero()[0]
    for i, found in zip(at[strings].tolist(), texts[strings].tolist(), strict=True):
        flags[i] = f"{flags[i]} {found.strip()}".strip()


def _spread(arrays: list[np.ndarray | None], spans: list[slice],
            column: np.ndarray) -> np.ndarray:
    """``column`` (a file's, filled with what most tables have), with the tables that give
    an array of their own (not None) written over their observations."""
    for array, at in zip(arrays, spans, strict=True):
        if array is not None:
            column[at] = array
    return column


def _spans(lengths: list[int]) -> list[slice]:
    """Where each table's observations sit in its file's columns, given how many each has."""
    ends = list(accumulate(lengths))
    return [slice(end - length, end) for length, end in zip(lengths, ends, strict=True)]


def _table_totals(grid: Grid, table: Table, rows: np.ndarray,
                  columns: np.ndarray) -> np.ndarray | None:
    """Is each observation (at ``rows``, ``columns``) in a total or subtotal row or column?
    None when the table has neither (most small tables)."""
    total_rows = table.total_rows + table.subtotal_rows
    if not total_rows and not table.total_cols:
        return None
    return (_among(total_rows, grid.n_rows)[rows]
            | _among(table.total_cols, grid.n_cols)[columns])


def _among(indices: list[int], n: int) -> np.ndarray:
    """A boolean per sheet row (or column) ``0 .. n - 1``: is it one of ``indices``?"""
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return mask


def _flags_and_raw(parts: list[TableObservations],
                   spans: list[slice]) -> tuple[np.ndarray, np.ndarray]:
    """Each observation's flag (see :func:`flags_of`, and :func:`_table_flags` for what a table
    adds) and raw text (see :func:`_raw`), read once for all the tables' cells. Plain floats
    (most cells) have neither: only the other cells are read."""
    types = _joined_up([p.types for p in parts])
    flags, raw = _blanks(len(types)), np.full(len(types), None, dtype=object)
    others = (types != FLOAT).nonzero()[0]
    if len(others):
        cells = _joined_up([p.cells for p in parts])[others]
        flags[others] = flags_of(cells, types[others])
        raw[others] = _raw(cells, types[others])
    for part, at in zip(parts, spans, strict=True):
        if (part.label_marks is not None or part.column_marks is not None
                or part.table.flag_rows or part.table.flag_cols):  # most tables add nothing
            flags[at] = _table_flags(part, flags[at])
    return flags, raw


def _raw(cells: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Each cell as text, except plain floats (``value`` already says everything about them).
    Only the kinds of cell the block holds are looked for (most hold floats and one other)."""
    raw = np.full(len(cells), None, dtype=object)
    counts = np.bincount(types, minlength=OTHER + 1)
    for kind, as_text in ((STR, _DISPLAY.__getitem__), (INT, str)):
        if counts[kind]:
            cells_of_kind = types == kind
            raw[cells_of_kind] = mapped_array(as_text, cells[cells_of_kind])
    if counts[FLOAT] + counts[STR] + counts[INT] < len(cells):
        rest = (types != STR) & (types != INT) & (types != FLOAT)
        raw[rest] = object_array([text(v) for v in cells[rest]])
    return raw


def _cell_refs(parts: list[TableObservations], spans: list[slice]) -> np.ndarray:
    """A1 references in the original sheet, made for all the tables of a file at once (one
    string concatenation per cell), each row number spelt once; tables of rearranged grids
    are then given theirs through ``grid.origin``."""
    rows = _joined_up([p.rows for p in parts])
    used = np.zeros(max(p.body[-1] for p in parts) + 1, dtype=bool)  # the tables' body rows
    for part in parts:
        used[part.body] = True
    numbers = np.empty(len(used), dtype=object)
    numbers[used] = object_array([str(r + 1) for r in used.nonzero()[0].tolist()])
    refs = _column_letters(_joined_up([p.columns for p in parts])) + numbers[rows]
    for part, at in zip(parts, spans, strict=True):
        if part.grid.origin:
            pairs = zip(part.rows.tolist(), part.columns.tolist(), strict=True)
            refs[at] = object_array([cell_ref(*part.grid.origin[pair]) for pair in pairs])
    return refs


_LETTERS = object_array([cell_ref(0, c)[:-1] for c in range(26 * 27)])
"""The letters of columns A to ZZ (wider sheets are rare), read by index instead of spelt
out for every column of every table."""


def _column_letters(cols: np.ndarray) -> np.ndarray:
    """The letters of sheet columns ``cols`` ("A", "B", ... "AA")."""
    widest = int(cols.max()) if len(cols) else 0
    if widest >= len(_LETTERS):
        return object_array([cell_ref(0, c)[:-1] for c in range(widest + 1)])[cols]
    return _LETTERS[cols]


def _row_paths(grid: Grid, table: Table, rows: np.ndarray,
               labels: _LabelCells) -> tuple[np.ndarray, np.ndarray]:
    """(sub-table labels, row-header paths) of the body ``rows`` (in sheet order), whose label
    cells are ``labels``.

    Without indented labels (most tables), a path is the label columns filled down within its
    sub-table, built array-wise. Indented tables go through the row-by-row walk.
    """
    texts = _label_texts(labels)
    if _indented(grid, table, labels):
        return _nested_paths(grid, table, rows, texts)
    sections = sorted(set(table.section_rows))
    if not sections:  # no sub-tables (most tables): labels carry down from the top
        columns = _carried_labels(texts, rows, np.full(len(rows), -1, dtype=np.intp))
        return _blanks(len(rows)), _joined(columns, len(rows))
    under = np.searchsorted(sections, rows) - 1  # the sub-table row each row is under, or -1
    since = np.array([*sections, -1], dtype=np.intp)[under]  # labels carry down from there
    columns = _carried_labels(texts, rows, since)
    titles = object_array([*_section_labels(grid, sections), ""])
    return titles[under], _joined(columns, len(rows))


def _label_texts(labels: _LabelCells) -> list[np.ndarray]:
    """The label text of each label column (see :func:`_texts`)."""
    texts = _texts(labels.cells, labels.types, labels.strings, labels.texts)
    return [texts[:, j] for j in range(texts.shape[1])]


def _carried_labels(texts: list[np.ndarray], rows: np.ndarray,
                    since: np.ndarray) -> list[np.ndarray]:
    """Each label column's labels carried down to the rows under them (no further up than row
    ``since``: a sub-table title starts them afresh)."""
    columns = []
    for labels in texts:
        # every row has a label of its own (the usual case): none to carry (a list is tested
        # faster than an object array, whose `all` is a ufunc call per element)
        if all(labels.tolist()):
            columns.append(labels)
            since = rows
            continue
        if _ends_its_groups(labels):  # each label on the last row of its group
            columns.append(_filled_up(labels))
            continue
        columns.append(labels if _names_each_row(labels) else _filled_down(labels, rows, since))
        # a new label in this column starts afresh the columns to its right (a new year does
        # not carry last year's month down onto its own summary rows)
        since = np.maximum(since, _last_filled_row(labels, rows))
    return columns


def _joined(columns: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Each row's non-empty labels joined by SEP, left to right; strings are joined only on
    the rows where two labels meet (one label column, the usual case, joins nothing). With
    three or more (a tidy table's dimensions), one join per row costs less than joining
    column by column."""
    if len(columns) > 2:
        texts = [labels.tolist() for labels in columns]
        rows = zip(*texts, strict=True)
        if all(map(all, texts)):  # no empty label to leave out
            return object_array(list(map(SEP.join, rows)))
        return object_array([SEP.join(filter(None, labels)) for labels in rows])
    paths = columns[0] if columns else _blanks(n_rows)
    for labels in columns[1:]:
        if all(labels.tolist()) and all(paths.tolist()):  # two labels on every row
            paths = paths + SEP + labels
            continue
        both = ((labels != "") & (paths != "")).nonzero()[0]
        joined = np.where(labels == "", paths, labels)
        joined[both] = paths[both] + SEP + labels[both]
        paths = joined
    return paths


def _rows_told_apart(sub_tables: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """Rows with the same label ("% change from year earlier" under "Latest three months" and
    again under "Year to date") are told apart by the row right above, as a reader does, when
    every repeat sits right under a row whose label is its own (otherwise the rows really
    clash, and the uniqueness guard says so): "Latest three months | % change from year earlier".

    Called where some label repeats: whether any does is tested at C speed by the caller,
    which says it to the uniqueness guard too."""
    # tables with repeats have a few hundred rows at most: walked in Python, which costs less
    # than the dozen array calls the same steps take
    labels, subs = paths.tolist(), sub_tables.tolist()
    keys = list(zip(subs, labels, strict=True))
    counts = Counter(keys)
    if len(counts) == len(keys):
        return paths  # each repeat is under a sub-table of its own
    repeated = [counts[key] > 1 for key in keys]
    # labels with a repeat that does not sit right under a row whose label is its own and not
    # empty (in the same sub-table): those rows really clash, and are left as they are
    clashing = {key for i, key in enumerate(keys) if repeated[i] and not (
        i and not repeated[i - 1] and labels[i - 1] and subs[i - 1] == subs[i])}
    return object_array([labels[i - 1] + SEP + label
                         if repeated[i] and label and key not in clashing else label
                         for i, (key, label) in enumerate(zip(keys, labels, strict=True))])


def _indented(grid: Grid, table: Table, labels: _LabelCells) -> bool:
    """Could any body or sub-table row have a non-zero indentation (see :func:`_indents`)?"""
    if grid.indent or (not labels.plain
                       and any(map(_LEADING_SPACES.__getitem__, labels.distinct))):
        return True
    rows = table.section_rows if table.label_cols else table.body_rows + table.section_rows
    if not rows:
        return False
    block = cross(rows, table.label_cols or [table.left])
    texts = grid.cells[block][grid.types[block] == STR]
    return any(map(_LEADING_SPACES.__getitem__, texts.tolist()))


def _section_labels(grid: Grid, rows: list[int]) -> list[str]:
    """Each sub-table row's text: its cells joined, without a trailing colon."""
    if not rows:
        return []  # most tables have no sub-tables
    which, cols = (grid.types[rows] != NONE).nonzero()  # only these: rows can be wide
    texts: list[list[str]] = [[] for _ in rows]
    values = grid.cells[np.asarray(rows, dtype=np.intp)[which], cols].tolist()
    for i, value in zip(which.tolist(), values, strict=True):
        if shown := _display(value):
            texts[i].append(shown)
    return [" ".join(parts).rstrip(":") for parts in texts]


def _texts(cells: np.ndarray, types: np.ndarray, strings: np.ndarray,
           values: list[str]) -> np.ndarray:
    """Label text of each cell ('' when empty, footnote markers dropped), each distinct string
    cleaned once: ``strings`` marks the text cells, whose ``values`` are given."""
    if len(values) == cells.size:  # every label cell holds text (most tables)
        return mapped_array(_LABEL.__getitem__, values).reshape(cells.shape)
    texts = _blanks(cells.shape)
    texts[strings] = mapped_array(_LABEL.__getitem__, values)
    numbers = types == FLOAT
    if numbers.any():  # numbers as labels (a year on every row): each different one spelt once
        found = cells[numbers].tolist()
        spelt = {number: text(number) for number in set(found)}  # (floats only: 1.0 == True)
        texts[numbers] = mapped_array(spelt.__getitem__, found)
    rest = (types != NONE) & ~strings & ~numbers
    if rest.any():  # whole numbers, dates as labels
        texts[rest] = mapped_array(text, cells[rest])
    return texts


def _names_each_row(texts: np.ndarray) -> bool:
    """An identifier column (a UKPRN, a code on nine rows in ten or more, no two alike): each
    row has its own, so a row without one (a "Total" row) takes none from the row above."""
    filled = texts[texts != ""]
    return (len(texts) >= 3 and 10 * len(filled) >= 9 * len(texts) and len(filled) < len(texts)
            and len(set(filled.tolist())) == len(filled))


def _filled_down(texts: np.ndarray, rows: np.ndarray, since: np.ndarray) -> np.ndarray:
    """Each empty text replaced by the last non-empty one above it, looking no further up than
    row ``since`` (the row's sub-table title, or a new label further left, where labels start
    afresh); '' when there is none."""
    last = np.where(texts != "", np.arange(len(texts)), -1)
    np.maximum.accumulate(last, out=last)
    return np.where((last >= 0) & (rows[last] >= since), texts[last], "")


def _ends_its_groups(labels: np.ndarray | list[str]) -> bool:
    """Do the labels stand at the end of groups of one size (two or more), the first group
    starting unlabelled: "", "", "", "Bachelor's", "", "", "", "Certificate" (a row label on the
    last row of its group, a heading at the right end of its span)? Any other pattern reads as
    labels at the start of their groups, the usual way."""
    if len(labels) < 2 or labels[0] or not labels[-1]:
        return False  # a label on the first row or none on the last (most columns and rows)
    filled = (np.asarray(labels, dtype=object) != "").nonzero()[0]
    if len(filled) < 2 or filled[0] == 0 or filled[-1] != len(labels) - 1:
        return False
    sizes = np.diff(filled, prepend=-1)
    return bool((sizes == sizes[0]).all())


def _filled_up(labels: np.ndarray | list[str]) -> np.ndarray:
    """Each empty label replaced by the next non-empty one below it (or to its right)."""
    labels = np.asarray(labels, dtype=object)
    n = len(labels)
    below = np.where(labels != "", np.arange(n), n - 1)
    below = np.minimum.accumulate(below[::-1])[::-1]
    return labels[below]


def _starts(labels: list[str]) -> list[bool]:
    """For labels at the end of their spans: where each span starts."""
    ends = [i for i, label in enumerate(labels) if label]
    starts = {0, *(end + 1 for end in ends[:-1])}
    return [i in starts for i in range(len(labels))]


def _last_filled_row(texts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row, the sheet row of the last non-empty text at or above it (-1 if none)."""
    last = np.where(texts != "", rows, -1)
    return np.maximum.accumulate(last)


def _nested_paths(grid: Grid, table: Table, body: np.ndarray,
                  texts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Row by row: sub-table rows reset the labels, indented labels nest under the ones above.

    The labels carried down each column are made array-wise, as in :func:`_row_paths` (only a
    sub-table row at depth 0 starts them afresh), so the walk itself only keeps the
    indentation stack."""
    sections = sorted(set(table.section_rows))
    titles = dict(zip(sections, _section_labels(grid, sections), strict=True))
    order = sorted(titles.keys() | set(table.body_rows))
    depths = _indents(grid, table, order)
    resets = [r for r, depth in zip(order, depths, strict=True) if depth == 0 and r in titles]
    under = np.searchsorted(resets, body) - 1  # the sub-table each row is in, or -1 (none)
    since = np.array([*resets, -1], dtype=np.intp)[under]
    sub_tables = object_array([*(titles[r] for r in resets), ""])[under]
    columns = _carried_labels(texts, body, since)
    outline = _outline_column(grid, table, order)
    # the label a row gives the deeper rows under it: its indented column's (not a year's)
    owns = (columns[-1 if outline is None else outline] if columns
            else _blanks(len(body))).tolist()
    # a row whose indented column is empty continues the item above it ("Connecticut", then
    # its "2016" and "Percent change" rows beside it): same depth, same parents
    continues = (texts[outline] == "").tolist() if outline is not None else [False] * len(body)
    labels = _joined(columns, len(body)).tolist()
    # the rows that deeper ones nest under, shallowest first (so their depths ascend, and a
    # row's parents are the ones at a lesser depth: a prefix, found by bisection)
    stack_depths: list[int] = []
    stack_labels: list[str] = []
    paths = []
    depth, i = 0, 0
    for r, row_depth in zip(order, depths, strict=True):
        if r in titles:
            depth = row_depth
            if depth == 0:  # a new sub-table
                stack_depths, stack_labels = [], []
            else:
                parents = bisect_left(stack_depths, depth)
                del stack_depths[parents:], stack_labels[parents:]
                stack_depths.append(depth)
                stack_labels.append(titles[r])
            continue
        if not continues[i]:
            depth = row_depth
        parents = bisect_left(stack_depths, depth)
        path = stack_labels[:parents]
        if labels[i]:
            path.append(labels[i])
        paths.append(SEP.join(path))
        if not continues[i]:
            del stack_depths[parents:], stack_labels[parents:]
            if owns[i]:
                stack_depths.append(depth)
                stack_labels.append(owns[i])
        i += 1
    return sub_tables, object_array(paths)


def _outline_column(grid: Grid, table: Table, rows: list[int]) -> int | None:
    """Which label column (its place among them) is indented: rows nest by that outline, and
    the label columns beside it (a year on each of a state's rows) do not nest."""
    for j, c in enumerate(table.label_cols):
        styled = bool(grid.indent) and any(grid.indent.get((r, c)) for r in rows)
        if styled or any(type(v) is str and _LEADING_SPACES[v] for v in grid.cells[rows, c]):
            return j
    return None


def _indents(grid: Grid, table: Table, rows: list[int]) -> list[int]:
    """Indentation of each row's label (its first filled label cell): the style hint, else its
    leading spaces."""
    block = cross(rows, table.label_cols or [table.left])
    filled = grid.types[block] != NONE
    first = filled.argmax(axis=1)
    values = grid.cells[block][np.arange(len(rows)), first].tolist()  # None: no label at all
    depths = [_LEADING_SPACES[v] if type(v) is str else 0 for v in values]
    if not grid.indent:
        return depths  # type: ignore[return-value]
    cols = block[1][first].tolist()
    styled = [grid.indent.get((r, c), 0) if value is not None else 0
              for r, c, value in zip(rows, cols, values, strict=True)]
    return [style or depth for style, depth in zip(styled, depths, strict=True)]
