"""The workspace: one folder that holds one user's work.

::

    <workspace>/
        gaffertape.toml     configuration (sites, politeness, mark scheme, ...)
        gaffertape.db       the store (SQLite, WAL)
        downloads/          raw downloads, e.g. submission zips
        scripts/            extracted student scripts: scripts/<course>/<PI>/
        reports/            generated reports and charts
        logs/               run logs (never contain credentials)

Which workspace is used: the ``--workspace`` option, else ``GAFFERTAPE_WORKSPACE``, else the
nearest folder upwards from the current one that has a ``gaffertape.toml`` (as git finds its
repository), else ``~/gaffertape``.
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
    def store(self) -> Store:
        return Store(self.db_path)

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
        root.mkdir(parents=True, exist_ok=True)
        config_path = root / CONFIG_NAME
        if not config_path.exists():
            write_text_atomic(config_path, DEFAULT_CONFIG)
        workspace = cls.open(root)  # opening applies any pending migrations
        for folder in (
            workspace.downloads_dir,
            workspace.scripts_dir,
            workspace.reports_dir,
            workspace.logs_dir,
        ):
            folder.mkdir(exist_ok=True)
        return workspace

    @classmethod
    def open(cls, root: Path | str) -> Workspace:
        """Open an existing workspace, applying any pending store migrations."""
        root = Path(root).expanduser().resolve()
        config_path = root / CONFIG_NAME
        if not config_path.is_file():
            raise UserError(
                f"{root} is not a gaffertape workspace (no {CONFIG_NAME})",
                hint=f"run `gaffertape init {root}` first",
            )
        try:
            config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{config_path}: invalid TOML: {exc}", hint="fix the file") from exc
        workspace = cls(root=root, config=config)
        workspace.store.migrate()
        return workspace


def default_root(explicit: Path | str | None = None) -> Path:
    """Resolve which workspace folder to use (see the module docstring for the order)."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return Path.home() / "gaffertape"


def open_workspace(explicit: Path | str | None = None, *, create: bool = False) -> Workspace:
    """Open the workspace the user selected; with ``create``, make it if missing."""
    root = default_root(explicit)
    if create and not (root / CONFIG_NAME).exists():
        return Workspace.init(root)
    return Workspace.open(root)
