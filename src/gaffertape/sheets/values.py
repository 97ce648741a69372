"""Typing of cell values: numbers, numbers with footnote markers, and suppression markers.

Statistical tables write "12.3*", "1,234", "[x]", "..", "-", "N/A" where a number would be.
:func:`parse_value` returns the number (or ``None``) and the marker, so the marker survives as a
flag instead of turning the whole column into text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from typing import NamedTuple

import numpy as np

# Whole-cell markers meaning "no value here" (ONS, Eurostat, US Census conventions).
SUPPRESSION = frozenset({
    "..", "...", ".", "-", "–", "—", "x", "[x]", "[c]", "[z]", "[u]", "[low]", "[w]", "*", "**",
    "n/a", "na", "n.a.", "(na)", "(x)", "(d)", "(s)", "(z)", "(b)", ":", "~", "#", "c", "z", "u",
    "nil", "none", "[b]", "s", "†", "‡",
})
# Every run of spaces is possessive (``\s*+``): nothing after one can match a space, so giving
# some back never makes a match, and trying to ("1", 1,000 spaces, "!") took minutes a cell.
_NUMBER = re.compile(
    r"^\s*+(?P<pre>[\[(<>~≤≥]?)\s*+(?P<sign>[-−+]?)\s*+[£$€]?\s*+"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?\s*+"
    r"(?P<pct>%?)\s*+(?P<post>[\])]?\s*+(?:\[[a-z0-9]{1,4}\]|\([a-z0-9]{1,2}\)|\\\d{1,2}|[*†‡§¶#]{1,3}|[a-zA-Z])?)"
    r"\s*+$"
)
_NUM_START = frozenset("0123456789-−+.([<>~≤≥£$€")


def parse_value(value: object) -> tuple[float | None, str]:
    """(number or None, flag). The flag is '' for a clean number, the marker otherwise."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value), ""  # type: ignore[arg-type]
    if kind is bool or value is None:
        return None, "" if value is None else "text"
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, datetime | date | time):
        return None, "date"
    return None, "text"


class Memo(dict):
    """A dict that computes and keeps missing entries, so ``map(memo.__getitem__, cells)`` runs
    at C speed for the values a sheet repeats (labels, markers); cleared when it grows large."""

    def __init__(self, compute: Callable[[object], object], limit: int = 100_000) -> None:
        super().__init__()
        self.compute, self.limit = compute, limit

    def __missing__(self, key: object) -> object:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.compute(key)
        return value


def _parse_text(text: str) -> tuple[float | None, str]:
    """Parse one text cell, remembered: sheets repeat the same labels and markers."""
    return _PARSED[text]  # type: ignore[return-value]


def _parse_text_once(text: str) -> tuple[float | None, str]:
    stripped = text.strip()
    # single letters only in lower case: "x" is a marker, "X" is usually a label
    if stripped in SUPPRESSION or (len(stripped) > 1 and stripped.lower() in SUPPRESSION):
        return None, stripped
    if not stripped or stripped[0] not in _NUM_START:
        return None, "text"
    match = _NUMBER.match(stripped)
    if not match:
        return None, "text"
    number = float(match["num"].replace(",", "") + (match["exp"] or ""))
    if match["sign"] in ("-", "−") or (match["pre"] == "(" and match["post"].startswith(")")):
        number = -number
    marker = (match["pre"] if match["pre"] not in "(" else "") + match["post"].lstrip(")").strip()
    if match["pct"]:
        marker = (marker + " %").strip()
    return number, marker


_PARSED = Memo(_parse_text_once)  # type: ignore[arg-type]


def _text_number(text: str) -> float:
    number = _PARSED[text][0]  # type: ignore[index]
    return np.nan if number is None else number


def _text_flag(text: str) -> str:
    return _PARSED[text][1]  # type: ignore[index]


# the two halves of a parse, so a column of texts fills numpy arrays straight from the memo
_TEXT_NUMBERS = Memo(_text_number)  # type: ignore[arg-type]
_TEXT_FLAGS = Memo(_text_flag)  # type: ignore[arg-type]


