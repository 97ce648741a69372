"""The Python API (``gaffertape.sql``) and the interactive prompt."""

from __future__ import annotations

import pandas as pd
import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import gaffertape
from gaffertape.errors import UserError
from gaffertape.sql.prompt import completer, completions, interactive
from gaffertape.workspace import Workspace


def test_gaffertape_sql_returns_a_dataframe(sql_workspace: Workspace) -> None:
    result = gaffertape.sql("select count(*) as n from students", workspace=sql_workspace)
    assert isinstance(result, pd.DataFrame) and result["n"][0] == 12


def test_both_spellings_work_once_the_package_is_imported(sql_workspace: Workspace) -> None:
    import gaffertape.sql  # binds gaffertape.sql to the package: it must stay callable

    assert gaffertape.sql("select 1 as x", workspace=sql_workspace)["x"][0] == 1
    assert gaffertape.sql.sql("select 2 as x", workspace=sql_workspace)["x"][0] == 2


def test_the_workspace_defaults_to_the_environment(sql_workspace: Workspace, monkeypatch) -> None:
    monkeypatch.setenv("GAFFERTAPE_WORKSPACE", str(sql_workspace.root))
    assert len(gaffertape.sql("select * from flags")) == 12


def test_the_api_is_read_only_too(sql_workspace: Workspace) -> None:
    with pytest.raises(UserError, match="refused"):
        gaffertape.sql("delete from marks", workspace=sql_workspace)


def test_connect_gives_a_copy_that_cannot_reach_the_store(sql_workspace: Workspace) -> None:
    conn = gaffertape.sql.connect(sql_workspace)
    assert conn.sql("select count(*) from third_marks").fetchall() == [(9,)]
    conn.execute("delete from store.marks")  # the in-memory copy only
    assert gaffertape.sql("select count(*) as n from marks", workspace=sql_workspace)["n"][0] == 81


def test_completion_offers_views_and_columns(sql_workspace: Workspace) -> None:
    from gaffertape.sql.api import open_engine

    columns = open_engine(sql_workspace).columns()
    words = completions(columns)
    for word in ("students", "third_marks", "store.runs", "grades_2024", "tutor_group", "score"):
        assert word in words

    def offered(text: str) -> set[str]:
        return {c.text for c in completer(columns).get_completions(Document(text), None)}

    assert "students" in offered("select * from stud")
    assert "store.runs" in offered("select * from store.ru")
    assert "tutor_group" in offered("select name, TUTOR")


def test_the_prompt_answers_keeps_going_after_an_error_and_saves_history(
    sql_workspace: Workspace, capsys
) -> None:
    with create_pipe_input() as pipe:
        pipe.send_text("select count(*) as n from marks\rdrop table marks\r.views\r"
                       "select max(score) as top from grades_2024\r.quit\r")
        interactive(sql_workspace, input=pipe, output=DummyOutput())
    out, err = capsys.readouterr()
    assert "81" in out and "73" in out
    assert "refused" in err
    assert "data.grades_2024" in out
    history = (sql_workspace.logs_dir / "sql_history").read_text(encoding="utf-8")
    assert "drop table marks" in history
    assert (sql_workspace.logs_dir / "sql_history").stat().st_mode & 0o077 == 0
