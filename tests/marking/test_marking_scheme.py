"""The default scheme, grade bands and qualifiers at every boundary, rounding, scheme loading."""

from __future__ import annotations

import math

import pytest

from gaffertape.errors import UserError
from gaffertape.marking.scheme import FinalRule, MarkScheme, Rounding, load_scheme


def test_default_scheme_is_the_real_case(scheme: MarkScheme) -> None:
    assert [(c.name, c.max, c.weight) for c in scheme.categories] == [
        ("Project definition", 8, 1.0), ("Research and analysis", 8, 1.5),
        ("Design and implementation", 8, 2.5), ("Evaluation", 8, 1.5), ("Presentation", 8, 1.5)]
    assert scheme.max_total == 64
    assert [b.name for b in scheme.bands] == ["Pass 1", "Pass 2", "Pass 3", "Pass 4", "Fail"]
    assert scheme.rules.threshold_pct == 15 and scheme.rules.straddle
    assert scheme.final_rule is FinalRule.THIRD


# Bands are split in thirds: Pass 2 (70-85) is bare below 75, solid below 80, strong to 85.
@pytest.mark.parametrize(("pct", "band", "qualifier"), [
    (100, "Pass 1", "strong"), (95, "Pass 1", "strong"), (94.99, "Pass 1", "solid"),
    (90, "Pass 1", "solid"), (89.99, "Pass 1", "bare"), (85, "Pass 1", "bare"),
    (84.99, "Pass 2", "strong"), (80, "Pass 2", "strong"), (79.99, "Pass 2", "solid"),
    (75, "Pass 2", "solid"), (74.99, "Pass 2", "bare"), (70, "Pass 2", "bare"),
    (69.99, "Pass 3", "strong"), (65, "Pass 3", "strong"), (64.99, "Pass 3", "solid"),
    (60, "Pass 3", "solid"), (59.99, "Pass 3", "bare"), (55, "Pass 3", "bare"),
    (54.99, "Pass 4", "strong"), (50, "Pass 4", "strong"), (49.99, "Pass 4", "solid"),
    (45, "Pass 4", "solid"), (44.99, "Pass 4", "bare"), (40, "Pass 4", "bare"),
    (39.99, "Fail", "strong"), (80 / 3, "Fail", "strong"), (26.66, "Fail", "solid"),
    (40 / 3, "Fail", "solid"), (13.33, "Fail", "bare"), (0, "Fail", "bare"),
])
def test_grade_band_and_qualifier_boundaries(scheme: MarkScheme, pct: float, band: str,
                                             qualifier: str) -> None:
    assert scheme.grade(pct) == (band, qualifier)


def test_float_noise_does_not_drop_a_mark_below_a_boundary(scheme: MarkScheme) -> None:
    assert scheme.grade(70 - 1e-12)[0] == "Pass 2"  # float noise from weighted sums
    assert scheme.grade(math.nan) == ("", "")


@pytest.mark.parametrize(("mode", "step", "value", "expected"), [
    ("half_up", 1, 62.5, 63), ("half_up", 1, 62.49, 62), ("half_up", 1, 73.046875, 73),
    ("half_even", 1, 62.5, 62), ("floor", 1, 62.9, 62), ("ceil", 1, 62.1, 63),
    ("half_up", 0.5, 62.3, 62.5), ("none", 1, 62.3, 62.3),
])
def test_rounding(mode: str, step: float, value: float, expected: float) -> None:
    assert Rounding(mode=mode, step=step).apply(value) == expected


def test_scheme_from_toml_file(tmp_path) -> None:
    path = tmp_path / "scheme.toml"
    path.write_text("""
[scheme]
name = "tweaked"
final_rule = "closest_pair"
[scheme.rules]
threshold_pct = 10
straddle = false
category_thresholds = { "Evaluation" = 2 }
[scheme.rounding]
mode = "floor"
""")
    scheme = load_scheme(path)
    assert scheme.name == "tweaked" and scheme.final_rule is FinalRule.CLOSEST_PAIR
    assert scheme.rules.threshold_pct == 10 and not scheme.rules.straddle
    assert scheme.rules.category_thresholds == {"Evaluation": 2}
    assert scheme.max_total == 64  # categories left out keep their default


def test_custom_categories_and_bands_from_a_dict() -> None:
    scheme = load_scheme(config={
        "categories": [{"name": "A", "max": 10, "weight": 1},
                       {"name": "B", "max": 20, "weight": 2}],
        "bands": [{"name": "Fail", "min": 0}, {"name": "Pass", "min": 50}]})
    assert scheme.max_total == 50
    assert scheme.grade(50) == ("Pass", "bare") and scheme.grade(49) == ("Fail", "strong")


@pytest.mark.parametrize(("config", "message"), [
    ({"rules": {"category_thresholds": {"Nope": 1}}}, "unknown categories"),
    ({"bands": [{"name": "Pass", "min": 40}]}, "lowest grade band must start at 0"),
    ({"final_rule": "vote"}, "final_rule"),
    ({"categories": [{"name": "A", "max": -1, "weight": 1}]}, "categories.0.max"),
])
def test_bad_scheme_names_the_field(config: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_scheme(config=config)


def test_missing_scheme_file(tmp_path) -> None:
    with pytest.raises(UserError, match="no such scheme file"):
        load_scheme(tmp_path / "absent.toml")
