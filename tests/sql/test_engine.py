"""The DuckDB engine: the documented views and their columns, data files, lazy reading."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.sql.api import catalog, open_engine
from gaffertape.sql.catalog import VIEWS, view_name
from gaffertape.workspace import Workspace

# The documented shape of every view (docs/sql.md): changing one breaks users' queries.
DOCUMENTED_COLUMNS = {
    "students": ["course", "pi", "name", "tutor_group", "status", "source", "updated_at"],
    "submissions": ["course", "pi", "status", "n_files", "zip_size", "zip_sha256", "error",
                    "attempts", "downloaded_at", "files_listed"],
    "marks": ["course", "pi", "role", "marker", "category", "mark", "comments"],
    "flags": ["course", "pi", "status", "flagged", "reasons", "first_pct", "second_pct",
              "third_pct", "average_pct", "final_pct", "final_grade", "final_qualifier",
              "generated_at"],
    "third_marks": ["course", "pi", "marker", "category", "mark", "comments"],
    "sheet_observations": ["source_file", "sheet", "table", "table_title", "cell", "row_header",
                           "column_header", "sub_table", "value", "raw", "value_flags", "is_total",
                           "unit"],
}


@pytest.fixture
def engine(sql_workspace: Workspace):
    runner = open_engine(sql_workspace)
    yield runner
    runner.close()


def test_every_documented_view_has_its_documented_columns(engine) -> None:
    assert set(DOCUMENTED_COLUMNS) == set(VIEWS)
    for view, columns in DOCUMENTED_COLUMNS.items():
        assert list(engine.query(f"select * from {view} limit 0").columns) == columns, view


def test_views_hold_the_store_rows(engine) -> None:
    assert engine.query("select count(*) as n from students")["n"][0] == 12
    assert engine.query("select count(*) as n from marks")["n"][0] == 12 * 6 + 3 * 3
    assert engine.query("select count(*) as n from third_marks")["n"][0] == 9
    flagged = engine.query("select pi from flags where flagged order by pi")
    assert list(flagged["pi"]) == ["A1000000", "A1000004", "A1000008"]
    files = engine.query("select pi, files_listed from submissions where pi = 'A1000005'")
    assert files["files_listed"][0] == 2
    assert engine.query("select count(*) as n from sheet_observations where is_total")["n"][0] == 1


def test_store_tables_are_there_as_store_dot_name_and_bare(engine) -> None:
    assert engine.query("select count(*) as n from store.marks")["n"][0] == 81
    assert "marks_url" in engine.query("select * from store.students limit 0").columns
    assert list(engine.query("select name from schema_migrations order by version")["name"])[:2] \
        == ["core", "sites"]


def test_data_files_are_views_named_after_them(engine) -> None:
    grades = engine.query("select module, avg(score) as mean from grades_2024 group by module"
                          " order by module")
    assert list(grades["module"]) == ["M0", "M1"]
    assert engine.query("select count(*) as n from regions")["n"][0] == 4
    assert list(engine.query("select n from events order by n")["n"]) == [0, 1, 2, 3, 4]
    assert engine.query("select sum(hours) as h from tutorials")["h"][0] == 150


def test_csv_header_is_detected_or_not(engine) -> None:
    assert list(engine.query("select * from grades_2024 limit 0").columns) == [
        "pi", "module", "score"]
    headerless = engine.query("select * from noheader")
    assert len(headerless) == 3  # the first line is data, not a header
    assert list(headerless.iloc[:, 0]) == [1, 2, 3]


def test_a_data_file_never_hides_a_view(engine) -> None:
    assert "role" in engine.query("select * from marks limit 0").columns
    assert list(engine.query("select a from data.marks")["a"]) == [1]


def test_catalog_lists_every_name(sql_workspace: Workspace) -> None:
    names = [name for name, _, _ in catalog(sql_workspace).describe()]
    assert names[: len(VIEWS)] == list(VIEWS)
    assert "store.runs" in names and "data.grades_2024" in names
    assert "data.notes" not in names  # .txt is not a data file


def test_only_the_tables_a_query_names_are_read(engine) -> None:
    engine.query("select count(*) from flags")
    assert engine._filled == {"marking_flags"}
    engine.query("with x as (select * from third_marks) select count(*) from x")
    assert engine._filled == {"marking_flags", "marks"}


def test_a_name_the_parser_misses_still_gets_its_data(engine, monkeypatch) -> None:
    monkeypatch.setattr("gaffertape.sql.duck.referenced_names", lambda query: set())
    assert engine.query("select count(*) as n from students")["n"][0] == 12


def test_a_later_write_to_the_store_is_seen(engine, sql_workspace: Workspace) -> None:
    assert engine.query("select count(*) as n from students")["n"][0] == 12
    with sqlite3.connect(sql_workspace.db_path) as conn:
        conn.execute("DELETE FROM students WHERE pi = 'A1000000'")
    assert engine.query("select count(*) as n from students")["n"][0] == 11


def test_big_tables_are_read_in_chunks(engine, monkeypatch) -> None:
    import gaffertape.sql.catalog as catalog_module

    real = catalog_module.read_store_table
    monkeypatch.setattr("gaffertape.sql.duck.read_store_table",
                        lambda *args: real(*args, chunk_rows=7))
    result = engine.query("select * from sheet_observations order by cell")
    assert len(result) == 20
    assert pd.isna(result.set_index("cell").loc["C12", "value"])


def test_tables_that_do_not_exist_yet_are_absent(sql_workspace: Workspace) -> None:
    with sqlite3.connect(sql_workspace.db_path) as conn:  # a store from before OU-XML existed
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                              " AND name LIKE 'ouxml%' ORDER BY sql LIKE 'CREATE VIRTUAL%' DESC")
        for (name,) in tables.fetchall():
            conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    assert not any(name.startswith("ouxml_") for name in open_engine(sql_workspace).columns())
    with sqlite3.connect(sql_workspace.db_path) as conn:
        conn.execute("CREATE TABLE ouxml_documents (doc_id INTEGER PRIMARY KEY, source TEXT)")
        conn.execute("INSERT INTO ouxml_documents VALUES (1, 'a.xml')")
        conn.execute("CREATE VIRTUAL TABLE ouxml_fts USING fts5 (body)")
    fresh = open_engine(sql_workspace)
    assert list(fresh.query("select source from ouxml_documents")["source"]) == ["a.xml"]
    assert "ouxml_fts" not in fresh.columns()


@pytest.mark.parametrize(("file_name", "view"), [
    ("grades 2024.csv", "grades_2024"), ("Results-Final.PARQUET", "results_final"),
    ("2024.csv", "t_2024"), ("x.csv.gz", "x"), ("é.json", "file"),
])
def test_view_names(file_name: str, view: str) -> None:
    assert view_name(file_name) == view


def test_two_files_with_one_name_get_their_suffixes(sql_workspace: Workspace) -> None:
    (sql_workspace.root / "data" / "regions.csv").write_text("r\nx\n", encoding="utf-8")
    found = catalog(sql_workspace)
    assert {"regions_csv", "regions_json"} <= set(found.data_files)
    assert any("regions" in w for w in found.warnings)


@pytest.mark.parametrize(("file_name", "content", "why"), [
    ("garbage.csv", bytes(range(256)) * 12, "cannot be read as CSV"),
    ("ragged.csv", b'a,b\n1,2\n3\n4,5,6,7\n"unterminated\n', "different numbers of fields"),
    ("half.json", b'[{"a": 1}, {"a": 2}', "cut short"),
])
def test_a_bad_data_file_is_one_error_naming_it_and_the_rest_carries_on(
    sql_workspace: Workspace, file_name: str, content: bytes, why: str
) -> None:
    (sql_workspace.root / "data" / file_name).write_bytes(content)
    engine = open_engine(sql_workspace)
    name = file_name.split(".")[0]
    with pytest.raises(UserError) as error:
        engine.query(f"select * from {name}")
    assert error.value.one_line().startswith(f"data/{file_name}: ") and why in str(error.value)
    assert engine.query("select count(*) as n from regions")["n"][0] == 4
    assert name not in engine.columns() and "regions" in engine.columns()
    assert any(file_name in warning for warning in engine.catalog.warnings)


def test_lines_the_sniffer_skips_are_reported(sql_workspace: Workspace) -> None:
    (sql_workspace.root / "data" / "preamble.csv").write_bytes(b"a,b\n1,2\n3\n4,5,6,7\n")
    engine = open_engine(sql_workspace)
    assert len(engine.query("select * from preamble")) == 1
    assert any("preamble.csv: the first 3 line(s)" in w for w in engine.catalog.warnings)
