"""Evaluations on ../shared/data/sheets, with the measured figures as regression floors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.sheets.api import tidy_file
from gaffertape.sheets.evaluate import DATA, evaluate_atbench, evaluate_drift, evaluate_ott
from gaffertape.sheets.recipes import load_recipes
from gaffertape.sheets.saus import evaluate_saus

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data absent: {DATA} not found"),
]


def test_saus_header_rows_and_roles() -> None:
    figures = evaluate_saus(DATA / "saus" / "saus_dev.jl.gz")
    assert figures["sheets"] == 284
    assert figures["header_macro_f1"] >= 0.96
    assert figures["header_exact"] >= 0.90
    assert figures["f1_data"] >= 0.96 and figures["f1_row_label"] >= 0.88
    assert figures["f1_note"] >= 0.92 and figures["f1_title"] >= 0.89
    assert figures["f1_header"] >= 0.81 and figures["f1_total"] >= 0.47


def test_atbench_round_trip() -> None:
    figures = evaluate_atbench()
    assert figures["subtitle"]["row_match"] >= 0.79
    assert figures["ffill"]["row_match"] >= 0.79
    assert figures["pivot"]["row_match"] >= 0.83


def test_ott_expected_observations_all_present() -> None:
    assert evaluate_ott()["coverage"] == 1.0


def test_formats_give_identical_output() -> None:
    for stem, figures in evaluate_drift().items():
        for key, value in figures.items():
            if key.startswith("identical"):
                assert value == 1.0, (stem, key)


def test_docs_recipe_fixes_the_unit_row(tmp_path: Path) -> None:
    """The worked example in docs/sheets.md: a unit row taken into the header, fixed by a recipe."""
    path = DATA / "files" / "ons_overseas_travel_ott.xls"
    recipes = tmp_path / "recipes.toml"
    recipes.write_text('[[recipe]]\nname = "ott-visits"\nsheet = "Table *"\n'
                       'headers = ["All Visits", "Area of residence"]\nheader_rows = 4\n',
                       encoding="utf-8")
    before, after = tidy_file(path), tidy_file(path, load_recipes(recipes))
    assert before["column_header"].str.startswith("thousands").any()
    fixed = after[after["sheet"].isin(["Table 1", "Table 3"])]
    assert not fixed["column_header"].str.startswith("thousands").any()
    assert len(after) == len(before)
