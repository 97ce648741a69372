"""Fixtures for the demo university: a real server on 127.0.0.1 and a real HTTP client."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gaffertape.demo import DemoConfig, DemoUniversity, Faults

from .demo_helpers import Client


@pytest.fixture
def make_demo(tmp_path: Path) -> Iterator[Callable[..., DemoUniversity]]:
    """Start demos with given settings (small zips by default); all stop at the end of the test."""
    with contextlib.ExitStack() as stack:
        def start(faults: Faults | None = None, **settings: Any) -> DemoUniversity:
            settings = {"seed": 1, "students": 30, "zip_mb": 0.05,
                        "truth_path": tmp_path / "truth.json", **settings}
            config = DemoConfig(faults=faults or Faults(), **settings)
            return stack.enter_context(DemoUniversity(config))
        yield start


@pytest.fixture
def demo(make_demo: Callable[..., DemoUniversity]) -> DemoUniversity:
    """A fault-free demo with 30 students."""
    return make_demo()


@pytest.fixture
def client(demo: DemoUniversity) -> Client:
    """A signed-in client of the fault-free demo."""
    signed_in = Client(demo)
    signed_in.login()
    return signed_in
