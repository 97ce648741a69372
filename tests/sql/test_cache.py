"""The Parquet cache of data/ CSVs: used, invalidated, atomic, and invisible in the answers."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.sql import cache
from gaffertape.sql.api import open_engine, sql
from gaffertape.workspace import Workspace

from .test_cli import gaffertape, one_error_line, user_data

GOOD_ROWS = 30_000  # more than DuckDB's sniffer samples, so a bad tail is found only by reading


def cache_files(workspace: Workspace) -> list[Path]:
    """Every file in the cache folder, part files included."""
    folder = cache.cache_dir(workspace.root)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def write_keeping_stat(path: Path, text: str) -> None:
    """Replace a file's content with text of the same length and put its mtime back."""
    stat = path.stat()
    assert len(text.encode()) == stat.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


QUERY = "select sum(score) as total from scores"


def _scores_queried_once(workspace: Workspace) -> Path:
    """data/scores.csv (total 120), queried once, so its Parquet copy exists."""
    csv = workspace.root / "data" / "scores.csv"
    csv.write_text("pi,score\nA1,50\nA2,70\n", encoding="utf-8")
    assert sql(QUERY, workspace=workspace)["total"][0] == 120
    return csv


def test_a_csv_is_converted_once_and_later_queries_read_the_copy(
    sql_workspace: Workspace,
) -> None:
    csv = _scores_queried_once(sql_workspace)
    [copy] = cache_files(sql_workspace)
    assert copy.suffix == ".parquet" and copy.stat().st_mode & 0o777 == 0o600
    # same size, same mtime, other content: the answer still comes from the copy
    write_keeping_stat(csv, "pi,score\nA1,10\nA2,10\n")
    assert sql(QUERY, workspace=sql_workspace)["total"][0] == 120
    assert sql(QUERY, workspace=sql_workspace, cache=False)["total"][0] == 20


@pytest.mark.parametrize("change", ["size", "mtime"])
def test_a_changed_csv_is_converted_again_and_its_old_copy_removed(
    sql_workspace: Workspace, change: str
) -> None:
    csv = _scores_queried_once(sql_workspace)
    [old] = cache_files(sql_workspace)
    if change == "size":
        csv.write_text("pi,score\nA1,50\nA2,70\nA3,1\n", encoding="utf-8")
        expected = 121
    else:
        write_keeping_stat(csv, "pi,score\nA1,10\nA2,10\n")
        stat = csv.stat()
        os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        expected = 20
    assert sql(QUERY, workspace=sql_workspace)["total"][0] == expected
    assert [p.name for p in cache_files(sql_workspace)] != [old.name]
    assert len(cache_files(sql_workspace)) == 1


CSV_KINDS = {
    "types.csv": "id,mark,when,at,ok,note\n"
                 + "".join(f"{i},{i / 4},2025-01-{1 + i % 28:02d},2025-01-02 10:{i % 60:02d}:00,"
                           f"{'true' if i % 2 else 'false'},\"text, with \"\"quotes\"\" {i}\"\n"
                           for i in range(50))
                 + "50,,,,,\n",
    "noheader_two.csv": "1,2.5,x\n2,3.5,y\n",
    "tabs.tsv": "a\tb\n1\tx\n2\ty\n",
    "preamble_two.csv": "a,b\n1,2\n3\n4,5,6,7\n",
    "semicolons.csv": "a;b\n1,5;x\n2,5;y\n",
}


def test_answers_are_identical_with_and_without_the_cache(sql_workspace: Workspace) -> None:
    data = sql_workspace.root / "data"
    for name, text in CSV_KINDS.items():
        (data / name).write_text(text, encoding="utf-8")
    (data / "zipped.csv.gz").write_bytes(gzip.compress(b"k,v\n1,one\n2,two\n"))
    for view in ["types", "noheader_two", "tabs", "preamble_two", "semicolons", "zipped",
                 "grades_2024", "noheader"]:
        query = f"select * from {view}"
        plain = sql(query, workspace=sql_workspace, cache=False)
        cached = sql(query, workspace=sql_workspace)
        again = sql(query, workspace=sql_workspace)  # from the copy made just before
        pd.testing.assert_frame_equal(cached, plain)
        pd.testing.assert_frame_equal(again, plain)
    assert len(cache_files(sql_workspace)) == 8


