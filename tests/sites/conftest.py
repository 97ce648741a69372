"""Fixtures: a demo university with every fault on (fast settings), and a workspace for it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaffertape.demo import DemoConfig, DemoUniversity, Faults
from gaffertape.sites.engine import HostThrottle
from gaffertape.workspace import Workspace

PASSWORD = "demo-password-1"

# Every fault mode on, scaled down so the suite stays fast.
ALL_FAULTS = dict(
    latency_ms=3,
    jitter_ms=2,
    bandwidth_bps=4_000_000,
    error_rate=0.10,
    reset_rate=0.05,
    truncate_rate=0.10,
    session_ttl_s=120,
    session_max_requests=25,
    lockout=True,
    lockout_burst=60,
    lockout_window_s=2,
    lockout_cooldown_s=30,
    malformed_rate=0.25,
    evil_zip_rate=0.15,
)

# Fast but still polite: well under the (raised) lockout burst above.
FAST = {
    "delay": 0.01,
    "rate": 25.0,
    "global_rate": 100.0,
    "backoff": 0.05,
    "max_backoff": 0.5,
    "retries": 6,
}


@contextlib.contextmanager
def demo_university(
    tmp: Path, students: int = 30, zip_mb: float = 0.02, institution: str = "demo", **faults: Any
) -> Iterator[DemoUniversity]:
    config = DemoConfig(
        institution=institution,
        seed=7,
        students=students,
        zip_mb=zip_mb,
        faults=Faults.profile("none", **faults),
        truth_path=tmp / "truth.json",
        port=0,
    )
    HostThrottle.reset()
    with DemoUniversity(config) as demo:
        yield demo
    HostThrottle.reset()


def overrides_for(demo: DemoUniversity) -> dict[str, dict[str, Any]]:
    """Site settings for the demo's institution (its bundled profiles, URL and user)."""
    site = {"base_url": demo.base_url, "username": demo.username}
    prefix = demo.config.institution
    return {kind: {**site, "profile": f"{prefix}-{kind}"} for kind in ("marks", "submissions")}


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("GAFFERTAPE_PASSWORD_")]:
        monkeypatch.delenv(name)  # e.g. left by the main job, which sets the demo's own
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", PASSWORD)
    monkeypatch.delenv("GAFFERTAPE_WORKSPACE", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
    env.update({"GAFFERTAPE_PASSWORD": PASSWORD, "COLUMNS": "200", **extra})
    return env
