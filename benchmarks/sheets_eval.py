"""Accuracy figures of `gaffertape sheets` on ../shared/data/sheets.

* SAUS dev (284 annotated sheets): header-row-set macro-F1 and exact rate, per-role cell F1;
* Auto-Tables (subtitle, ffill, pivot): gt.csv rows recovered from our long form pivoted back;
* ONS overseas travel: share of ott_tidy_expected.csv observations in our output;
* drift: the same workbook as .xls/.xlsx/.ods gives identical observations;
* a last "target:" line per figure issue 10 sets, met or not.

Run: .venv/bin/python benchmarks/sheets_eval.py (the evaluations: benchmarks/sheets_realdata.py)
"""

from __future__ import annotations

import os

from sheets_realdata import DATA, evaluate_atbench, evaluate_drift, evaluate_ott, evaluate_saus

# issue 10's floors over the SAUS sheets with header rows: its targets, and for the other roles
# their F1 when it was filed ("no other role F1 below today's")
SAUS_FLOORS = {"header_macro_f1": 0.95, "header_exact": 0.85, "f1_total": 0.80,
               "f1_header": 0.837, "f1_row_label": 0.897, "f1_data": 0.9716, "f1_title": 0.894,
               "f1_note": 0.925}
ATBENCH_FLOORS = {"subtitle": 0.833, "ffill": 0.798, "pivot": 0.833}  # gt rows, when filed


def main() -> None:
    if not DATA.is_dir():
        raise SystemExit(f"real data not found at {DATA}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    saus = evaluate_saus()
    for scope, label in (("", "all sheets"), ("with_header_", "sheets with header rows")):
        print(f"SAUS dev, {label}: {int(saus[scope + 'sheets'])} sheets")
        print(f"  header-row sets: macro-F1 {saus[scope + 'header_macro_f1']:.3f}, "
              f"exact {saus[scope + 'header_exact']:.1%}")
        roles = ", ".join(f"{k[len(scope) + 3:]} {v:.3f}" for k, v in saus.items()
                          if k.startswith(scope + "f1_"))
        print(f"  cell-role F1: {roles}")
    atbench = evaluate_atbench()
    for category, fig in atbench.items():
        print(f"Auto-Tables {category}: {fig['cases']} cases, gt rows matched "
              f"{fig['row_match']:.1%}, cases fully matched {fig['exact']:.1%}")
    ott = evaluate_ott()
    print(f"ONS overseas travel: {int(ott['found'])}/{int(ott['expected'])} expected "
          f"observations found ({ott['coverage']:.1%})")
    drift = evaluate_drift()
    for stem, fig in drift.items():
        parts = ", ".join(f"{k} {v:.3f}" if k.startswith("identical") else f"{k} {int(v)}"
                          for k, v in fig.items())
        print(f"drift {stem}: {parts}")
    print_verdicts(saus, atbench, ott, drift)


def print_verdicts(saus: dict, atbench: dict, ott: dict, drift: dict) -> None:
    """Issue 10's targets, each met or not (its own figures are printed above)."""
    checks = [(f"SAUS with header rows {name} >= {floor}", saus["with_header_" + name] >= floor)
              for name, floor in SAUS_FLOORS.items()]
    checks += [(f"Auto-Tables {category} gt rows >= {floor:.1%}",
                atbench[category]["row_match"] >= floor)
               for category, floor in ATBENCH_FLOORS.items()]
    checks.append(("ott all expected observations", ott["coverage"] == 1.0))
    checks.append(("identical output across .xls/.xlsx/.ods",
                   all(v == 1.0 for fig in drift.values() for k, v in fig.items()
                       if k.startswith("identical"))))
    for name, met in checks:
        print(f"target: {name}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
