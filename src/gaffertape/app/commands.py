"""``gaffertape app``: the browser app on the workspace, behind a per-run token."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated

import typer

from gaffertape import ui
from gaffertape.app.security import new_token
from gaffertape.cli.context import current_workspace
from gaffertape.errors import UserError
from gaffertape.workspace import Workspace

if TYPE_CHECKING:
    from gaffertape.app.shell import AppServer

app = typer.Typer(help="The browser app: allocation, jobs, scripts, cohort, sheets.")

TOKEN_ENV = "GAFFERTAPE_APP_TOKEN"


@app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str, typer.Option(
        help="Address to bind. The default 127.0.0.1 is reachable from this machine only.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8050,
    token: Annotated[str | None, typer.Option(
        envvar=TOKEN_ENV,
        help="Fixed access token for a long-lived deployment (default: a new random one "
             "each run). Prefer the environment variable: options show up in `ps`.")] = None,
) -> None:
    """Start the app on the workspace and print its URL (with the access token) to open."""
    serve_app(current_workspace(), host=host, port=port, token=token)


def serve_app(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 0,
              token: str | None = None) -> None:
    """Start the app, print its URL (stdout, for scripts; with a note on stderr), serve until
    Ctrl-C. ``gaffertape demo run --app`` calls this after the main job."""
    server, url = start_app(workspace, host=host, port=port, token=token)
    ui.console.print(f"gaffertape app on workspace {workspace.root}\n"
                     f"Open this URL (it carries your access token; keep it private):\n  {url}\n"
                     "Press Ctrl-C to stop.", highlight=False, soft_wrap=True)
    print(url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        ui.console.print("app stopped")


def start_app(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 0,
              token: str | None = None) -> tuple[AppServer, str]:
    """Build the app, bind it and resume interrupted jobs; returns (server, URL with token).

    The caller runs ``server.serve_forever()`` (or ``start_background()``).
    """
    from gaffertape.app.jobs import resume_interrupted
    from gaffertape.app.shell import AppServer, create_app

    if not _loopback(host):
        ui.console.print(
            f"[yellow]warning:[/yellow] --host {host} makes the app reachable from other "
            "machines. Anyone with the URL's token can see student data: use it only on a "
            "trusted network, ideally behind HTTPS (e.g. an SSH tunnel or a reverse proxy).",
            highlight=False)
    if token is not None and len(token) < 16:
        raise UserError("--token must be at least 16 characters",
                        hint=f"e.g. {TOKEN_ENV}=$(python -c 'import secrets; "
                             "print(secrets.token_urlsafe(32))')")
    token = token or new_token()
    try:
        server = AppServer(create_app(workspace, token), host, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                        hint="pick another --port, or 0 for any free port") from exc
    resume_interrupted(workspace)
    return server, server.url(token)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

