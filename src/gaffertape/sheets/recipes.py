"""Declarative overrides (TOML) for layouts the detector gets wrong.

A recipe is matched by a fingerprint of the layout (normalised header and title texts, and an
optional sheet-name pattern), never by fixed cell ranges, and its overrides are relative to the
detected body, so renamed sheets and rows shifted by an extra title line do not break it::

    [[recipe]]
    name = "tef-compound"
    sheet = "Table*"                        # optional glob on the sheet name
    headers = ["full-time", "part-time"]    # all must appear among header/title texts
    header_rows = 2                         # the N non-blank rows above the body
    label_columns = 1                       # the first N columns of the table hold row labels
    sub_tables = "^(full|part)-time$"       # label-only rows matching this split sub-tables
    totals = "^total"                       # body rows whose label matches are totals
    skip = false                            # true drops the table
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gaffertape.errors import UserError
from gaffertape.sheets.grid import Grid
from gaffertape.sheets.layout import SheetLayout, Table
from gaffertape.sheets.tidy import text

_KNOWN = {"name", "sheet", "headers", "header_rows", "label_columns", "sub_tables", "totals",
          "skip"}


@dataclass(frozen=True)
class Recipe:
    """One override, applied to every table whose fingerprint it matches."""

    name: str
    sheet: str = "*"
    headers: tuple[str, ...] = ()
    header_rows: int | None = None
    label_columns: int | None = None
    sub_tables: str | None = None
    totals: str | None = None
    skip: bool = False


def normalise(value: str) -> str:
    """Lower case, digits and punctuation dropped, spaces collapsed: robust to footnote marks."""
    return " ".join(re.sub(r"[^a-z]+", " ", value.lower()).split())


def load_recipes(path: Path | str) -> list[Recipe]:
    """Parse a recipe file; a mistake is a UserError naming the file and the recipe."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read recipes: {exc}",
                        hint="check the TOML syntax") from exc
    recipes = []
    for i, item in enumerate(data.get("recipe", [])):
        unknown = set(item) - _KNOWN
        if unknown or "name" not in item:
            raise UserError(f"{path}: recipe #{i + 1}: unknown keys {sorted(unknown)} or no name",
                            hint=f"allowed keys: {', '.join(sorted(_KNOWN))}")
        for pattern in (item.get("sub_tables"), item.get("totals")):
            _compile(path, item["name"], pattern)
        recipes.append(Recipe(**{**item, "headers": tuple(item.get("headers", ()))}))
    return recipes


def _compile(path: Path, name: str, pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise UserError(f"{path}: recipe {name!r}: bad pattern {pattern!r}: {exc}") from exc


def fingerprint(grid: Grid, table: Table) -> set[str]:
    """Normalised texts of the table's title and header cells."""
    texts = set()
    for r in table.title_rows + table.header_rows:
        texts.update(normalise(text(v)) for v in grid.values[r] if v is not None)
    texts.discard("")
    return texts


def matches(recipe: Recipe, grid: Grid, table: Table) -> bool:
    if not fnmatch.fnmatch(grid.sheet.lower(), recipe.sheet.lower()):
        return False
    texts = fingerprint(grid, table)
    return all(any(normalise(h) in t for t in texts) for h in recipe.headers)


def apply_recipes(grid: Grid, layout: SheetLayout, recipes: list[Recipe]) -> SheetLayout:
    """The layout with every matching recipe's overrides applied (first match wins)."""
    kept = []
    for table in layout.tables:
        recipe = next((r for r in recipes if matches(r, grid, table)), None)
        if recipe is None:
            kept.append(table)
        elif not recipe.skip:
            _override(grid, table, recipe)
            kept.append(table)
    return SheetLayout(layout.source, layout.sheet, kept)


def _override(grid: Grid, table: Table, recipe: Recipe) -> None:
    if recipe.label_columns is not None:
        columns = sorted(set(table.label_cols + table.data_cols))
        table.label_cols = columns[: recipe.label_columns]
        table.data_cols = columns[recipe.label_columns:]
    if recipe.header_rows is not None:
        first = min(table.body_rows + table.section_rows)
        above = [r for r in range(first - 1, -1, -1) if any(v is not None for v in grid.values[r])]
        table.header_rows = sorted(above[: recipe.header_rows])
    if recipe.sub_tables:
        _split_sub_tables(grid, table, re.compile(recipe.sub_tables, re.IGNORECASE))
    if recipe.totals:
        pattern = re.compile(recipe.totals, re.IGNORECASE)
        table.total_rows = [r for r in table.body_rows if pattern.search(_label(grid, table, r))]
        table.subtotal_rows = []


def _split_sub_tables(grid: Grid, table: Table, pattern: re.Pattern[str]) -> None:
    rows = [r for r in table.body_rows if pattern.search(_label(grid, table, r))]
    table.body_rows = [r for r in table.body_rows if r not in rows]
    table.section_rows = sorted(set(table.section_rows) | set(rows))


def _label(grid: Grid, table: Table, r: int) -> str:
    return " ".join(text(grid.cell(r, c)) for c in table.label_cols or [table.left]).strip()
