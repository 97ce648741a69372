"""Find tables on a grid: bodies of numeric rows, the headers above them, titles and notes.

The detector is data-first: numeric rows are the easiest thing to recognise reliably, so it finds
bodies of them, then works outwards (header rows upwards, notes downwards, label columns to the
left). No fixed cell ranges, so a shifted title line or renamed sheet does not break it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import compress, pairwise

import numpy as np

from gaffertape.sheets.grid import Grid, cross
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.values import EMPTY, NONE, NUMBER, STR, TEXT, YEAR, Memo, parse_value

_NOTE = re.compile(r"^\s*(source|sources|note|notes|see |\*|\d\s|\(\d|\[\d|footnote|symbol|"
                   r"x |na |z |- |\.\. |r |p |<http)", re.IGNORECASE)
MAX_BODY_GAP = 2
MAX_HEADER_GAP = 16  # blank rows between header levels (exports pad them out)
MAX_LABEL_GAP = 6  # ... and before a row over the label columns only
MAX_NUMERIC_HEADINGS = 3  # heading rows with numbers at the top of a run of data rows


@dataclass
class Rows:
    """What every later step needs to know about each sheet row, one list per fact (indexed by
    row), computed array-wise from the grid's cell kinds: summarising rows was the hot path, so
    there is neither per-cell Python nor an object per row."""

    filled: list[int]  # how many cells hold anything
    first: list[int]  # first non-empty column (-1 on a blank row)
    last: list[int]  # last non-empty column (-1 on a blank row)
    numeric: list[int]  # how many cells are numeric-like
    data: list[bool]  # numbers to the right of a label: a row of a table body
    qualifier: list[bool]  # bracketed notes right under the numbers of a data row ("(1981 Q1)")
    preamble: range  # "Title:", "Date:", "Filters:" lines at the top of an export (rows)

    def __len__(self) -> int:
        return len(self.filled)

    def blank(self, r: int) -> bool:
        return not self.filled[r]

    def single_text(self, r: int) -> bool:
        """One text cell alone on its row: a sub-table title such as 'Full-time'."""
        return self.filled[r] == 1 and not self.numeric[r]


def kind_counts(kinds: np.ndarray, axis: int) -> np.ndarray:
    """How many cells of each kind (columns EMPTY, TEXT, NUMBER, YEAR) each row (``axis=1``)
    or each column (``axis=0``) of ``kinds`` holds: one counting pass, where a comparison and a
    count per kind would take eight numpy calls (most sheets are small: the calls are what
    costs)."""
    lines = np.arange(0, 4 * kinds.shape[1 - axis], 4)  # 4i for line i
    keys = kinds + (lines[:, None] if axis == 1 else lines)  # line i's kind k counts at 4i + k
    return np.bincount(keys.ravel(), minlength=4 * len(lines)).reshape(-1, 4)


def summarise_rows(grid: Grid) -> Rows:
    """The per-row facts of the whole sheet, from the count of each kind of cell on each row
    and the kind of each row's leading cell."""
    kinds = grid.kinds if grid.kinds.shape[1] else np.zeros((grid.n_rows, 1), dtype=np.int8)
    counts = kind_counts(kinds, axis=1)
    n_filled, n_text = kinds.shape[1] - counts[:, EMPTY], counts[:, TEXT]
    n_numeric = counts[:, NUMBER] + counts[:, YEAR]
    filled, blank = kinds != EMPTY, n_filled == 0
    first = np.where(blank, -1, filled.argmax(axis=1))
    last = np.where(blank, -1, kinds.shape[1] - 1 - filled[:, ::-1].argmax(axis=1))
    leading = kinds[np.arange(len(kinds)), first]  # (a blank row's last cell: EMPTY)
    # years heading columns, with perhaps "2004, estimate" beside them
    texts_after = n_text - (leading == TEXT)
    two, one = n_numeric >= 2, n_numeric == 1
    year_rows = (two | (one & (texts_after >= 2))) & (counts[:, YEAR] == n_numeric)
    # two numbers, or one right of the row's leading cell (its label)
    numbers = two | (one & (leading < NUMBER))
    n_filled_list, first_list = n_filled.tolist(), first.tolist()
    numeric_list, text_list = n_numeric.tolist(), n_text.tolist()
    preamble = _preamble(grid, n_filled_list, first_list)
    data = numbers & ~year_rows
    data[preamble.start:preamble.stop] = False
    _years_inside_data(data, numbers & year_rows)
    data_list = _headings_above_data(grid, kinds, data, numeric_list, text_list, n_filled_list)
    qualifier = _qualifier_rows(grid, kinds, data, n_filled_list, text_list)
    return Rows(n_filled_list, first_list, last.tolist(), numeric_list, data_list, qualifier,
                preamble)


def _preamble(grid: Grid, n_filled: list[int], first: list[int]) -> range:
    """The metadata lines an export puts above its table ("Title:", "Date:, 2024", "Filters:,
    Country, All" and the lines continuing it below, each "Key:" with its value beside it):
    three keys at least, from the sheet's first filled row to the first blank one. They title
    the table (its ``table_title`` keeps the filters: "Academic year 2022/23"), never head its
    columns ("All | 2022/23 | Female") nor hold data ("Date: 2024"). Their rows, or none."""
    top = next((r for r, n in enumerate(n_filled) if n), None)
    if top is None:
        return range(0)
    keys = 0
    r = top
    while r < len(n_filled) and n_filled[r] and n_filled[r] <= 3:
        text = grid.cells[r, first[r]]
        if isinstance(text, str) and len(text) <= 40 and text.rstrip().endswith(":"):
            keys += 1
        elif r == top or first[r] <= first[top] or n_filled[r] > 2:
            break  # neither a key nor a line continuing the one above
        r += 1
    return range(top, r) if keys >= 3 else range(0)


def _qualifier_rows(grid: Grid, kinds: np.ndarray, data: np.ndarray, filled: list[int],
                    texts: list[int]) -> list[bool]:
    """Rows of two or more bracketed notes, each right under a number of the data row above
    ("1.6" over "(1981 Q1)": the quarter of a record). They qualify those numbers; read as
    headings, they would cut the table at every row and name the next row's columns. (One
    bracketed word under a number is as often the unit of the rows below: "(Dollars)".)
    Only rows of texts alone right under a data row are looked at. A row of texts is never a
    data row, so each follows the last row of a data run: those rows are found with one array
    test and then read from the lists (fewer numpy calls than testing the counts array-wise)."""
    qualifier = [False] * len(data)
    after_runs = ((data[:-1] > data[1:]).nonzero()[0] + 1).tolist()
    rows = np.array([r for r in after_runs if texts[r] >= 2 and texts[r] == filled[r]], dtype=int)
    if not len(rows):
        return qualifier
    under_numbers = ((kinds[rows] != TEXT) | (kinds[rows - 1] >= NUMBER)).all(axis=1)
    for r in rows[under_numbers].tolist():
        qualifier[r] = all(_BRACKETED.match(str(grid.cells[r, c]))
                           for c in (kinds[r] == TEXT).nonzero()[0].tolist())
    return qualifier


