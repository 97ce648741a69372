"""Every fault mode, over real HTTP: each one bites, and a retrying client gets past it."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import time
import zipfile
from collections.abc import Callable

import httpx
import pytest

from gaffertape.demo import DemoUniversity, Faults
from gaffertape.demo.sessions import Sessions

from .demo_helpers import COURSE, Client, first_submitted, table_rows, token

Start = Callable[..., DemoUniversity]
TRANSPORT_ERRORS = (httpx.TransportError,)


def statuses(demo: DemoUniversity, times: int, path: str = "/") -> list[int]:
    """Status codes of the same request repeated ``times`` times."""
    with httpx.Client(base_url=demo.base_url) as http:
        return [http.get(path).status_code for _ in range(times)]


def test_no_faults_by_default(demo: DemoUniversity) -> None:
    assert set(statuses(demo, 20)) == {200}
    assert demo.truth()["counters"]["faults"] == {}


def test_errors_give_way_after_max_faulty_attempts(make_demo: Start) -> None:
    demo = make_demo(Faults(error_rate=1.0, max_faulty_attempts=3))
    codes = statuses(demo, 5)
    assert all(code in (500, 502, 503) for code in codes[:3]) and codes[3:] == [200, 200]
    assert demo.truth()["counters"]["faults"] == {"error": 3}


def test_fault_decisions_are_deterministic_per_seed(make_demo: Start) -> None:
    faults = Faults(error_rate=0.5, max_faulty_attempts=100)
    runs = [statuses(make_demo(faults, seed=7), 40) for _ in range(2)]
    other = statuses(make_demo(faults, seed=8), 40)
    assert runs[0] == runs[1] != other
    assert 200 in runs[0] and any(code >= 500 for code in runs[0])


def test_reset_drops_the_connection(make_demo: Start) -> None:
    demo = make_demo(Faults(reset_rate=1.0, max_faulty_attempts=1))
    with httpx.Client(base_url=demo.base_url) as http:
        with pytest.raises(TRANSPORT_ERRORS):
            http.get("/")
        assert http.get("/").status_code == 200
    assert demo.truth()["counters"]["faults"] == {"reset": 1}


def test_truncated_download_then_a_full_retry(make_demo: Start) -> None:
    demo = make_demo(Faults(truncate_rate=1.0, max_faulty_attempts=1))
    client = Client(demo)
    client.login()
    student = first_submitted(demo.truth())
    with pytest.raises(TRANSPORT_ERRORS):
        client.download(student["pi"])
    client = Client(demo)  # a fresh connection: the cut one is gone
    client.login()
    answer = client.download(student["pi"])
    assert len(answer.content) == student["zip"]["size"]
    assert demo.truth()["counters"]["faults"] == {"truncate": 1}


def test_truncation_only_hits_downloads(make_demo: Start) -> None:
    demo = make_demo(Faults(truncate_rate=1.0))
    assert set(statuses(demo, 5)) == {200}


def test_latency_and_bandwidth_cap_still_deliver(make_demo: Start) -> None:
    demo = make_demo(Faults(latency_ms=5, jitter_ms=5, bandwidth_bps=2_000_000))
    client = Client(demo)
    client.login()
    student = first_submitted(demo.truth())
    assert len(client.download(student["pi"]).content) == student["zip"]["size"]


def test_session_dies_after_n_requests(make_demo: Start) -> None:
    demo = make_demo(Faults(session_max_requests=3))
    client = Client(demo)
    client.login()  # lands on /oscar/: request 1
    assert [client.get("/oscar/").status_code for _ in range(2)] == [200, 200]
    expired = client.get(f"/oscar/allocation?pres={COURSE}")
    assert expired.status_code == 200 and "Your session has expired" in expired.text
    assert 'class="allocation"' not in expired.text
    client.login()
    assert 'class="allocation"' in client.get("/oscar/allocation", pres=COURSE).text


def test_session_dies_after_t_seconds(make_demo: Start) -> None:
    demo = make_demo(Faults(session_ttl_s=0.05))
    client = Client(demo)
    client.login()
    time.sleep(0.1)
    assert "Your session has expired" in client.get("/etma/admin").text


def test_burst_locks_the_account_with_a_200_page(make_demo: Start) -> None:
    demo = make_demo(Faults(lockout=True, lockout_burst=5, lockout_window_s=60))
    client = Client(demo)
    client.login()  # request 1 of the burst
    pages = [client.get("/oscar/") for _ in range(6)]
    assert [p.status_code for p in pages] == [200] * 6
    assert all("account locked" not in p.text for p in pages[:4])
    locked = pages[5].text
    assert "<title>Account locked</title>" in locked and "account locked" in locked
    assert re.search(r"Try again in \d+ seconds", locked)
    assert demo.truth()["counters"]["lockouts"] == 2


def test_lockout_thresholds_spare_polite_clients() -> None:
    """≤ 8 requests/s never trips the default lockout; 30 requests in 2 s does."""
    now = [0.0]
    polite = Sessions(Faults(lockout=True), clock=lambda: now[0])
    for step in range(8 * 120):
        now[0] = step / 8
        assert polite.locked_for("marker") == 0
    burst = Sessions(Faults(lockout=True), clock=lambda: now[0])
    waits = []
    for step in range(30):
        now[0] = 1000 + step * 2 / 30
        waits.append(burst.locked_for("marker"))
    assert waits[:20] == [0] * 20 and waits[-1] == 30


def test_malformed_rows_stay_recoverable(make_demo: Start) -> None:
    demo = make_demo(Faults(malformed_rate=1.0), students=60)
    client = Client(demo)
    client.login()
    page = client.get("/oscar/allocation", pres=COURSE).text
    truth = demo.truth()["students"]
    variants = {s["malformed_row"] for s in truth}
    assert variants == {"extra_cell", "font_pi", "whitespace", "stray_tags", "unclosed",
                        "missing_cell"}
    rows = table_rows(page, "allocation")
    assert [r[0] for r in rows] == [s["pi"] for s in truth]
    assert [r[1] for r in rows] == [s["name"] for s in truth]
    assert {len(r) for r in rows} == {5, 6, 7}


def test_evil_zip_holds_traversal_and_symlink_entries(make_demo: Start) -> None:
    plain = make_demo(students=10)
    pi = first_submitted(plain.truth())["pi"]
    demo = make_demo(Faults(evil_zip_pis=(pi,)), students=10)
    client = Client(demo)
    client.login()
    archive = zipfile.ZipFile(io.BytesIO(client.download(pi).content))
    names = archive.namelist()
    assert {"../../evil.txt", "/etc/evil", "evil_link"} <= set(names)
    link = archive.getinfo("evil_link")
    assert (link.external_attr >> 16) & 0o170000 == 0o120000
    assert archive.read("evil_link") == b"/etc/passwd"
    student = next(s for s in demo.truth()["students"] if s["pi"] == pi)
    assert student["evil_entries"] == ["../../evil.txt", "/etc/evil", "evil_link"]


def test_faults_never_change_the_data(make_demo: Start) -> None:
    calm = make_demo().truth()["students"]
    hostile = make_demo(Faults.profile("hostile")).truth()["students"]
    keep = ("pi", "name", "confirmation_code", "marks", "flag", "files")
    assert [{k: s[k] for k in keep} for s in calm] == [{k: s[k] for k in keep} for s in hostile]


def test_hostile_is_survivable_with_retries(make_demo: Start) -> None:
    faults = Faults.profile("hostile").with_settings(
        ["latency_ms=0", "jitter_ms=0", "bandwidth_bps=0", "lockout=false"])
    demo = make_demo(faults, students=12)
    client = RetryingClient(demo)
    truth = demo.truth()["students"]
    rows = table_rows(client.page(f"/oscar/allocation?pres={COURSE}"), "allocation")
    assert [r[0] for r in rows] == [s["pi"] for s in truth]
    for student in (s for s in truth if s["submitted"]):
        page = client.page(f"/etma/student?course={COURSE}&pi={student['pi']}")
        assert student["confirmation_code"] in page
        zipped = client.download(student["pi"])
        assert hashlib.sha256(zipped).hexdigest() == student["zip"]["sha256"]
    assert set(demo.truth()["counters"]["faults"]) == {"error", "reset", "truncate"}


class RetryingClient:
    """The minimal well-behaved client: retry on errors, sign in again when the session dies."""

    def __init__(self, demo: DemoUniversity) -> None:
        self.client = Client(demo)

    def page(self, url: str) -> str:
        """The page's HTML, however many attempts it takes (a bounded number)."""
        for _ in range(20):
            try:
                answer = self.client.http.get(url)
            except httpx.TransportError:
                continue
            if answer.status_code == 302 or "Your session has expired" in answer.text:
                self._login()
            elif answer.status_code == 200:
                return answer.text
        raise AssertionError(f"{url} never succeeded")

    def download(self, pi: str) -> bytes:
        """The student's zip, complete, retrying cut or failed downloads with a fresh form."""
        url = f"/etma/student?course={COURSE}&pi={pi}"
        for _ in range(20):
            form = token(self.page(url))
            data = {"fileset": "all", "course": COURSE, "pi": pi, "csrf_token": form}
            try:
                answer = self.client.http.post("/etma/download", data=data)
            except httpx.TransportError:
                continue
            if answer.headers.get("content-type") == "application/zip":
                return answer.content
        raise AssertionError(f"the zip of {pi} never arrived")

    def _login(self) -> None:
        with contextlib.suppress(httpx.TransportError):
            self.client.login()
