"""One run per site per workspace: a lock file, as pip and git take one.

The politeness limits (connections, requests per second) hold within one process. Two runs on
the same workspace and site, whether two terminals or the CLI beside the app, would double the
traffic, trip the site's lockout and race on the same partial downloads. Every workflow that
talks to a site holds :func:`site_lock` for that site while it runs; a second run waits for it or
is told which run holds it.

The lock is an OS advisory lock (``fcntl.flock``) on ``<workspace>/locks/<site>.lock``, so it
is released by the kernel when the holder exits, even after SIGKILL: a stale lock file never
blocks anyone. The file records who holds it, for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from gaffertape.errors import UserError

POLL_SECONDS = 0.2


def lock_path(root: Path, site: str) -> Path:
    """Where the lock file for ``site`` lives in the workspace at ``root``."""
    return root / "locks" / f"{site}.lock"


def lock_holder(root: Path, site: str) -> dict | None:
    """Who holds the lock on ``site`` (pid, command, since), or None if nobody does."""
    path = lock_path(root, site)
    if not path.exists():
        return None
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            with contextlib.suppress(ValueError):
                return json.loads(handle.read() or "{}")
            return {}
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def site_lock(root: Path, site: str, *, wait: float = 0.0, what: str = "") -> Iterator[None]:
    """Hold the workspace's lock on ``site``; wait up to ``wait`` seconds for another run.

    Raises :class:`UserError` naming the run that holds it when it is not released in time.
    """
    path = lock_path(root, site)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UserError(_held_message(root, site, handle)) from None
                time.sleep(POLL_SECONDS)
        holder = {"pid": os.getpid(), "command": what or " ".join(sys.argv[:4]),
                  "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _held_message(root: Path, site: str, handle: object) -> str:
    handle.seek(0)  # type: ignore[attr-defined]
    try:
        holder = json.loads(handle.read() or "{}")  # type: ignore[attr-defined]
    except ValueError:
        holder = {}
    who = (f"pid {holder.get('pid', '?')} ({holder.get('command', 'unknown command')}, "
           f"since {holder.get('since', '?')})")
    return (f"another gaffertape run is using site {site} in workspace {root}: {who}; "
            "wait for it to finish, or stop it, then run this again")
