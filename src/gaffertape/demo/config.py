"""Configuration of the demo university: what to generate and which faults to inject.

Faults are off by default so that a plain demo behaves; named profiles give realistic or hostile
conditions in one word, and single settings can be overridden as ``key=value`` strings (the CLI
and ``python -m gaffertape.demo`` share that parser, so they accept exactly the same settings).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

MAX_STUDENTS = 50_000
INSTITUTIONS = ("demo", "fenland")
"""``demo``: the first demo university (OSCAR/eTMA-like); ``fenland``: a second institution laid
out differently in every respect a site profile describes (docs/demo-university.md)."""
MAX_ZIP_MB = 2_000.0  # the zip has no ZIP64 records, so it must stay under 4 GiB


@dataclass(frozen=True)
class Faults:
    """Which faults the server injects. Rates are probabilities per request (or per row/zip)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    bandwidth_bps: int = 0
    error_rate: float = 0.0
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    session_ttl_s: float = 0.0
    session_max_requests: int = 0
    lockout: bool = False
    lockout_burst: int = 20
    lockout_window_s: float = 2.0
    lockout_cooldown_s: float = 30.0
    malformed_rate: float = 0.0
    evil_zip_rate: float = 0.0
    evil_zip_pis: tuple[str, ...] = ()
    max_faulty_attempts: int = 3

    @classmethod
    def profile(cls, name: str, **overrides: Any) -> Faults:
        """A named profile (``none``, ``realistic``, ``hostile``) with some settings overridden."""
        if name not in PROFILES:
            raise ValueError(f"unknown fault profile {name!r}; choose one of {', '.join(PROFILES)}")
        return replace(PROFILES[name], **overrides)

    def with_settings(self, settings: list[str]) -> Faults:
        """These faults with ``key=value`` overrides, values converted to each field's type."""
        return replace(self, **dict(_parse_setting(text) for text in settings))

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings, for the truth file."""
        return {**dataclasses.asdict(self), "evil_zip_pis": list(self.evil_zip_pis)}


def _parse_setting(text: str) -> tuple[str, Any]:
    """Turn ``"error_rate=0.1"`` into ``("error_rate", 0.1)`` using the field's declared type."""
    key, sep, raw = text.partition("=")
    types = {f.name: f.type for f in fields(Faults)}
    key = key.strip().replace("-", "_")
    if not sep or key not in types:
        raise ValueError(f"fault setting {text!r} is not key=value, key one of: {', '.join(types)}")
    kind = types[key]
    try:
        if kind == "bool":
            return key, raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "tuple[str, ...]":
            return key, tuple(part.strip() for part in raw.split(",") if part.strip())
        return key, {"int": int, "float": float}[kind](raw)
    except ValueError as exc:
        raise ValueError(f"fault setting {text!r}: {raw!r} is not a valid {kind}") from exc


PROFILES: dict[str, Faults] = {
    "none": Faults(),
    "realistic": Faults(
        latency_ms=80, jitter_ms=20, bandwidth_bps=2_000_000, error_rate=0.02,
        session_ttl_s=1800, lockout=True, malformed_rate=0.03,
    ),
    "hostile": Faults(
        latency_ms=150, jitter_ms=100, bandwidth_bps=1_000_000, error_rate=0.10, reset_rate=0.05,
        truncate_rate=0.10, session_ttl_s=120, session_max_requests=50, lockout=True,
        malformed_rate=0.10, evil_zip_rate=0.05,
    ),
}


@dataclass(frozen=True)
class DemoConfig:
    """Everything that defines one demo: data (from the seed), faults and where to serve."""

    seed: int = 1
    students: int = 60
    courses: tuple[str, ...] = ("TM470-25J",)
    zip_mb: float = 1.0
    faults: Faults = field(default_factory=Faults)
    truth_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    eager_digest_mb: float = 128.0
    institution: str = "demo"

    def __post_init__(self) -> None:
        """Refuse settings the generator cannot honour, before any work is done."""
        if self.institution not in INSTITUTIONS:
            raise ValueError(
                f"unknown institution {self.institution!r}; choose one of {', '.join(INSTITUTIONS)}"
            )
        if not 1 <= self.students <= MAX_STUDENTS:
            raise ValueError(f"students must be between 1 and {MAX_STUDENTS}, not {self.students}")
        if not 0 < self.zip_mb <= MAX_ZIP_MB:
            raise ValueError(f"zip_mb must be above 0 and at most {MAX_ZIP_MB}, not {self.zip_mb}")
        if not self.courses:
            raise ValueError("at least one course (presentation) is needed")