def is_numeric_like(value: object) -> bool:
    """True for numbers, numbers with markers and suppression markers: cells that hold data."""
    kind = type(value)
    if kind is float or kind is int:
        return True
    if kind is not str:
        return False
    number, flag = _parse_text(value)  # type: ignore[arg-type]
    return number is not None or flag not in ("text", "")


def is_year(value: object) -> bool:
    """A whole number that reads as a year (headers such as 1998, 2017)."""
    kind = type(value)
    if kind is float or kind is int:
        return 1800 <= value <= 2100 and value == int(value)  # type: ignore[operator,call-overload]
    if kind is str:
        number, _flag = _parse_text(value)  # type: ignore[arg-type]
        return number is not None and is_year(number)
    return False


# Per-cell type codes (what the cell is in Python) and kinds (what it means to the detector).
NONE, FLOAT, INT, STR, OTHER = range(5)
EMPTY, TEXT, NUMBER, YEAR = range(4)  # YEAR: a number that reads as a year (so also NUMBER)


class _TypeCodes(dict):
    """Type -> code; any other type is OTHER (a lookup, not an isinstance chain, per cell)."""

    def __missing__(self, kind: type) -> int:
        return OTHER  # bool, dates, anything a reader or a test grid may hold


_TYPE_CODES = _TypeCodes({type(None): NONE, float: FLOAT, int: INT, str: STR})


def cell_types(cells: np.ndarray) -> np.ndarray:
    """Type code of every cell (same shape): one C-level pass of ``type`` and a dict lookup."""
    codes = map(_TYPE_CODES.__getitem__, map(type, cells.ravel()))
    return small_ints(codes).reshape(cells.shape)


def small_ints(codes: Iterable[int]) -> np.ndarray:
    """A writable int8 array of ``codes`` (each 0-127). A ``bytearray`` takes them from the
    iterator with less work per item than ``np.fromiter`` (0.8x over a sheet's cells)."""
    return np.frombuffer(bytearray(codes), dtype=np.int8)


def _text_kind(text: str) -> int:
    if not text.strip():
        return EMPTY
    if is_year(text):
        return YEAR
    return NUMBER if is_numeric_like(text) else TEXT


# "Total", "Retail trade, total", "All industries"; not "Total supply" or "All other ..."
# (runs of spaces possessive, as in _NUMBER: "total", 3,000 spaces, "!" took a minute)
_TOTAL_LABEL = re.compile(r"^\s*+(grand\s++)?totals?\b\s*+(\\\d+)?\s*+[:(]?\s*+$|,\s*+total\b"
                          r"|\btotals?\s*+(\\\d+)?$|^\s*+all\s++(?!other)\w+|^\s*+(total|all)\s*+[:(]",
                          re.IGNORECASE)
_SAYS_TOTAL = 4  # a bit above the kinds (0-3) in a text's facts
_HOLDS_NUMBER = 8  # and another when it holds a number ("1,234", "12.3*"; not "[x]" or "Total")
_TOO_LONG = 16  # and another when it is longer than MAX_CELL_TEXT
MAX_CELL_TEXT = 32_767
"""Excel's limit on a cell's text. A longer text (only a file made by another program, or
made to harm, has one) is cut to it: a label is copied into every observation of its row or
column, and one 5 MB label beside 200 numbers made a 1 GB CSV from a 138 KB file."""
_KIND = 3  # the bits of the kind


def _text_facts(text: str) -> int:
    """A text's kind, with the ``_SAYS_TOTAL`` bit when it reads as a total's label, the
    ``_HOLDS_NUMBER`` bit when there is a number in it and ``_TOO_LONG`` past
    :data:`MAX_CELL_TEXT`."""
    return (_text_kind(text) | (_SAYS_TOTAL if _TOTAL_LABEL.search(text) else 0)
            | (_HOLDS_NUMBER if _PARSED[text][0] is not None else 0)  # type: ignore[index]
            | (_TOO_LONG if len(text) > MAX_CELL_TEXT else 0))


