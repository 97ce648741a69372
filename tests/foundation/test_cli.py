"""The CLI as a user runs it: a real subprocess, real workspace, real exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def gaffertape(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("GAFFERTAPE_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "gaffertape", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("args", [[], ["demo"], ["sites"], ["marking"], ["sheets"]])
def test_help_works_everywhere(tmp_path: Path, args: list[str]) -> None:
    result = gaffertape(*args, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_init_then_sql(tmp_path: Path) -> None:
    assert gaffertape("init", "ws", cwd=tmp_path).returncode == 0
    result = gaffertape(
        "-w", "ws", "sql", "select version from schema_migrations", "-f", "csv", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "version"


def test_user_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    gaffertape("init", "ws", cwd=tmp_path)
    result = gaffertape("-w", "ws", "sql", "select * from no_such_table", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: SQL error: ")
    assert "no_such_table does not exist" in lines[0]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    gaffertape("init", "ws", cwd=tmp_path)
    result = gaffertape("--debug", "-w", "ws", "sql", "select * from nope", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_not_a_workspace_says_how_to_fix(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = gaffertape("-w", "empty", "tables", cwd=tmp_path, env={"HOME": str(tmp_path)})
    # only `gaffertape init` (and the main job) makes a workspace: nothing is created here
    assert result.returncode == 2 and "gaffertape init" in result.stderr
    assert list((tmp_path / "empty").iterdir()) == []
    (tmp_path / "afile").write_text("x")
    result = gaffertape("-w", "afile", "tables", cwd=tmp_path)
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_each_command_is_recorded_in_runs_with_its_outcome(tmp_path: Path) -> None:
    gaffertape("init", "ws", cwd=tmp_path)
    gaffertape("-w", "ws", "sql", "select * from nope", cwd=tmp_path)
    gaffertape("-w", "ws", "tables", cwd=tmp_path)
    result = gaffertape("-w", "ws", "sql", "select command, status from runs", "-f", "csv",
                        cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[1] == "gaffertape -w ws sql 'select * from nope',failed"
    assert lines[2] == "gaffertape -w ws tables,ok"
    assert lines[3].endswith(",running")  # the query that is reading the table


def test_cli_imports_a_capability_only_when_its_commands_run(tmp_path: Path) -> None:
    probe = (
        "import sys; from gaffertape.cli import app; import typer.main;"
        "typer.main.get_command(app).get_command(None, 'sheets');"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('gaffertape.')}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    loaded = result.stdout.strip()
    assert "'sheets'" in loaded, result.stderr
    for other in ("sites", "marking", "demo", "plotly"):
        assert f"'{other}'" not in loaded
