"""State shared by every CLI command: which workspace, --debug, and the run being recorded.

Each command that opens a workspace is recorded in the store's ``runs`` table (command line,
start, end, outcome), so a user can see what ran when with ``gaffertape sql "select * from runs"``.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gaffertape.logs import configure_logging, redact
from gaffertape.workspace import Workspace, open_workspace


@dataclass
class CliState:
    workspace_option: Path | None = None
    debug: bool = False
    workspace: Workspace | None = None
    run_id: int | None = None


state = CliState()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_workspace(*, create: bool = False) -> Workspace:
    """The workspace this command works in, with logging and a run record.

    Only ``init`` and the main job pass ``create``: any other command on a missing workspace
    stops with an error saying how to make one. A read-only workspace is opened for reading,
    without a log file or a run record.
    """
    if state.workspace is None:
        workspace = open_workspace(state.workspace_option, create=create)
        if not workspace.writable:
            configure_logging(None, debug=state.debug)
            state.workspace = workspace
            return workspace
        configure_logging(workspace.logs_dir, debug=state.debug)
        command = redact(shlex.join(["gaffertape", *sys.argv[1:]]))
        with workspace.store.connect() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (command, started_at) VALUES (?, ?)", (command, _now())
            )
        state.workspace, state.run_id = workspace, cursor.lastrowid
    return state.workspace


def finish_run(status: str) -> None:
    """Mark the recorded run (if any) as finished with ``status`` (ok, failed, interrupted)."""
    if state.workspace is None or state.run_id is None:
        return
    with state.workspace.store.connect() as conn:
        conn.execute(
            "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?",
            (_now(), status, state.run_id),
        )
    state.run_id = None
