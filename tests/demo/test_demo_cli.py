"""``gaffertape demo serve`` and ``python -m gaffertape.demo``: start, announce, serve, stop."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

GAFFERTAPE = Path(sys.executable).with_name("gaffertape")


def serve_until_interrupted(command: list[str], truth: Path) -> str:
    """Run the command, read the announced URL and credentials, fetch /, then press Ctrl-C."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)
        assert "username: demo.marker" in lines[1] and "password:" in lines[1]
        assert httpx.get(url + "/", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert json.loads(truth.read_text(encoding="utf-8"))["base_url"] == url
    return "".join(lines)


@pytest.mark.parametrize("launcher", [
    [str(GAFFERTAPE), "demo", "serve"],
    [sys.executable, "-m", "gaffertape.demo"],
])
def test_serve_announces_and_stops_on_ctrl_c(launcher: list[str], tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    options = ["--port", "0", "--students", "20", "--seed", "3", "--faults", "realistic",
               "--set", "latency_ms=1", "--truth", str(truth)]
    serve_until_interrupted([*launcher, *options], truth)
    saved = json.loads(truth.read_text(encoding="utf-8"))
    assert len(saved["students"]) == 20 and saved["faults"]["latency_ms"] == 1


def test_bad_profile_is_one_clear_line() -> None:
    done = subprocess.run(
        [str(GAFFERTAPE), "demo", "serve", "--faults", "apocalyptic"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2 and "unknown fault profile" in done.stderr
    assert "Traceback" not in done.stderr
