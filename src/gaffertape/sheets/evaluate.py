"""Evaluations on the real data in ../shared/data/sheets, shared by benchmarks and realdata tests.

* :func:`evaluate_atbench`: Auto-Tables cases; our long form pivoted back vs ``gt.csv``.
* :func:`evaluate_ott`: share of ``ott_tidy_expected.csv`` observations found in our output.
* :func:`evaluate_drift`: the same workbook as .xls/.xlsx/.ods gives the same observations.
* SAUS cell roles live in :mod:`gaffertape.sheets.saus`.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import pandas as pd

from gaffertape.sheets.api import tidy_file, wide_row_keys
from gaffertape.sheets.tidy import SEP

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "sheets"
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
