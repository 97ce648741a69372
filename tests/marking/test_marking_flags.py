"""Flags and final marks, hand-computed for the default scheme (weights 1, 1.5, 2.5, 1.5, 1.5).

Weighted total T is out of 64, so the percentage is T * 100 / 64 = T * 1.5625.
"""

from __future__ import annotations

import math

import pytest

from gaffertape.marking.api import Marking
from gaffertape.marking.flags import boundaries_between, final_pct, find_flags
from gaffertape.marking.scheme import FinalRule, MarkScheme, Rules

from .conftest import long_marks

ALL_SIX = [6, 6, 6, 6, 6]          # T = 48     -> 75%        Pass 2 solid
ONE_LESS_DI = [6, 6, 5, 6, 6]      # T = 45.5   -> 71.09375%  Pass 2 bare
THREE_LESS_DI = [6, 5, 3, 6, 6]    # T = 39     -> 60.9375%   Pass 3 solid


def flags_for(scripts: dict, scheme: MarkScheme | None = None):
    return Marking.from_marks(long_marks(scripts), scheme).flags.set_index("pi")


def test_agreed_script_gets_the_rounded_average() -> None:
    row = flags_for({"A1": {"first": ALL_SIX, "second": ONE_LESS_DI}}).loc["A1"]
    assert (row.first_total, row.first_pct, row.first_grade, row.first_qualifier) == (
        48, 75, "Pass 2", "solid")
    assert (row.second_total, row.second_pct, row.second_grade, row.second_qualifier) == (
        45.5, 71.09375, "Pass 2", "bare")
    assert row.diff_total == 2.5 and row.diff_pct == 3.90625
    assert not row.flagged and row.reasons == "" and row.status == "agreed"
    # (75 + 71.09375) / 2 = 73.046875 -> 73 (half up, whole percent) -> Pass 2 bare
    assert (row.average_pct, row.average_grade, row.average_qualifier) == (73, "Pass 2", "bare")
    assert (row.final_pct, row.final_grade, row.final_rule) == (73, "Pass 2", "average")


def test_same_grade_but_more_than_15_points_apart_is_flagged() -> None:
    # first 2s: T = 16 -> 25% Fail; second [1,1,0,1,1]: T = 5.5 -> 8.59375% Fail
    row = flags_for({"A1": {"first": [2, 2, 2, 2, 2], "second": [1, 1, 0, 1, 1]}}).loc["A1"]
    assert row.first_grade == row.second_grade == "Fail"
    assert row.diff_pct == 16.40625
    assert row.flagged and row.flag_codes == "pct" and row.status == "needs third marker"
    assert row.reasons == "totals differ by 16.4 percentage points (more than 15)"
    assert math.isnan(row.final_pct) and row.final_grade == ""
    assert row.average_pct == 17  # 16.796875 -> 17


def test_straddling_a_boundary_within_15_points_is_flagged() -> None:
    row = flags_for({"A1": {"first": ALL_SIX, "second": THREE_LESS_DI}}).loc["A1"]
    assert row.diff_pct == 14.0625
    assert row.flag_codes == "boundary"
    assert row.reasons == "marks straddle the 70% grade boundary (Pass 2 vs Pass 3)"


def test_per_category_threshold_flags_scripts_with_equal_grades() -> None:
    scheme = MarkScheme(rules=Rules(category_thresholds={"Design and implementation": 2,
                                                         "Project definition": 2}))
    # first [4,4,6,4,4]: T = 37 -> 57.8125%; second [6,5,3,5,5]: T = 36 -> 56.25%; both Pass 3.
    # DI differs by 3 (> 2, flagged); PD differs by exactly 2 (not more than 2, not flagged).
    row = flags_for({"A1": {"first": [4, 4, 6, 4, 4], "second": [6, 5, 3, 5, 5]}}, scheme).loc["A1"]
    assert row.first_grade == row.second_grade == "Pass 3"
    assert row.flag_codes == "category:Design and implementation"
    assert row.reasons == "Design and implementation differs by 3 marks (more than 2)"


def test_every_reason_is_listed() -> None:
    scheme = MarkScheme(rules=Rules(category_thresholds={"Design and implementation": 2}))
    # first all 8: 100%; second DI 3: T = 51.5 -> 80.46875% (19.53 apart, across 85%)
    row = flags_for({"A1": {"first": [8] * 5, "second": [8, 8, 3, 8, 8]}}, scheme).loc["A1"]
    assert row.flag_codes == "pct;boundary;category:Design and implementation"
    assert row.n_reasons == 3


