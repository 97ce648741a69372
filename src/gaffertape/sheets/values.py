"""Typing of cell values: numbers, numbers with footnote markers, and suppression markers.

Statistical tables write "12.3*", "1,234", "[x]", "..", "-", "N/A" where a number would be.
:func:`parse_value` returns the number (or ``None``) and the marker, so the marker survives as a
flag instead of turning the whole column into text.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time

# Whole-cell markers meaning "no value here" (ONS, Eurostat, US Census conventions).
SUPPRESSION = frozenset({
    "..", "...", ".", "-", "–", "—", "x", "[x]", "[c]", "[z]", "[u]", "[low]", "[w]", "*", "**",
    "n/a", "na", "n.a.", "(na)", "(x)", "(d)", "(s)", "(z)", "(b)", ":", "~", "#", "c", "z", "u",
    "nil", "none", "[b]", "s", "†", "‡",
})
_NUMBER = re.compile(
    r"^\s*(?P<pre>[\[(<>~≤≥]?)\s*(?P<sign>[-−+]?)\s*[£$€]?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?\s*"
    r"(?P<pct>%?)\s*(?P<post>[\])]?\s*(?:\[[a-z0-9]{1,4}\]|\([a-z0-9]{1,2}\)|\\\d{1,2}|[*†‡§¶#]{1,3}|[a-zA-Z])?)\s*$"
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


@functools.lru_cache(maxsize=65536)
def _parse_text(text: str) -> tuple[float | None, str]:
    """Cached: sheets repeat the same labels and markers thousands of times."""
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
