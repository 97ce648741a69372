"""Evaluations on the real data in ../shared/data/sheets, shared by the benchmarks and the
realdata tests (tests/sheets/test_realdata.py). They need that folder, so they live here, not in
the package.

* :func:`evaluate_saus`: SAUS dev cell roles and header rows per sheet (Gol, Pujara, Szekely 2019);
* :func:`evaluate_atbench`: Auto-Tables cases; our long form pivoted back vs ``gt.csv``;
* :func:`evaluate_ott`: share of ``ott_tidy_expected.csv`` observations found in our output;
* :func:`evaluate_drift`: the same workbook as .xls/.xlsx/.ods gives the same observations.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from gaffertape.sheets.api import tidy_file, wide_row_keys
from gaffertape.sheets.detect import detect
from gaffertape.sheets.grid import Grid, from_rows
from gaffertape.sheets.roles import cell_roles
from gaffertape.sheets.tidy import SEP

# the development workbooks issue 10 names: none of their observations may share a key
NAMED_BY_ISSUE_10 = ("ons_ashe_prov_2014.xls", "ons_ashe_rev_cv_2013.xls",
                     "ons_lms_table_a02.xls", "ons_overseas_travel_ott.xls", "us_crime_2.xlsx",
                     "ott_tidy_expected.csv", "databaker_multisegment.xls",
                     "anzsic_classification.xlsx", "vaccinations.xlsx", "unpivotr_purpose.xlsx")


def _data_folder() -> Path:
    """``shared/data/sheets`` beside the repository (or beside a folder holding it, as for a git
    worktree under ``wt/``)."""
    repo = Path(__file__).resolve().parents[1]
    for parent in (repo.parent, *repo.parent.parents):
        if (parent / "shared" / "data" / "sheets").is_dir():
            return parent / "shared" / "data" / "sheets"
    return repo.parent / "shared" / "data" / "sheets"


DATA = _data_folder()
DRIFT_SETS = {"ons_bop_2020q1": ("xls", "xlsx", "ods"), "ons_itis_2018_tables": ("xlsx", "ods")}


def norm(value: object) -> str:
    """Compare cells by value: numbers to 6 significant digits, text case-folded with spaces
    collapsed and a trailing colon dropped (sub-table labels are stored without it)."""
    s = " ".join(str(value).split()).rstrip(":").strip()
    try:
        number = float(s.replace(",", ""))
    except ValueError:
        return s.lower()
    return "nan" if math.isnan(number) else f"{number:.6g}"


def reconstructed_rows(data: pd.DataFrame) -> list[tuple[str, ...]]:
    """Each sheet row of our output as a sorted tuple of its non-empty normalised values."""
    rows = []
    for _, table in data.groupby(["sheet", "table"], sort=False):
        rows.extend(_table_rows(table))
    return rows


def _table_rows(table: pd.DataFrame) -> list[tuple[str, ...]]:
    rows = []
    for _, group in table.groupby(wide_row_keys(table), sort=False):
        first = group.iloc[0]
        values = [first["sub_table"], *str(first["row_header"]).split(SEP), *group["raw"]]
        rows.append(tuple(sorted(norm(v) for v in values if str(v).strip())))
    return rows


def _gt_rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        records = list(csv.reader(stream))[1:]
    return [tuple(sorted(norm(v) for v in r if v.strip())) for r in records]


def atbench_case(case: Path) -> float:
    """Share of gt.csv rows found (as value multisets) among our reconstructed rows."""
    gold = Counter(_gt_rows(case / "gt.csv"))
    ours = Counter(reconstructed_rows(tidy_file(case / "data.csv")))
    total = sum(gold.values())
    return sum((gold & ours).values()) / total if total else 1.0


def evaluate_atbench(root: Path = DATA / "atbench") -> dict[str, dict[str, float]]:
    """Per category: cases, mean row match, and share of cases with every gt row matched."""
    figures = {}
    for category in ("subtitle", "ffill", "pivot"):
        scores = [atbench_case(c) for c in sorted((root / category).iterdir()) if c.is_dir()]
        figures[category] = {"cases": len(scores), "row_match": sum(scores) / len(scores),
                             "exact": sum(s == 1.0 for s in scores) / len(scores)}
    return figures


def evaluate_ott(files: Path = DATA / "files") -> dict[str, float]:
    """Share of expected (value, area, month, year) observations present in our output."""
    ours = tidy_file(files / "ons_overseas_travel_ott.xls")
    ours = ours[ours["value"].notna()]
    index: dict[str, list[tuple[str, str]]] = {}
    for value, row, col in zip(ours["value"], ours["row_header"], ours["column_header"],
                               strict=True):
        index.setdefault(f"{value:.6g}", []).append((row.lower(), col.lower()))
    expected = pd.read_csv(files / "ott_tidy_expected.csv")
    found = sum(_ott_found(index, rec) for rec in expected.itertuples(index=False))
    return {"expected": float(len(expected)), "found": float(found),
            "coverage": found / len(expected)}


def _ott_found(index: dict[str, list[tuple[str, str]]], rec: object) -> bool:
    year = str(int(rec.Year))  # type: ignore[attr-defined]
    month = str(rec.Month).lower()[:3]  # type: ignore[attr-defined]
    area = str(rec.Area).lower()  # type: ignore[attr-defined]
    return any(year in row and month in row and area in col
               for row, col in index.get(f"{rec.OBS:.6g}", []))  # type: ignore[attr-defined]


def observation_keys(data: pd.DataFrame) -> set[tuple[str, ...]]:
    """Observations without the file name, for comparing formats of one workbook."""
    cols = ["sheet", "table", "cell", "row_header", "column_header", "sub_table", "value_flags"]
    values = data["value"].map(lambda v: "" if pd.isna(v) else f"{v:.9g}")
    return set(zip(*(data[c].astype(str) for c in cols), values, strict=True))


def evaluate_drift(files: Path = DATA / "files") -> dict[str, dict[str, float]]:
    """Per workbook: observations per format and Jaccard identity of each format vs the first."""
    figures = {}
    for stem, formats in DRIFT_SETS.items():
        keys = {fmt: observation_keys(tidy_file(files / f"{stem}.{fmt}")) for fmt in formats}
        base = keys[formats[0]]
        entry: dict[str, float] = {f"n_{fmt}": float(len(k)) for fmt, k in keys.items()}
        for fmt in formats[1:]:
            union = base | keys[fmt]
            entry[f"identical_{formats[0]}_vs_{fmt}"] = len(base & keys[fmt]) / max(len(union), 1)
        figures[stem] = entry
    return figures


# SAUS role -> our role
SAUS_ROLES = {"header": "header", "attributes": "row_label", "data": "data", "derived": "total",
              "metadata": "title", "notes": "note"}
# SAUS labels block titles ("CURRENT DOLLARS") metadata, and a group's heading row that adds
# up its group ("Durable goods" over its industries) data: 443 cells against 88 derived
_OURS_AS_SAUS = {"subtable": "title", "subtotal": "data"}


def load_saus(path: Path) -> Iterator[tuple[Grid, list[list[str | None]]]]:
    """(grid, annotations) per annotated sheet: each line of ``saus_dev.jl.gz`` holds
    ``table_array`` (cell text) and ``annotations`` (a role per cell); the grid carries the
    bold and indentation features too."""
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


def evaluate_saus(path: Path = DATA / "saus" / "saus_dev.jl.gz") -> dict[str, float]:
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
