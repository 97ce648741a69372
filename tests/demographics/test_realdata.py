"""The real OULAD and HESA files in ../shared/data/demog, against totals known independently.

OULAD's totals are those published with the dataset (and given in the issue). The HESA totals
were read by hand from the CSV files in a text viewer (``grep -n "Open University" …``), so
they do not depend on gaffertape's sheets detection at all; the comments give the line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gaffertape.demographics.aggregate import distributions
from gaffertape.demographics.comparators import SECTOR, load_hesa
from gaffertape.demographics.records import load_oulad, quality
from gaffertape.errors import UserError

# ../shared/data beside the repository; GAFFERTAPE_SHARED_DATA points elsewhere (a worktree)
SHARED = os.environ.get("GAFFERTAPE_SHARED_DATA",
                        Path(__file__).resolve().parents[2] / ".." / "shared" / "data")
DEMOG = Path(SHARED) / "demog"
HESA = DEMOG / "hesa"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DEMOG.is_dir(), reason=f"real data absent: {DEMOG} not found"),
]


def test_oulad_known_totals() -> None:
    records = load_oulad(DEMOG / "oulad")
    assert len(records) == 32_593
    sexes = records["sex"].value_counts()
    assert sexes.to_dict() == {"M": 17_875, "F": 14_718, "other": 0, "unknown": 0}
    assert records["age_band"].value_counts().sort_index().to_dict() == {
        "0-35": 22_944, "35-55": 9_433, "55<=": 216}
    assert set(quality(records).query("status != 'ok'")["count"]) == {0}


def test_oulad_aggregates_keep_every_record() -> None:
    table = distributions(load_oulad(DEMOG / "oulad"))
    joined = table[table["population"] == "joined"]
    assert joined["count"].sum() == 32_593  # every record joins exactly once
    assert set(joined.loc[joined["count"] > 0, "age_band"]) == {"0-35", "35-55", "55<="}


def test_hesa_2022_by_sex_matches_the_file() -> None:
    table = load_hesa(HESA / "hesa_dt051_table1_2022-23_by_provider_sex.csv")
    cells = table.set_index(["institution", "sex"])["count"]
    # line 220: "10007773","The Open University","89,805","50,340","75","140,215"
    assert cells[("The Open University", "F")] == 89_805
    assert cells[("The Open University", "M")] == 50_340
    assert cells[("The Open University", "unknown")] == 75
    # line 310: "","Total","1,668,600","1,251,815","16,740","2,937,155"
    assert cells[(SECTOR, "F")] == 1_668_600 and cells[(SECTOR, "M")] == 1_251_815
    # lines 19-309: 291 providers, plus the sector total
    assert table["institution"].nunique() == 292
    assert set(table["year"]) == {2022} and set(table["population"]) == {"studying"}
    assert set(table["age_band"]) == {"all ages"}


def test_hesa_qualifiers_by_sex_and_age_group() -> None:
    path = HESA / "hesa_first_degree_qualifiers_by_class_and_personal_characteristics.csv"
    with pytest.raises(UserError, match="does not say which academic year"):
        load_hesa(path)
    table = load_hesa(path, year=2021, population="graduated")
    cells = table.set_index(["age_band", "sex"])["count"]
    # 'Total first degree' column: Female 208180.00, Male 145925.00, Other 845.00
    assert cells[("all ages", "F")] == 208_180 and cells[("all ages", "M")] == 145_925
    assert cells[("all ages", "other")] == 845
    # Age group rows: 20 and under 9130.00, 21-24 years 265015.00, 25-29 years 32830.00,
    # 30 years and over 47970.00 (they add up to the Total row, 354945.00)
    ages = table[table["sex"] == "all"].set_index("age_band")["count"]
    assert ages.drop("unknown").tolist() == [9_130, 265_015, 32_830, 47_970]
    assert ages.sum() == 354_945


def test_hesa_long_table_joined_and_studying() -> None:
    table = load_hesa(HESA / "hesa_table1_long_scotland_2018-19_totals.csv")
    cells = table.set_index(["institution", "population"])["count"]
    # line 2: ...Aberdeen,...,All,All,All,2018/19,Total,Total,14775; line 5: First year ... 5485
    assert cells[("The University of Aberdeen", "studying")] == 14_775
    assert cells[("The University of Aberdeen", "joined")] == 5_485
    # line 170: ,Total,...,All,All,All,2018/19,Total,Total,253475; line 173: First year 106770
    assert cells[(SECTOR, "studying")] == 253_475 and cells[(SECTOR, "joined")] == 106_770
    assert table["institution"].nunique() == 20 and set(table["year"]) == {2018}


def test_hesa_table_without_sex_or_age_is_refused() -> None:
    with pytest.raises(UserError, match="no counts by sex or age band"):
        load_hesa(HESA / "hesa_dt051_table1_2018-19_by_provider_domicile.csv")
