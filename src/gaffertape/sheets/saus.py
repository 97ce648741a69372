"""Evaluate the detector on the SAUS corpus (Gol, Pujara, Szekely 2019): cell roles per sheet.

Each line of ``saus_dev.jl.gz`` holds ``table_array`` (cell text) and ``annotations`` (a role per
cell). We build a :class:`Grid` from the text and style features, run the detector, and compare.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from gaffertape.sheets.detect import detect
from gaffertape.sheets.grid import Grid, from_rows
from gaffertape.sheets.roles import cell_roles

# SAUS role -> our role
SAUS_ROLES = {"header": "header", "attributes": "row_label", "data": "data", "derived": "total",
              "metadata": "title", "notes": "note"}
_OURS_AS_SAUS = {"subtable": "title"}  # SAUS labels block titles ("CURRENT DOLLARS") metadata


def load_saus(path: Path) -> Iterator[tuple[Grid, list[list[str | None]]]]:
    """(grid, annotations) per annotated sheet."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            # the corpus export wrote some empty cells as the text "None"
            rows = [["" if v == "None" else v for v in row] for row in record["table_array"]]
            grid = from_rows(rows, source=record["file_name"], sheet=str(record["table_id"]))
            _add_styles(grid, record)
            yield grid, record["annotations"]


def _add_styles(grid: Grid, record: dict) -> None:
    names = record.get("feature_names") or []
    features = record.get("feature_array") or []
    if "is_bold" not in names or "indentation" not in names:
        return
    bold_i, indent_i = names.index("is_bold"), names.index("indentation")
    for r, row in enumerate(features):
        for c, vec in enumerate(row):
            if vec and vec[bold_i]:
                grid.bold.add((r, c))
            if vec and vec[indent_i]:
                grid.indent[(r, c)] = int(vec[indent_i])


def header_rows_of(annotations: list[list[str | None]]) -> set[int]:
    return {r for r, row in enumerate(annotations) if "header" in row}


def evaluate_saus(path: Path) -> dict[str, float]:
    """Header-row-set macro-F1, exact-set rate and per-role cell F1, over all sheets and (keys
    prefixed ``with_header_``) over the sheets that have header rows: a blank "Notes" sheet
    scores a perfect header set by predicting nothing, which flatters the all-sheets figure."""
    scores: list[tuple[float, bool, bool]] = []  # (F1, exact, has gold header rows)
    counts = {scope: {role: [0, 0, 0] for role in SAUS_ROLES.values()}
              for scope in ("", "with_header_")}
    for grid, gold in load_saus(path):
        layout = detect(grid)
        predicted_rows = {r for t in layout.tables for r in t.header_rows}
        gold_rows = header_rows_of(gold)
        f1 = _f1(len(predicted_rows & gold_rows), len(predicted_rows), len(gold_rows))
        scores.append((f1, predicted_rows == gold_rows, bool(gold_rows)))
        roles = cell_roles(grid, layout)
        _count_roles(roles, gold, counts[""])
        if gold_rows:
            _count_roles(roles, gold, counts["with_header_"])
    figures: dict[str, float] = {}
    for scope, keep in (("", lambda s: True), ("with_header_", lambda s: s[2])):
        chosen = [s for s in scores if keep(s)]
        figures[f"{scope}sheets"] = float(len(chosen))
        figures[f"{scope}header_macro_f1"] = sum(s[0] for s in chosen) / max(len(chosen), 1)
        figures[f"{scope}header_exact"] = sum(s[1] for s in chosen) / max(len(chosen), 1)
        for role, (tp, pred, gold_n) in counts[scope].items():
            figures[f"{scope}f1_{role}"] = _f1(tp, pred, gold_n)
    return figures


def _count_roles(predicted: dict[tuple[int, int], str], annotations: list[list[str | None]],
                 counts: dict[str, list[int]]) -> None:
    for r, row in enumerate(annotations):
        for c, label in enumerate(row):
            gold = SAUS_ROLES.get(label or "")
            ours = predicted.get((r, c))
            ours = _OURS_AS_SAUS.get(ours, ours) if ours else None
            if ours in counts:
                counts[ours][1] += 1
            if gold:
                counts[gold][2] += 1
                if ours == gold:
                    counts[gold][0] += 1


def _f1(tp: int, predicted: int, gold: int) -> float:
    if predicted == 0 and gold == 0:
        return 1.0
    if tp == 0:
        return 0.0
    precision, recall = tp / predicted, tp / gold
    return 2 * precision * recall / (precision + recall)
