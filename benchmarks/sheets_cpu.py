"""CPU time of the `gaffertape sheets` pipeline over ../shared/data/sheets/files, against
python-calamine's own read of the same files in the same run, and of any functions named.

CPU time (not wall time) and each measure's best over the passes: on a shared or virtual
machine this moves less than `sheets_speed.py`'s wall-clock medians, and it shows where the
time goes. A function is timed where its module defines the name the pipeline calls, so name
it in the module that calls it (``gaffertape.sheets.api:detect``); nested functions count in
both. To compare two versions of the code, run this from each checkout in turn.

Run: python benchmarks/sheets_cpu.py [--repeat 3] [--files itis] [--without-guard] \\
         gaffertape.sheets.api:detect gaffertape.sheets.api:observation_columns
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import gaffertape.sheets.api as api
from sheets_realdata import DATA
from sheets_speed import BOOKS, calamine_read, cpu_seconds

spent: defaultdict[str, float] = defaultdict(float)


def timed(name: str, function: Callable) -> Callable:  # type: ignore[type-arg]
    """``function``, adding the CPU seconds of each call to ``spent[name]`` (this process's
    only: a function that reads an .xls does not count the worker's reading)."""
    @functools.wraps(function)
    def run(*args: object, **kwargs: object) -> object:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start
    return run


def cpu_of(read: Callable[[Path], object], files: list[Path]) -> float:
    gc.collect()
    start = cpu_seconds()
    for path in files:
        read(path)
    return cpu_seconds() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", default="", help="only files whose name contains this")
    parser.add_argument("functions", nargs="*",
                        help="module:name, e.g. gaffertape.sheets.api:detect")
    parser.add_argument("--without-guard", action="store_true",
                        help="skip the bounds check (readers.check_workbook), to see what it "
                             "costs; for measuring on these known files only")
    args = parser.parse_args()
    if args.without_guard:
        import gaffertape.sheets.readers as readers
        readers.check_workbook = lambda *_: None  # type: ignore[assignment]
    for spec in args.functions:
        module_name, name = spec.split(":")
        module = importlib.import_module(module_name)
        setattr(module, name, timed(spec, getattr(module, name)))
    files = [p for p in sorted(DATA.joinpath("files").iterdir())
             if p.suffix in BOOKS and args.files in p.name]

    def tidy(path: Path) -> None:
        api.tidy_files([path])

    cpu_of(tidy, files)  # fills the memos, as a folder run's first files do
    calamine, pipeline, parts = [], [], {}
    for _ in range(args.repeat):
        calamine.append(cpu_of(calamine_read, files))
        spent.clear()
        pipeline.append(cpu_of(tidy, files))
        parts = {name: min(seconds, parts.get(name, seconds)) for name, seconds in spent.items()}
    base, whole = min(calamine), min(pipeline)
    print(f"{len(files)} files, best of {args.repeat} (CPU): calamine {base:.3f} s, pipeline "
          f"{whole:.3f} s = {whole / base:.2f}x calamine (non-calamine {whole - base:.3f} s)")
    for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"  {name:55s} {seconds:.3f} s  ({seconds / base:.2f}x calamine)")


if __name__ == "__main__":
    main()
