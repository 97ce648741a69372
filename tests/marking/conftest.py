"""Helpers to build small long-form marks tables by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from gaffertape.marking.scheme import DEFAULT_CATEGORIES, MarkScheme

CATS = [c.name for c in DEFAULT_CATEGORIES]


def long_marks(scripts: dict[str, dict[str, list[float]]], course: str = "TM470-25J",
               markers: dict[str, str] | None = None) -> pd.DataFrame:
    """{pi: {role: [5 category marks]}} -> the long marks table.

    Markers are named after their role ("First Marker") unless ``markers`` maps
    "pi/role" or "role" to a name.
    """
    markers = markers or {}
    rows = [
        {"course": course, "pi": pi, "role": role,
         "marker": markers.get(f"{pi}/{role}", markers.get(role, f"{role.title()} Marker")),
         "category": cat, "mark": mark, "comments": f"{role} says hi"}
        for pi, roles in scripts.items()
        for role, marks in roles.items()
        for cat, mark in zip(CATS, marks, strict=True)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def scheme() -> MarkScheme:
    return MarkScheme()
