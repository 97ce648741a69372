"""Fingerprint of everything `gaffertape sheets` outputs on the real data, to show that a speed
change changed no output.

Covers `tidy_files` on every workbook and CSV in ../shared/data/sheets/files and every
Auto-Tables input (the long form with its dtypes, the per-file cell accounts, the errors and the
clash warnings), and `detect`, `cell_roles` and the long form of every SAUS dev sheet. Each item
is a SHA-256, so two runs compare item by item.

Run: python benchmarks/sheets_fingerprint.py save before.json   (then change the code)
     python benchmarks/sheets_fingerprint.py compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pandas as pd

from gaffertape.sheets.api import tidy_files
from gaffertape.sheets.detect import detect
from gaffertape.sheets.roles import cell_roles
from gaffertape.sheets.tidy import observations
from sheets_realdata import DATA, load_saus

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def _digest(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    """Columns, dtypes and every value (as CSV: floats to full precision)."""
    return _digest(list(frame.columns), [str(t) for t in frame.dtypes],
                   frame.to_csv(index=True).encode())


def tidy_digest(path: Path) -> str:
    result = tidy_files([path])
    cells = {name: sorted(counts.items()) for name, counts in result.cells.items()}
    return _digest(frame_digest(result.data), sorted(result.errors.items()), cells,
                   result.warnings)


def fingerprint() -> dict[str, str]:
    items = {p.name: tidy_digest(p) for p in sorted((DATA / "files").iterdir())
             if p.suffix in SUFFIXES}
    for category in ("subtitle", "ffill", "pivot"):
        for case in sorted((DATA / "atbench" / category).iterdir()):
            if case.is_dir():
                items[f"atbench/{category}/{case.name}"] = tidy_digest(case / "data.csv")
    for i, (grid, _) in enumerate(load_saus(DATA / "saus" / "saus_dev.jl.gz")):
        layout = detect(grid)
        items[f"saus/{i}"] = _digest(repr(layout), sorted(cell_roles(grid, layout).items()),
                                     frame_digest(observations(grid, layout)))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    items = fingerprint()
    if args.action == "save":
        args.file.write_text(json.dumps(items, indent=1))
        print(f"{len(items)} items saved to {args.file}")
        return
    before = json.loads(args.file.read_text())
    differ = sorted(k for k in before.keys() | items.keys() if before.get(k) != items.get(k))
    print(f"{len(items)} items, {len(differ)} differ" + (f": {differ[:20]}" if differ else ""))
    if differ:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
