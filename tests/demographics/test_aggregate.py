"""The four populations against counts worked out by hand, and the cumulative series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaffertape.demographics.aggregate import distributions, excluded
from gaffertape.demographics.bands import scheme_from_edges
from gaffertape.demographics.records import normalise
from gaffertape.demographics.synthetic import generate_students

SCHEME = scheme_from_edges([0, 21, 30])  # under 21, 21-29, 30 and over

# id, born, sex, joined, left, graduated. Ages year by year are worked out in the comments.
RAW = pd.DataFrame([
    ("1", 1980, "F", 2000, 2002, "yes"),  # 20, 21, 22; graduates 2002 aged 22
    ("2", 1970, "M", 2000, 2000, "yes"),  # 30; graduates 2000 aged 30
    ("3", 1982, "F", 2001, 2003, "no"),   # 19, 20, 21; leaves 2003
    ("4", 1960, "M", 2001, None, "no"),   # 41, 42, 43; still studying
    ("5", None, "F", 2002, 2003, "yes"),  # age unknown; graduates 2003
    ("6", 1979, "", 2002, 2002, "yes"),   # sex unknown; 23; graduates 2002
    ("7", 1985, "F", None, 2004, "no"),   # no start year: cannot be placed, excluded
], columns=["id", "birth_year", "sex", "year_joined", "year_left", "graduated"])


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return distributions(normalise(RAW), SCHEME, last_year=2003)


def test_totals_per_year_by_hand(table: pd.DataFrame) -> None:
    totals = table.groupby(["population", "year"])["count"].sum().unstack("year")
    assert list(totals.loc["joined"]) == [2, 2, 2, 0]
    assert list(totals.loc["studying"]) == [2, 3, 5, 3]
    assert list(totals.loc["graduated"]) == [1, 0, 2, 1]
    assert list(totals.loc["graduates to date"]) == [1, 1, 3, 4]


def test_cells_by_hand(table: pd.DataFrame) -> None:
    cells = table.set_index(["year", "population", "age_band", "sex"])["count"]
    assert cells[(2001, "studying", "21-29", "F")] == 1  # record 1 turned 21
    assert cells[(2001, "studying", "under 21", "F")] == 1  # record 3 at 19
    assert cells[(2002, "studying", "unknown", "F")] == 1  # record 5, age unknown
    assert cells[(2002, "graduated", "21-29", "unknown")] == 1  # record 6, sex unknown
    assert cells[(2003, "graduates to date", "30 and over", "M")] == 1
    assert cells[(2003, "graduates to date", "21-29", "F")] == 1
    assert cells[(2003, "graduates to date", "unknown", "F")] == 1
    assert cells[(2003, "studying", "30 and over", "M")] == 1  # record 4, still studying


def test_every_combination_present_and_exclusions_counted(table: pd.DataFrame) -> None:
    assert len(table) == 4 * 4 * 4 * 4  # years x populations x (3 bands + unknown) x sexes
    counts = excluded(normalise(RAW)).set_index("what")["records"]
    assert counts["excluded: years missing or invalid"] == 1
    assert counts["counted as unknown age"] == 1 and counts["counted as unknown sex"] == 1


def test_band_only_records_keep_their_bands() -> None:
    raw = pd.DataFrame({"id": ["a", "b", "c"], "age_band": ["0-35", "35-55", "55<="],
                        "sex": ["F", "M", "F"], "year_joined": [2013, 2013, 2014],
                        "year_left": [2014, 2013, 2014], "graduated": [True, False, True]})
    table = distributions(normalise(raw))
    joined = table[(table["population"] == "joined") & (table["count"] > 0)]
    assert sorted(zip(joined["year"], joined["age_band"], strict=True)) == [
        (2013, "0-35"), (2013, "35-55"), (2014, "55<=")]


def test_cumulative_is_the_running_sum_of_graduates_on_generated_data() -> None:
    records = generate_students(5_000, seed=3, years=12)
    table = distributions(records).set_index(["age_band", "sex", "year", "population"])["count"]
    graduated = table.xs("graduated", level="population").sort_index()
    cumulative = table.xs("graduates to date", level="population").sort_index()
    expected = graduated.groupby(level=["age_band", "sex"]).cumsum()
    pd.testing.assert_series_equal(cumulative, expected)
    joined = table.xs("joined", level="population").groupby(level="year").sum()
    assert list(joined) == list(records["year_joined"].value_counts().sort_index())


def _naive(raw: pd.DataFrame, last_year: int) -> dict[tuple[int, str, str, str], int]:
    """The four populations counted one record and one year at a time, for comparison."""
    counts: dict[tuple[int, str, str, str], int] = {}

    def add(year: int, population: str, born: float, sex: str) -> None:
        band = "unknown" if pd.isna(born) else next(
            b.label for b in SCHEME if b.contains(int(year - born)))
        key = (year, population, band, sex)
        counts[key] = counts.get(key, 0) + 1

    for r in raw.itertuples():
        end = last_year if pd.isna(r.year_left) else min(int(r.year_left), last_year)
        for year in range(r.year_joined, end + 1):
            add(year, "studying", r.birth_year, r.sex)
        if r.year_joined <= last_year:
            add(r.year_joined, "joined", r.birth_year, r.sex)
        if r.graduated and not pd.isna(r.year_left) and r.year_left <= last_year:
            add(int(r.year_left), "graduated", r.birth_year, r.sex)
    for year in range(2000, last_year + 1):  # graduates to date: every graduation so far
        for (y, population, band, sex), n in list(counts.items()):
            if population == "graduated" and y <= year:
                key = (year, "graduates to date", band, sex)
                counts[key] = counts.get(key, 0) + n
    return counts


@pytest.mark.parametrize("seed", range(5))
def test_random_records_match_a_naive_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    joined = rng.integers(2000, 2010, n)
    left = joined + rng.integers(0, 6, n)
    raw = pd.DataFrame({
        "id": [str(i) for i in range(n)],
        "birth_year": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1940, 1992, n)),
        "sex": rng.choice(["F", "M", "other", ""], n, p=[0.5, 0.4, 0.05, 0.05]),
        "year_joined": joined,
        "year_left": np.where(rng.random(n) < 0.2, np.nan, left),
    })
    raw["graduated"] = (rng.random(n) < 0.6) & raw["year_left"].notna()
    records = normalise(raw)
    table = distributions(records, SCHEME, last_year=2009)
    got = {k: v for k, v in table.set_index(["year", "population", "age_band", "sex"])[
        "count"].items() if v}
    # compare on the values as validated (an age under 10 at entry becomes unknown)
    raw = raw.assign(sex=records["sex"].astype(str),
                     birth_year=records["birth_year"].astype("float"))
    assert got == _naive(raw, 2009)