_BRACKETED = re.compile(r"^\s*(\([^()]{1,40}\)|\[[^\[\]]{1,40}\])\s*$")


def _years_inside_data(data: np.ndarray, year_rows: np.ndarray) -> None:
    """A row of years heads the columns below it, unless it sits inside a run of data rows (a
    data row directly above and below): a long table whose values happen to look like years
    must not be cut into pieces, losing those rows as headers."""
    if not np.count_nonzero(year_rows):  # (one C call: ndarray.any goes through Python)
        return  # (most sheets: no need to look for runs)
    for start, end in _runs(year_rows):
        if start > 0 and end + 1 < len(data) and data[start - 1] and data[end + 1]:
            data[start:end + 1] = True


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of every run of True in a boolean vector (with few True: year rows)."""
    runs: list[tuple[int, int]] = []
    for r in mask.nonzero()[0].tolist():
        first = runs.pop()[0] if runs and runs[-1][1] == r - 1 else r
        runs.append((first, r))
    return runs


def _headings_above_data(grid: Grid, kinds: np.ndarray, data: np.ndarray,
                         numbers: list[int], texts: list[int], filled: list[int]) -> list[bool]:
    """Rows at the top of a data run that are really header rows, though they hold numbers:
    a row of column numbers (1, 2, 3 ...) and a heading row whose numbers are headings (the
    percentiles 10, 20, 25 ... next to "Median", "Mean") where the rows below are all numbers.
    (Rows whose counts of numbers and texts already fail a test are not given it: fewer than
    three numbers; fewer than two texts, or texts under a fifth of the row's cells.)
    They are taken out of ``data``; its flags are returned as a list too (for :class:`Rows`)."""
    is_data = data.tolist()
    starts = ((data[1:] > data[:-1]).nonzero()[0] + 1).tolist()  # a data row after another row
    for start in [0, *starts] if is_data and is_data[0] else starts:
        r, stop = start, min(start + MAX_NUMERIC_HEADINGS, len(data))
        while r < stop and is_data[r] and (
                (numbers[r] >= 3 and _numbering_row(grid, r, kinds[r].tolist()))
                or (r + 1 < len(data) and is_data[r + 1] and texts[r] >= 2
                    and texts[r] * 5 >= filled[r] and _text_over_numbers(kinds, r))):
            data[r] = is_data[r] = False
            r += 1
    return is_data


def is_numbering_row(grid: Grid, r: int) -> bool:
    """Is sheet row ``r`` a row of column numbers (1, 2, 3 ...)? Such a row names no column.
    (Asked of every header row, most of them texts: the count of numbers comes first.)"""
    kinds = grid.kinds[r].tolist()
    return kinds.count(NUMBER) + kinds.count(YEAR) >= 3 and _numbering_row(grid, r, kinds)


def _numbering_row(grid: Grid, r: int, kinds: list[int]) -> bool:
    """Column numbers: three or more consecutive whole numbers ("(1)", "(2)" ...), perhaps
    after a leading cell; from 0 or 1 when the row also holds text. ``kinds``: the row's cell
    kinds, as a list (one row is short: Python on it is quicker than numpy calls), three or
    more of them numeric (the callers count them first: most rows asked about have fewer)."""
    cols = _numeric_cols(kinds)
    numbers = grid.numbers  # NaN for a marker such as ".."
    # the third and fourth numbers differ by one in any numbering: a cheap test first (on
    # Python floats, ``item``: arithmetic on numpy scalars costs more than the test)
    if len(cols) > 3 and abs(abs(numbers.item(r, cols[3])) - abs(numbers.item(r, cols[2]))) != 1:
        return False  # (NaN: never 1)
    values = numbers[r, cols]
    if not (values == np.trunc(values)).all():  # a fraction, or a marker (NaN)
        return False
    whole = np.abs(values).tolist()  # (a few: tested in Python)
    labelled = TEXT in kinds  # "Leave  45 46 47" is data; "(1) (2) (3)" is not
    after_leading = whole[1:] if not any(kinds[:cols[0]]) else []  # (EMPTY is 0)
    return any(len(run) >= 3 and (run[0] <= 1 or not labelled)
               and all(b - a == 1 for a, b in pairwise(run)) for run in (whole, after_leading))


def _numeric_cols(kinds: list[int]) -> list[int]:
    """The columns of a row's numeric cells, from its kinds as a list (one row is short)."""
    return [c for c, kind in enumerate(kinds) if kind >= NUMBER]


def _text_over_numbers(kinds: np.ndarray, r: int, depth: int = 5) -> bool:
    """Text cells (two or more, a fifth of the row at least) over columns that hold only
    numbers in the next rows: a heading row (one such cell is more often a code, "44-45" over
    "441"). The few short rows are read as lists: quicker than array calls on them."""
    row, below = kinds[r].tolist(), kinds[r + 1:r + 1 + depth].T.tolist()  # (by column)
    headings = sum(1 for kind, column in zip(row, below, strict=True) if kind == TEXT
                   and TEXT not in column and column and max(column) >= NUMBER)
    return headings >= 2 and headings * 5 >= len(row) - row.count(EMPTY)


def detect(grid: Grid) -> SheetLayout:
    """Every table on the sheet, top to bottom."""
    rows = summarise_rows(grid)
    tables: list[Table] = []
    floor = 0
    for start, end in _bodies(grid, rows):
        built = _build_table(grid, rows, start, end, floor, len(tables))
        tables.extend(built)
        floor = max((table.bottom + 1 for table in built), default=floor)
    for i, table in enumerate(tables):
        table.index = i
    if not tables:
        tables = _text_table(grid, rows)
    _share_headers(rows, tables)
    for table in tables:
        _first_column_as_key(table)
    _attach_notes(grid, rows, tables)
    return SheetLayout(grid.source, grid.sheet, tables)


def _side_by_side(grid: Grid, table: Table, body: list[list[int]]) -> list[Table]:
    """The table, or the tables it is made of when an empty column parts it and the part on
    the right starts with a text column of its own (its row labels): two tables side by side.
    ``body``: the kinds counted in each column over the body rows (:func:`_column_kinds`).
    Parts are split off one at a time, left to right (a loop: a sheet may hold a thousand)."""
    parts = []
    while (right := _right_part(grid, table, body)) is not None and table.data_cols:
        parts.append(table)
        table = right
    return [*parts, table]


def _right_part(grid: Grid, table: Table, body: list[list[int]]) -> Table | None:
    """The table on the right of the first empty column that parts ``table`` (see
    :func:`_side_by_side`), which then ends before that column; None when none does."""
    columns = sorted(table.label_cols + table.data_cols)
    last_label = max(table.label_cols, default=-1)
    gaps = [(before, after) for before, after in pairwise(columns)
            if after - before >= 2 and before >= last_label]
    rows = table.header_rows + table.body_rows
    for before, after in gaps:
        right = [c for c in columns if c >= after]
        leading = {c for c in right if body[c][TEXT] > body[c][NUMBER] + body[c][YEAR]}
        if len(right) < 2 or after not in leading:
            continue
        if (grid.kinds[cross(rows, range(before + 1, after))] != EMPTY).any():
            continue
        if not _repeats_the_stub(grid, table, after):
            continue
        first_data = min((c for c in right if c not in leading), default=right[-1] + 1)
        labels = [c for c in right if c in leading and c < first_data]
        labels = labels if len(labels) < len(right) else labels[:1]
        other = Table(index=table.index + 1, left=after, right=right[-1], label_cols=labels,
                      data_cols=[c for c in right if c not in labels],
                      header_rows=_rows_over(grid, table.header_rows, after, right[-1]),
                      body_rows=_rows_over(grid, table.body_rows, after, right[-1]),
                      flag_rows=table.flag_rows, title=table.title, unit=table.unit)
        table.data_cols = [c for c in table.data_cols if c < after]
        table.right = before
        return other
    return None


def _rows_over(grid: Grid, rows: list[int], left: int, right: int) -> list[int]:
    """Those of ``rows`` (in sheet order) with a filled cell in columns ``left``-``right``: one
    array test for all of them (a body may hold hundreds)."""
    filled = (grid.kinds[_row_index(rows), left:right + 1] != EMPTY).any(axis=1)
    return list(compress(rows, filled.tolist()))


def _repeats_the_stub(grid: Grid, table: Table, c: int) -> bool:
    """Tables side by side repeat their stub: the right one's label column has no heading, or
    one of the left one's label headings ("Sex" and "Sex"). A text column under a heading of
    its own ("Record since" beside the records) is a column of the one table."""
    def headings(cols: list[int]) -> set[str]:
        return {str(grid.values[r][k]).strip() for r in table.header_rows for k in cols
                if grid.kinds[r, k] != EMPTY}
    own = headings([c])
    return not own or bool(own & headings(table.label_cols))


def _first_column_as_key(table: Table) -> None:
    """A table without label columns (a code list, columns of text) is keyed by its first
    column, as a reader would look a row up; without a key, no row could be told apart."""
    if not table.label_cols and len(table.data_cols) >= 2:
        table.label_cols, table.data_cols = table.data_cols[:1], table.data_cols[1:]


def _share_headers(rows: Rows, tables: list[Table]) -> None:
    """Stacked tables with the same columns, where only the first carries the upper header
    levels (measure names over series codes): the later ones read those levels too, or their
    columns would be named by the last level alone, and blank cells there would repeat a
    neighbour's name.

    A table reads the levels of the first earlier table with the same columns and more
    heading rows. The first with more than ``n`` rows is always one that had more than every
    table before it, so only those are kept, per set of columns, and searched by their
    count: a sheet of thousands of small tables stays linear, not quadratic."""
    more: dict[tuple[int, ...], tuple[list[int], list[list[int]]]] = {}
    for table in tables:
        own = [r for r in table.header_rows if rows.last[r] >= table.data_cols[0]]
        counts, headings = more.setdefault(tuple(table.data_cols), ([], []))
        at = bisect_right(counts, len(own))
        if at < len(counts):
            theirs = headings[at]
            table.shared_header_rows = theirs[:len(theirs) - len(own)]
        if not counts or len(own) > counts[-1]:
            counts.append(len(own))
            headings.append(own)


def _text_table(grid: Grid, rows: Rows) -> list[Table]:
    """No numbers anywhere: read the sheet as one plain table under its first row (a list of
    names, a schedule), with sparse leading columns as labels to forward-fill."""
    table_rows = [r for r, n in enumerate(rows.filled) if n >= 2]
    if len(table_rows) < 2:
        return []
    filled = grid.kinds != EMPTY
    cols = filled[table_rows].any(axis=0).nonzero()[0].tolist()
    body = table_rows[1:]
    everywhere = filled[body].all(axis=0).tolist()  # filled on every body row
    labels = []
    for c in cols:
        if everywhere[c]:
            break
        labels.append(c)
    data = [c for c in cols if c not in labels]
    if len(data) > 1 and _codes(grid, body, data[0]):
        labels, data = [*labels, data[0]], data[1:]  # a code list: the codes name the rows
    if not data:
        return []
    return [Table(index=0, left=cols[0], right=cols[-1], header_rows=[table_rows[0]],
                  body_rows=body, label_cols=labels, data_cols=data)]


def _bodies(grid: Grid, rows: Rows) -> list[tuple[int, int]]:
    """Runs of data rows, bridging blank rows and label-only rows (sub-table titles).

    Adjacent data rows always join, so only the gaps between data rows are examined.
    """
    data = list(compress(range(len(rows)), rows.data))
    if not data or data[-1] - data[0] == len(data) - 1:  # none, or one run without a gap
        return [(data[0], data[-1])] if data else []
    breaks = [(end, nxt) for end, nxt in pairwise(data)
              if nxt - end > 1 and not _bridgeable(grid, rows, end, nxt)]
    firsts = [data[0], *(nxt for _, nxt in breaks)]
    lasts = [*(end for end, _ in breaks), data[-1]]
    return list(zip(firsts, lasts, strict=True))


def _bridgeable(grid: Grid, rows: Rows, end: int, nxt: int) -> bool:
    """Can the rows strictly between two data rows sit inside one table body?"""
    first_data = None  # (found when first needed: most gaps are blank rows)
    blanks = 0
    for r in range(end + 1, nxt):
        if rows.qualifier[r]:
            continue
        if rows.blank(r):
            blanks += 1
            if blanks > MAX_BODY_GAP:
                return False
            continue
        if rows.filled[r] > 1:
            if first_data is None:
                first_data = min(_first_value(grid, rows, end), _first_value(grid, rows, nxt))
            if rows.last[r] >= first_data:
                return False  # a row over the data columns: the next table's header
    return True


def _first_value(grid: Grid, rows: Rows, r: int) -> int:
    """The first numeric column right of data row ``r``'s leading cell (a year label, say), or
    its first numeric column when there is none."""
    numeric = _numeric_cols(grid.kinds[r].tolist())
    return next((c for c in numeric if c > rows.first[r]), numeric[0])


def _build_table(grid: Grid, rows: Rows, start: int, end: int, floor: int,
                 index: int) -> list[Table]:
    """The table over body rows ``start``-``end`` (or the tables side by side there)."""
    span = range(start, end + 1)
    data_rows = list(compress(span, rows.data[start:end + 1]))
    data_kinds = _column_kinds(grid, data_rows)
    label_cols, data_cols = _columns(grid, data_rows, data_kinds)
    if not data_cols:
        return []
    left = min(label_cols + data_cols)
    table = Table(index=index, left=left, right=max(data_cols), label_cols=label_cols,
                  data_cols=data_cols)
    has_data = (grid.kinds[start:end + 1, data_cols] >= NUMBER).any(axis=1).tolist()
    # a lone number with no label (a stray 0 in a spacer row) is not an observation; on most
    # long tables every row is a body row, and the rows need not be listed one by one
    if all(has_data) and min(rows.filled[start:end + 1]) > 1:
        table.body_rows, others = list(span), []
    else:
        table.body_rows = [r for r, yes in zip(span, has_data, strict=True)
                           if yes and rows.filled[r] > 1]
        others = [r for r, yes in zip(span, has_data, strict=True) if not yes]
    table.section_rows = [  # sub-table titles such as 'Full-time'
        r for r in others if rows.filled[r] and not rows.numeric[r] and not rows.qualifier[r]
        and (rows.last[r] < data_cols[0] or rows.single_text(r))]
    if not table.body_rows and not table.section_rows:
        return []  # the run's numbers all stand in its label columns: nothing to observe
    table.flag_rows = [r for r in others if rows.qualifier[r]]  # (no numbers: never data)
    if end + 1 < len(rows) and rows.qualifier[end + 1]:  # under the last row of the body
        table.flag_rows.append(end + 1)
    _header_and_title(grid, rows, table, floor)
    # (the body rows are nearly always the data rows: their kinds are counted already)
    body = data_kinds if table.body_rows == data_rows else _column_kinds(grid, table.body_rows)
    parts = _side_by_side(grid, table, body)
    for part in parts:
        _tidy_keys(grid, part, body)
        _code_columns(grid, part, body)
        _flag_columns(grid, part, body)
        values = _body_numbers(grid, part)  # one parse for the row and the column totals
        filled = _filled(values)  # (and one copy with 0 where a cell holds no number)
        part.total_rows, part.subtotal_rows = _total_rows(grid, part, values, filled)
        part.total_cols = _total_cols(grid, part, values, filled)
    return parts


def _column_kinds(grid: Grid, rows: list[int]) -> list[list[int]]:
    """How many cells of each kind (EMPTY, TEXT, NUMBER, YEAR) each sheet column holds on
    ``rows``, counted once per table for the tests of its columns. The counts of filled cells
    hold for a part of the table too (:func:`_side_by_side`): the rows it leaves out are empty
    over its columns."""
    return kind_counts(grid.kinds[_row_index(rows)], axis=0).tolist()


def _row_index(rows: list[int]) -> slice | list[int]:
    """``rows`` (in sheet order) to index an array with: a slice when they run on without a
    gap, as most tables' do (a view, and no long list to convert to an index array)."""
    return slice(rows[0], rows[-1] + 1) if rows and rows[-1] - rows[0] + 1 == len(rows) else rows


def _block(cells: np.ndarray, rows: list[int], cols: list[int]) -> np.ndarray:
    """The cells of ``rows`` (in sheet order) x ``cols``. Rows that run on are sliced, and only
    the columns gathered: a gather over both (:func:`grid.cross`) costs 6x more on a body of
    650 rows, and its index is made from the whole row list."""
    at = _row_index(rows)
    return cells[at][:, cols] if isinstance(at, slice) else cells[cross(rows, cols)]


def _columns(grid: Grid, data_rows: list[int], counts: list[list[int]]
             ) -> tuple[list[int], list[int]]:
    """Label columns (a leading run of text or year columns) and the data columns after them,
    from the kinds counted in each column over the data rows (:func:`_column_kinds`)."""
    filled = [len(data_rows) - empty for empty, _, _, _ in counts]
    numeric = [number + year for _, _, number, year in counts]
    columns = [c for c, n in enumerate(filled) if n]
    label_cols: list[int] = []
    for c in columns:
        n_numeric = numeric[c]
        sparse = filled[c] <= len(data_rows) / 2 and c == columns[0]
        all_years = not counts[c][NUMBER]  # numbers in the column are years
        years = n_numeric and all_years and (
            not label_cols or filled[c] < len(data_rows) or filled[c] > n_numeric)
        if sparse or filled[c] - n_numeric > n_numeric or years:
            label_cols.append(c)
        else:
            break
    counter = columns[len(label_cols)] if len(columns) > len(label_cols) + 1 else None
    all_numbers = counter is not None and numeric[counter] == len(data_rows)
    if counter is not None and ((all_numbers and _counts_rows(grid, data_rows, counter))
                                or _codes(grid, data_rows, counter)):
        label_cols.append(counter)  # item numbers 1, 2, 3 ... name their rows
        return label_cols, [c for c in columns if c > counter]
    # the label columns are the leading filled columns: the data starts after them
    first_numeric = next((c for c in columns[len(label_cols):] if numeric[c]), None)
    if first_numeric is None:
        return label_cols, []
    # text columns among the numbers (codes, descriptions) are data too: keep them
    return label_cols, [c for c in columns if c >= first_numeric]


def _codes(grid: Grid, data_rows: list[int], c: int) -> bool:
    """Mostly digits written as text of one length, some with a leading zero ('01' ... '96',
    perhaps among the headings of their groups): classification codes, which name rows; a
    quantity is never written '01'."""
    at = _row_index(data_rows)
    types = np.bincount(grid.types[at, c], minlength=STR + 1).tolist()  # (cells of each type)
    if 2 * types[STR] <= len(data_rows) - types[NONE]:
        return False  # codes are texts: not enough of them (a column of numbers, mostly)
    cells = [v for v in grid.cells[at, c].tolist() if v is not None]
    codes = [v for v in cells if type(v) is str and v.isdigit()]
    return 2 * len(codes) > len(cells) and len({len(v) for v in codes}) == 1 and any(
        v.startswith("0") for v in codes) and len(codes[0]) > 1


def _counts_rows(grid: Grid, data_rows: list[int], c: int) -> bool:
    """A column of whole numbers counting from 0 or 1, up by one on every row, perhaps starting
    again (0-4 within each day): row numbers, not values. (The caller has seen a number on
    every row.)"""
    if len(data_rows) < 3:
        return False
    start = [parse_value(grid.values[r][c])[0] for r in data_rows[:2]]
    if start[0] is None or start[0] > 1 or start[1] is None:  # counts from 0 or 1: test first
        return False
    values = [parse_value(v)[0] for v in grid.cells[_row_index(data_rows), c].tolist()]
    if any(v is None or v != int(v) for v in values):
        return False
    numbers = np.array(values, dtype=float)
    steps = np.diff(numbers)
    return bool(numbers[0] <= 1 and ((steps == 1) | (numbers[1:] == numbers[0])).all()
                and (steps == 1).any())


def _tidy_keys(grid: Grid, table: Table, body: list[list[int]]) -> None:
    """A table under one header row (or none) whose text columns (words) or year columns (runs of
    the same year) sit among its numbers is already tidy (one row per observation): all its
    dimension columns are its key, not values."""
    if len(table.header_rows) > 1 or len(table.data_cols) < 2 or grid.origin:
        return  # (a rearranged record listing names its rows itself: records.name_records)
    keys = []
    for c in table.data_cols:
        _, text, numbers, years = body[c]
        if (text and not numbers and not years and _words(grid, table.body_rows, c)) or (
                years and not numbers and not text and _grouped(grid.cells[table.body_rows, c])):
            keys.append(c)
    values = [c for c in table.data_cols if c not in keys]
    if keys and values:
        table.label_cols = sorted(table.label_cols + keys)
        table.data_cols = values


def _code_columns(grid: Grid, table: Table, body: list[list[int]]) -> None:
    """Data columns headed as codes ("UKPRN", "2002 NAICS code", "FIPS"), standing right
    after the label columns or before them, and holding whole numbers (or markers such as
    "(X)") but no text, are identifiers: they name their rows with the labels; they are not
    values (a provider's UKPRN counts nothing)."""
    codes = []
    for c in table.data_cols[:-1]:
        beside = c < min(table.label_cols, default=c) or c == max(table.label_cols + codes,
                                                                    default=-2) + 1
        if not (beside and not body[c][TEXT] and _headed_as_code(grid, table.header_rows, c)
                and _whole_numbers(grid, table.body_rows, c)):
            break
        codes.append(c)
    if codes:
        table.label_cols = sorted(table.label_cols + codes)
        table.data_cols = [c for c in table.data_cols if c not in codes]


def _headed_as_code(grid: Grid, header_rows: list[int], c: int) -> bool:
    """Does a header cell of column ``c`` name codes ("UKPRN", "2002 NAICS code")?"""
    return any(isinstance(v := grid.values[r][c], str) and _CODE_HEADING.search(v)
               for r in header_rows)


def _whole_numbers(grid: Grid, rows: list[int], c: int) -> bool:
    """No fractions in column ``c`` of ``rows`` (markers and blanks allowed)."""
    numbers = grid.numbers[rows, c]
    fractions = ~np.isnan(numbers) & (numbers != np.trunc(numbers))
    return not fractions.any()


_CODE_HEADING = re.compile(r"\b(codes?|ukprn|fips|naics|sic|gss|identifiers?)\b", re.IGNORECASE)


def _flag_columns(grid: Grid, table: Table, body: list[list[int]]) -> None:
    """Qualifier columns: right beside a column of numbers, with no heading of their own, only
    short codes ("U", "J3", at most three characters), never a number. Laboratory and survey
    sheets qualify each value so; read as values, the code and its number would share one key.
    (``body``: the kinds counted in each column over the body rows, tested first: cheap.)"""
    def numbers(c: int) -> int:
        return body[c][NUMBER] + body[c][YEAR]
    beside = [c for left, c in pairwise(table.data_cols)  # (text first: most columns have none)
              if c == left + 1 and body[c][TEXT] and not numbers(c) and numbers(left)]
    if not beside:
        return
    headed = (grid.kinds[table.header_rows] != EMPTY).any(axis=0)
    flags = [c for c in beside
             if not headed[c] and _short_codes(grid.cells[table.body_rows, c])]
    if flags and len(flags) < len(table.data_cols):
        table.flag_cols = flags
        table.data_cols = [c for c in table.data_cols if c not in flags]


def _short_codes(cells: np.ndarray) -> bool:
    return all(len(str(v).strip()) <= 3 for v in cells.tolist() if v is not None)


def _grouped(values: np.ndarray) -> bool:
    """Values in long runs (2012 on a dozen rows, then 2013 ...): a dimension sorted by, not a
    measure such as 'year reported'."""
    changes = np.count_nonzero(values[1:] != values[:-1])
    return 4 * (changes + 1) <= len(values)


def _words(grid: Grid, body_rows: list[int], c: int) -> bool:
    """Does the column hold words (not only footnote markers such as '\\1' or '*')?"""
    return any(isinstance(v, str) and any(ch.isalpha() for ch in v)
               for v in grid.cells[body_rows, c].tolist())


def _header_and_title(grid: Grid, rows: Rows, table: Table, floor: int) -> None:
    """Walk upwards from the body: header rows first, then title/metadata rows."""
    first = min(table.body_rows[:1] + table.section_rows[:1])  # (both in sheet order)
    candidates: list[tuple[int, bool]] = []  # (row, spans data columns)
    r, blanks = first - 1, 0
    while r >= floor and blanks <= MAX_HEADER_GAP and r not in rows.preamble:
        if rows.blank(r):
            blanks += 1
        elif blanks > MAX_LABEL_GAP and rows.last[r] < table.data_cols[0]:
            break  # across a wide gap, only column headings belong to this table
        elif not candidates and table.section_rows and rows.single_text(r):
            table.section_rows.insert(0, r)  # the first of several sub-table titles
        elif rows.last[r] >= table.data_cols[0]:  # anything over the data columns
            candidates.append((r, True))
            blanks = 0
        elif _label_header(grid, rows, table, r, under_header=bool(candidates)):
            candidates.append((r, False))
            blanks = 0
        elif not candidates and rows.last[r] < table.data_cols[0]:
            table.section_rows.insert(0, r)  # a sub-table title right above the first block
        else:
            break
        r -= 1
    while candidates and not candidates[-1][1] and rows.first[candidates[-1][0]] <= table.left \
            and not _stub_heading(rows, candidates, floor):
        candidates.pop()
    if candidates and not candidates[0][1] and table.section_rows and candidates[0][0] == first - 1:
        table.section_rows.insert(0, candidates.pop(0)[0])  # first of several sub-table titles
    table.header_rows = sorted(r for r, _ in candidates)
    _unit_lines(grid, rows, table)
    _title(grid, rows, table, floor)
    _first_block_title(grid, rows, table)


def _first_block_title(grid: Grid, rows: Rows, table: Table) -> None:
    """Stacked blocks where only the later ones have a title in the body ("Women") and the
    first one's stands above the headings ("Men"): that last title line is the first block's
    sub-table title, not the title of them all. Only a short line alone on its row counts, like
    the block titles below it; a caption ("Table 5. Men and women") stays the title."""
    if not table.section_rows or not table.title_rows or not table.body_rows:
        return
    r = table.title_rows[-1]
    if min(table.section_rows) < table.body_rows[0] or not rows.single_text(r):
        return
    text = _text(grid, r)
    blocks = [_text(grid, s) for s in table.section_rows]
    if _CAPTION.match(text) or len(text.split()) > max(len(b.split()) for b in blocks) + 1:
        return
    table.title_rows.pop()
    table.section_rows.insert(0, r)
    table.title = " ".join(_text(grid, t) for t in table.title_rows)


_CAPTION = re.compile(r"^\s*(table|figure|chart|sheet|annex|appendix)\b|^\s*\d|:\s*$",
                      re.IGNORECASE)


def _unit_lines(grid: Grid, rows: Rows, table: Table) -> None:
    """A line above the headings that only gives the unit ("thousands", "United Kingdom
    (thousands)", "[In millions of dollars]") is not a header level: it becomes the table's
    unit (and part of its title)."""
    while table.header_rows and rows.filled[table.header_rows[0]] <= 2:
        r = table.header_rows[0]
        units = [u for v in grid.values[r] if isinstance(v, str) and (u := unit_of(v))]
        if not units:
            return
        table.unit = units[-1]
        table.header_rows.pop(0)


_UNIT_WORDS = (r"(?:in\s+)?(?:thousands?|millions?|billions?|hundreds?|per\s?cent|percent(?:age)?s?"
               r"|%|[£$€]\s?(?:m|bn|k|thousands?|millions?|billions?)?|(?:number|rate)s?\s+per\s+[\d,]+)"
               r"(?:\s+of\s+[a-z ]+)?")
_UNIT = re.compile(rf"^\s*[\[(]?\s*({_UNIT_WORDS})\s*[\])]?\s*$|\(\s*({_UNIT_WORDS})\s*\)\s*$",
                   re.IGNORECASE)


def unit_of(text: str) -> str:
    """The unit a line gives ("thousands", "millions of dollars"), or '' if it is not one."""
    match = _UNIT.search(text) if len(text) <= 60 else None
    return " ".join((match[1] or match[2]).split()) if match else ""


def _title(grid: Grid, rows: Rows, table: Table, floor: int) -> None:
    top = min(table.header_rows) if table.header_rows else min(table.body_rows)
    for r in range(top - 1, floor - 1, -1):
        if rows.blank(r):
            continue
        preamble = r in rows.preamble  # an export's "Key:" lines: all of them title the table
        if not preamble and (rows.filled[r] > 2 or (
                table.title_rows and r < table.title_rows[0] - 3)):
            break
        table.title_rows.insert(0, r)
    texts = {r: _text(grid, r) for r in table.title_rows}  # (as _looks_like_note reads them)
    notes = [r for r, text in texts.items() if _NOTE.match(text)]
    table.title_rows = [r for r in table.title_rows if r not in notes]
    table.note_rows = notes  # "See notes", "Source: ..." above the table
    table.title = " ".join(texts[r] for r in table.title_rows)


def _stub_heading(rows: Rows, candidates: list[tuple[int, bool]], floor: int) -> bool:
    """The top header candidate, over the label columns only, is a stub heading ("Item",
    "Unit"; or one heading right on top of the column headings, over their empty stub, when a
    line above it can be the title: a table's only line above its headings is its title)."""
    r = candidates[-1][0]
    fills_a_gap = (len(candidates) > 1 and candidates[-2][0] == r + 1
                   and rows.first[r + 1] > rows.first[r]  # the stub's own empty slot
                   and any(rows.filled[floor:r]))
    return rows.filled[r] >= 2 or fills_a_gap


def _label_header(grid: Grid, rows: Rows, table: Table, r: int,
                  under_header: bool = False) -> bool:
    """A text row over the label columns only: a header of the label column, not a note.
    Right above the body an ALL-CAPS or colon-ended label starts a block; above the column
    headings it is the stub's heading ("STATE")."""
    if rows.numeric[r]:
        return False
    text = _text(grid, r)
    if _NOTE.match(text) or (  # (_looks_like_note, its text made once)
            _is_section_text(text) and not under_header):
        return False
    return rows.first[r] > table.left or len(text) <= 40


def _is_section_text(text: str) -> bool:
    """ALL-CAPS or colon-ended label rows introduce a block of rows, they do not head columns."""
    return text.rstrip().endswith(":") or (text.isupper() and len(text) > 3)


def _attach_notes(grid: Grid, rows: Rows, tables: list[Table]) -> None:
    """Text rows below a table body, up to the next table, are that table's notes/footnotes."""
    for i, table in enumerate(tables):
        limit = (tables[i + 1].top if i + 1 < len(tables) else len(rows))
        last = max(table.body_rows + table.section_rows + table.flag_rows)
        above = len(table.note_rows)
        for r in range(last + 1, limit):
            if rows.filled[r] and not rows.data[r]:
                table.note_rows.append(r)
        table.notes = "\n".join(_text(grid, r) for r in table.note_rows[above:])


def _total_rows(grid: Grid, table: Table, values: np.ndarray,
                filled: np.ndarray) -> tuple[list[int], list[int]]:
    """(totals, subtotals) among the body rows. A row is a candidate when its label says
    total/all, when it is the first row of a block and the sum of the block's other rows, or
    when it is the first row and its label begins "Total". It is a *total* when a second
    piece of evidence agrees: it is the table's first row (the grand total), its label begins
    "Total", its numbers are the sum of the rows just above it (a closing total), or its label
    says total and its numbers sum the rows below. The other candidates are *subtotals*: group
    headings that add up their group ("Durable goods" over its industries) and rows labelled
    "Manufacturing, total" or "All industries" whose numbers sum nothing (rates, suppressed
    cells). Both are flagged ``is_total``, so nothing is counted twice; they are told apart
    because readers (and the SAUS annotators) take a group's heading row for data.
    ``filled``: ``values`` with 0 where a cell holds no number (:func:`_filled`, made once
    per table for these sums and the column totals)."""
    labelled = set(_labelled_totals(grid, table))
    blocks = _blocks(table.body_rows)  # runs of rows between blank rows or sub-table titles
    summing = set(_summing_rows(table, filled, blocks))
    hundreds = set(_hundred_rows(table, values, blocks))
    candidates = labelled.union(summing, hundreds, _heading_total(grid, table))
    if not candidates:  # most tables
        return [], []
    totals = candidates & (set(table.body_rows[:1]) | hundreds | (labelled & summing))
    rest = np.array(sorted(candidates - totals), dtype=np.intp)
    starts = _starts_total(grid, table, rest)
    totals |= set(rest[starts].tolist()) | set(_closing_rows(table, filled, rest[~starts]))
    return sorted(totals), sorted(candidates - totals)


def _starts_total(grid: Grid, table: Table, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` have a first label beginning "Total"; each distinct label tested once."""
    says = np.zeros(len(rows), dtype=bool)
    if not table.label_cols or not len(rows):
        return says
    labels = grid.cells[rows, table.label_cols[0]]
    strings = grid.types[rows, table.label_cols[0]] == STR
    says[strings] = np.fromiter(map(_BEGINS_TOTAL.__getitem__, labels[strings]), dtype=bool,
                                count=int(np.count_nonzero(strings)))
    return says


def _hundred_rows(table: Table, values: np.ndarray, blocks: list[tuple[int, int]]) -> list[int]:
    """The first rows of blocks whose numbers are all 100 (two at least): the base of a
    percentage distribution ("Floor area 100.0" over its size bands), whether or not the
    shares below add up (rounding, suppressed cells, an average among them). Only the first
    rows are read, and no further than a 100 among them."""
    firsts = [first for first, last in blocks if last > first]
    numbers = values[firsts]
    hundred = numbers == 100.0
    if not np.count_nonzero(hundred):
        return []
    known = ~np.isnan(numbers)
    every = (hundred | ~known).all(axis=1) & (known.sum(axis=1) >= 2)
    return [table.body_rows[i] for i, yes in zip(firsts, every.tolist(), strict=True) if yes]


def _closing_rows(table: Table, filled: np.ndarray, rows: np.ndarray) -> list[int]:
    """Those of ``rows`` whose numbers are the sum of the two or more body rows right above
    them (half their numbers at least, as in :func:`_summing_rows`): a total closing a group.
    Sums over any run of rows come from one running sum; candidates are taken a few at a time
    so the (columns x runs x candidates) array stays small on wide sheets. The candidates run
    along its last axis: the sums over columns and the test over runs then reduce long rows
    (on ITIS tidy, 4,938 candidates of one column, the other way round took 3x as long).
    ``filled`` holds the body's numbers with 0 where there is none."""
    if not len(rows):
        return []
    # the candidates' places in the body (in sheet order): their offset from its first row
    # when it runs on without a gap (no array of the whole body to search: 7,689 rows on
    # ITIS tidy), else a binary search
    body = table.body_rows
    runs_on = body[-1] - body[0] == len(body) - 1
    at = rows - body[0] if runs_on else np.searchsorted(body, rows)
    # running[:, _WIDEST + k]: the sum of the body's first k rows, by column; NaN above them,
    # so the sum of a run reaching above the body is NaN, which is close to nothing
    width = filled.shape[1]
    running = np.hstack([np.full((width, _WIDEST), np.nan), np.zeros((width, 1)),
                         np.cumsum(filled, axis=0).T])
    runs = np.arange(2, _WIDEST + 1)[:, None]
    closing = np.zeros(len(at), dtype=bool)
    step = max(1, 2_000_000 // (len(runs) * max(width, 1)))
    for lo in range(0, len(at), step):
        i = at[lo:lo + step] + _WIDEST
        target = filled[i - _WIDEST].T[:, None, :]  # columns x 1 x candidates
        known = target != 0  # a non-zero number (no number is 0 in ``filled``)
        # as _close (1%), in place; no sum is within the tolerance -1 of a target of no number
        tolerance = np.where(known, 0.01 * np.abs(target), -1.0)
        off = running[:, i][:, None, :] - running.take(i - runs, axis=1)
        off -= target
        close = np.abs(off, out=off) <= tolerance
        # close on half the row's numbers, one at least
        needed = np.maximum((known.sum(axis=0) + 1) // 2, 1)
        closing[lo:lo + step] = (close.sum(axis=0) >= needed).any(axis=0)
    return rows[closing].tolist()


def _summing_rows(table: Table, filled: np.ndarray,
                  blocks: list[tuple[int, int]]) -> list[int]:
    """The first row of a block (rows between blank rows or sub-table titles) that is the sum of
    the block's other rows: "Construction type 100" over its parts, found from the numbers,
    whatever the label says (within rounding: 1%). Half its numbers summing is enough, since
    shares and averages beside the counts never add up ("United States" over the states: the
    count sums, the percent columns do not). All blocks at once; ``filled`` holds the body's
    numbers with 0 where there is none. The sums are made at once; the first rows (a dozen
    numbers on most tables) are compared with them as lists, where a dozen array calls cost
    more than the comparisons."""
    runs = [(first, last) for first, last in blocks if last - first >= 2]
    if not runs:
        return []
    # sums over the rows after each block's first: reduceat over (first + 1, last + 1) pairs,
    # the last edge left out (reduceat sums the last slice to the end of the rows it is given)
    edges = [edge for first, last in runs for edge in (first + 1, last + 1)]
    sums = np.add.reduceat(filled[:edges[-1]], edges[:-1], axis=0)[::2].tolist()
    targets = filled[[first for first, _ in runs]].tolist()
    return [table.body_rows[first] for (first, _), row_sums, target
            in zip(runs, sums, targets, strict=True) if _sums_half(row_sums, target)]


def _sums_half(sums: list[float], target: list[float]) -> bool:
    """Are ``sums`` within rounding (1%, as :func:`_close`) of half the target's non-zero
    numbers, one at least? (No number is 0 in a ``filled`` row: 0 is no number.)"""
    close = sum([abs(total - number) <= 0.01 * abs(number)
                 for total, number in zip(sums, target, strict=True) if number != 0])
    return close > 0 and 2 * close >= len(target) - target.count(0)


def _heading_total(grid: Grid, table: Table) -> list[int]:
    """The first body row, when its label begins with "Total" ("Total construction", "Total
    holdings"): a total heading the rows below it. Further down, "Total supply" may be one
    line of an account, so only the top row is read this way."""
    first = table.body_rows[:1]
    labels = [grid.values[r][c] for r in first for c in table.label_cols]
    return first if any(isinstance(v, str) and _STARTS_TOTAL.match(v) for v in labels) else []


_STARTS_TOTAL = re.compile(r"^\s*totals?\b", re.IGNORECASE)


def _total_cols(grid: Grid, table: Table, values: np.ndarray, filled: np.ndarray) -> list[int]:
    """Data columns headed "Total" whose numbers are the sum of the two or more columns right
    beside them (after them, or before them: a total at the right end), on every row where
    they all hold numbers, three rows at least. Inner totals are found first (right to left)
    and stand in for their parts in the outer ones: "Total" over "Married-couple: Total, With
    children, Without" and "One-person". A "Total" that sums nothing beside it (the total of
    one year among years) stays data, and so do columns under other headings that happen to
    sum their neighbours: annotated tables call those data far more often than totals.
    ``filled``: ``values`` with 0 where a cell holds no number (:func:`_filled`)."""
    headed = _headed_total(grid, table)
    if not headed:
        return []
    # the numbers as in ``filled``, NaN where there is none (made once for every candidate)
    numbers = np.where(np.isnan(values), np.nan, filled)
    parts = np.zeros(values.shape[1], dtype=bool)  # columns an inner total already counts
    totals = []
    for j in headed[::-1]:
        rows = filled[:, j].nonzero()[0]  # where column j holds a non-zero number
        if len(rows) < 3:
            continue
        peers = (~parts).nonzero()[0]
        run = _summing_run(numbers, j, rows, peers[peers > j][:_WIDEST])
        if not len(run):
            run = _summing_run(numbers, j, rows, peers[peers < j][::-1][:_WIDEST])
        if len(run):
            totals.append(j)
            parts[run] = True
    return sorted(table.data_cols[j] for j in totals)


_WIDEST = 40  # columns or rows searched on each side of a candidate total
_ONLY_TOTAL = re.compile(r"^\s*+(grand\s++)?totals?\s*+(\\\d+|[*¹²³†‡])?\s*+$", re.IGNORECASE)


def _headed_total(grid: Grid, table: Table) -> list[int]:
    """Positions (in ``data_cols``) of the columns whose own heading, their lowest non-empty
    header cell, is "Total"; each distinct header text is tested once. The few header cells
    are read as lists, from the lowest header row up until every column has its heading (on
    most tables the lowest row heads them all): quicker than the dozen array calls a block
    of them would take."""
    lowest: dict[int, object] = {}  # position -> the column's lowest non-empty header cell
    for r in reversed(table.header_rows):
        kinds, values = grid.kinds[r].tolist(), grid.values[r]
        for i, c in enumerate(table.data_cols):
            if kinds[c] != EMPTY and i not in lowest:
                lowest[i] = values[c]
        if len(lowest) == len(table.data_cols):
            break
    return sorted(i for i, text in lowest.items()
                  if type(text) is str and _IS_TOTAL_HEADING[text])


def _summing_run(numbers: np.ndarray, j: int, rows: np.ndarray, peers: np.ndarray
                 ) -> np.ndarray:
    """The fewest of ``peers`` (two at least, taken in order) whose sum is column ``j`` on
    every one of ``rows`` (where column ``j`` holds a non-zero number) where they all hold
    numbers, three rows at least; empty if none. A suppressed cell ("(D)") only leaves its
    row unchecked. ``numbers``: the table's numbers as in ``filled`` (:func:`_filled`), but NaN
    where a cell holds no number."""
    if len(peers) < 2:
        return peers[:0]
    # the sums of the first 2, 3 ... peers on each row: NaN (the row unchecked, never close)
    # where one of them holds no number, so no mask of complete rows is needed
    sums = numbers[cross(rows, peers)].cumsum(axis=1)[:, 1:]
    checked = len(rows) - np.isnan(sums).sum(axis=0)
    fits = (_close(sums, numbers[rows, j][:, None]).sum(axis=0) == checked) & (checked >= 3)
    fewest = int(fits.argmax())  # (the first that fits, or 0 when none does)
    return peers[:fewest + 2] if fits[fewest] else peers[:0]


def _close(sums: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Equal within rounding (1%); ``target`` holds no NaN."""
    return np.abs(sums - target) <= 0.01 * np.abs(target)


def _filled(values: np.ndarray) -> np.ndarray:
    """``values`` with 0 where there is no number (NaN) and infinities made the largest finite
    numbers, as ``np.nan_to_num`` gives them: its fixed cost is more than a small table's sums."""
    filled = np.where(np.isnan(values), 0.0, values)
    np.minimum(filled, _LARGEST, out=filled)
    return np.maximum(filled, -_LARGEST, out=filled)


_LARGEST = np.finfo(np.float64).max


def _body_numbers(grid: Grid, table: Table) -> np.ndarray:
    """The numbers of the body rows x data columns (NaN where there is none)."""
    return _block(grid.numbers, table.body_rows, table.data_cols)


def _blocks(body: list[int]) -> list[tuple[int, int]]:
    """(first, last) index into ``body`` of each run of consecutive sheet rows (a blank row or
    a sub-table title, never a body row, parts two runs). Body rows are in sheet order, so a
    body that spans as many rows as it holds is one run, as most are."""
    if not body or body[-1] - body[0] == len(body) - 1:
        return [(0, len(body) - 1)]
    rows = np.asarray(body)
    breaks = ((rows[1:] - rows[:-1] != 1).nonzero()[0] + 1).tolist()
    return list(zip([0, *breaks], [*(i - 1 for i in breaks), len(body) - 1], strict=True))


def _labelled_totals(grid: Grid, table: Table) -> list[int]:
    """Body rows whose label says total/all (read once per sheet: ``Grid.says_total``)."""
    says = _block(grid.says_total, table.body_rows, table.label_cols)
    if not np.count_nonzero(says):  # most tables
        return []
    body, at = table.body_rows, says.any(axis=1).nonzero()[0]
    if isinstance(_row_index(body), slice):  # a body that runs on: rows from the offsets
        return (at + body[0]).tolist()
    return [body[i] for i in at.tolist()]


_IS_TOTAL_HEADING = Memo(lambda text: bool(_ONLY_TOTAL.match(text)))  # type: ignore[arg-type]
_BEGINS_TOTAL = Memo(lambda label: bool(_STARTS_TOTAL.match(label)))  # type: ignore[arg-type]


def _looks_like_note(grid: Grid, r: int) -> bool:
    return bool(_NOTE.match(_text(grid, r)))


def _text(grid: Grid, r: int) -> str:
    """The row's non-empty cells as one text (the row's kinds read as a list: most rows are
    short, and a numpy call to find their filled cells costs more than picking them with
    ``compress``). Rows are padded to one width (see Grid), so values and kinds pair up."""
    filled = compress(grid.values[r], grid.kinds[r].tolist())
    return " ".join([str(value).strip() for value in filled])
