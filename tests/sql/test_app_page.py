"""The SQL page's logic in Python: what Run shows, what Download writes, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.app import context
from gaffertape.app.registry import all_pages
from gaffertape.sql import app_pages
from gaffertape.workspace import Workspace


@pytest.fixture
def served(sql_workspace: Workspace) -> Workspace:
    context.set_workspace(sql_workspace)
    return sql_workspace


def test_the_page_is_registered() -> None:
    page = next(p for p in all_pages() if p.path == "/sql")
    assert page.capability == "sql" and page.title == "SQL"


def test_layout_lists_every_view_and_data_file(served: Workspace) -> None:
    text = str(app_pages.layout())
    for name in ("students", "flags", "third_marks", "store.runs", "data.grades_2024"):
        assert f"'{name}'" in text, name


def test_run_shows_rows_and_columns(served: Workspace) -> None:
    rows, columns, status, error = app_pages.run_query(app_pages.EXAMPLE)
    assert error == "" and status == "2 rows"
    assert [c["field"] for c in columns] == ["status", "scripts"]
    assert rows == [{"status": "agreed", "scripts": 9},
                    {"status": "needs third marker", "scripts": 3}]


@pytest.mark.parametrize("query", ["drop table students", "delete from marks", ""])
def test_writes_and_empty_queries_are_one_line_errors(served: Workspace, query: str) -> None:
    before = served.db_path.read_bytes()
    _rows, _columns, status, error = app_pages.run_query(query)
    assert error.startswith(("refused", "the query is empty")) and status == ""
    assert served.db_path.read_bytes() == before


def test_a_big_result_is_cut_for_the_grid_but_not_the_download(
    served: Workspace, tmp_path: Path
) -> None:
    query = "select range as n, '=1+1' as formula from range(6000)"
    rows, _, status, _ = app_pages.run_query(query)
    assert len(rows) == app_pages.MAX_GRID_ROWS and "showing the first 5,000" in status
    lines = app_pages.result_csv(query, tmp_path).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 6001 and lines[1] == "0,'=1+1"  # formula-neutralised
