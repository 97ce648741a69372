"""Hooks for the Fenland profiles: what no declaration can say.

Fenland's cohort list shows names as "Surname, Given"; gaffertape stores "Given Surname"
(as every other system and the marking reports do). See docs/sites.md, Hooks.
"""

from __future__ import annotations


def clean_allocation_row(row: dict) -> dict:
    """Turn "Surname, Given" into "Given Surname" (surnames may have spaces: "Ní Bhriain")."""
    surname, comma, given = (row.get("name") or "").partition(", ")
    if comma:
        row["name"] = f"{given} {surname}"
    return row
