"""Fixtures: a demo university with every fault on (fast settings), and a workspace for it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaffertape.demo import DemoConfig, DemoUniversity, Faults
from gaffertape.sites import workflows as wf
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


# ---------------------------------------------------------------------------------------------
# checks against a demo's truth file (either institution)


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_scripts_match_truth(ws: Workspace, students: dict[str, dict]) -> None:
    """Every submitted file extracted, byte for byte (where the truth has its digest); no folder
    for a student without a submission."""
    for pi, s in students.items():
        folder = ws.scripts_dir / s["course"] / pi
        if not s["submitted"]:
            assert not folder.exists()
            continue
        names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert names == sorted(f["name"] for f in s["files"]), pi
        for f in s["files"]:
            if f["sha256"]:
                assert _sha(folder / f["name"]) == f["sha256"], (pi, f["name"])


def assert_codes_and_marks_match_truth(
    codes: Any, marks: Any, students: dict[str, dict]
) -> None:
    """Every confirmation code, and every first and second marker's marks and comments."""
    import pandas as pd

    by_pi = codes.set_index("pi")["code"]
    for pi, s in students.items():
        assert (None if pd.isna(by_pi[pi]) else by_pi[pi]) == s["confirmation_code"]
        for role in ("first", "second") if s["submitted"] else ():
            got = marks[(marks.pi == pi) & (marks.role == role)]
            want = s["marks"][role]
            assert set(got["marker"]) == {want["marker"]}
            assert dict(zip(got["category"], got["mark"], strict=True)) == {
                k: float(v) for k, v in want["marks"].items()
            }
            assert got["comments"].iloc[0] == want["comments"]


def sync_with_faults(demo: DemoUniversity, ws: Workspace) -> tuple[dict[str, Any], dict[str, dict]]:
    """The whole sync against a demo with faults on; checks that faults were injected and that
    the allocation names every student with their name and tutor group. Returns the sync's
    frames and the truth's students by PI."""
    out = wf.sync(ws, politeness=FAST, overrides=overrides_for(demo), progress=False)
    truth = demo.truth()
    assert truth["counters"]["faults"], "faults were injected"
    students = {s["pi"]: s for s in truth["students"]}
    alloc = out["allocation"].set_index("pi")
    assert set(alloc.index) == set(students)
    for pi, s in students.items():
        assert alloc.loc[pi, "name"] == s["name"]
        assert alloc.loc[pi, "tutor_group"] == s["tutor_group"]
    return out, students


def assert_second_sync_is_quiet(demo: DemoUniversity, ws: Workspace, students: int) -> None:
    """A second sync with nothing changed makes at most one request per student and downloads
    nothing again."""
    before = sum(demo.truth()["counters"]["requests"].values())
    again = wf.sync(ws, politeness=FAST, overrides=overrides_for(demo), progress=False)
    made = sum(demo.truth()["counters"]["requests"].values()) - before
    assert made <= students, made
    assert set(again["download"]["result"]) <= {"skipped (verified)"}