def test_the_preamble_warning_survives_the_cache(sql_workspace: Workspace) -> None:
    (sql_workspace.root / "data" / "preamble.csv").write_bytes(b"a,b\n1,2\n3\n4,5,6,7\n")
    for _ in range(2):  # converting, then reading the copy
        engine = open_engine(sql_workspace)
        assert len(engine.query("select * from preamble")) == 1
        assert any("preamble.csv: the first 3 line(s)" in w for w in engine.catalog.warnings)
        engine.close()


HALF_WRITTEN = {
    "unterminated quote": 'x,"cut off in the mid',
    "short last row": "A9",
    "wrong type": "not a number,B",
}


@pytest.mark.parametrize("tail", HALF_WRITTEN.values(), ids=HALF_WRITTEN.keys())
def test_a_csv_bad_beyond_the_sniffed_sample_is_one_error_and_leaves_no_cache_file(
    sql_workspace: Workspace, tail: str
) -> None:
    csv = sql_workspace.root / "data" / "half.csv"
    csv.write_text("n,pi\n" + "".join(f"{i},A{i}\n" for i in range(GOOD_ROWS)) + tail,
                   encoding="utf-8")
    before = user_data(sql_workspace.db_path)
    result = gaffertape(sql_workspace, "select count(*) from half")
    assert one_error_line(result).startswith("error: data/half.csv: cannot be read as CSV: ")
    assert cache_files(sql_workspace) == []
    assert user_data(sql_workspace.db_path) == before
    assert gaffertape(sql_workspace, "select count(*) from regions").returncode == 0


def test_a_csv_changed_while_converting_is_not_cached(
    sql_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = sql_workspace.root / "data" / "growing.csv"
    csv.write_text("a\n1\n", encoding="utf-8")
    folder = tmp_path / "cache"
    convert_for_real = cache._run_with_progress

    def convert_while_a_line_is_added(statement: str, on_progress, spill: Path) -> None:
        convert_for_real(statement, on_progress, spill)
        with csv.open("a", encoding="utf-8") as handle:
            handle.write("2\n")

    monkeypatch.setattr(cache, "_run_with_progress", convert_while_a_line_is_added)
    with pytest.raises(cache.ChangedWhileReading):
        cache.convert(folder, csv, f"read_csv('{csv}')", 0)
    assert list(folder.iterdir()) == []


def test_no_cache_and_an_unwritable_cache_read_the_csv(sql_workspace: Workspace) -> None:
    result = gaffertape(sql_workspace, "select * from grades_2024", "--no-cache", "-f", "csv")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 13
    assert not (sql_workspace.root / "cache").exists()
    (sql_workspace.root / "cache").write_text("not a folder", encoding="utf-8")
    result = gaffertape(sql_workspace, "select * from grades_2024", "-f", "csv")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 13, result.stderr


def test_queries_cannot_write_into_the_cache(sql_workspace: Workspace) -> None:
    assert sql("select count(*) as n from grades_2024", workspace=sql_workspace)["n"][0] == 12
    [copy] = cache_files(sql_workspace)
    folder = copy.parent
    line = one_error_line(gaffertape(
        sql_workspace, f"copy (select 1) to '{folder}/{copy.name}' (format parquet)"))
    assert "refused" in line
    assert cache_files(sql_workspace) == [copy]
    with pytest.raises(UserError):
        sql(f"copy (select 1) to '{folder}/x.parquet'", workspace=sql_workspace)


def test_streamed_csv_on_stdout_is_formula_safe(sql_workspace: Workspace) -> None:
    result = gaffertape(sql_workspace, "select '=1+1' as \"@x\", 2 as n, null as e", "-f", "csv")
    assert result.stdout.splitlines() == ["'@x,n,e", "'=1+1,2,"]
