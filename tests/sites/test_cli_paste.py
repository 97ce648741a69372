"""CLI: a pasted allocation, codes export to XLSX, and the rerun command after failures."""

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from gaffertape.cli import app
from gaffertape.cli.context import state
from gaffertape.workspace import Workspace

from .conftest import demo_university


def test_paste_codes_export_and_rerun_hint(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = Workspace.init(tmp_path / "ws").root
    pasted = tmp_path / "alloc.tsv"
    with demo_university(tmp_path, students=6) as demo:
        truth = demo.truth()
        lines = ["PI\tName\tTutor group\tStatus"] + [
            f"{s['pi']}\t{s['name']}\t{s['tutor_group']}\tMarked" for s in truth["students"]
        ]
        pasted.write_text("\n".join(lines) + "\n", encoding="utf-8")
        common = ["--base-url", demo.base_url, "--username", demo.username, "--quiet"]
        result = runner.invoke(
            app,
            [
                "--workspace",
                str(ws),
                "sites",
                "allocation",
                "--paste",
                str(pasted),
                "--course",
                "TM470-25J",
            ],
        )
        assert result.exit_code == 0, result.output
        out = tmp_path / "codes.xlsx"
        result = runner.invoke(
            app, ["--workspace", str(ws), "sites", "codes", "--export", str(out), *common]
        )
        assert result.exit_code == 0, result.output
        codes = pd.read_excel(out, engine="openpyxl")
        assert set(codes["pi"]) == {s["pi"] for s in truth["students"]}
        # a site that is down: every student fails, exit 1 and the exact rerun command
        down = ["--base-url", "http://127.0.0.1:9", "--username", "x", "--retries", "0", "--quiet"]
        result = runner.invoke(app, ["--workspace", str(ws), "sites", "download", *down])
    state.workspace_option = None
    assert result.exit_code == 1
    assert "Rerun just those with" in result.output
    flat = " ".join(result.output.split())
    assert "sites download" in flat and "--base-url http://127.0.0.1:9" in flat
    assert "--pi " + sorted(s["pi"] for s in truth["students"])[0] in result.output
