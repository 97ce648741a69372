"""CLI: posting third marks as a user does: dry run, post, post again (never twice)."""

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from gaffertape.cli import app
from gaffertape.store import Store
from gaffertape.workspace import Workspace

from .conftest import demo_university


def test_post_dry_run_then_post_then_rerun_posts_once(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = Workspace.init(tmp_path / "ws").root
    with demo_university(tmp_path, students=20, error_rate=0.1, reset_rate=0.05) as demo:
        truth = demo.truth()
        flagged = [s for s in truth["students"] if s["flag"]["third_marking_required"]][:2]
        assert flagged, "the demo flags some scripts"
        categories = [c["category"] for c in truth["scheme"]]
        rows = [{"pi": s["pi"], **dict.fromkeys(categories, 5), "comments": "Agreed at 5s"}
                for s in flagged]
        marks_file = tmp_path / "third.csv"
        pd.DataFrame(rows).to_csv(marks_file, index=False)
        command = ["--workspace", str(ws), "sites", "post", str(marks_file),
                   "--base-url", demo.base_url, "--username", demo.username, "--quiet"]

        for extra in (["--dry-run"], [], []):  # dry run, post, rerun
            result = runner.invoke(app, [*command, *extra])
            assert result.exit_code == 0, result.output
            if extra:
                assert demo.truth()["third_marks"] == []  # a dry run posts nothing
        received = demo.truth()["third_marks"]

    accepted = [p for p in received if p["accepted"]]
    assert sorted(p["pi"] for p in accepted) == sorted(s["pi"] for s in flagged)  # once each
    audit = Store(ws / "gaffertape.db").query_df("SELECT pi, action FROM posts ORDER BY id")
    for student in flagged:
        actions = audit[audit["pi"] == student["pi"]]["action"].tolist()
        assert actions == ["dry-run", "posted", "verified", "skipped"]
