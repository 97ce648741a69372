"""The workspace: one folder that holds one user's work.

::

    <workspace>/
        gaffertape.toml     configuration (sites, politeness, mark scheme, ...)
        gaffertape.db       the store (SQLite, WAL)
        downloads/          raw downloads, e.g. submission zips
        scripts/            extracted student scripts: scripts/<course>/<PI>/
        reports/            generated reports and charts
        logs/               run logs (never contain credentials)
        cache/sql/          Parquet copies of data/ CSVs (gaffertape.sql.cache; safe to delete)

Which workspace is used: the ``--workspace`` option, else ``GAFFERTAPE_WORKSPACE``, else the
nearest folder upwards from the current one that has a ``gaffertape.toml`` (as git finds its
repository). Only ``gaffertape init`` and the main job create one: a mistyped path must not
become a new, empty workspace.

Student data is personal data, so the workspace is private to its user: the folder and every
folder gaffertape makes in it are 0700, and the files it writes there (store, log, config, zips,
extracted scripts) 0600. A workspace that is read-only (an archived copy, a colleague's folder)
still answers queries: its store is opened read-only and nothing is recorded.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaffertape.atomic import write_text_atomic
from gaffertape.errors import UserError
from gaffertape.store import Store

CONFIG_NAME = "gaffertape.toml"
ENV_VAR = "GAFFERTAPE_WORKSPACE"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

DEFAULT_CONFIG = """\
# gaffertape workspace configuration.
# Each capability reads its own table; anything left out takes its default.

[workspace]
created_by = "gaffertape init"

# [sites.marks]                 # a site profile to use and who to log in as
# profile = "demo-marks"
# base_url = "http://127.0.0.1:8400"
# username = "marker1"
"""


@dataclass(frozen=True)
class Workspace:
    """Paths and configuration of one workspace folder."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.root / "gaffertape.db"

    @property
    def downloads_dir(self) -> Path:
        return self.root / "downloads"

    @property
    def scripts_dir(self) -> Path:
        return self.root / "scripts"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def writable(self) -> bool:
        """Can this user change the workspace (its folder and its store)?"""
        return os.access(self.root, os.W_OK) and (
            not self.db_path.exists() or os.access(self.db_path, os.W_OK)
        )

    @property
    def store(self) -> Store:
        return Store(self.db_path, readonly=not self.writable)

    def private_dir(self, path: Path) -> Path:
        """``path`` (inside the workspace) created if missing, readable only by its user."""
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        path.chmod(PRIVATE_DIR)
        return path

    def section(self, *keys: str) -> dict[str, Any]:
        """A nested config table, e.g. ``ws.section("sites", "marks")``; empty if absent."""
        node: Any = self.config
        for key in keys:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    @classmethod
    def init(cls, root: Path | str) -> Workspace:
        """Create (or upgrade) a workspace at ``root``; safe to run twice."""
        root = Path(root).expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise UserError(f"{root} exists and is not a folder", hint="choose another path")
        root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        root.chmod(PRIVATE_DIR)
        config_path = root / CONFIG_NAME
        if not config_path.exists():
            write_text_atomic(config_path, DEFAULT_CONFIG)
        config_path.chmod(PRIVATE_FILE)
        db_path = root / "gaffertape.db"
        if not db_path.exists():  # SQLite gives its -wal and -shm files the database's mode
            db_path.touch(mode=PRIVATE_FILE)
        workspace = cls.open(root)  # opening applies any pending migrations
        for folder in (
            workspace.downloads_dir,
            workspace.scripts_dir,
            workspace.reports_dir,
            workspace.logs_dir,
        ):
            workspace.private_dir(folder)
        return workspace

    @classmethod
    def open(cls, root: Path | str) -> Workspace:
        """Open an existing workspace, applying any pending store migrations."""
        root = Path(root).expanduser().resolve()
        config_path = root / CONFIG_NAME
        if not config_path.is_file():
            missing = "is not a gaffertape workspace" if root.is_dir() else "does not exist"
            raise UserError(
                f"no workspace at {root}: it {missing} (no {CONFIG_NAME}); nothing was created",
                hint=f"check the path for a typo, or create it with `gaffertape init {root}`",
            )
        try:
            config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{config_path}: invalid TOML: {exc}", hint="fix the file") from exc
        workspace = cls(root=root, config=config)
        if workspace.writable:
            workspace.store.migrate()
        return workspace


def default_root(explicit: Path | str | None = None) -> Path:
    """Resolve which workspace folder to use (see the module docstring for the order); the
    default for ``gaffertape init`` and the main job when none is found is ``~/gaffertape``."""
    return find_root(explicit) or Path.home() / "gaffertape"


def find_root(explicit: Path | str | None = None) -> Path | None:
    """The folder the user selected (option, environment), else the nearest workspace upwards
    from the current folder; None when there is none."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser().resolve()
    here = Path.cwd().resolve()
    return next((f for f in (here, *here.parents) if (f / CONFIG_NAME).is_file()), None)


def open_workspace(explicit: Path | str | None = None, *, create: bool = False) -> Workspace:
    """Open the workspace the user selected; with ``create`` (init and the main job only),
    make it if missing. Otherwise a missing workspace is an error saying how to make one."""
    root = find_root(explicit)
    if create:
        root = root or default_root()
        return Workspace.open(root) if (root / CONFIG_NAME).is_file() else Workspace.init(root)
    if root is None:
        raise UserError(
            f"no gaffertape workspace found (none in {Path.cwd()} or the folders above it, "
            f"and neither --workspace nor {ENV_VAR} is set)",
            hint="create one with `gaffertape init FOLDER`, then pass --workspace FOLDER or "
                 "run gaffertape inside it",
        )
    if root.exists() and not root.is_dir():
        raise UserError(f"{root} exists and is not a folder", hint="choose another path")
    return Workspace.open(root)
