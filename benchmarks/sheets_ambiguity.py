"""Share of observations that cannot be told apart, per file, on any folder of workbooks.

An observation is ambiguous when another observation of the same file has the same sheet, table,
table title, row header, column header and sub-table (see gaffertape.sheets.uniqueness). No
annotation is needed, so this runs on your own workbooks as well as on the development set.

Run: python benchmarks/sheets_ambiguity.py [FOLDER_OR_FILES ...]
(on the development folder it also says whether issue 10's targets are met)
(default: ../shared/data/sheets/files)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gaffertape.errors import UserError
from gaffertape.sheets.api import expand_paths, tidy_file
from gaffertape.sheets.uniqueness import ambiguous
from sheets_realdata import DATA, NAMED_BY_ISSUE_10

MAX_TOTAL_SHARE = 0.01  # issue 10's target on the development workbooks


def measure(paths: list[Path]) -> list[tuple[str, int, int]]:
    """(file name, observations, ambiguous observations) per file; errors are printed."""
    figures = []
    for path in expand_paths(paths):
        try:
            data = tidy_file(path)
        except UserError as exc:
            print(f"error: {exc.one_line()}")
            continue
        figures.append((path.name, len(data), int(ambiguous(data).sum())))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DATA / "files"])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    figures = measure(args.paths)
    width = max((len(name) for name, _, _ in figures), default=10)
    print(f"{'file':<{width}}  {'observations':>12}  {'ambiguous':>9}  share")
    for name, total, clash in figures:
        share = clash / total if total else 0.0
        print(f"{name:<{width}}  {total:>12,}  {clash:>9,}  {share:6.1%}")
    total = sum(t for _, t, _ in figures)
    clash = sum(c for _, _, c in figures)
    print(f"{'TOTAL (' + str(len(figures)) + ' files)':<{width}}  {total:>12,}  {clash:>9,}  "
          f"{clash / max(total, 1):6.2%}")
    if args.paths == [DATA / "files"]:
        print_verdicts(figures)


def print_verdicts(figures: list[tuple[str, int, int]]) -> None:
    """Issue 10's targets, met or not, on the development workbooks."""
    total = sum(t for _, t, _ in figures)
    share = sum(c for _, _, c in figures) / max(total, 1)
    print(f"target: at most 1% ambiguous in total: {share:.2%}, "
          f"{'met' if share <= MAX_TOTAL_SHARE else 'NOT met'}")
    found = {name: clash for name, _, clash in figures}
    missing = [name for name in NAMED_BY_ISSUE_10 if name not in found]
    clashing = [f"{name} ({found[name]:,})" for name in NAMED_BY_ISSUE_10 if found.get(name)]
    verdict = "NOT met: " + ", ".join(missing + clashing) if missing or clashing else "met"
    print(f"target: 0% on the {len(NAMED_BY_ISSUE_10)} files issue 10 names: {verdict}")


if __name__ == "__main__":
    main()