def test_threshold_is_strictly_more_than() -> None:
    scheme = MarkScheme(rules=Rules(straddle=False))
    assert find_flags(scheme, {"first_pct": 70.0, "second_pct": 85.0}).codes == []
    assert find_flags(scheme, {"first_pct": 70.0, "second_pct": 85.01}).codes == ["pct"]


@pytest.mark.parametrize(("a", "b", "crossed"), [
    (70, 70, []), (70, 69.99, [70]), (70, 74, []), (69.99, 69, []), (90, 60, [70, 85]),
    (40, 39.5, [40]), (0, 100, [40, 55, 70, 85]),
])
def test_boundaries_between(scheme: MarkScheme, a: float, b: float, crossed: list) -> None:
    assert boundaries_between(scheme, a, b) == crossed


def test_straddle_rule_can_be_switched_off() -> None:
    scheme = MarkScheme(rules=Rules(straddle=False))
    row = flags_for({"A1": {"first": ALL_SIX, "second": THREE_LESS_DI}}, scheme).loc["A1"]
    assert not row.flagged and row.status == "agreed"


# first 75, second 60.9375, third 71.09375 (a flagged, third-marked script)
@pytest.mark.parametrize(("rule", "pct", "grade"), [
    (FinalRule.THIRD, 71, ("Pass 2", "bare")),              # 71.09375 -> 71
    (FinalRule.CLOSEST_PAIR, 73, ("Pass 2", "bare")),       # first-third 3.9 apart: 73.05 -> 73
    (FinalRule.CLOSEST_ORIGINAL, 75, ("Pass 2", "solid")),  # first is nearer the third's mark
])
def test_final_mark_rules(rule: FinalRule, pct: float, grade: tuple) -> None:
    scripts = {"A1": {"first": ALL_SIX, "second": THREE_LESS_DI, "third": ONE_LESS_DI}}
    row = flags_for(scripts, MarkScheme(final_rule=rule)).loc["A1"]
    assert row.status == "third marked" and row.flagged
    assert row.third_pct == 71.09375 and row.third_marker == "Third Marker"
    assert (row.final_pct, row.final_grade, row.final_qualifier) == (pct, *grade)
    assert row.final_rule == rule.value


@pytest.mark.parametrize(("rule", "marks", "expected"), [
    (FinalRule.CLOSEST_PAIR, (50, 52, 80), 51),      # first-second closest
    (FinalRule.CLOSEST_PAIR, (50, 60, 40), 45),      # tie with first-second: third's pair wins
    (FinalRule.CLOSEST_PAIR, (40, 60, 50), 50),      # third exactly midway: it stands
    (FinalRule.CLOSEST_ORIGINAL, (40, 70, 60), 70),
    (FinalRule.CLOSEST_ORIGINAL, (40, 60, 50), 50),  # equally close: the third (midpoint)
    (FinalRule.THIRD, (40, 60, 57), 57),
])
def test_final_pct_ties(rule: FinalRule, marks: tuple, expected: float) -> None:
    assert final_pct(rule, *marks) == expected


def test_incomplete_scripts_are_kept_not_dropped() -> None:
    flags = flags_for({"A1": {"first": ALL_SIX}, "A2": {"second": ALL_SIX}})
    assert flags.loc["A1"].status == "awaiting second marker"
    assert flags.loc["A2"].status == "awaiting first marker"
    assert not flags["flagged"].any() and flags["final_pct"].isna().all()


def test_scripts_sorted_by_attention() -> None:
    flags = Marking.from_marks(long_marks({
        "A1": {"first": ALL_SIX, "second": ALL_SIX},                        # agreed
        "A2": {"first": ALL_SIX, "second": THREE_LESS_DI},                  # 1 reason, 14.06
        "A3": {"first": [8] * 5, "second": [8, 8, 3, 8, 8]},                # 2 reasons
        "A4": {"first": ALL_SIX, "second": THREE_LESS_DI, "third": ALL_SIX},  # done
        "A5": {"first": ALL_SIX},                                           # awaiting
    })).flags
    assert flags["pi"].tolist() == ["A3", "A2", "A5", "A4", "A1"]
    assert flags["attention"].tolist() == [1, 2, 3, 4, 5]
