"""Fixtures for the app: the demo university with faults on, a workspace pointed at it, the app
running as a real subprocess (``gaffertape app``), and headless Debian Chromium.

The app runs in its own process, as users run it: Dash binds ``dash.callback`` callbacks to the
first app of a process, and a restart test needs to kill and start it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gaffertape.cli.mainjob import configure_demo_sites
from gaffertape.demo import DemoConfig, DemoUniversity, Faults
from gaffertape.sites import workflows as wf
from gaffertape.sites.engine import HostThrottle
from gaffertape.workspace import CONFIG_NAME, Workspace

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TOKEN = "test-token-" + "0123456789abcdef" * 2

# Every fault on, scaled so a test stays in seconds (as tests/sites/conftest.py).
FAULTS = dict(latency_ms=20, jitter_ms=10, bandwidth_bps=2_000_000, error_rate=0.10,
              reset_rate=0.05, truncate_rate=0.10, session_ttl_s=120, session_max_requests=25,
              lockout=True, lockout_burst=80, lockout_window_s=2, lockout_cooldown_s=30,
              malformed_rate=0.15, evil_zip_rate=0.15)
POLITENESS = ("\n[sites.politeness]\ndelay = 0.01\nrate = 25.0\nglobal_rate = 100.0\n"
              "backoff = 0.05\nmax_backoff = 0.5\nretries = 8\n")


@dataclass
class DemoWorkspace:
    demo: DemoUniversity
    ws: Workspace
    env: dict[str, str]

    def truth(self) -> dict[str, Any]:
        return self.demo.truth()


@contextlib.contextmanager
def demo_workspace(tmp: Path, *, students: int = 24, zip_mb: float = 0.05,
                   allocation: bool = True, **faults: Any) -> Iterator[DemoWorkspace]:
    """The demo (faults on) and a workspace configured for it, the allocation fetched."""
    config = DemoConfig(seed=3, students=students, zip_mb=zip_mb,
                        faults=Faults.profile("none", **{**FAULTS, **faults}),
                        truth_path=tmp / "truth.json", port=0)
    HostThrottle.reset()
    with DemoUniversity(config) as demo:
        ws = Workspace.init(tmp / "ws")
        ws = configure_demo_sites(ws, demo.base_url, demo.username)
        with (ws.root / CONFIG_NAME).open("a", encoding="utf-8") as fh:
            fh.write(POLITENESS)
        ws = Workspace.open(ws.root)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
        env |= {"GAFFERTAPE_PASSWORD": demo.password, "GAFFERTAPE_APP_TOKEN": TOKEN}
        old = os.environ.get("GAFFERTAPE_PASSWORD")
        os.environ["GAFFERTAPE_PASSWORD"] = demo.password
        try:
            if allocation:
                wf.get_allocation(ws, progress=False)
            yield DemoWorkspace(demo, ws, env)
        finally:
            if old is None:
                os.environ.pop("GAFFERTAPE_PASSWORD", None)
            else:
                os.environ["GAFFERTAPE_PASSWORD"] = old
    HostThrottle.reset()


class AppProcess:
    """``gaffertape -w WS app --port 0`` as a subprocess; ``url`` carries no token."""

    def __init__(self, root: Path, env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gaffertape", "-w", str(root), "app", "--port", "0"],
            env=env, stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"the app did not start: {log.read_text()[-2000:]}")
        self.url_with_token = line
        self.url = line.split("?", 1)[0]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[[DemoWorkspace], AppProcess]]:
    started: list[AppProcess] = []

    def start(setup: DemoWorkspace) -> AppProcess:
        app = AppProcess(setup.ws.root, setup.env, tmp_path / "app.log")
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ (git-ignored) for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
