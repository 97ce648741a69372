"""The main job (`gaffertape demo run`) end to end, small and with hostile faults."""

from pathlib import Path

from gaffertape.cli import mainjob
from gaffertape.sites.engine import HostThrottle


def test_run_demo_small_hostile(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GAFFERTAPE_PASSWORD", raising=False)  # the job sets the demo's own
    HostThrottle.reset()
    seen = []
    steps = [*mainjob.STEPS, ("Marking summary", lambda ctx: seen.append(ctx.summary.copy()))]
    ctx = mainjob.run_steps(
        students=8, faults="hostile", workspace=tmp_path / "ws", zip_mb=0.02, steps=steps
    )
    HostThrottle.reset()
    checked = ctx.summary["files verified against the server"]
    done, total = checked.split(" of ")
    assert done == total and int(total) > 0
    assert seen and seen[0]["students"] == 8
    assert (tmp_path / "ws" / "reports" / "codes.xlsx").is_file()
    config = (tmp_path / "ws" / "gaffertape.toml").read_text()
    assert config.count("\n[sites.marks]") == 1 and "demo-password" not in config
