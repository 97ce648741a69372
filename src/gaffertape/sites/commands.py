"""CLI commands for the sites capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="Sites: see `gaffertape sites --help`.", no_args_is_help=True)
