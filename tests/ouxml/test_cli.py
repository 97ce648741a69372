"""The ouxml CLI end to end: ingest, search, glossary, images, links, audit, mindmap, convert."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gaffertape.cli import app
from gaffertape.workspace import Workspace

runner = CliRunner()


@pytest.fixture(autouse=True)
def workspace_folder(tmp_path: Path) -> Path:
    """The workspace the commands run in (only `gaffertape init` creates one)."""
    return Workspace.init(tmp_path / "ws").root


def _records(text: str) -> list[dict]:
    """``--format json`` prints JSON lines."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, ["-w", str(ws), "ouxml", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_end_to_end(docs: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _run(ws, "ingest", str(docs))
    hits = _records(_run(ws, "search", "buffer", "--kind", "outcome", "--format", "json"))
    assert [h["course"] for h in hits] == ["TST202"]
    topic = pd.read_csv(tmp_path / "topic.csv") if _run(
        ws, "search", "buffer", "--topic", "--out", str(tmp_path / "topic.csv"), "-f", "csv"
    ) else None
    assert topic is not None and {"outcome", "glossary"} <= set(topic.kind)
    glossary = _records(_run(ws, "glossary", "buffers", "-f", "json"))
    assert {g["course"] for g in glossary} == {"TST101", "TST202"}
    images = _records(_run(ws, "images", "queue", "-f", "json"))
    assert images[0]["image_file"] == "images/buffer.png"
    links = _records(_run(ws, "links", "--kind", "olink", "-f", "json"))
    assert links[0]["target"] == "Other unit#s2"
    structure = _records(_run(ws, "audit", "-f", "json", "--out", str(tmp_path / "a.xlsx")))
    assert [s["course"] for s in structure] == ["TST101", "TST202"]
    assert set(pd.read_excel(tmp_path / "a.xlsx", sheet_name=None, engine="openpyxl")) == {
        "structure", "figures without alt", "media without transcript"}
    _run(ws, "mindmap", "--course", "TST101", "-o", str(tmp_path / "m.html"), "-o",
         str(tmp_path / "m.mm"), "-o", str(tmp_path / "m.opml"))
    assert "Networks unit" in (tmp_path / "m.html").read_text(encoding="utf-8")
    _run(ws, "mindmap", "--topic", "buffer", "-o", str(tmp_path / "t.opml"))
    assert b"TST202" in (tmp_path / "t.opml").read_bytes()


def test_cli_convert_both_ways(tmp_path: Path) -> None:
    source = tmp_path / "week.md"
    source.write_text("# Week 1\n\nHello *world*.\n\n## Glossary\n\n- **Hub**: a device\n",
                      encoding="utf-8")
    ws = tmp_path / "ws"
    _run(ws, "convert", str(source), "-o", str(tmp_path / "week.xml"), "--course-code", "W1")
    xml = (tmp_path / "week.xml").read_text(encoding="utf-8")
    assert "<CourseCode>W1</CourseCode>" in xml and "<Term>Hub</Term>" in xml
    _run(ws, "convert", str(tmp_path / "week.xml"), "-o", str(tmp_path / "back.md"))
    assert "# Week 1" in (tmp_path / "back.md").read_text(encoding="utf-8")
    _run(ws, "convert", str(tmp_path / "week.xml"), "-o", str(tmp_path / "preview.html"))
    assert "<dt>Hub</dt>" in (tmp_path / "preview.html").read_text(encoding="utf-8")


def test_cli_errors_are_one_line_and_leave_good_output(tmp_path: Path) -> None:
    """Through the real entry point: exit codes, one line on stderr, nothing half-written."""
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?>\n<!DOCTYPE Item [<!ENTITY x SYSTEM '
                    '"file:///etc/passwd">]>\n<Item>&x;</Item>\n', encoding="utf-8")
    env_ws = ["-w", str(tmp_path / "ws")]
    ingest = subprocess.run([sys.executable, "-m", "gaffertape", *env_ws, "ouxml", "ingest",
                             str(evil)], capture_output=True, text=True, timeout=120)
    assert ingest.returncode == 1
    assert f"error: {evil}:2: refused" in " ".join(ingest.stderr.split())

    good = tmp_path / "out.xml"
    good.write_text("earlier good output", encoding="utf-8")
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{\n "cells": [,]\n}', encoding="utf-8")
    convert = subprocess.run([sys.executable, "-m", "gaffertape", *env_ws, "ouxml", "convert",
                              str(bad), "-o", str(good)], capture_output=True, text=True,
                             timeout=120)
    assert convert.returncode == 2
    lines = [line for line in convert.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{bad}:2: not a valid notebook" in lines[0]
    assert good.read_text(encoding="utf-8") == "earlier good output"


def test_table_output_keeps_brackets_and_snippet_marks(docs: Path, tmp_path: Path) -> None:
    """Course text with [brackets] and the snippet marks are shown, not eaten as Rich markup."""
    (docs / "tst101.xml").write_text((docs / "tst101.xml").read_text(encoding="utf-8").replace(
        "A router forwards packets.", "A router [bold]forwards[/bold] packets."),
        encoding="utf-8")
    ws = tmp_path / "ws"
    _run(ws, "ingest", str(docs))
    shown = runner.invoke(app, ["-w", str(ws), "ouxml", "search", "forwards", "--kind",
                                "session"], env={"COLUMNS": "200"}).stdout
    assert "[bold][forwards][/bold]" in shown
