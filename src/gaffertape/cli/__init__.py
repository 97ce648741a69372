"""The ``gaffertape`` command line. Each capability contributes a sub-command group.

The CLI mirrors the Python API: every command is a thin wrapper around a function that returns
a DataFrame, plus progress and a summary for people at a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from gaffertape import credentials, ui
from gaffertape.cli import demo as demo_commands
from gaffertape.cli.context import current_workspace, finish_run, state
from gaffertape.errors import UserError
from gaffertape.logs import redact
from gaffertape.marking import commands as marking_commands
from gaffertape.sheets import commands as sheets_commands
from gaffertape.sites import commands as sites_commands
from gaffertape.workspace import Workspace

app = typer.Typer(
    name="gaffertape",
    help="Roll your own IT: turn clunky web systems and messy documents into data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(demo_commands.app, name="demo")
app.add_typer(sites_commands.app, name="sites")
app.add_typer(marking_commands.app, name="marking")
app.add_typer(sheets_commands.app, name="sheets")


@app.callback()
def root(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="GAFFERTAPE_WORKSPACE",
            help="Workspace folder (default: nearest with gaffertape.toml, else ~/gaffertape).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    state.workspace_option = workspace
    state.debug = debug
    state.workspace = state.run_id = None  # a fresh invocation (tests run many per process)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Folder to create.")] = Path("gaffertape-workspace"),
) -> None:
    """Create a workspace folder (config, store, downloads, reports). Safe to run twice."""
    workspace = Workspace.init(path)
    ui.print_summary(
        "Workspace ready",
        {
            "folder": workspace.root,
            "config": workspace.config_path,
            "store": f"{workspace.db_path} (schema v{workspace.store.schema_version()})",
            "use it": f"export GAFFERTAPE_WORKSPACE={workspace.root}",
        },
    )


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query against the workspace store.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Query the workspace store with SQL, e.g. `gaffertape sql "select * from runs"`."""
    if fmt not in {"table", "csv", "json"}:
        raise UserError(f"--format {fmt!r} is not one of table, csv, json")
    ui.print_dataframe(current_workspace().store.query_df(query), fmt=fmt)


@app.command()
def tables() -> None:
    """List the tables in the workspace store, with row counts."""
    ui.print_dataframe(current_workspace().store.tables())


@app.command()
def login(
    site: Annotated[str, typer.Argument(help="Site name, e.g. demo-marks.")],
    username: Annotated[str, typer.Option("--username", "-u", prompt=True)],
) -> None:
    """Store a site password in the system keyring (never in a file)."""
    password = typer.prompt(f"Password for {username} on {site}", hide_input=True)
    credentials.set_password(site, username, SecretStr(password))
    ui.console.print(f"Stored the password for {username} on {site} in the system keyring.")


def main() -> None:
    """Entry point: run the CLI, turning errors into one clear line and a non-zero exit."""
    try:
        app()  # standalone: Typer handles usage errors and --help, and always raises SystemExit
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finish_run("ok" if code == 0 else "failed")
        raise
    except UserError as exc:
        if state.debug:
            finish_run("failed")
            raise
        _fail("failed", f"[red]error:[/red] {redact(exc.one_line())}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", "[yellow]interrupted[/yellow]: rerun the same command to resume", 130)
    except Exception as exc:  # last line of defence: no traceback without --debug
        if state.debug:
            finish_run("failed")
            raise
        _fail(
            "failed",
            f"[red]error:[/red] unexpected {type(exc).__name__}: {redact(str(exc))} "
            "(rerun with --debug for the traceback, and please report it)",
            1,
        )


def _fail(status: str, message: str, exit_code: int) -> None:
    """Record the run's outcome, print one line, and exit non-zero."""
    finish_run(status)
    ui.console.print(message, highlight=False, soft_wrap=True)
    sys.exit(exit_code)
