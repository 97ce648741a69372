"""Speed of `gaffertape sheets` on the real workbooks in ../shared/data/sheets/files.

Measured in one run: each repeat times every reader on every file, one after the other, so load
on a shared machine hits all of them alike; the figures are medians over the repeats, and, for
the gaffertape/calamine ratio, also each file's best time summed over the files (steadier when
other jobs share the machine). Garbage is collected before each reader's pass, so none pays for
another's (openpyxl leaves a lot).
  * baseline: python-calamine reading every sheet's values and merged ranges (nothing else);
  * gaffertape: the whole `tidy` pipeline for every file, as `gaffertape sheets tidy` runs it
    (``tidy_files``): read, bounds checks, detect, long-form output, cell accounts and the
    uniqueness guard's warnings;
  * openpyxl-era: openpyxl.load_workbook (full mode, so merges are available) for .xlsx/.xlsm and
    xlrd (formatting_info off) for .xls; .ods is excluded there (openpyxl cannot read it), and the
    ratio is over the same subset of files.

Run: python benchmarks/sheets_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import xlrd
from python_calamine import CalamineWorkbook

from gaffertape.sheets.api import tidy_files
from sheets_realdata import DATA

FILES = DATA / "files"
BOOKS = (".xlsx", ".xlsm", ".xls", ".ods")


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its live children: an .xls is read in a
    worker process (gaffertape.sheets.isolation), whose time is the pipeline's too. A child's
    is its run time in /proc/PID/schedstat (nanoseconds; the tick counts of /proc/PID/stat, at
    10 ms, are too coarse for one file). Linux only: elsewhere, this process's time alone."""
    total = time.process_time()
    for listing in Path("/proc/self/task").glob("*/children"):
        try:
            children = listing.read_text().split()
        except OSError:  # the thread ended meanwhile (the worker's timer does, every read)
            continue
        for pid in children:
            with contextlib.suppress(OSError, ValueError, IndexError):  # it ended meanwhile
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    return total


def calamine_read(path: Path) -> None:
    workbook = CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        sheet.to_python(skip_empty_area=False)
        _ = sheet.merged_cell_ranges


def openpyxl_read(path: Path) -> None:
    if path.suffix == ".xls":
        book = xlrd.open_workbook(str(path))
        for sheet in book.sheets():
            [sheet.row_values(r) for r in range(sheet.nrows)]
        return
    workbook = openpyxl.load_workbook(path, data_only=True)
    for sheet in workbook.worksheets:
        list(sheet.iter_rows(values_only=True))


def gaffertape_tidy(path: Path) -> None:
    result = tidy_files([path])
    if result.errors:  # a file that failed would be timed doing almost nothing
        raise SystemExit(f"{path}: {result.errors}")


READERS: dict[str, Callable[[Path], object]] = {
    "calamine": calamine_read, "gaffertape": gaffertape_tidy, "openpyxl": openpyxl_read}


def measure(repeat: int = 5) -> dict[str, float]:
    """Median seconds per reader over all files and over the openpyxl subset, plus ratios."""
    files = sorted(p for p in FILES.iterdir() if p.suffix in BOOKS)
    subset = [p for p in files if p.suffix != ".ods"]
    runs: dict[str, list[float]] = {f"{name}{part}": [] for name in READERS
                                    for part in ("_s", "_subset_s")}
    best: dict[str, dict[Path, float]] = {name: {} for name in READERS}
    for _ in range(repeat):
        for name, read in READERS.items():
            seconds = {}
            gc.collect()  # openpyxl leaves cyclic garbage: collect it outside any timing
            for path in files if name != "openpyxl" else subset:
                start = time.perf_counter()
                read(path)
                seconds[path] = time.perf_counter() - start
                best[name][path] = min(seconds[path], best[name].get(path, float("inf")))
            runs[f"{name}_s"].append(sum(seconds.values()))
            runs[f"{name}_subset_s"].append(sum(seconds[p] for p in subset))
    figures = {name: statistics.median(values) for name, values in runs.items()}
    figures.update(files=len(files), subset_files=len(subset))
    figures["gaffertape_vs_calamine"] = figures["gaffertape_s"] / figures["calamine_s"]
    # each file's best time over the repeats, summed: a file's run is short, so on a busy
    # machine its best is seldom preempted, where a whole pass almost always is
    figures["gaffertape_vs_calamine_best"] = (sum(best["gaffertape"].values())
                                              / sum(best["calamine"].values()))
    figures["openpyxl_vs_gaffertape"] = (figures["openpyxl_subset_s"]
                                         / figures["gaffertape_subset_s"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not FILES.is_dir():
        raise SystemExit(f"real data not found at {FILES}")
    before = os.getloadavg()[0]
    figures = measure(args.repeat)
    print(f"files: {figures['files']} (openpyxl subset without .ods: {figures['subset_files']})")
    print(f"load average (1 min) before and after: {before:.2f}, {os.getloadavg()[0]:.2f}")
    print(f"medians of {args.repeat} interleaved repeats")
    print(f"python-calamine raw read : {figures['calamine_s']:.3f} s (baseline 1.00x)")
    print(f"gaffertape tidy pipeline : {figures['gaffertape_s']:.3f} s "
          f"({figures['gaffertape_vs_calamine']:.2f}x calamine; target <= 3x)")
    print(f"  per-file best of {args.repeat}, summed: "
          f"{figures['gaffertape_vs_calamine_best']:.2f}x calamine (steadier on a busy machine)")
    print(f"openpyxl/xlrd read subset: {figures['openpyxl_subset_s']:.3f} s vs gaffertape "
          f"{figures['gaffertape_subset_s']:.3f} s "
          f"(gaffertape {figures['openpyxl_vs_gaffertape']:.1f}x faster; target >= 10x)")


if __name__ == "__main__":
    main()
