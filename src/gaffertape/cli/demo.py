"""``gaffertape demo``: run the demo university (the only place product code starts it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaffertape import ui
from gaffertape.cli.mainjob import run_demo
from gaffertape.demo import PROFILES, DemoConfig, Faults
from gaffertape.demo.config import INSTITUTIONS
from gaffertape.demo.server import serve as serve_demo
from gaffertape.errors import UserError

app = typer.Typer(
    help="The demo university: local stand-ins for the marks and submissions systems.",
    no_args_is_help=True,
)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8400,
    students: Annotated[int, typer.Option(help="Number of students (up to 5,000).")] = 60,
    seed: Annotated[int, typer.Option(help="Seed: the same seed serves the same data.")] = 1,
    zip_mb: Annotated[float, typer.Option(help="Mean size of a submission zip in MB.")] = 1.0,
    faults: Annotated[str, typer.Option(help=f"Fault profile: {', '.join(PROFILES)}.")] = "none",
    settings: Annotated[list[str] | None, typer.Option(
        "--set", help="Override one fault setting, e.g. --set error_rate=0.2 (repeatable).",
    )] = None,
    truth: Annotated[Path | None, typer.Option(help="Write the ground-truth JSON here.")] = None,
    institution: Annotated[str, typer.Option(
        help=f"Which institution to serve: {', '.join(INSTITUTIONS)} (differently laid out).",
    )] = "demo",
) -> None:
    """Serve the demo university until Ctrl-C, printing its URL and demo credentials."""
    try:
        chosen = Faults.profile(faults).with_settings(settings or [])
        config = DemoConfig(seed=seed, students=students, zip_mb=zip_mb, faults=chosen,
                            truth_path=truth, port=port, institution=institution)
    except ValueError as exc:
        raise UserError(str(exc), hint="docs/demo-university.md lists the settings") from exc
    serve_demo(config, lambda line: ui.console.print(line, highlight=False))


app.command("run")(run_demo)
