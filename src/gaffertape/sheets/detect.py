"""Find tables on a grid: bodies of numeric rows, the headers above them, titles and notes.

The detector is data-first: numeric rows are the easiest thing to recognise reliably, so it finds
bodies of them, then works outwards (header rows upwards, notes downwards, label columns to the
left). No fixed cell ranges, so a shifted title line or renamed sheet does not break it.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from gaffertape.sheets.grid import Grid
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.values import EMPTY, NUMBER, STR, YEAR, Memo

# "Total", "Retail trade, total", "All industries"; not "Total supply" or "All other ..."
_TOTAL = re.compile(r"^\s*(grand\s+)?totals?\b\s*(\\\d+)?\s*[:(]?\s*$|,\s*total\b"
                    r"|\btotals?\s*(\\\d+)?$|^\s*all\s+(?!other)\w+|^\s*(total|all)\s*[:(]",
                    re.IGNORECASE)
_NOTE = re.compile(r"^\s*(source|sources|note|notes|see |\*|\d\s|\(\d|\[\d|footnote|symbol|"
                   r"x |na |z |- |\.\. |r |p |<http)", re.IGNORECASE)
MAX_BODY_GAP = 2
MAX_HEADER_GAP = 5


class RowInfo(NamedTuple):
    """Per-row summary used by every later step: which columns hold anything, and numbers.

    A NamedTuple, not a dataclass: one is built per sheet row, and this is the hot path.
    """

    cols: tuple[int, ...]
    numeric: tuple[int, ...]
    year_row: bool
    data_row: bool  # numbers to the right of a label (see :func:`summarise_rows`)
    first_value: int  # first numeric column right of the leading cell (a year label, say)

    @property
    def blank(self) -> bool:
        return not self.cols


def summarise_rows(grid: Grid) -> list[RowInfo]:
    """One RowInfo per grid row, from the grid's cell kinds (array-wise: no per-cell Python)."""
    kinds = grid.kinds
    if not kinds.size:
        return [RowInfo((), (), False, False, 0) for _ in range(grid.n_rows)]
    filled, numeric = kinds != EMPTY, kinds >= NUMBER
    n_numeric = np.count_nonzero(numeric, axis=1)
    year_rows = (n_numeric >= 2) & (np.count_nonzero(kinds == YEAR, axis=1) == n_numeric)
    first = filled.argmax(axis=1)
    last_numeric = kinds.shape[1] - 1 - numeric[:, ::-1].argmax(axis=1)
    data_rows = ~year_rows & (n_numeric > 0) & ((n_numeric >= 2) | (last_numeric > first))
    after = numeric & (np.arange(kinds.shape[1]) > first[:, None])
    first_value = np.where(after.any(axis=1), after.argmax(axis=1), numeric.argmax(axis=1))
    return [RowInfo(*fields) for fields in zip(_per_row(filled), _per_row(numeric),
                                               year_rows.tolist(), data_rows.tolist(),
                                               first_value.tolist(), strict=True)]


def _per_row(mask: np.ndarray) -> list[tuple[int, ...]]:
    """The true columns of each row of a boolean matrix, as tuples."""
    rows, cols = np.nonzero(mask)
    bounds = np.searchsorted(rows, np.arange(len(mask) + 1)).tolist()
    cols_list = cols.tolist()
    return [tuple(cols_list[a:b]) for a, b in pairwise(bounds)]


def detect(grid: Grid) -> SheetLayout:
    """Every table on the sheet, top to bottom."""
    infos = summarise_rows(grid)
    tables: list[Table] = []
    floor = 0
    for start, end in _bodies(infos):
        table = _build_table(grid, infos, start, end, floor, len(tables))
        if table is None:
            continue
        tables.append(table)
        floor = table.bottom + 1
    if not tables:
        tables = _text_table(infos)
    _attach_notes(grid, infos, tables)
    return SheetLayout(grid.source, grid.sheet, tables)


