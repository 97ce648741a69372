"""Loading student records: column mapping, CSV and XLSX, and every bad value counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gaffertape.demographics.records import load_records, quality
from gaffertape.errors import UserError

CSV = """PI,Born,Gender,Start,End,Completed,Award
A1,1990,F,2010,2013,yes,BSc
A2,,male,2011,2012,no,BSc
A3,1890,M,2011,,no,BA
A4,1985,M/F,2012,2015,yes,BA
A5,abc,x,2012,2014,no,BA
A6,1980,F,,2014,no,BA
A7,1981,Prefer not to say,2013,2011,no,BA
A8,1990,F,2014,,yes,BA
"""
MAPPING = {"id": "PI", "birth_year": "Born", "sex": "Gender", "year_joined": "Start",
           "year_left": "End", "graduated": "Completed", "qualification": "Award"}


@pytest.fixture
def records(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "students.csv"
    path.write_text(CSV, encoding="utf-8")
    return load_records(path, MAPPING)


def test_statuses_of_each_field(records: pd.DataFrame) -> None:
    by_id = records.set_index("student_id")
    assert list(by_id["age_status"]) == ["ok", "missing", "invalid", "ok", "invalid", "ok",
                                         "ok", "ok"]
    assert list(by_id["sex"]) == ["F", "M", "M", "unknown", "other", "F", "unknown", "F"]
    assert list(by_id["sex_status"]) == ["ok", "ok", "ok", "ambiguous", "ok", "ok", "missing",
                                         "ok"]
    # A6 has no start year, A7 left before it joined, A8 graduated without a year
    assert list(by_id["year_status"]) == ["ok", "ok", "ok", "ok", "ok", "missing", "invalid",
                                          "invalid"]


def test_nothing_dropped_and_quality_counts_add_up(records: pd.DataFrame) -> None:
    assert len(records) == 8
    counts = quality(records).groupby("field")["count"].sum()
    assert (counts == 8).all()


def test_xlsx_with_the_same_mapping(tmp_path: Path, records: pd.DataFrame) -> None:
    from gaffertape.export import export_table

    frame = pd.read_csv(pd.io.common.StringIO(CSV), dtype=str, keep_default_na=False)
    export_table(frame, tmp_path / "students.xlsx")
    from_xlsx = load_records(tmp_path / "students.xlsx", MAPPING)
    pd.testing.assert_frame_equal(from_xlsx[["age_status", "sex", "year_status"]],
                                  records[["age_status", "sex", "year_status"]])


def test_age_and_birth_year_that_disagree_are_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,age,birth_year,year_joined,sex\n1,30,1980,2010,F\n2,30,1990,2010,F\n"
                    "3,25,,2010,F\n4,7,,2010,F\n", encoding="utf-8")
    got = load_records(path)
    assert list(got["age_status"]) == ["ok", "ambiguous", "ok", "invalid"]
    assert list(got["birth_year"].astype("float").fillna(0)) == [1980, 0, 1985, 0]


def test_mapping_to_a_missing_column_names_the_file_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("PI,Start\nA1,2010\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        load_records(path, {"id": "PI", "year_joined": "Start", "sex": "Gender"})
    assert "s.csv: no column 'Gender' for field 'sex' (columns are: PI, Start)" in (
        error.value.one_line())
    with pytest.raises(UserError, match="unknown field"):
        load_records(path, {"pi": "PI"})


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage\x00", b"id\n"])
def test_unreadable_files_are_one_line_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=r"bad\.csv"):
        load_records(path)
