"""Comparator tables in HESA's shapes, read through gaffertape sheets by their header text."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.demographics.comparators import SECTOR, load_hesa
from gaffertape.errors import UserError

PREAMBLE = '''Title:,"Table 1 - HE student enrolments by HE provider"
Reference ID:,DT051 Table 1
Licence:,Creative Commons Attribution 4.0 International Licence
Filters:,Academic year,2022/23
'''
BY_SEX = '''
"UKPRN","HE provider","Female","Male","Unknown","Total"
"1","Alpha University","1,200","800","5","2,005"
"2","Beta College","300","250","0","550"
"","Total","1,500","1,050","5","2,555"
'''


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text("\ufeff" + text, encoding="utf-8")
    return path


@pytest.mark.parametrize("extra_title_lines", [0, 3])
def test_by_sex_with_preamble_whatever_its_length(tmp_path: Path, extra_title_lines: int) -> None:
    preamble = PREAMBLE + "Note:,extra\n" * extra_title_lines
    table = load_hesa(write(tmp_path, "t.csv", preamble + BY_SEX))
    cells = table.set_index(["institution", "sex"])["count"]
    assert cells[("Alpha University", "F")] == 1200 and cells[("Beta College", "M")] == 250
    assert cells[(SECTOR, "unknown")] == 5
    assert set(table["year"]) == {2022} and set(table["age_band"]) == {"all ages"}


def test_crossed_age_by_sex_long_table(tmp_path: Path) -> None:
    rows = ["UKPRN,HE provider,First year marker,Level of study,Mode of study,Academic Year,"
            "Category marker,Category,Number"]
    for marker in ("All", "First year"):
        for category, kind, number in (("Female", "Sex", 60), ("Male", "Sex", 40),
                                       ("20 and under", "Age group", 70),
                                       ("21 and over", "Age group", 30), ("Total", "Total", 100)):
            rows.append(f"1,Alpha University,{marker},All,All,2019/20,{kind},{category},"
                        f"{number // (2 if marker == 'First year' else 1)}")
        rows.append(f"1,Alpha University,{marker},All,Part-time,2019/20,Total,Total,999")
    table = load_hesa(write(tmp_path, "long.csv", "\n".join(rows) + "\n"))
    cells = table.set_index(["population", "age_band", "sex"])["count"]
    assert cells[("studying", "all ages", "F")] == 60
    assert cells[("joined", "20 and under", "all")] == 35
    assert cells[("studying", "all ages", "all")] == 100  # the part-time row is left out
    assert set(table["year"]) == {2019}


def test_no_year_anywhere_needs_one(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", BY_SEX)
    with pytest.raises(UserError, match="does not say which academic year"):
        load_hesa(path)
    assert set(load_hesa(path, year=2020)["year"]) == {2020}


def test_unknown_population_and_unrelated_table(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="population 'alumni'"):
        load_hesa(write(tmp_path, "t.csv", PREAMBLE + BY_SEX), population="alumni")
    unrelated = write(tmp_path, "u.csv", "Region,Count\nNorth,5\nSouth,6\n")
    with pytest.raises(UserError, match="no counts by sex or age band"):
        load_hesa(unrelated, year=2020)