def _text_table(infos: list[RowInfo]) -> list[Table]:
    """No numbers anywhere: read the sheet as one plain table under its first row (a list of
    names, a schedule), with sparse leading columns as labels to forward-fill."""
    rows = [r for r, info in enumerate(infos) if len(info.cols) >= 2]
    if len(rows) < 2:
        return []
    cols = sorted({c for r in rows for c in infos[r].cols})
    body = rows[1:]
    labels = []
    for c in cols:
        if sum(c in infos[r].cols for r in body) == len(body):
            break
        labels.append(c)
    data = [c for c in cols if c not in labels]
    if not data:
        return []
    return [Table(index=0, left=cols[0], right=cols[-1], header_rows=[rows[0]], body_rows=body,
                  label_cols=labels, data_cols=data)]


def _bodies(infos: list[RowInfo]) -> list[tuple[int, int]]:
    """Runs of data rows, bridging blank rows and label-only rows (sub-table titles)."""
    runs: list[tuple[int, int]] = []
    start = end = -1
    for r, info in enumerate(infos):
        if info.data_row:
            if start < 0:
                start = r
            elif not _bridgeable(infos, end, r):
                runs.append((start, end))
                start = r
            end = r
    if start >= 0:
        runs.append((start, end))
    return runs


def _bridgeable(infos: list[RowInfo], end: int, nxt: int) -> bool:
    """Can the rows strictly between two data rows sit inside one table body?"""
    first_data = min(infos[end].first_value, infos[nxt].first_value)
    blanks = 0
    for info in infos[end + 1:nxt]:
        if info.blank:
            blanks += 1
            if blanks > MAX_BODY_GAP:
                return False
            continue
        if any(c >= first_data for c in info.cols) and not _single_text(info):
            return False
    return True


def _single_text(info: RowInfo) -> bool:
    """One text cell alone on its row: a sub-table title such as 'Full-time'."""
    return len(info.cols) == 1 and not info.numeric


def _build_table(grid: Grid, infos: list[RowInfo], start: int, end: int, floor: int,
                 index: int) -> Table | None:
    rows = list(range(start, end + 1))
    label_cols, data_cols = _columns(grid, infos, rows)
    if not data_cols:
        return None
    left = min(label_cols + data_cols)
    table = Table(index=index, left=left, right=max(data_cols), label_cols=label_cols,
                  data_cols=data_cols)
    first_data, data = data_cols[0], set(data_cols)
    for r in rows:
        info = infos[r]
        if info.blank:
            continue
        if not data.isdisjoint(info.numeric):
            table.body_rows.append(r)
        elif info.cols and (info.cols[-1] < first_data or _single_text(info)):
            table.section_rows.append(r)
    _header_and_title(grid, infos, table, floor)
    table.total_rows = _total_rows(grid, table)
    return table


def _columns(grid: Grid, infos: list[RowInfo], rows: list[int]) -> tuple[list[int], list[int]]:
    """Label columns (a leading run of text or year columns) and the data columns after them."""
    data_rows = [r for r in rows if infos[r].data_row]
    kinds = grid.kinds[data_rows]
    filled = np.count_nonzero(kinds != EMPTY, axis=0).tolist()
    numeric = np.count_nonzero(kinds >= NUMBER, axis=0).tolist()
    all_years = (~(kinds == NUMBER).any(axis=0)).tolist()  # numbers in the column are years
    columns = [c for c, n in enumerate(filled) if n]
    label_cols: list[int] = []
    for c in columns:
        n_numeric = numeric[c]
        sparse = filled[c] <= len(data_rows) / 2 and c == columns[0]
        if sparse or filled[c] - n_numeric > n_numeric or (
                n_numeric and (not label_cols or filled[c] < len(data_rows)) and all_years[c]):
            label_cols.append(c)
        else:
            break
    first_numeric = min((c for c, n in enumerate(numeric) if n and c not in label_cols),
                        default=None)
    if first_numeric is None:
        return label_cols, []
    # text columns among the numbers (codes, descriptions) are data too: keep them
    return label_cols, [c for c in columns if c >= first_numeric]


def _is_header_row(info: RowInfo, table: Table) -> bool:
    return any(c >= table.data_cols[0] for c in info.cols)


