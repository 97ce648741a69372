"""Marking speed on 5,000 double-marked scripts, as ratios against a plain-pandas baseline.

The marks come from a seeded generator in this script (so it runs without the demo server):
each student has a true quality per category, and each of 60 markers adds a personal bias and
noise. With ``--truth FILE`` they come instead from a demo-university truth file
(``python -m gaffertape.demo --students 5000 --truth FILE``), and the flags are also checked
against the demo's own ``third_marking_required``. Times are reported as ratios to a baseline
measured in the same run: a plain pandas groupby that computes every script's weighted totals
and difference from the same long table.
Per-script reports with static charts are timed on a sample of flagged scripts and extrapolated
to 1,000 (the same for the award-board pack, HTML + PDF).

    .venv/bin/python benchmarks/marking_speed.py [--scripts 5000] [--sample 50]
                                                       [--truth demo_truth.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gaffertape.marking import api
from gaffertape.marking.scheme import MarkScheme

CATEGORY_MEANS = [5.5, 5.0, 4.8, 4.5, 5.2]


def generate_marks(n_scripts: int, seed: int = 470) -> pd.DataFrame:
    """A long-form marks table: first and second marker for every script, seeded."""
    rng = np.random.default_rng(seed)
    scheme = MarkScheme()
    names = [c.name for c in scheme.categories]
    markers = [f"Marker {i:02d}" for i in range(60)]
    bias = dict(zip(markers, rng.normal(0, 0.3, len(markers)), strict=True))
    ability = rng.normal(0, 1.2, n_scripts)
    rows = []
    for i in range(n_scripts):
        pair = rng.choice(markers, size=2, replace=False)
        truth = np.array(CATEGORY_MEANS) + ability[i] + rng.normal(0, 0.6, len(names))
        for role, marker in zip(("first", "second"), pair, strict=True):
            marks = np.clip(np.rint(truth + bias[marker] + rng.normal(0, 0.5, len(names))), 0, 8)
            rows += [("TM470-25J", f"X{i:07d}", role, marker, cat, float(mark), "")
                     for cat, mark in zip(names, marks, strict=True)]
    return pd.DataFrame(rows, columns=["course", "pi", "role", "marker", "category", "mark",
                                       "comments"])


def truth_marks(path: Path) -> tuple[pd.DataFrame, dict[str, bool]]:
    """The long marks table from a demo truth file, and the demo's own third-marking flags."""
    students = json.loads(path.read_text(encoding="utf-8"))["students"]
    rows = [(s["course"], s["pi"], role, m["marker"], cat, float(mark), m["comments"])
            for s in students for role, m in s["marks"].items()
            for cat, mark in m["marks"].items()]
    expected = {s["pi"]: s["flag"]["third_marking_required"] for s in students if s["marks"]}
    columns = ["course", "pi", "role", "marker", "category", "mark", "comments"]
    return pd.DataFrame(rows, columns=columns), expected


def baseline(marks: pd.DataFrame) -> pd.DataFrame:
    """The simplest useful thing in plain pandas: weighted totals per script and difference."""
    weights = {c.name: c.weight for c in MarkScheme().categories}
    totals = (marks.assign(w=marks["mark"] * marks["category"].map(weights))
              .groupby(["course", "pi", "role"])["w"].sum().unstack("role"))
    return totals.assign(diff=(totals["first"] - totals["second"]).abs())


def timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--truth", type=Path, help="a demo university truth JSON file")
    args = parser.parse_args()
    expected = None
    if args.truth:
        marks, expected = truth_marks(args.truth)
    else:
        marks = generate_marks(args.scripts)
    base, _ = timed(lambda: baseline(marks), repeat=5)
    flags_time, data = timed(lambda: api.Marking.from_marks(marks))
    cohort_time, _ = timed(lambda: api.cohort_report(data))
    sample = data.flagged["pi"].head(args.sample).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        report_time, _ = timed(lambda: api.write_script_reports(
            data, sample, Path(tmp) / "scripts", ("png",)))
        small = api.Marking(data.scheme, data.marks, data.roles,
                            data.flags[data.flags["pi"].isin(sample)])
        board_time, _ = timed(lambda: api.write_board(small, Path(tmp)))
    per_report, per_board = report_time / len(sample), board_time / len(sample)
    rows = [
        ("baseline: pandas groupby totals + diff", base, 1.0),
        ("validate + flags + final marks", flags_time, flags_time / base),
        ("cohort report (disagreement, alpha, bias)", cohort_time, cohort_time / base),
        ("flags + cohort", flags_time + cohort_time, (flags_time + cohort_time) / base),
        (f"script reports + PNG charts, {len(sample)} flagged", report_time, report_time / base),
        ("  extrapolated to 1,000 scripts", per_report * 1000, per_report * 1000 / base),
        (f"board pack HTML + PDF, {len(sample)} flagged", board_time, board_time / base),
        ("  extrapolated to 1,000 scripts", per_board * 1000, per_board * 1000 / base),
    ]
    if expected is not None:
        mine = dict(zip(data.flags["pi"], data.flags["flagged"], strict=True))
        agree = sum(mine.get(pi) == flag for pi, flag in expected.items())
        print(f"demo truth: flags agree on {agree} of {len(expected)} scripts")
    print(f"{len(data.flags)} scripts, {len(marks)} mark rows, {len(data.flagged)} flagged "
          f"({int((data.flags['status'] == api.NEEDS_THIRD).sum())} need a third marker)")
    print(f"{'step':<46}{'seconds':>10}{'x baseline':>14}")
    for name, seconds, ratio in rows:
        print(f"{name:<46}{seconds:>10.2f}{ratio:>14.0f}")
    print(f"1,000 script reports: {per_report * 1000 / 60:.1f} min; "
          f"1,000-page board pack: {per_board * 1000 / 60:.1f} min")


if __name__ == "__main__":
    main()
