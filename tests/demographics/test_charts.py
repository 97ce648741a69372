"""Charts: the structure people rely on (shared fixed axes, frames, play, counts) and files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gaffertape.demographics.aggregate import distributions
from gaffertape.demographics.charts import (
    animation_figure,
    grid_figure,
    pyramid_figure,
    pyramid_table,
    write_figure,
    year_figure,
)
from gaffertape.demographics.records import quality
from gaffertape.demographics.synthetic import generate_comparators, generate_students
from gaffertape.errors import UserError


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return generate_students(20_000, seed=7)


@pytest.fixture(scope="module")
def table(records: pd.DataFrame) -> pd.DataFrame:
    return distributions(records)


@pytest.fixture(scope="module")
def comparators() -> pd.DataFrame:
    return generate_comparators(20_000, seed=7)


def test_grid_is_5_by_10_with_one_shared_fixed_value_axis(table: pd.DataFrame,
                                                         records: pd.DataFrame) -> None:
    fig = grid_figure(table, quality=quality(records))
    titles = [a.text for a in fig.layout.annotations if a.text.isdigit()]
    assert titles == [str(y) for y in range(1971, 2021)]
    assert len(fig.data) == 50 * 4
    ranges = {tuple(fig.layout[k].range) for k in fig.layout if k.startswith("yaxis")}
    assert len(ranges) == 1
    top = next(iter(ranges))[1]
    assert max(max(t.y) for t in fig.data) <= top
    for trace in fig.data[:4]:  # percentages of each population's known-age records
        assert sum(trace.y) == pytest.approx(100)
    unknown_age = int((records["age_status"] != "ok").sum())
    assert any(f"{unknown_age:,} of unknown age" in a.text for a in fig.layout.annotations)


def test_grid_shape_is_configurable_and_keeps_first_and_last_year(table: pd.DataFrame) -> None:
    fig = grid_figure(table, rows=2, cols=3, percent=False, populations=("joined",))
    titles = [a.text for a in fig.layout.annotations if a.text.isdigit()]
    assert titles[0] == "1971" and titles[-1] == "2020" and len(titles) == 6
    joined_1971 = table.query("year == 1971 and population == 'joined' "
                              "and age_band != 'unknown'")["count"].sum()
    assert sum(fig.data[0].y) == joined_1971


def test_animation_has_a_frame_per_year_play_control_and_fixed_axis(table: pd.DataFrame) -> None:
    fig = animation_figure(table)
    assert [f.name for f in fig.frames] == [str(y) for y in range(1971, 2021)]
    assert fig.layout.updatemenus[0].buttons[0].label.endswith("play")
    assert len(fig.layout.sliders[0].steps) == 50
    top = fig.layout.yaxis.range[1]
    assert fig.layout.yaxis.autorange is False
    assert max(max(t.y) for f in fig.frames for t in f.data) <= top


def test_year_figure_for_a_missing_year_says_which_years_exist(table: pd.DataFrame) -> None:
    with pytest.raises(UserError, match="no data for 1900"):
        year_figure(table, 1900)


def test_pyramid_counts_bands_and_merges(table: pd.DataFrame, comparators: pd.DataFrame) -> None:
    data = pyramid_table(table, comparators, "studying", institution="Ours")
    assert data.bands == ["under 21", "21-24", "25-29", "30 and over"]
    assert any(m.startswith("Ours: 30-34, 35-39") for m in data.merged)
    ours = data.table.query("institution == 'Ours' and year == 2000")["count"].sum()
    expected = table.query("year == 2000 and population == 'studying' and sex in ['F', 'M'] "
                           "and age_band != 'unknown'")["count"].sum()
    assert ours == expected
    percent = pyramid_table(table, comparators, "studying", percent=True).table
    assert (percent.groupby(["institution", "year"])["count"].sum().round(6) == 100).all()


def test_pyramid_figure_slider_play_and_symmetric_axis(table: pd.DataFrame,
                                                       comparators: pd.DataFrame) -> None:
    fig = pyramid_figure(table, comparators, population="joined", institution="Ours")
    assert len(fig.frames) == 50 and fig.layout.updatemenus
    assert fig.layout.xaxis.range[0] == -fig.layout.xaxis.range[1]
    assert len(fig.data) == 2 * 4  # men and women for us and three comparators
    still = pyramid_figure(table, comparators, animate=False, institution="Ours")
    assert still.layout.sliders and not still.layout.updatemenus


def test_pyramid_refuses_margins_only_comparators(table: pd.DataFrame) -> None:
    margins = pd.DataFrame({"institution": ["HESA"] * 2, "year": [2000] * 2,
                            "population": ["studying"] * 2, "age_band": ["all ages"] * 2,
                            "sex": ["F", "M"], "count": [10.0, 8.0]})
    with pytest.raises(UserError, match="AND sex"):
        pyramid_table(table, margins, "studying")


def test_html_and_static_files_from_the_same_figure(tmp_path: Path, table: pd.DataFrame) -> None:
    fig = grid_figure(table, rows=1, cols=2)
    written = write_figure(fig, tmp_path / "grid", ("html", "png", "svg", "pdf"))
    html, png, svg, pdf = written
    text = html.read_text(encoding="utf-8")
    assert 'src="http' not in text  # plotly.js is inside, not fetched
    assert "Plotly.newPlot" in text and len(text) > 1_000_000
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()[:500]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_report_cannot_be_scripted_through_names() -> None:
    from gaffertape.demographics.report import build_report

    records = generate_students(2_000, seed=1, years=5)
    comparators = generate_comparators(2_000, seed=1, years=5)
    evil = "</script><script>alert(1)</script>"
    comparators["institution"] = comparators["institution"].replace(
        {"Synthetic Evening College": evil})
    page = build_report(distributions(records), quality(records), comparators,
                        institution="<b>x</b>" + evil)
    assert "<script>alert" not in page and "<b>x</b>" not in page
    assert "SYNTHETIC" not in page  # only datasets flagged synthetic get the banner
