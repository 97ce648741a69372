"""Share of observations that cannot be told apart, per file, on any folder of workbooks.

An observation is ambiguous when another observation of the same file has the same sheet, table,
table title, row header, column header and sub-table (see gaffertape.sheets.uniqueness). No
annotation is needed, so this runs on your own workbooks as well as on the development set.

Run: python benchmarks/sheets_ambiguity.py [FOLDER_OR_FILES ...]
(default: ../shared/data/sheets/files)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gaffertape.errors import UserError
from gaffertape.sheets.api import expand_paths, tidy_file
from gaffertape.sheets.uniqueness import ambiguous
from sheets_realdata import DATA


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
    figures = measure(args.paths)
    width = max((len(name) for name, _, _ in figures), default=10)
    print(f"{'file':<{width}}  {'observations':>12}  {'ambiguous':>9}  share")
    for name, total, clash in figures:
        share = clash / total if total else 0.0
        print(f"{name:<{width}}  {total:>12,}  {clash:>9,}  {share:6.1%}")
    total = sum(t for _, t, _ in figures)
    clash = sum(c for _, _, c in figures)
    print(f"{'TOTAL (' + str(len(figures)) + ' files)':<{width}}  {total:>12,}  {clash:>9,}  "
          f"{clash / max(total, 1):6.1%}")


if __name__ == "__main__":
    main()
