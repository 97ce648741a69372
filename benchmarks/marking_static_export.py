"""Per-script reports with two static charts each: the path before batching against today's.

Both are measured in the same run on the same generated scripts:

- **baseline (the path before batching)**: one kaleido tab kept for the run (its per-chart page
  reload skipped), one kaleido round trip per chart, and a ``report.html`` with interactive
  charts and plotly.js inline (~4.8 MB each): ``api.write_script_reports`` as it was until
  this change, kept here verbatim as the yardstick;
- **now**: ``api.write_script_reports`` as ``marking report --all`` runs it by default
  (``report.html`` with its two charts as inline SVG), whose :class:`charts.ChartExporter`
  draws the charts in batches in two browser pages while Python builds the next batch.
  ``--png`` also times ``marking report --all --formats png`` (the same reports plus
  ``categories.png`` and ``totals.png`` files beside each).

The new path's times include starting its browser. The baseline runs on fewer scripts (it is
slow), half before and half after the new path so that a change in load weighs on both; its
browser start is timed apart and its 1,000-script figure is start + 1,000 x seconds a script.

    python benchmarks/marking_static_export.py                       # 40 scripts, baseline 10
    python benchmarks/marking_static_export.py --scripts 1000 --baseline-scripts 20 --png
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import plotly.io as pio
from kaleido.kaleido import Kaleido

from gaffertape import ui
from gaffertape.atomic import atomic_write, write_text_atomic
from gaffertape.chromium import require_chromium
from gaffertape.marking import api, pages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from marking_speed import generate_marks  # the shared seeded generator


class _KeptTabKaleido(Kaleido):
    async def _return_kaleido_tab(self, tab) -> None:  # no page reload between charts
        await self.tabs_ready.put(tab)


class KaleidoKeptTab:
    """The exporter before batching: one kaleido tab, one round trip per chart."""

    def __enter__(self):
        os.environ["BROWSER_PATH"] = require_chromium("static charts")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._kaleido = _KeptTabKaleido(n=1, mathjax=False)
        self._run(self._kaleido.__aenter__())
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._run(self._kaleido.__aexit__(*exc))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def export(self, figures, paths) -> list[Path]:
        for fig, path in zip(figures, paths, strict=True):
            opts = {"format": path.suffix[1:], "width": fig.layout.width,
                    "height": fig.layout.height}
            data = self._run(self._kaleido.calc_fig(fig.to_dict(), opts))
            with atomic_write(path) as part:
                part.write_bytes(data)
        return list(paths)


def baseline_reports(data: api.Marking, scripts: list[tuple[str, str]], folder: Path) -> float:
    """``write_script_reports`` before batching: interactive reports, one round trip a chart.

    Returns the seconds spent starting the browser, so the per-script figure leaves it out."""
    with contextlib.ExitStack() as stack:
        start = time.perf_counter()
        exporter = stack.enter_context(KaleidoKeptTab())
        startup = time.perf_counter() - start
        progress = stack.enter_context(ui.make_progress())
        task = progress.add_task("Script reports (baseline)", total=len(scripts), status="")
        for course, pi in scripts:
            flag, role = data.script(pi, course)
            text, table, figs = api._script_figures(data, flag, role)
            out = folder / f"{course}_{pi}"
            body = pages.script_section(flag, role, text, table, [
                pio.to_html(f, include_plotlyjs=False, full_html=False) for f in figs])
            write_text_atomic(out / "report.html",
                              pages.page(f"{course} {pi}", body, api.inline_plotlyjs()))
            exporter.export(figs, [out / "categories.png", out / "totals.png"])
            progress.update(task, advance=1, status=pi)
    return startup


def seconds(func, *args) -> tuple[float, object]:
    """(wall seconds, result) of ``func(*args)``."""
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=int, default=40, help="scripts for the new path")
    parser.add_argument("--baseline-scripts", type=int, default=10,
                        help="scripts for the baseline (extrapolated per script)")
    parser.add_argument("--png", action="store_true",
                        help="also time the reports with PNG chart files (--formats png)")
    args = parser.parse_args()
    data = api.Marking.from_marks(generate_marks(max(args.scripts, args.baseline_scripts)))
    scripts = api.select_scripts(data, "all")
    loads = [os.getloadavg()[0]]
    half = args.baseline_scripts // 2
    with tempfile.TemporaryDirectory(prefix="gt-bench-") as tmp:
        base_dir, now_dir = Path(tmp) / "base", Path(tmp) / "now"
        # The baseline runs half before and half after the new path, so a change in the
        # machine's load during the run weighs on both paths alike.
        before, start_before = seconds(baseline_reports, data, scripts[:half],
                                                   base_dir)
        loads.append(os.getloadavg()[0])
        now, _ = seconds(api.write_script_reports, data, scripts[:args.scripts], now_dir)
        loads.append(os.getloadavg()[0])
        if args.png:
            png_dir = Path(tmp) / "png"
            png, _ = seconds(api.write_script_reports, data, scripts[:args.scripts],
                             png_dir, ("png",))
            png_bytes = folder_size(png_dir)[1]
            pngs = len(list(png_dir.glob("*/*.png")))
            loads.append(os.getloadavg()[0])
        after, start_after = seconds(baseline_reports, data,
                                                scripts[half:args.baseline_scripts], base_dir)
        loads.append(os.getloadavg()[0])
        base_files, base_bytes = folder_size(base_dir)
        now_files, now_bytes = folder_size(now_dir)
        reports = len(list(now_dir.glob("*/report.html")))
    n_base = args.baseline_scripts
    startup = (start_before + start_after) / 2
    per_base = (before - start_before + after - start_after) / n_base  # browser start left out
    base_1000 = startup + 1000 * per_base
    per_now = now / args.scripts  # browser start included
    print("load average (1 min) before, between and after the phases: "
          + " / ".join(f"{load:.2f}" for load in loads) + f" ({os.cpu_count()} CPUs)")
    print(f"{'path':<58}{'scripts':>8}{'seconds':>9}{'s/script':>10}{'MB/script':>10}")
    print(f"{'baseline: kaleido, a round trip a chart, plotly.js inline':<58}{n_base:>8}"
          f"{before + after:>9.2f}{per_base:>10.3f}{base_bytes / n_base / 1e6:>10.2f}")
    print(f"{'  (its browser start, left out of s/script)':<58}{'':>8}{startup:>9.2f}")
    print(f"{'now: batched in 2 pages, reports with inline SVG charts':<58}{args.scripts:>8}"
          f"{now:>9.2f}{per_now:>10.3f}{now_bytes / args.scripts / 1e6:>10.3f}")
    if args.png:
        print(f"{'now, --formats png: the same plus two PNG files each':<58}{args.scripts:>8}"
              f"{png:>9.2f}{png / args.scripts:>10.3f}{png_bytes / args.scripts / 1e6:>10.3f}")
        print(f"  (wrote {pngs} PNG files)")
    print(f"now wrote {reports} reports ({now_files} files); baseline {base_files} files")
    now_1000 = per_now * 1000
    print(f"per 1,000 scripts: baseline {base_1000:.0f} s (extrapolated: start + 1,000 x "
          f"s/script), now {now_1000:.0f} s" + ("" if args.scripts >= 1000 else
                                                 " (extrapolated, browser start included)"))
    print(f"ratio: {base_1000 / now_1000:.1f}x faster; target < 60 s per 1,000: "
          f"{'met' if now_1000 < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
