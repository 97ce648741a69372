"""The main job (`gaffertape demo run`) end to end, small and with hostile faults."""

import json
from pathlib import Path

import pytest

from gaffertape.cli import mainjob
from gaffertape.sites.engine import HostThrottle


def test_run_demo_small_hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAFFERTAPE_PASSWORD", raising=False)  # the job sets the demo's own
    HostThrottle.reset()
    ctx = mainjob.run_steps(students=12, faults="hostile", workspace=tmp_path / "ws", zip_mb=0.02)
    HostThrottle.reset()
    checked = ctx.summary["files verified against the server"]
    done, total = checked.split(" of ")
    assert done == total and int(total) > 0
    assert ctx.summary["students"] == 12
    reports = tmp_path / "ws" / "reports"
    assert (reports / "codes.xlsx").is_file()
    assert (reports / "marking" / "third_marking.csv").is_file()
    config = (tmp_path / "ws" / "gaffertape.toml").read_text()
    assert config.count("\n[sites.marks]") == 1 and "demo-password" not in config

    # the scripts the job says need a third marker are exactly the ones the demo flagged
    truth = json.loads((tmp_path / "ws" / "demo-truth.json").read_text())
    expected = {s["pi"] for s in truth["students"] if (s.get("flag") or {}).get(
        "third_marking_required")}
    listed = set(ctx.results["third_marking"]["pi"])
    assert listed == expected
    assert ctx.summary["scripts needing a third marker"] == len(expected)
