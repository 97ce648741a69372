"""The interactive ``gaffertape sql`` prompt: history, and completion of view and column names.

prompt_toolkit (the library behind IPython's and pgcli's prompts) gives line editing, a history
file searchable with Ctrl-R, and completion as you type; writing those by hand is what it avoids.
One engine serves the whole session; it re-reads a store table only when another process has
written to the store since.
"""

from __future__ import annotations

import re
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import FileHistory

from gaffertape import ui
from gaffertape.errors import UserError
from gaffertape.sql.api import catalog, open_engine
from gaffertape.workspace import Workspace

KEYWORDS = (
    "select", "from", "where", "group by", "order by", "having", "limit", "join", "left join",
    "on", "as", "and", "or", "not", "in", "is null", "count(*)", "sum", "avg", "min", "max",
    "distinct", "with", "union all", "over", "partition by", "describe", "show tables",
)
WORD = re.compile(r"[\w.]+")
HELP = (".views lists every name, .columns NAME its columns, .quit (or Ctrl-D) leaves; "
        "Ctrl-R searches the history")


def completions(columns: dict[str, list[str]]) -> list[str]:
    """Words to complete: every name, every column, SQL keywords."""
    words = set(columns)
    for names in columns.values():
        words.update(names)
    return sorted(words) + list(KEYWORDS)


def completer(columns: dict[str, list[str]]) -> WordCompleter:
    """Completes the word before the cursor; a word may hold dots (``store.runs``)."""
    return WordCompleter(completions(columns), ignore_case=True, pattern=WORD)


def interactive(
    workspace: Workspace,
    *,
    engine: str = "duckdb",
    master: str | None = None,
    **session_options: Any,
) -> None:
    """Read queries until .quit or end of input; each result is shown as a table."""
    runner = open_engine(workspace, engine, master)
    columns = runner.columns()
    history = workspace.logs_dir / "sql_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    history.touch(mode=0o600, exist_ok=True)
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)),
        completer=completer(columns),
        complete_while_typing=True,
        **session_options,
    )
    ui.console.print(f"gaffertape sql ({engine}) on {workspace.root}. {HELP}")
    for warning in runner.catalog.warnings:
        ui.console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    try:
        while True:
            try:
                line = session.prompt("sql> ").strip()
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if line in (".quit", ".exit", "exit", "quit"):
                break
            if line:
                _answer(runner, workspace, line, columns)
    finally:
        runner.close()


def _answer(runner: Any, workspace: Workspace, line: str, columns: dict[str, list[str]]) -> None:
    """One line of input: a dot command or a query; an error is one line and the prompt stays."""
    try:
        if line == ".views":
            for name, kind, text in catalog(workspace).describe():
                ui.stdout.print(f"{name:32} {kind:12} {text}", highlight=False)
        elif line.startswith(".columns"):
            name = line.removeprefix(".columns").strip()
            ui.stdout.print(", ".join(columns.get(name, [])) or f"no name {name!r}")
        elif line.startswith("."):
            ui.console.print(HELP)
        else:
            ui.print_dataframe(runner.query(line))
    except UserError as exc:
        ui.console.print(f"[red]error:[/red] {exc.one_line()}", highlight=False, soft_wrap=True)
