"""Age bands: labels read per scheme, and unlike schemes merged only to shared boundaries."""

from __future__ import annotations

import pytest

from gaffertape.demographics.bands import DEFAULT_SCHEME, harmonise, parse_scheme
from gaffertape.errors import UserError

OULAD = ["0-35", "35-55", "55<="]
HESA = ["20 and under", "21-24", "25-29", "30 and over"]


def test_range_bounds_depend_on_the_scheme() -> None:
    oulad = parse_scheme(OULAD)
    assert [(b.lo, b.hi) for b in oulad] == [(0, 35), (35, 55), (55, None)]
    hesa = parse_scheme(HESA)
    assert [(b.lo, b.hi) for b in hesa] == [(0, 21), (21, 25), (25, 30), (30, None)]


def test_oulad_and_hesa_share_no_inner_boundary_so_only_all_ages_compares() -> None:
    common = harmonise({"oulad": parse_scheme(OULAD), "hesa": parse_scheme(HESA)})
    assert [b.label for b in common.scheme] == ["all ages"]
    assert common.merges["oulad"] == {label: "all ages" for label in OULAD}
    assert ("hesa", "all ages", HESA) in common.merged_bands()


def test_default_bands_merge_into_hesa_bands_and_say_which() -> None:
    common = harmonise({"ours": DEFAULT_SCHEME, "hesa": parse_scheme(HESA)})
    assert [b.label for b in common.scheme] == ["under 21", "21-24", "25-29", "30 and over"]
    (source, label, originals), = common.merged_bands()
    assert (source, label) == ("ours", "30 and over")
    assert originals[0] == "30-34" and originals[-1] == "65 and over"


@pytest.mark.parametrize("labels", [["0-20", "30-40"], ["adult", "child"]])
def test_gaps_and_unreadable_labels_are_errors(labels: list[str]) -> None:
    with pytest.raises(UserError):
        parse_scheme(labels)
