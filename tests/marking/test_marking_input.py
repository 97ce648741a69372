"""Bad marks input fails with a message naming the file and row; nothing is dropped."""

from __future__ import annotations

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.marking import api
from gaffertape.marking.marks import read_marks_file, validate_marks
from gaffertape.marking.scheme import MarkScheme

from .conftest import long_marks

GOOD = {"A1234567": {"first": [6, 6, 6, 6, 6], "second": [5, 5, 5, 5, 5]},
        "B7654321": {"first": [4, 4, 4, 4, 4], "second": [4, 4, 4, 4, 4]}}


def write_csv(tmp_path, df: pd.DataFrame):
    path = tmp_path / "marks.csv"
    df.to_csv(path, index=False)
    return path


def load_csv(tmp_path, df: pd.DataFrame, scheme: MarkScheme | None = None):
    return api.load(write_csv(tmp_path, df), scheme=scheme or MarkScheme())


def test_mark_above_maximum_names_the_row(tmp_path) -> None:
    df = long_marks(GOOD)
    df.loc[3, "mark"] = 9  # data row index 3 = Evaluation, first marker; header is row 1 -> row 5
    with pytest.raises(UserError) as err:
        load_csv(tmp_path, df)
    assert str(err.value) == ("marks.csv row 5: mark 9 above maximum 8 for 'Evaluation' "
                              "(PI A1234567, first marker)")


@pytest.mark.parametrize(("change", "message"), [
    (lambda df: df.drop(index=2), "marks.csv row 2: missing categories "
                                  "['Design and implementation'] (PI A1234567, first marker)"),
    (lambda df: pd.concat([df, df.iloc[[7]]]),
     "marks.csv row 22: duplicate mark for 'Design and implementation': also at marks.csv row 9"),
    (lambda df: df.assign(role=df["role"].where(df.index != 11, "fourth")),
     "marks.csv row 13: unknown marker role 'fourth'"),
    (lambda df: df.assign(marker=df["marker"].where(df.index != 4, "")),
     "marks.csv row 6: missing marker name"),
    (lambda df: df.assign(category=df["category"].where(df.index != 0, "Spelling")),
     "marks.csv row 2: unknown category 'Spelling'"),
    (lambda df: df.assign(mark=df["mark"].astype(object).where(df.index != 6, "six")),
     "marks.csv row 8: mark 'six' is not a number for 'Research and analysis'"),
    (lambda df: df.assign(mark=df["mark"].where(df.index != 6, None)),
     "marks.csv row 8: missing mark for 'Research and analysis'"),
    (lambda df: df.assign(mark=df["mark"].where(df.index != 6, -1)),
     "marks.csv row 8: negative mark -1"),
    (lambda df: df.assign(marker=df["marker"].where(df.index != 1, "Someone Else")),
     "marks.csv row 3: two different first markers"),
    (lambda df: df.drop(columns="category"), "marks.csv: missing columns ['category']"),
])
def test_bad_rows_are_named(tmp_path, change, message: str) -> None:
    with pytest.raises(UserError) as err:
        load_csv(tmp_path, change(long_marks(GOOD)))
    assert str(err.value).startswith(message)


def test_unknown_marker_when_the_scheme_lists_markers(tmp_path) -> None:
    scheme = MarkScheme(markers=["First Marker"])
    with pytest.raises(UserError, match=r"marks.csv row 7: unknown marker 'Second Marker'"):
        load_csv(tmp_path, long_marks(GOOD), scheme)


def test_xlsx_and_blank_comments_are_read(tmp_path) -> None:
    df = long_marks(GOOD).drop(columns="comments")
    path = tmp_path / "marks.xlsx"
    df.to_excel(path, index=False)
    raw = read_marks_file(path)
    assert raw["where"].iloc[0] == "marks.xlsx row 2"
    marks = validate_marks(raw, MarkScheme())
    assert len(marks) == len(df) == 20 and (marks["comments"] == "").all()


def test_unsupported_and_missing_files(tmp_path) -> None:
    (tmp_path / "marks.txt").write_text("x")
    with pytest.raises(UserError, match="unsupported file type"):
        read_marks_file(tmp_path / "marks.txt")
    with pytest.raises(UserError, match="no such marks file"):
        read_marks_file(tmp_path / "nope.csv")


def test_empty_marks_are_an_error(tmp_path) -> None:
    (tmp_path / "marks.csv").write_text("course,pi,role,marker,category,mark,comments\n")
    with pytest.raises(UserError, match="no marks in the file"):
        read_marks_file(tmp_path / "marks.csv")
    with pytest.raises(UserError, match="no marks to check"):
        validate_marks(long_marks({}), MarkScheme())