def _header_and_title(grid: Grid, infos: list[RowInfo], table: Table, floor: int) -> None:
    """Walk upwards from the body: header rows first, then title/metadata rows."""
    first = min(table.body_rows + table.section_rows)
    candidates: list[tuple[int, bool]] = []  # (row, spans data columns)
    r, blanks = first - 1, 0
    while r >= floor and blanks <= MAX_HEADER_GAP:
        info = infos[r]
        if info.blank:
            blanks += 1
        elif not candidates and table.section_rows and _single_text(info):
            table.section_rows.insert(0, r)  # the first of several sub-table titles
        elif _is_header_row(info, table):
            candidates.append((r, True))
            blanks = 0
        elif _label_header(grid, info, table, r):
            candidates.append((r, False))
            blanks = 0
        elif not candidates and info.cols[-1] < table.data_cols[0]:
            table.section_rows.insert(0, r)  # a sub-table title right above the first block
        else:
            break
        r -= 1
    while candidates and not candidates[-1][1] and infos[candidates[-1][0]].cols[0] <= table.left:
        candidates.pop()
    if candidates and not candidates[0][1] and table.section_rows and candidates[0][0] == first - 1:
        table.section_rows.insert(0, candidates.pop(0)[0])  # first of several sub-table titles
    table.header_rows = sorted(r for r, _ in candidates)
    _title(grid, infos, table, floor)


def _title(grid: Grid, infos: list[RowInfo], table: Table, floor: int) -> None:
    top = min(table.header_rows) if table.header_rows else min(table.body_rows)
    for r in range(top - 1, floor - 1, -1):
        if infos[r].blank:
            continue
        if len(infos[r].cols) > 2 or (table.title_rows and r < table.title_rows[0] - 3):
            break
        table.title_rows.insert(0, r)
    notes = [r for r in table.title_rows if _looks_like_note(grid, r)]
    table.title_rows = [r for r in table.title_rows if r not in notes]
    table.note_rows = notes  # "See notes", "Source: ..." above the table
    table.title = " ".join(_text(grid, r) for r in table.title_rows)


def _label_header(grid: Grid, info: RowInfo, table: Table, r: int) -> bool:
    """A text row over the label columns only: a header of the label column, not a note."""
    text = _text(grid, r)
    if info.numeric or _looks_like_note(grid, r) or _is_section_text(text):
        return False
    return info.cols[0] > table.left or len(text) <= 40


def _is_section_text(text: str) -> bool:
    """ALL-CAPS or colon-ended label rows introduce a block of rows, they do not head columns."""
    return text.rstrip().endswith(":") or (text.isupper() and len(text) > 3)


def _attach_notes(grid: Grid, infos: list[RowInfo], tables: list[Table]) -> None:
    """Text rows below a table body, up to the next table, are that table's notes/footnotes."""
    for i, table in enumerate(tables):
        limit = (tables[i + 1].top if i + 1 < len(tables) else len(infos))
        last = max(table.body_rows + table.section_rows)
        above = len(table.note_rows)
        for r in range(last + 1, limit):
            info = infos[r]
            if not info.blank and not info.data_row:
                table.note_rows.append(r)
        table.notes = "\n".join(_text(grid, r) for r in table.note_rows[above:])


def _total_rows(grid: Grid, table: Table) -> list[int]:
    """Body rows whose label says total/all; each distinct label is tested once."""
    block = np.ix_(table.body_rows, table.label_cols)
    labels, strings = grid.cells[block], grid.types[block] == STR
    totals = np.zeros(labels.shape, dtype=bool)
    totals[strings] = np.fromiter(map(_SAYS_TOTAL.__getitem__, labels[strings]), dtype=bool,
                                  count=int(np.count_nonzero(strings)))
    return [r for r, total in zip(table.body_rows, totals.any(axis=1).tolist(), strict=True)
            if total]


_SAYS_TOTAL = Memo(lambda label: bool(_TOTAL.search(label)))  # type: ignore[arg-type]


def _looks_like_note(grid: Grid, r: int) -> bool:
    return bool(_NOTE.match(_text(grid, r)))


def _text(grid: Grid, r: int) -> str:
    return " ".join(str(v).strip() for v in grid.values[r] if v is not None and str(v).strip())
