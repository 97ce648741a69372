"""CLI commands for the marking capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="Marking: see `gaffertape marking --help`.", no_args_is_help=True)
