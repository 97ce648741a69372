"""The mark scheme as configuration: categories, grade bands, flag rules and final-mark rule.

Regulations change ("these rules can be tweaked"), so nothing about them is hard-coded in the
marking logic: everything it needs is a field here, with the real TM470-style scheme as the
default. A scheme comes from a TOML file (``--scheme FILE``) or the workspace's ``[marking.scheme]``
table; anything left out takes its default.
"""

from __future__ import annotations

import math
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gaffertape.errors import UserError

#: Float noise guard: a percentage within this of a boundary counts as on the boundary.
EPS = 1e-9


class _Finite(BaseModel):
    """Every number in a scheme is finite: TOML reads ``inf`` and ``nan``, and a maximum of
    ``inf`` (a site showing "Max: inf", written out by `sites scheme`) made every percentage 0,
    so no script was ever flagged."""

    model_config = ConfigDict(allow_inf_nan=False)


class Category(_Finite):
    """One marked category: raw marks 0..max, counted ``weight`` times in the total."""

    name: str
    max: float = Field(gt=0)
    weight: float = Field(gt=0)


class Band(_Finite):
    """A grade band: a percentage at or above ``min`` earns ``name`` (highest band first wins)."""

    name: str
    min: float = Field(ge=0, le=100)


class FinalRule(StrEnum):
    """How a third marker's mark settles a flagged script."""

    THIRD = "third"                      # the third marker's mark stands
    CLOSEST_PAIR = "closest_pair"        # mean of the two closest of the three marks
    CLOSEST_ORIGINAL = "closest_original"  # the first/second mark nearest the third's


class Rules(_Finite):
    """When two markers differ significantly. Differences must be *more than* a threshold."""

    threshold_pct: float | None = Field(default=15.0, ge=0)
    straddle: bool = True
    category_thresholds: dict[str, float] = Field(default_factory=dict)


class Rounding(_Finite):
    """How agreed (average and final) percentages are rounded before they are graded."""

    mode: Literal["half_up", "half_even", "floor", "ceil", "none"] = "half_up"
    step: float = Field(default=1.0, gt=0)

    def apply(self, value: float) -> float:
        """Round ``value`` to a multiple of ``step`` (NaN stays NaN)."""
        if math.isnan(value) or self.mode == "none":
            return value
        units = value / self.step
        if self.mode == "half_up":
            units = math.floor(units + 0.5 + EPS)
        elif self.mode == "half_even":
            units = round(units)
        elif self.mode == "floor":
            units = math.floor(units + EPS)
        else:
            units = math.ceil(units - EPS)
        return round(units * self.step, 9)


QUALIFIERS = ("bare", "solid", "strong")

DEFAULT_CATEGORIES = [
    Category(name="Project definition", max=8, weight=1.0),
    Category(name="Research and analysis", max=8, weight=1.5),
    Category(name="Design and implementation", max=8, weight=2.5),
    Category(name="Evaluation", max=8, weight=1.5),
    Category(name="Presentation", max=8, weight=1.5),
]
DEFAULT_BANDS = [
    Band(name="Pass 1", min=85), Band(name="Pass 2", min=70), Band(name="Pass 3", min=55),
    Band(name="Pass 4", min=40), Band(name="Fail", min=0),
]


class MarkScheme(_Finite):
    """A whole mark scheme. ``bands`` are sorted highest first; the lowest must start at 0."""

    name: str = "TM470 project (default)"
    categories: list[Category] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    bands: list[Band] = Field(default_factory=lambda: list(DEFAULT_BANDS))
    rules: Rules = Field(default_factory=Rules)
    final_rule: FinalRule = FinalRule.THIRD
    rounding: Rounding = Field(default_factory=Rounding)
    markers: list[str] = Field(default_factory=list)
    feedback: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> MarkScheme:
        names = [c.name for c in self.categories]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"categories must be non-empty and unique, got {names}")
        self.bands = sorted(self.bands, key=lambda b: -b.min)
        if not self.bands or self.bands[-1].min != 0:
            raise ValueError("the lowest grade band must start at 0")
        unknown = set(self.rules.category_thresholds) - set(names)
        if unknown:
            raise ValueError(f"category_thresholds name unknown categories {sorted(unknown)}")
        return self

    @property
    def max_total(self) -> float:
        """Maximum weighted total (64 for the default scheme)."""
        return sum(c.max * c.weight for c in self.categories)

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    def band_limits(self, pct: float) -> tuple[Band, float, float]:
        """The band holding ``pct`` and its [low, high) limits (the top band ends at 100)."""
        upper = 100.0
        for band in self.bands:
            if pct >= band.min - EPS:
                return band, band.min, upper
            upper = band.min
        return self.bands[-1], 0.0, upper

    def grade(self, pct: float) -> tuple[str, str]:
        """(band name, qualifier) for a percentage; qualifier splits the band into thirds.

        Bottom third = bare, middle third = solid, top third = strong; a mark exactly on a
        third-point belongs to the higher part (Pass 2 is 70-85: 75 is solid, 80 strong).
        """
        if math.isnan(pct):
            return "", ""
        band, low, high = self.band_limits(pct)
        position = (pct - low) / (high - low) if high > low else 1.0
        index = min(2, max(0, math.floor(position * 3 + EPS)))
        return band.name, QUALIFIERS[index]


def scheme_from_dict(data: dict[str, Any], source: str = "mark scheme") -> MarkScheme:
    """Validate a scheme dict, turning pydantic errors into one line that names the field."""
    try:
        return MarkScheme.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "scheme"
        raise UserError(f"{source}: {where}: {first['msg']}",
                        hint="see docs/marking.md for the scheme format") from exc


def load_scheme(path: Path | str | None = None, config: dict[str, Any] | None = None) -> MarkScheme:
    """The scheme from a TOML file, else a config dict (``[marking.scheme]``), else default."""
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise UserError(f"{path}: no such scheme file") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: invalid TOML: {exc}", hint="fix the file") from exc
        return scheme_from_dict(data.get("scheme", data), str(path))
    return scheme_from_dict(config or {}, "gaffertape.toml [marking.scheme]")
