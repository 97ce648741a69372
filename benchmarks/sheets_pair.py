"""CPU of chosen `gaffertape.sheets.detect` functions, this checkout against a git revision,
paired call by call inside the real pipeline (``tidy_files`` over ../shared/data/sheets/files).

Each call of a chosen function runs both versions on the same inputs, in alternating order (so
neither always finds the caches warm), and their answers must agree. A pass sums each
version's CPU time; after a warm pass (memos filled), each call's best over the passes is
summed. On a shared machine this is far steadier than timing two runs one after the other:
load hits both versions of every call alike.

Run: python benchmarks/sheets_pair.py HEAD~1 _text _headed_total [--passes 7]
(a function whose arguments changed since the revision cannot be paired: the run stops
naming the error. Pair functions that do not call one another: an outer one's time would
include both versions of the inner one.)
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import gaffertape.sheets.api as api
import gaffertape.sheets.detect as current
from sheets_realdata import DATA

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def module_at(revision: str, folder: Path):  # type: ignore[no-untyped-def]
    """detect.py as it was at ``revision``, imported under another name."""
    source = subprocess.run(["git", "show", f"{revision}:src/gaffertape/sheets/detect.py"],
                            capture_output=True, text=True, check=True).stdout
    path = folder / "detect_at_revision.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("detect_at_revision", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["detect_at_revision"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("functions", nargs="+")
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = module_at(args.revision, Path(folder))
    calls: list[tuple[str, int, int]] = []  # (function, CPU ns then, CPU ns now) this pass
    differ: list[str] = []

    def paired(name: str, now: Callable, then: Callable) -> Callable:  # type: ignore[type-arg]
        now_first = [False]

        def run(*call_args: object) -> object:
            now_first[0] = not now_first[0]
            versions = [("now", now), ("then", then)]
            if not now_first[0]:
                versions.reverse()
            spent, answers = {}, {}
            for label, function in versions:
                start = time.process_time_ns()
                answers[label] = function(*call_args)
                spent[label] = time.process_time_ns() - start
            if answers["now"] != answers["then"]:
                differ.append(name)
            calls.append((name, spent["then"], spent["now"]))
            return answers["now"]
        return run

    for name in args.functions:
        setattr(current, name, paired(name, getattr(current, name), getattr(before, name)))
    files = [p for p in sorted((DATA / "files").iterdir()) if p.suffix in SUFFIXES]
    best: list[tuple[str, int, int]] = []
    for i in range(args.passes + 1):  # the first pass fills the memos
        calls.clear()
        gc.collect()
        for path in files:
            if errors := api.tidy_files([path]).errors:  # e.g. a signature changed since then
                raise SystemExit(f"cannot pair: {next(iter(errors.values()))}")
        if i == 1:
            best = list(calls)
        elif i > 1:
            best = [(name, min(t0, t1), min(n0, n1))
                    for (name, t0, n0), (_, t1, n1) in zip(best, calls, strict=True)]
    for name in [*args.functions, "all"]:
        then = sum(t for n, t, _ in best if name in (n, "all"))
        now = sum(t for n, _, t in best if name in (n, "all"))
        print(f"{name:20s} {args.revision}: {then / 1e6:7.1f} ms   now: {now / 1e6:7.1f} ms   "
              f"now/then {now / then:.3f}")
    print(f"{len(files)} files, {len(best)} calls, best of {args.passes} passes per call; "
          f"answers that differ: {len(differ)}")
    if differ:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
