"""The CLI in a subprocess: SIGKILL half-way then resume; no password in any output or log."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from gaffertape.workspace import Workspace

from .conftest import ALL_FAULTS, PASSWORD, cli_env, demo_university

GAFFERTAPE = [str(Path(sys.executable).with_name("gaffertape"))]


def _cli(ws: Path, demo, *args: str) -> list[str]:
    return [
        *GAFFERTAPE,
        "--workspace",
        str(ws),
        "sites",
        *args,
        "--base-url",
        demo.base_url,
        "--username",
        demo.username,
        "--delay",
        "0.01",
        "--rate",
        "25",
    ]


def _ok_downloads(db: Path) -> set[str]:
    if not db.exists():
        return set()
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return {r[0] for r in conn.execute("SELECT pi FROM downloads WHERE status = 'ok'")}
    except sqlite3.Error:
        return set()


def test_sigkill_half_way_then_resume(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    with demo_university(
        tmp_path, students=24, zip_mb=0.1, latency_ms=30, jitter_ms=10, bandwidth_bps=300_000
    ) as demo:
        proc = subprocess.Popen(
            _cli(ws.root, demo, "download", "--quiet"),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while len(_ok_downloads(ws.db_path)) < 5:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        verified_before = _ok_downloads(ws.db_path)
        truth = demo.truth()
        submitted = [s for s in truth["students"] if s["submitted"]]
        assert len(verified_before) < len(submitted), "killed half-way, not at the end"
        posts_before = truth["counters"]["requests"]["POST /etma/download"]

        rerun = subprocess.run(
            _cli(ws.root, demo, "download", "--quiet"),
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        truth = demo.truth()
        posts_after = truth["counters"]["requests"]["POST /etma/download"]
        # nothing verified before the kill was fetched again; everything else exactly once
        assert posts_after - posts_before == len(submitted) - len(verified_before)
        assert "skipped (verified)" in rerun.stderr
        for s in submitted:
            folder = ws.scripts_dir / s["course"] / s["pi"]
            for f in s["files"]:
                assert (
                    f["sha256"]
                    and hashlib.sha256((folder / f["name"]).read_bytes()).hexdigest() == f["sha256"]
                )
        leftovers = [p for p in ws.root.rglob("*") if p.name.endswith(".part")]
        assert not leftovers


def test_password_never_in_output_or_logs(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    faults = {**ALL_FAULTS, "session_max_requests": 10}
    with demo_university(tmp_path, students=12, **faults) as demo:
        runs = [
            subprocess.run(
                [*GAFFERTAPE, "--debug", *_cli(ws.root, demo, "sync")[1:]],
                env=cli_env(),
                capture_output=True,
                text=True,
                timeout=120,
            ),
            subprocess.run(
                _cli(
                    ws.root, demo, "codes", "--export", str(tmp_path / "c.csv"), "--format", "csv"
                ),
                env=cli_env(),
                capture_output=True,
                text=True,
                timeout=120,
            ),
            subprocess.run(
                _cli(ws.root, demo, "allocation"),
                env=cli_env(GAFFERTAPE_PASSWORD="a-wrong-secret-99"),
                capture_output=True,
                text=True,
                timeout=120,
            ),
        ]
        assert runs[0].returncode == 0, runs[0].stderr[-3000:]
        assert runs[1].returncode == 0 and "TM470" in runs[1].stdout
        assert runs[2].returncode == 2 and "rejected" in runs[2].stderr
        assert demo.truth()["counters"]["logins"] >= 2
    texts = [r.stdout + r.stderr for r in runs]
    texts += [p.read_text(errors="replace") for p in ws.logs_dir.rglob("*") if p.is_file()]
    texts += [(tmp_path / "c.csv").read_text()]
    assert any("logged in" in t for t in texts)
    for text in texts:
        assert PASSWORD not in text
        assert "a-wrong-secret-99" not in text
