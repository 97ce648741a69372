"""Which workspace the app is serving: set once by the shell, read by every page.

Pages never take a path of their own: they call :func:`current_workspace`, so the same page works
whether the app was started by ``gaffertape app``, by ``gaffertape demo run --app`` or by a test.
"""

from __future__ import annotations

from gaffertape.errors import UserError
from gaffertape.workspace import Workspace

_workspace: Workspace | None = None


def set_workspace(workspace: Workspace) -> None:
    """Called by the shell when the app starts (one workspace per app process)."""
    global _workspace
    _workspace = workspace


def current_workspace() -> Workspace:
    """The workspace the app serves. Raises :class:`UserError` before the shell has set it."""
    if _workspace is None:
        raise UserError("the app has no workspace yet", hint="start it with `gaffertape app`")
    return _workspace
