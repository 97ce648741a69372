"""CLI commands for the sheets capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="Sheets: see `gaffertape sheets --help`.", no_args_is_help=True)
