"""Deterministic fault decisions that a retry can get past.

Each decision is a hash of (seed, fault kind, request key, attempt number), so a run is
reproducible from the seed, yet the same request tried again is a new attempt with a new draw.
After ``max_faulty_attempts`` faulted attempts at one request it always succeeds, which makes
even the hostile profile survivable by a client that retries.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass

from gaffertape.demo.config import Faults

ERROR_STATUSES = (500, 502, 503)


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait, then maybe fail it (``fault``) or cut its body short."""

    delay_s: float = 0.0
    fault: str | None = None
    status: int = 200
    keep_fraction: float = 1.0


class FaultDice:
    """Rolls the faults for each request, counting attempts and faults per request key."""

    def __init__(self, seed: int, faults: Faults) -> None:
        self._seed = seed
        self._faults = faults
        self._lock = threading.Lock()
        self._attempts: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()

    def decide(self, key: str, *, download: bool) -> Decision:
        """The decision for this attempt at ``key``; truncation applies to downloads only."""
        with self._lock:
            attempt = self._attempts[key]
            self._attempts[key] += 1
            allowed = self._faulted[key] < self._faults.max_faulty_attempts
        draw = _Draw(f"{self._seed}|{key}|{attempt}")
        faults = self._faults
        delay = max(0.0, faults.latency_ms + (2 * draw("jitter") - 1) * faults.jitter_ms) / 1000
        chosen = _first_fault(draw, faults, download) if allowed else None
        if chosen is None:
            return Decision(delay_s=delay)
        with self._lock:
            self._faulted[key] += 1
        return Decision(
            delay_s=delay,
            fault=chosen,
            status=ERROR_STATUSES[int(draw("status") * len(ERROR_STATUSES))],
            keep_fraction=0.1 + 0.8 * draw("fraction"),
        )


def _first_fault(draw: _Draw, faults: Faults, download: bool) -> str | None:
    """The fault, if any, this attempt suffers: an error, a reset or (downloads) a truncation."""
    candidates = [("error", faults.error_rate), ("reset", faults.reset_rate)]
    candidates += [("truncate", faults.truncate_rate)] if download else []
    return next((kind for kind, rate in candidates if draw(kind) < rate), None)


class _Draw:
    """Uniform numbers in [0, 1) derived from a base string and a label, by hashing."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __call__(self, label: str) -> float:
        digest = hashlib.sha256(f"{self._base}|{label}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64
