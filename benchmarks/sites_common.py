"""Shared plumbing for the sites benchmarks: a demo university in a subprocess, a gaffertape
CLI run measured for wall time and peak RSS, and a check of extracted files against the truth."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

PYTHON = sys.executable
GAFFERTAPE = str(Path(sys.executable).with_name("gaffertape"))
PASSWORD = "demo-password-1"  # the demo's published fake password
USERNAME = "demo.marker"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Demo:
    """``python -m gaffertape.demo`` in a subprocess (so its memory is not counted)."""

    def __init__(
        self, tmp: Path, *, students: int, zip_mb: float, faults: str, settings: list[str]
    ) -> None:
        self.port = free_port()
        self.truth_path = tmp / "truth.json"
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = [
            PYTHON,
            "-m",
            "gaffertape.demo",
            "--port",
            str(self.port),
            "--students",
            str(students),
            "--zip-mb",
            str(zip_mb),
            "--faults",
            faults,
            "--truth",
            str(self.truth_path),
        ]
        for setting in settings:
            args += ["--set", setting]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the demo university did not start") from None
                time.sleep(0.2)
        while not self.truth_path.exists():
            time.sleep(0.1)

    def truth(self) -> dict[str, Any]:
        time.sleep(1.0)  # the demo writes its truth file at most every 0.5 s
        return json.loads(self.truth_path.read_text(encoding="utf-8"))

    def requests(self) -> int:
        return sum(self.truth()["counters"]["requests"].values())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def measure(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command; wall time, exact peak RSS, exit code and output.

    The peak comes from the kernel (``wait4``'s ``ru_maxrss``, the child's high-water mark), so
    no short spike between samples can be missed.
    """
    started = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    reader.join()
    return {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss * 1024 / 1e6,  # Linux reports KiB
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "returncode": proc.returncode,
        "output": b"".join(out).decode(errors="replace"),
    }


def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
    return {**base, "GAFFERTAPE_PASSWORD": PASSWORD, "COLUMNS": "120"}


def files_lost(truth: dict[str, Any], folder_of) -> int:
    """Truth files missing or different on disk (folder_of(student) -> Path)."""
    lost = 0
    for student in truth["students"]:
        if not student["submitted"]:
            continue
        folder = folder_of(student)
        for spec in student["files"]:
            path = folder / spec["name"]
            if not path.is_file():
                lost += 1
            elif spec.get("sha256"):
                digest = hashlib.sha256()
                with open(path, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                lost += digest.hexdigest() != spec["sha256"]
            elif path.stat().st_size != spec["size"]:
                lost += 1
    return lost
