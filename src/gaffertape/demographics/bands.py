"""Age bands: parsing the labels sources publish, and harmonising unlike schemes explicitly.

Sources band ages differently (OULAD: ``0-35``, ``35-55``, ``55<=``; HESA: ``20 and under``,
``21-24``, ``25-29``, ``30 and over``). Two schemes can only be compared on the boundaries they
share, so :func:`harmonise` merges each scheme's bands up to the common boundaries and says which
bands were merged. Unlike bands are never put side by side.

A band is the half-open interval ``[lo, hi)`` of whole years of age (``hi`` is None when open).
Whether ``a-b`` includes ``b`` depends on the scheme: when the next band starts at ``b`` (OULAD's
``0-35``, ``35-55``) the upper bound is exclusive; when it starts at ``b + 1`` (HESA's ``21-24``,
``25-29``) it is inclusive. A lone ``a-b`` is read as inclusive, the usual statistical convention.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from gaffertape.errors import UserError

UNKNOWN = "unknown"  # the band of a missing, invalid or ambiguous age


@dataclass(frozen=True)
class Band:
    label: str
    lo: int
    hi: int | None  # exclusive; None = open-ended

    def contains(self, age: int) -> bool:
        return self.lo <= age and (self.hi is None or age < self.hi)


Scheme = tuple[Band, ...]

_RANGE = re.compile(r"^(\d+)\s*(?:-|–|to)\s*(\d+)(?:\s*years?)?$")
_UNDER = re.compile(r"^(?:under|less than|<)\s*(\d+)(?:\s*years?)?$")
_AND_UNDER = re.compile(r"^(\d+)\s*(?:years?\s*)?(?:and under|or under|or younger|and younger)$")
_OVER = re.compile(r"^(?:(\d+)\s*(?:years?\s*)?(?:and over|or over|and older|\+|<=)"
                   r"|(?:>=|over)\s*(\d+))$")


def label_bounds(label: str) -> tuple[int, int | None, str] | None:
    """(lo, hi, kind) of one label; kind says how to read the upper bound of a range."""
    text = " ".join(label.strip().lower().split())
    if m := _RANGE.match(text):
        return int(m[1]), int(m[2]), "range"
    if m := _UNDER.match(text):
        return 0, int(m[1]), "exclusive"
    if m := _AND_UNDER.match(text):
        return 0, int(m[1]) + 1, "exclusive"
    if m := _OVER.match(text):
        return int(m[1] or m[2]), None, "exclusive"
    return None


def is_unknown_label(label: str) -> bool:
    """Labels sources use for an unknown age ("Age unknown", "Not known", "")."""
    text = label.strip().lower()
    return text in {"", UNKNOWN, "not known", "age unknown", "unknown age", "n/a", "na"}


def parse_scheme(labels: list[str]) -> Scheme:
    """The bands of a set of labels, sorted by age, gaps and overlaps rejected."""
    parsed = []
    for label in dict.fromkeys(labels):
        bounds = label_bounds(label)
        if bounds is None:
            raise UserError(f"age band {label!r} is not a band gaffertape can read",
                            hint="use labels like '21-24', 'under 21', '30 and over', '55<='")
        parsed.append((label, *bounds))
    parsed.sort(key=lambda p: p[1])
    bands = []
    for i, (label, lo, hi, kind) in enumerate(parsed):
        nxt = parsed[i + 1][1] if i + 1 < len(parsed) else None
        if kind == "range":
            hi = hi if nxt == hi else hi + 1  # type: ignore[operator]
        bands.append(Band(label, lo, hi))
    for a, b in itertools.pairwise(bands):
        if a.hi != b.lo:
            raise UserError(f"age bands {a.label!r} and {b.label!r} leave a gap or overlap",
                            hint="a scheme's bands must follow on from one another")
    return tuple(bands)


def scheme_from_edges(edges: list[int]) -> Scheme:
    """A scheme from boundaries, e.g. [0, 21, 25, 30] -> under 21, 21-24, 25-29, 30 and over."""
    bands = []
    for lo, hi in zip(edges, [*edges[1:], None], strict=True):
        bands.append(Band(band_label(lo, hi), lo, hi))
    return tuple(bands)


def band_label(lo: int, hi: int | None) -> str:
    if hi is None:
        return "all ages" if lo == 0 else f"{lo} and over"
    if lo == 0:
        return f"under {hi}"
    return f"{lo}-{hi - 1}"


# The default for exact ages: five-year bands whose boundaries include both HESA's (21, 25, 30)
# and OULAD's (35, 55), so records with ages can be compared with either without merging.
DEFAULT_SCHEME = scheme_from_edges([0, 21, 25, 30, 35, 40, 45, 50, 55, 60, 65])


def edges(scheme: Scheme) -> set[int]:
    return {band.lo for band in scheme}


@dataclass(frozen=True)
class Harmonised:
    """The common scheme of several, and for each source scheme which bands merged into which."""

    scheme: Scheme
    merges: dict[str, dict[str, str]]  # source name -> original label -> harmonised label

    def merged_bands(self) -> list[tuple[str, str, list[str]]]:
        """(source, harmonised label, original labels) wherever more than one band merged."""
        rows = []
        for source, mapping in self.merges.items():
            for band in self.scheme:
                originals = [k for k, v in mapping.items() if v == band.label]
                if len(originals) > 1:
                    rows.append((source, band.label, originals))
        return rows


def harmonise(schemes: dict[str, Scheme]) -> Harmonised:
    """Merge every scheme up to the boundaries all of them share."""
    common = sorted(set.intersection(*(edges(s) for s in schemes.values())))
    if not common or common[0] != 0:
        common = [0, *common]
    named = {(b.lo, b.hi): b.label for s in reversed(list(schemes.values())) for b in s}
    target = tuple(Band(named.get((b.lo, b.hi), b.label), b.lo, b.hi)
                   for b in scheme_from_edges(common))
    merges = {}
    for name, scheme in schemes.items():
        merges[name] = {band.label: _containing(target, band).label for band in scheme}
    return Harmonised(target, merges)


def _containing(target: Scheme, band: Band) -> Band:
    for candidate in target:
        if candidate.contains(band.lo):
            return candidate
    raise AssertionError(f"{band} outside {target}")  # cannot happen: target starts at 0


def band_of(scheme: Scheme, age: int) -> str:
    for band in scheme:
        if band.contains(age):
            return band.label
    return UNKNOWN
