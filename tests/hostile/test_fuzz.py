"""Fuzzing the sheet readers and the zip extractor with Hypothesis, bounded to a few seconds.

Whatever the input, the only way out is a result or a :class:`UserError` / :class:`UnsafeZip`
naming the problem: no other exception (which the CLI would show as "unexpected"), nothing
written outside the target folder, and every filled cell accounted for.
"""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gaffertape.errors import UserError
from gaffertape.sheets import api
from gaffertape.sheets.coverage import OBSERVATION
from gaffertape.sites.safezip import UnsafeZip, safe_extract

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

cells = st.one_of(
    st.none(),
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", " ", "Total", "2019", "[x]", "12.5*", "..", "-", "=SUM(A1)", "N/A",
                     "Full-time", "Région", "a,b", '"q"', "1,234", "2020/21"]),
    st.text(max_size=12),
)
grids = st.lists(st.lists(cells, min_size=1, max_size=7), min_size=1, max_size=12)


def _tidy(path: Path) -> None:
    """Tidy one file: a result whose cells all add up, or a UserError naming the file."""
    result = api.tidy_files([path])
    if result.errors:
        assert list(result.errors) == [str(path)]
        assert all(str(path.name) in e for e in result.errors.values())
        return
    counts = result.cells[str(path)]
    assert counts.get(OBSERVATION, 0) == len(result.data)


def _csv_text(grid: list[list[object]]) -> str:
    out = io.StringIO()
    for row in grid:
        out.write(",".join("" if v is None else '"' + str(v).replace('"', '""') + '"'
                           for v in row) + "\n")
    return out.getvalue()


@FUZZ
@given(grid=grids, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_csv_reader_never_crashes(grid: list[list[object]], encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(_csv_text(grid).encode(encoding, errors="replace"))
        _tidy(path)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_csv_reader_on_raw_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "raw.csv"
        path.write_bytes(data)
        _tidy(path)


@settings(max_examples=15, deadline=None)
@given(grid=grids)
def test_xlsx_reader_never_crashes(grid: list[list[object]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        for row in grid:
            sheet.append([_storable(v) for v in row])
        book.save(path)
        _tidy(path)


def _storable(value: object) -> object:
    """What openpyxl will write as a plain value (it refuses control characters and would
    write ``=...`` as a formula, which calamine reads as its absent cached value)."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith("=") else value


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".xlsx", ".ods", ".xls"]))
def test_workbook_reader_on_corrupt_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"junk{suffix}"
        path.write_bytes(b"PK\x03\x04" + data if suffix != ".xls" else data)
        _tidy(path)


name_parts = st.one_of(
    st.sampled_from(["..", ".", "", "a", "A", "a.txt", "con", "x" * 300, "é" * 140, "\\",
                     "C:", "/", "dir", "dir/", "nul\x00"]),
    st.text(min_size=1, max_size=20),
)
entry_names = st.lists(name_parts, min_size=1, max_size=4).map("/".join)
entries = st.lists(st.tuples(entry_names, st.integers(0, 5000)), min_size=1, max_size=12)


@FUZZ
@given(members=entries)
def test_safe_extract_never_escapes_or_crashes(members: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        zpath = root / "fuzz.zip"
        with warnings.catch_warnings(), zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            warnings.simplefilter("ignore")
            for name, size in members:
                zf.writestr(zipfile.ZipInfo(name), b"z" * size)
        dest = root / "out" / "A1234567"
        before = set(root.rglob("*"))
        try:
            result = safe_extract(zpath, dest, max_ratio=50_000)
        except UnsafeZip:
            assert not dest.exists()
            return
        created = set(root.rglob("*")) - before
        assert all(p == dest or dest in p.parents or p in dest.parents for p in created)
        files = [f.path for f in result.files]
        assert len(files) == len(set(files))  # no entry overwrote another
        for f in result.files:
            target = dest / f.path
            assert target.is_file() and target.stat().st_size == f.size
            assert all(len(part.encode()) <= 255 for part in Path(f.path).parts)
        with zipfile.ZipFile(zpath) as zf:
            regular = [i for i in zf.infolist() if not i.filename.endswith("/")]
        refused = [r for r in result.rejected if not r.rsplit(" (", 1)[0].endswith("/")]
        assert len(files) + len(refused) == len(regular)  # each file written or reported


def test_a_failing_example_would_be_a_user_error(tmp_path: Path) -> None:
    """The fuzz tests accept UserError as a clean outcome: make sure one really is produced."""
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    result = api.tidy_files([bad])
    assert list(result.errors) == [str(bad)]
    try:
        api.tidy_file(bad)
    except UserError as exc:
        assert "bad.xlsx" in exc.one_line()
    else:
        raise AssertionError("a corrupt workbook must raise UserError")
