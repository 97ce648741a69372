"""The ``gaffertape`` command line. Each capability contributes a sub-command group.

The CLI mirrors the Python API: every command is a thin wrapper around a function that returns
a DataFrame, plus progress and a summary for people at a terminal.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
import typer.main
from rich.markup import escape
from typer.core import TyperGroup

from gaffertape import ui
from gaffertape.cli.context import current_workspace, finish_run, state
from gaffertape.errors import UserError
from gaffertape.logs import redact
from gaffertape.workspace import Workspace

# Sub-command groups, by name: the module whose ``app`` (a Typer) holds the group's commands.
CAPABILITY_GROUPS = {
    "demo": "gaffertape.cli.demo",
    "sites": "gaffertape.sites.commands",
    "marking": "gaffertape.marking.commands",
    "sheets": "gaffertape.sheets.commands",
    "demographics": "gaffertape.demographics.commands",
    "ouxml": "gaffertape.ouxml.commands",
    "app": "gaffertape.app.commands",
}


class LazyCapabilityGroup(TyperGroup):
    """Imports a capability only when its commands are used (click's "lazy group" pattern).

    Capabilities pull in heavy libraries (pandas, plotly, calamine, ...). Importing them all on
    every invocation would cost each command ~30 MB and a noticeable start-up delay; a download
    should only pay for the sites code it runs. ``--help`` still lists every group.
    """

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), *CAPABILITY_GROUPS]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        if cmd_name not in CAPABILITY_GROUPS:
            return escape_help(super().get_command(ctx, cmd_name))
        module = importlib.import_module(CAPABILITY_GROUPS[cmd_name])
        command = typer.main.get_group(module.app)
        command.name = cmd_name
        return escape_help(command)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        escape_help(self)
        super().format_help(ctx, formatter)


def escape_help(command: click.Command | None) -> click.Command | None:
    """Escape square brackets in a command's help texts (and its sub-commands') for Rich.

    Typer renders help through Rich markup, which would swallow ``[sites.marks]`` or
    ``[marking]`` as unknown style tags. Help is written as plain text, so every help string
    is escaped once, here, for every capability.
    """
    if command is None or getattr(command, "_help_escaped", False):
        return command
    command._help_escaped = True  # type: ignore[attr-defined]
    for attr in ("help", "short_help", "epilog"):
        if getattr(command, attr, None):
            setattr(command, attr, escape(getattr(command, attr)))
    for param in command.params:
        if getattr(param, "help", None):
            param.help = escape(param.help)  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        escape_help(sub)
    return command


app = typer.Typer(
    name="gaffertape",
    cls=LazyCapabilityGroup,
    help="Roll your own IT: turn clunky web systems and messy documents into data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    query: Annotated[
        str | None,
        typer.Argument(help="One query; leave out for a prompt (or pipe the query on stdin)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json or parquet (with --out).")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to .csv, .xlsx, .json or .parquet.")
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb (in-process) or spark.")] = "duckdb",
    master: Annotated[
        str | None, typer.Option(help="Spark master: local[1] (default) or spark://host:7077.")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Change the store: one statement in SQLite's SQL.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --write: do not ask.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Read data/ CSVs as CSV, not their Parquet copies.")
    ] = False,
) -> None:
    """Query the workspace read-only with SQL: views, store tables and files in data/.

    e.g. `gaffertape sql "select status, count(*) from flags group by all"`; see docs/sql.md.
    """
    from gaffertape.sql.commands import run

    run(current_workspace(), query, fmt=fmt, out=out, engine=engine, master=master,
        write=write, yes=yes, cache=not no_cache)


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
    from pydantic import SecretStr  # with keyring: imported only by the commands that use them

    from gaffertape import credentials

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
        _fail("failed", f"[red]error:[/red] {escape(redact(exc.one_line()))}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", "[yellow]interrupted[/yellow]: rerun the same command to resume", 130)
    except Exception as exc:  # last line of defence: no traceback without --debug
        if state.debug:
            finish_run("failed")
            raise
        _fail(
            "failed",
            f"[red]error:[/red] unexpected {type(exc).__name__}: {escape(redact(str(exc)))} "
            "(rerun with --debug for the traceback, and please report it)",
            1,
        )


def _fail(status: str, message: str, exit_code: int) -> None:
    """Record the run's outcome, print one line (control characters written out), and exit
    non-zero."""
    finish_run(status)
    ui.console.print(ui.printable(message), highlight=False, soft_wrap=True)
    sys.exit(exit_code)
