"""The faster totals code keeps the numbers it replaced: each shortcut is checked against the
plain numpy expression it stands for, on arrays and row lists Hypothesis draws (NaN, infinities,
signed zeros, gaps between rows), so a change that alters a sum or a run of rows fails here and
not only in the fingerprint of the real data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gaffertape.sheets.detect import _blocks, _filled, detect
from gaffertape.sheets.grid import from_rows

NUMBERS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=9),
                     elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                        st.sampled_from([0.0, -0.0, 100.0, np.nan, np.inf,
                                                         -np.inf, 1.7976931348623157e308])))


@settings(max_examples=300, deadline=None)
@given(NUMBERS)
def test_filled_is_nan_to_num_byte_for_byte(values: np.ndarray) -> None:
    expected = np.nan_to_num(values)
    filled = _filled(values)
    assert filled.dtype == expected.dtype and filled.shape == expected.shape
    assert filled.tobytes() == expected.tobytes()  # -0.0 and the clipped infinities included


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=60), max_size=40))
def test_blocks_are_the_runs_np_diff_finds(rows: set[int]) -> None:
    body = sorted(rows)  # body rows are in sheet order, as detect makes them
    breaks = np.flatnonzero(np.diff(body) != 1) + 1
    expected = list(zip([0, *breaks.tolist()], [*(breaks - 1).tolist(), len(body) - 1],
                        strict=True))
    assert _blocks(body) == expected


def test_an_infinite_number_sums_as_the_largest_finite_one() -> None:
    """A text such as "1e999" parses to infinity. The sums count it as the largest finite
    number, as np.nan_to_num did, so "Durable goods" still sums its group in those columns
    (two of three: a total); left infinite, inf - inf is NaN and no column would sum."""
    rows: list[list[object]] = [["Industry", "2019", "2020", "2021"],
                                ["Durable goods", "1e999", "1e999", 60],
                                ["Wood", "1e999", "1e999", 20], ["Metals", 5, 5, 40],
                                ["Other", 1, 1, 1]]
    table = detect(from_rows(rows, source="t", sheet="s")).tables[0]
    assert (table.total_rows, table.subtotal_rows) == ([1], [])
