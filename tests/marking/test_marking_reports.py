"""Per-script report text and table, cohort analytics, feedback drafts (hand-computed)."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.marking import api
from gaffertape.marking.api import Marking
from gaffertape.marking.cohort import interval_alpha_two_markers
from gaffertape.marking.scheme import MarkScheme

from .conftest import long_marks

SCRIPTS = {
    "A1": {"first": [6, 6, 6, 6, 6], "second": [6, 5, 3, 6, 6]},   # 75% vs 60.9375%
    "A2": {"first": [4, 4, 4, 4, 4], "second": [4, 4, 4, 4, 4]},   # 50% both
}


@pytest.fixture
def data() -> Marking:
    return Marking.from_marks(long_marks(SCRIPTS, markers={"first": "Ann", "second": "Bob"}))


def test_script_report_names_the_biggest_differences(data: Marking) -> None:
    text, table = api.report.script_report(*data.script("A1"), data.scheme)
    di = table.set_index("category").loc["Design and implementation"]
    # signed, second minus first: the second marker gave 3 raw marks less
    assert (di["first"], di["second"], di["diff_raw"], di["diff_weighted"]) == (6, 3, -3, -7.5)
    assert di["diff_pct_points"] == -11.71875  # -7.5 / 64 * 100
    assert text == (
        "TM470-25J A1. First marker Ann: 48/64 (75.0%), Pass 2 solid. "
        "Second marker Bob: 39/64 (60.9%), Pass 3 solid. "
        "Difference: 9 weighted marks (14.1 percentage points). "
        "They differ most in Design and implementation (first 6, second 3: 3 raw marks, "
        "7.5 weighted marks, 11.7 percentage points); Research and analysis (first 6, second 5: "
        "1 raw mark, 1.5 weighted marks, 2.3 percentage points). "
        "Significant difference: marks straddle the 70% grade boundary (Pass 2 vs Pass 3). "
        "Needs a third marker (average would be 68%, Pass 3).")


def test_agreed_and_third_marked_reports(data: Marking) -> None:
    text, _ = api.report.script_report(*data.script("A2"), data.scheme)
    assert "identical marks in every category" in text
    assert text.endswith("the agreed mark is the average, 50% (Pass 4 strong).")
    third = {"A1": {**SCRIPTS["A1"], "third": [6, 6, 5, 6, 6]}}
    done = Marking.from_marks(long_marks(third))
    text, table = api.report.script_report(*done.script("A1"), done.scheme)
    assert "Third marker Third Marker gave 71.1%; final mark by rule 'third': 71% (Pass 2 bare)." \
        in text
    assert table["third"].tolist() == [6, 6, 5, 6, 6]


def test_unknown_pi(data: Marking) -> None:
    with pytest.raises(UserError, match="no marks for PI Z9"):
        data.script("Z9")


def test_category_disagreement_and_reliability(data: Marking) -> None:
    cats = api.cohort_report(data)["categories"].set_index("category")
    di = cats.loc["Design and implementation"]
    # differences first - second: A1 3, A2 0
    assert (di.scripts, di.mean_diff, di.mean_abs_diff) == (2, 1.5, 1.5)
    assert di.mean_abs_diff_weighted == 3.75 and di.share_differ_2plus == 0.5
    assert cats.loc["Project definition"].alpha_interval == 1.0  # 6,4 vs 6,4: perfect
    total = cats.loc["TOTAL (%)"]
    assert total.mean_diff == pytest.approx((75 - 60.9375) / 2, abs=1e-4)  # 4 dp
    assert cats.index[-1] == "TOTAL (%)"


def test_alpha_is_nan_when_undefined() -> None:
    same = Marking.from_marks(long_marks({"A1": {"first": [4] * 5, "second": [4] * 5}}))
    cats = api.cohort_report(same)["categories"]
    assert cats["alpha_interval"].isna().all()


def test_marker_bias_relative_to_partners() -> None:
    scripts = {"A1": {"first": [6] * 5, "second": [6, 5, 3, 6, 6]},   # Ann +14.0625 vs Bob
               "A2": {"first": [4] * 5, "second": [4] * 5},           # Ann 0 vs Cat
               "A3": {"first": [6, 5, 3, 6, 6], "second": [6] * 5}}   # Bob -14.0625 vs Cat
    markers = {"A1/first": "Ann", "A1/second": "Bob", "A2/first": "Ann", "A2/second": "Cat",
               "A3/first": "Bob", "A3/second": "Cat"}
    data = Marking.from_marks(long_marks(scripts, markers=markers))
    bias = api.cohort_report(data)["markers"].set_index("marker")
    assert bias.loc["Bob"].mean_diff_pct == -14.0625 and bias.loc["Bob"].share_flagged == 1.0
    assert bias.loc["Ann"].mean_diff_pct == pytest.approx(7.0312, abs=1e-4)
    assert bias.loc["Cat"].mean_diff_pct == pytest.approx(7.0312, abs=1e-4)
    assert bias.loc["Bob"]["bias:Design and implementation"] == -3
    assert bias.loc["Ann"].partners == 2 and bias.loc["Ann"].scripts == 2
    assert bias.index[0] == "Bob"  # largest absolute bias first


def test_feedback_drafts_use_category_band_templates(tmp_path) -> None:
    scheme = MarkScheme(feedback={"Evaluation": {"Pass 1": "Eval top: {mark:g}/{max:g}"},
                                  "*": {"Fail": "Generic fail {category}"}})
    scripts = {"A1": {"first": [7, 6, 0, 8, 3], "second": [7, 6, 1, 6, 3]}}
    data = Marking.from_marks(long_marks(scripts), scheme)
    drafts = api.write_feedback(data, tmp_path).set_index("category")
    assert drafts.loc["Evaluation"].mark == 7 and drafts.loc["Evaluation"].band == "Pass 1"
    assert drafts.loc["Evaluation"].draft == "Eval top: 7/8"
    assert drafts.loc["Design and implementation"].draft == "Generic fail Design and implementation"
    # 6/8 = 75% -> Pass 2, built-in template (no marker qualifier in student wording)
    assert drafts.loc["Research and analysis"].draft.startswith(
        "Research and analysis (6/8): a good standard")
    # 3/8 = 37.5% Fail (built-in "*" override applies to every category)
    assert drafts.loc["Presentation"].draft == "Generic fail Presentation"
    text = (tmp_path / "TM470-25J_A1.md").read_text()
    assert text.startswith("# Draft feedback: TM470-25J A1") and "Eval top: 7/8" in text


def test_closed_form_total_alpha_matches_the_library() -> None:
    rng = np.random.default_rng(1)
    a = pd.Series(rng.integers(0, 30, 40) * 1.5625)
    b = pd.Series(np.clip(a + rng.normal(0, 6, 40), 0, 100).round(3))
    expected = krippendorff.alpha(reliability_data=np.vstack([a, b]),
                                  level_of_measurement="interval")
    assert interval_alpha_two_markers(a, b) == pytest.approx(expected, abs=1e-4)
