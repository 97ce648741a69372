"""The workspace folder and its store: creation, discovery, migrations, WAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.store.db import bundled_migrations
from gaffertape.workspace import Workspace, default_root, open_workspace


def test_init_creates_layout_and_applies_every_migration(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    for folder in (ws.downloads_dir, ws.scripts_dir, ws.reports_dir, ws.logs_dir):
        assert folder.is_dir()
    assert ws.config_path.read_text().startswith("# gaffertape workspace")
    latest = bundled_migrations()[-1].version
    assert ws.store.schema_version() == latest
    applied = ws.store.query_df("SELECT version FROM schema_migrations")["version"].tolist()
    assert applied == [m.version for m in bundled_migrations()]


def test_init_twice_keeps_config_and_data(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.config_path.write_text('[sites.marks]\nusername = "me"\n')
    ws.store.write_df("runs", pd.DataFrame([{"command": "x", "started_at": "t"}]))
    again = Workspace.init(tmp_path / "ws")
    assert again.section("sites", "marks") == {"username": "me"}
    assert len(again.store.query_df("SELECT * FROM runs")) == 1


def test_store_uses_wal_so_app_and_cli_can_share_it(workspace: Workspace) -> None:
    conn = sqlite3.connect(workspace.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_failed_transaction_leaves_nothing_behind(workspace: Workspace) -> None:
    with pytest.raises(RuntimeError), workspace.store.connect() as conn:
        conn.execute("INSERT INTO runs (command, started_at) VALUES ('half', 'now')")
        raise RuntimeError("crash mid-write")
    assert workspace.store.query_df("SELECT * FROM runs").empty


def test_write_df_replace_where_makes_reruns_idempotent(workspace: Workspace) -> None:
    rows = pd.DataFrame(
        [{"command": "sync", "started_at": "t1"}, {"command": "sync", "started_at": "t2"}]
    )
    for _ in range(3):
        workspace.store.write_df("runs", rows, replace_where="command = ?", params=("sync",))
    assert len(workspace.store.query_df("SELECT * FROM runs")) == 2


def test_open_non_workspace_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a gaffertape workspace"):
        Workspace.open(tmp_path)


def test_invalid_config_names_the_file(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.config_path.write_text("this is = = not toml")
    with pytest.raises(UserError, match=r"gaffertape\.toml: invalid TOML"):
        Workspace.open(ws.root)


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.init(tmp_path / "found")
    nested = ws.root / "reports" / "deep"
    nested.mkdir(parents=True)
    monkeypatch.delenv("GAFFERTAPE_WORKSPACE", raising=False)
    monkeypatch.chdir(nested)
    assert default_root() == ws.root
    monkeypatch.setenv("GAFFERTAPE_WORKSPACE", str(tmp_path / "env"))
    assert default_root() == (tmp_path / "env").resolve()
    assert default_root(tmp_path / "explicit") == (tmp_path / "explicit").resolve()
    assert open_workspace(tmp_path / "new", create=True).config_path.exists()


def test_every_public_api_name_resolves() -> None:
    import gaffertape

    for name in gaffertape._API:
        assert getattr(gaffertape, name) is not None, name
    assert {"get_allocation", "download_scripts", "sync", "tidy_sheets", "write_reports"} <= set(
        dir(gaffertape)
    )
