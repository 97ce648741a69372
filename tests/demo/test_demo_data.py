"""The generated data: deterministic, realistic in shape, and big where it should be, lazily."""

from __future__ import annotations

import hashlib
import re
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable

import pytest

from gaffertape.demo import DemoConfig, DemoUniversity, Faults
from gaffertape.demo.data import generate

from .demo_helpers import COURSE, Client, first_submitted, table_rows, token

Start = Callable[..., DemoUniversity]


def _stable(truth: dict) -> dict:
    """The truth without what legitimately differs between runs (the port)."""
    return {k: v for k, v in truth.items() if k != "base_url"}


def test_same_seed_same_truth(make_demo: Start) -> None:
    first, second = make_demo(seed=5).truth(), make_demo(seed=5).truth()
    assert _stable(first) == _stable(second)
    assert _stable(make_demo(seed=6).truth())["students"] != first["students"]


def test_identities_look_like_the_ou() -> None:
    students = generate(DemoConfig(seed=3, students=500))
    assert all(re.fullmatch(r"[A-Z]\d{7}", s.pi) for s in students)
    assert len({s.pi for s in students}) == 500
    assert any(not s.name.isascii() for s in students)
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", s.code)
               for s in students if s.code)


def test_marking_rates_are_realistic() -> None:
    students = generate(DemoConfig(seed=2, students=3000))
    submitted = [s for s in students if s.submitted]
    assert 0.02 < 1 - len(submitted) / len(students) < 0.08
    assert 0.15 < sum(s.needs_third for s in submitted) / len(submitted) < 0.27
    reasons = Counter(r for s in submitted for r in s.flag_reasons)
    assert reasons["difference"] > 0 and reasons["boundary"] > 0
    assert all(s.first.marker != s.second.marker for s in submitted)
    assert all(0 <= m <= 8 for s in submitted for m in (*s.first.marks, *s.second.marks))


def test_flags_follow_the_rules(demo: DemoUniversity) -> None:
    for student in demo.truth()["students"]:
        if not student["submitted"]:
            assert student["marks"] == {} and not student["flag"]["third_marking_required"]
            continue
        first, second = (student["marks"][r]["percent"] for r in ("first", "second"))
        band = [sum(p >= b for b in (40, 55, 70, 85)) for p in (first, second)]
        expected = abs(first - second) * 0.64 > 9.6 or band[0] != band[1]
        assert student["flag"]["third_marking_required"] == expected


def test_five_thousand_students(make_demo: Start) -> None:
    demo = make_demo(students=5000, zip_mb=1.0)
    assert demo.truth()["digests"] == "on_serve"
    client = Client(demo)
    client.login()
    rows = table_rows(client.get("/oscar/allocation", pres=COURSE).text, "allocation")
    assert len(rows) == 5000


def test_big_zip_streams_in_bounded_memory(make_demo: Start) -> None:
    demo = make_demo(students=3, zip_mb=50)
    assert demo.truth()["digests"] == "on_serve"
    student = first_submitted(demo.truth())
    assert student["zip"]["sha256"] is None and student["zip"]["size"] > 25_000_000
    client = Client(demo)
    client.login()
    page = client.get("/etma/student", course=COURSE, pi=student["pi"]).text
    digest, size = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        with client.http.stream("POST", "/etma/download", data={
            "fileset": "all", "course": COURSE, "pi": student["pi"],
            "csrf_token": token(page),
        }) as answer:
            for chunk in answer.iter_bytes():
                digest.update(chunk)
                size += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size == student["zip"]["size"]
    assert peak < 8_000_000, f"peak {peak} bytes while streaming a {size}-byte zip"
    recorded = _when_digested(demo, student["pi"])
    assert recorded["zip"]["sha256"] == digest.hexdigest()
    assert all(f["sha256"] for f in recorded["files"])


def _when_digested(demo: DemoUniversity, pi: str) -> dict:
    """The student's truth once the server has recorded the streamed zip's digests."""
    for _ in range(100):  # the server records them just after sending the last byte
        recorded = next(s for s in demo.truth()["students"] if s["pi"] == pi)
        if recorded["zip"]["sha256"]:
            return recorded
        time.sleep(0.05)
    raise AssertionError(f"no digests recorded for {pi}")


@pytest.mark.parametrize("setting", ["students=0", "zip_mb=0"])
def test_config_refuses_impossible_settings(setting: str) -> None:
    key, value = setting.split("=")
    with pytest.raises(ValueError, match=key):
        DemoConfig(**{key: float(value) if key == "zip_mb" else int(value)})


def test_fault_settings_parse_with_types() -> None:
    faults = Faults.profile("realistic").with_settings(
        ["error_rate=0.5", "lockout=off", "session_max_requests=9", "evil_zip_pis=A1,B2"])
    assert (faults.error_rate, faults.lockout, faults.session_max_requests) == (0.5, False, 9)
    assert faults.evil_zip_pis == ("A1", "B2") and faults.latency_ms == 80
    with pytest.raises(ValueError, match="nonsense"):
        Faults().with_settings(["nonsense=1"])
    with pytest.raises(ValueError, match="not a valid"):
        Faults().with_settings(["error_rate=lots"])
    with pytest.raises(ValueError, match="unknown fault profile"):
        Faults.profile("apocalyptic")
