"""State shared by every CLI command: which workspace, and whether --debug is on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gaffertape.logs import configure_logging
from gaffertape.workspace import Workspace, open_workspace


@dataclass
class CliState:
    workspace_option: Path | None = None
    debug: bool = False


state = CliState()


def current_workspace(*, create: bool = True) -> Workspace:
    """The workspace this command works in, created on first use, with logging set up."""
    workspace = open_workspace(state.workspace_option, create=create)
    configure_logging(workspace.logs_dir, debug=state.debug)
    return workspace
