"""The label and number patterns run in linear time, and match exactly as the plain patterns
they replace.

Each run of spaces in them is possessive and a footnote marker is tried only from the start of
its run of signs. A cell of "1", 1,000 spaces and "!" took 309 s in the number pattern (a
731-byte CSV held a folder run for 79 s), "total" and 3,000 spaces a minute in the totals one.
The plain patterns are kept here as the reference: on short texts they are quick, and the new
ones must give the same match, groups and all.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaffertape.sheets import detect, tidy, values

PLAIN = {
    "number": re.compile(
        r"^\s*(?P<pre>[\[(<>~≤≥]?)\s*(?P<sign>[-−+]?)\s*[£$€]?\s*"
        r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?\s*"
        r"(?P<pct>%?)\s*(?P<post>[\])]?\s*(?:\[[a-z0-9]{1,4}\]|\([a-z0-9]{1,2}\)|\\\d{1,2}"
        r"|[*†‡§¶#]{1,3}|[a-zA-Z])?)\s*$").match,
    "total label": re.compile(
        r"^\s*(grand\s+)?totals?\b\s*(\\\d+)?\s*[:(]?\s*$|,\s*total\b|\btotals?\s*(\\\d+)?$"
        r"|^\s*all\s+(?!other)\w+|^\s*(total|all)\s*[:(]", re.IGNORECASE).search,
    "only total": re.compile(r"^\s*(grand\s+)?totals?\s*(\\\d+|[*¹²³†‡])?\s*$",
                             re.IGNORECASE).match,
    "marker": re.compile(r"^(?P<label>.*?\S)\s*(?P<marker>[¹²³⁴⁵⁶⁷⁸⁹⁰]+|[*†‡§¶]+"
                         r"|\([a-z]\))$").match,
}
LINEAR = {
    "number": values._NUMBER.match,
    "total label": values._TOTAL_LABEL.search,
    "only total": detect._ONLY_TOTAL.match,
    "marker": lambda text: tidy._MARKER.match(text) or tidy._MARKER_AFTER_ONE.match(text),
}
PIECES = {
    "number": [*" \t\n1,.5e-+%()[]$£*a#x\\", "12", "1,234"],
    "total label": [*" \t\n,:(\\1a", "total", "totals", "Total", "grand", "all", "other"],
    "only total": [*" \t\n\\1*¹†", "total", "totals", "grand", "GRAND", "x"],
    "marker": [*" \t\n*†¹²()ab§", "(a)", "Apr"],
}


def _found(match: re.Match[str] | None) -> object:
    return match and (match.span(), match.groups())


@pytest.mark.parametrize("name", list(PLAIN))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_linear_pattern_matches_as_the_plain_one(name: str, data: st.DataObject) -> None:
    text = "".join(data.draw(st.lists(st.sampled_from(PIECES[name]), max_size=10)))
    assert _found(LINEAR[name](text)) == _found(PLAIN[name](text)), repr(text)


@pytest.mark.parametrize(("name", "text"), [
    ("number", "1" + " " * 32_000 + "!"),
    ("total label", "total" + " " * 32_000 + "!"),
    ("only total", "total" + " " * 32_000 + "*x"),
    ("marker", "[" + "*" * 32_000 + "!"),
    ("marker", "a" + "¹" * 32_000 + "!"),
])
@pytest.mark.timeout(10)
def test_linear_pattern_fails_fast_on_a_long_near_miss(name: str, text: str) -> None:
    assert LINEAR[name](text) is None


@pytest.mark.timeout(60)
def test_a_csv_of_near_miss_cells_is_tidied_at_once(tmp_path) -> None:
    """End to end, every text goes through the number, total and marker patterns."""
    from gaffertape.sheets.api import tidy_files

    path = tmp_path / "spaces.csv"
    cells = ["1" + " " * 3_000 + "!", "total" + " " * 3_000 + "!", "[" + "*" * 30_000 + "!"]
    path.write_text("label,value\n" + "".join(f"{c},1\n" for c in cells) + "x,2\n")
    result = tidy_files([path])
    assert result.errors == {} and len(result.data) == 4, result.errors
