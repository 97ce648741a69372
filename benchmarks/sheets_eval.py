"""Accuracy figures of `gaffertape sheets` on ../shared/data/sheets.

* SAUS dev (284 annotated sheets): header-row-set macro-F1 and exact rate, per-role cell F1;
* Auto-Tables (subtitle, ffill, pivot): gt.csv rows recovered from our long form pivoted back;
* ONS overseas travel: share of ott_tidy_expected.csv observations in our output;
* drift: the same workbook as .xls/.xlsx/.ods gives identical observations.

Run: .venv/bin/python benchmarks/sheets_eval.py (the evaluations: benchmarks/sheets_realdata.py)
"""

from __future__ import annotations

from sheets_realdata import DATA, evaluate_atbench, evaluate_drift, evaluate_ott, evaluate_saus


def main() -> None:
    if not DATA.is_dir():
        raise SystemExit(f"real data not found at {DATA}")
    saus = evaluate_saus()
    for scope, label in (("", "all sheets"), ("with_header_", "sheets with header rows")):
        print(f"SAUS dev, {label}: {int(saus[scope + 'sheets'])} sheets")
        print(f"  header-row sets: macro-F1 {saus[scope + 'header_macro_f1']:.3f}, "
              f"exact {saus[scope + 'header_exact']:.1%}")
        roles = ", ".join(f"{k[len(scope) + 3:]} {v:.3f}" for k, v in saus.items()
                          if k.startswith(scope + "f1_"))
        print(f"  cell-role F1: {roles}")
    for category, fig in evaluate_atbench().items():
        print(f"Auto-Tables {category}: {fig['cases']} cases, gt rows matched "
              f"{fig['row_match']:.1%}, cases fully matched {fig['exact']:.1%}")
    ott = evaluate_ott()
    print(f"ONS overseas travel: {int(ott['found'])}/{int(ott['expected'])} expected "
          f"observations found ({ott['coverage']:.1%})")
    for stem, fig in evaluate_drift().items():
        parts = ", ".join(f"{k} {v:.3f}" if k.startswith("identical") else f"{k} {int(v)}"
                          for k, v in fig.items())
        print(f"drift {stem}: {parts}")


if __name__ == "__main__":
    main()
