"""The whole `sheets tidy` pipeline of this checkout against the same pipeline at a git
revision, and python-calamine's raw read, in one process (CPU time, with the .xls worker's).

The revision's package is extracted beside this one under another name (``gaffertape_at_rev``),
so both versions run on the same files in the same minutes: each file is read by calamine,
then tidied by one version and by the other (the order alternating between passes), and each
measure's best per file is summed. On a shared or virtual machine, where the calamine read
alone moves by a third between runs minutes apart, this is the steady way to tell whether a
change made the pipeline faster and what ratio each version has to calamine.

Run: python benchmarks/sheets_versions.py HEAD~5 [--passes 7] [--runs 5]
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import gaffertape.sheets.api as current
from sheets_realdata import DATA
from sheets_speed import BOOKS, calamine_read, cpu_seconds

RENAMED = "gaffertape_at_rev"
ROOT = Path(__file__).resolve().parent.parent


def api_at(revision: str, folder: Path):  # type: ignore[no-untyped-def]
    """`gaffertape.sheets.api` as it was at ``revision``, imported as ``RENAMED``."""
    archive = subprocess.run(["git", "archive", revision, "src/gaffertape"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "src" / "gaffertape"
    for source in package.rglob("*.py"):
        text = re.sub(r"\bgaffertape\b(?=[.\s])", RENAMED, source.read_text())
        source.write_text(text)
    package.rename(package.with_name(RENAMED))
    sys.path.insert(0, str(folder / "src"))
    return importlib.import_module(f"{RENAMED}.sheets.api")


def cpu(run: Callable[[Path], object], path: Path) -> float:
    start = cpu_seconds()
    run(path)
    return cpu_seconds() - start


def best_totals(runs: dict[str, Callable[[Path], object]], files: list[Path],
                passes: int) -> dict[str, float]:
    """Each reader's CPU seconds over ``files``: each file's best of ``passes``, summed (the
    order of the two versions alternating between passes)."""
    best: dict[str, dict[Path, float]] = {name: {} for name in runs}
    for i in range(passes):
        names = list(runs) if i % 2 == 0 else ["calamine", "this checkout", "revision"]
        for path in files:
            for name in names:
                seconds = cpu(runs[name], path)
                best[name][path] = min(best[name].get(path, seconds), seconds)
    return {name: sum(times.values()) for name, times in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1,
                        help="repeat the whole measurement and give the medians too: a single "
                             "run's ratio moves by a few percent on a shared machine")
    args = parser.parse_args()
    files = sorted(p for p in (DATA / "files").iterdir() if p.suffix in BOOKS)
    with tempfile.TemporaryDirectory() as folder:
        old = api_at(args.revision, Path(folder))
        runs: dict[str, Callable[[Path], object]] = {
            "calamine": calamine_read, "revision": lambda p: old.tidy_files([p]),
            "this checkout": lambda p: current.tidy_files([p])}
        for path in files:  # warm: imports, memo dicts, file cache
            for run in runs.values():
                run(path)
        measured = []
        for _ in range(args.runs):
            measured.append(best_totals(runs, files, args.passes))
            report(measured[-1], f"{len(files)} files, CPU, each file's best of "
                                 f"{args.passes} passes, summed", args.revision)
    if args.runs > 1:
        ratios = {name: [m[name] / m["calamine"] for m in measured]
                  for name in ("revision", "this checkout")}
        print(f"over {args.runs} runs, x calamine: "
              + "; ".join(f"{name} median {statistics.median(r):.2f} "
                          f"(range {min(r):.2f}-{max(r):.2f})" for name, r in ratios.items()))


def report(total: dict[str, float], title: str, revision: str) -> None:
    base = total["calamine"]
    print(title)
    print(f"python-calamine raw read : {base:.3f} s (baseline 1.00x)")
    for name in ("revision", "this checkout"):
        label = f"{name} ({revision})" if name == "revision" else name
        print(f"{label:25s}: {total[name]:.3f} s ({total[name] / base:.2f}x calamine)")
    print(f"this checkout / revision : {total['this checkout'] / total['revision']:.3f}")


if __name__ == "__main__":
    main()
