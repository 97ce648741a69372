"""``gaffertape demo``: run the demo university (the only place product code starts it)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The demo university: local stand-ins for the marks and submissions systems.",
                  no_args_is_help=True)
