"""The ground truth: what the demo serves and what it has received, as one JSON file.

Tests and benchmarks check a client's results against this file rather than against the HTML,
so it must be complete and never half-written: it is rewritten atomically (temp file, then
``os.replace``) by a background thread shortly after each change, and once more at stop.
Static parts (students, marks) come from the generated data; the rest is recorded as it happens.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gaffertape.demo import zipstream
from gaffertape.demo.config import DemoConfig
from gaffertape.demo.data import MARKERS, SCHEME, MarkSet, Student

FLUSH_INTERVAL_S = 0.5


class Truth:
    """Collects the truth in memory and keeps ``path`` (if any) up to date."""

    def __init__(
        self,
        config: DemoConfig,
        students: list[Student],
        username: str,
        zip_name: Callable[[Student], str] | None = None,
    ) -> None:
        self._config = config
        self._zip_name = zip_name or (lambda s: f"{s.course}_{s.pi}.zip")
        self._students = students
        self._username = username
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._stopped = threading.Event()
        self._digests: dict[str, zipstream.Digests] = {}
        self._posts: list[dict[str, Any]] = []
        self._counters: dict[str, Counter[str]] = {"requests": Counter(), "faults": Counter()}
        self._events: Counter[str] = Counter()
        self.base_url = ""
        self.eager = _total_bytes(students) <= config.eager_digest_mb * 1_000_000
        if self.eager:
            self._digests = {s.pi: _digest(s) for s in students if s.submitted}
        self._thread: threading.Thread | None = None

    def start(self, base_url: str) -> None:
        """Write the file now and keep it fresh from a background thread."""
        self.base_url = base_url
        self.flush()
        if self._config.truth_path:
            self._thread = threading.Thread(target=self._flush_loop, name="demo-truth", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the background writer and write the final state."""
        self._stopped.set()
        if self._thread:
            self._thread.join()
        self.flush()

    def count(self, group: str, name: str) -> None:
        """Count one request (``requests``) or one injected fault (``faults``)."""
        with self._lock:
            self._counters[group][name] += 1
        self._dirty.set()

    def event(self, name: str) -> None:
        """Count a notable event: a login, a lockout, a completed zip."""
        with self._lock:
            self._events[name] += 1
        self._dirty.set()

    def record_digests(self, pi: str, digests: zipstream.Digests) -> None:
        """Keep the digests of a zip that has just been streamed in full."""
        with self._lock:
            self._digests.setdefault(pi, digests)
            self._events["zips_completed"] += 1
        self._dirty.set()

    def record_post(self, post: dict[str, Any]) -> None:
        """Keep one third-mark POST, accepted or not, with a UTC timestamp."""
        stamped = {**post, "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds")}
        with self._lock:
            self._posts.append(stamped)
        self._dirty.set()

    def snapshot(self) -> dict[str, Any]:
        """The whole truth as a JSON-ready dict."""
        with self._lock:
            digests = dict(self._digests)
            posts = list(self._posts)
            counters = {group: dict(c) for group, c in self._counters.items()}
            events = dict(self._events)
        return {
            "seed": self._config.seed,
            "base_url": self.base_url,
            "username": self._username,
            "courses": list(self._config.courses),
            "scheme": [{"category": c, "max": m, "weight": w} for c, m, w in SCHEME],
            "markers": [{"name": n, "bias": b, "noise": s} for n, b, s in MARKERS],
            "faults": self._config.faults.as_dict(),
            "digests": "eager" if self.eager else "on_serve",
            "institution": self._config.institution,
            "students": [
                _student(s, digests.get(s.pi), self._zip_name(s)) for s in self._students
            ],
            "third_marks": posts,
            "counters": {**counters, "logins": 0, "lockouts": 0, "zips_completed": 0, **events},
        }

    def flush(self) -> None:
        """Write the truth file atomically (nothing to do without a path)."""
        self._dirty.clear()
        path = self._config.truth_path
        if path is None:
            return
        text = json.dumps(self.snapshot(), ensure_ascii=False)  # compact: 5,000 students fast
        _write_atomic(Path(path), text)

    def _flush_loop(self) -> None:
        """Rewrite the file at most every :data:`FLUSH_INTERVAL_S` while things change."""
        while not self._stopped.wait(FLUSH_INTERVAL_S):
            if self._dirty.is_set():
                self.flush()


def _total_bytes(students: list[Student]) -> int:
    """Bytes in all submitted files: decides whether digests are computed at start."""
    return sum(f.size for s in students for f in s.files)


def _digest(student: Student) -> zipstream.Digests:
    """Digests of a student's zip, by generating it once without sending it."""
    found: list[zipstream.Digests] = []
    for _ in zipstream.stream(zipstream.entries(student.files, student.evil), found.append):
        pass
    return found[0]


def _student(
    student: Student, digests: zipstream.Digests | None, zip_name: str
) -> dict[str, Any]:
    """One student's truth entry."""
    members = zipstream.entries(student.files, student.evil)
    files = digests.files if digests else {}
    return {
        "pi": student.pi,
        "name": student.name,
        "course": student.course,
        "tutor_group": student.tutor_group,
        "submitted": student.submitted,
        "confirmation_code": student.code,
        "files": [
            {"name": f.name, "size": f.size, "submitted": f"{f.submitted:%Y-%m-%d %H:%M}",
             "sha256": files.get(f.name)}
            for f in student.files
        ],
        "zip": {
            "filename": zip_name,
            "size": zipstream.zip_size(members),
            "sha256": digests.zip if digests else None,
        } if student.submitted else None,
        "evil_entries": [m.name for m in members if m.spec is None],
        "malformed_row": student.malformed,
        "marks": {
            role: _mark_set(mark_set)
            for role, mark_set in (("first", student.first), ("second", student.second))
            if mark_set
        },
        "flag": {
            "third_marking_required": student.needs_third,
            "reasons": list(student.flag_reasons),
        },
    }


def _mark_set(mark_set: MarkSet) -> dict[str, Any]:
    """A marker's marks by category, comments and weighted percentage."""
    return {
        "marker": mark_set.marker,
        "marks": {name: mark for (name, _, _), mark in zip(SCHEME, mark_set.marks, strict=True)},
        "comments": mark_set.comments,
        "percent": mark_set.percent,
    }


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and ``os.replace`` it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