_TEXT_FACTS = Memo(_text_facts)  # type: ignore[arg-type]
_KIND_OF_TYPE = np.array([EMPTY, NUMBER, NUMBER, TEXT, TEXT], dtype=np.int8)  # by type code
"""A cell's kind as far as its type tells it: texts are then read, and plain numbers checked
for years, where there are any."""


class CellFacts(NamedTuple):
    """What the detector asks of every cell, made in one pass (see :func:`cell_facts`)."""

    kinds: np.ndarray  # EMPTY, TEXT, NUMBER or YEAR
    numbers: np.ndarray  # the number in the cell, NaN where there is none
    says_total: np.ndarray  # a text that reads as a total's label ("Total", "All industries")
    too_long: np.ndarray  # flat positions of the texts over MAX_CELL_TEXT (almost always none)


def cell_facts(cells: np.ndarray, types: np.ndarray) -> CellFacts:
    """Kind of every cell (the same as testing it with ``is_numeric_like``/``is_year``), the
    number in it (as :func:`parse_value` gives it) and whether its text says "total".

    Made together because each distinct text is read once (memoised) for everything asked of
    it, and only the texts that hold a number are looked up again for it. The plain numbers
    are converted in place (``copyto`` where they are), without a gathered copy."""
    kinds = _KIND_OF_TYPE.take(types)  # (indexing with int8 positions costs 2x)
    numbers = np.full(cells.shape, np.nan)
    np.copyto(numbers, cells, casting="unsafe", where=kinds == NUMBER)
    # the plain numbers that read as years (NaN, where there is none yet, is never one)
    kinds[(numbers >= 1800) & (numbers <= 2100) & (numbers == np.floor(numbers))] = YEAR
    texts = types == STR
    strings = cells[texts].tolist()
    facts = small_ints(map(_TEXT_FACTS.__getitem__, strings))
    kinds[texts] = facts & _KIND
    says_total = np.zeros(cells.shape, dtype=bool)
    says_total[texts] = (facts & _SAYS_TOTAL) != 0
    holds_number = (facts & _HOLDS_NUMBER) != 0
    if holds_number.any():
        at = np.flatnonzero(texts)[holds_number]
        number_texts = cells.ravel()[at].tolist()
        numbers.ravel()[at] = np.fromiter(map(_TEXT_NUMBERS.__getitem__, number_texts),
                                          np.float64, len(at))
    too_long = (facts & _TOO_LONG) != 0
    long_at = np.flatnonzero(texts)[too_long] if too_long.any() else _NOWHERE
    return CellFacts(kinds, numbers, says_total, long_at)


_NOWHERE = np.empty(0, dtype=np.intp)


def cut_text(text: str) -> str:
    """``text`` cut to :data:`MAX_CELL_TEXT` characters."""
    return text[:MAX_CELL_TEXT]


def flags_of(cells: np.ndarray, types: np.ndarray) -> np.ndarray:
    """The flag :func:`parse_value` gives each cell ('' for a clean number), array-wise."""
    flags = np.empty(len(cells), dtype=object)
    flags.fill("")  # (``np.full`` would make each element from a '<U1' array: 5x the time)
    texts = types == STR
    if texts.any():
        strings = cells[texts].tolist()
        flags[texts] = mapped_array(_TEXT_FLAGS.__getitem__, strings)
    rest = (types == NONE) | (types == OTHER)  # plain numbers have no flag
    if rest.any():
        flags[rest] = object_array([parse_value(v)[1] for v in cells[rest]])
    return flags


def object_array(items: Sequence[object]) -> np.ndarray:
    """A 1-d object array of ``items`` (``np.array`` would turn strings into a fixed-width type)."""
    return np.fromiter(items, dtype=object, count=len(items))


def mapped_array(function: Callable[[object], object], items: Sequence[object]) -> np.ndarray:
    """``function`` of each of ``items``, as an object array filled straight from the map (a
    list in between costs a third more on the many label and text cells)."""
    return np.fromiter(map(function, items), dtype=object, count=len(items))
