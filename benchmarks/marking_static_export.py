"""Per-script reports with two static PNG charts each: today's path against the kept-tab exporter.

Both are measured in the same run on the same scripts:

- **baseline (the path before issue 11)**: one kaleido sync server for the run, one
  ``kaleido.write_fig_from_object_sync`` call per script with its two charts; kaleido reloads
  its page (plotly.js and all) after every chart;
- **now**: ``api.write_script_reports`` (self-contained ``report.html`` + ``categories.png`` +
  ``totals.png`` per script), whose :class:`charts.ChartExporter` keeps one tab and does not
  reload it.

The baseline writes the same two PNGs and a report.html that links plotly.js (as it did), so
the ratio is for the same work. Times include starting the browser once.

    .venv/bin/python benchmarks/marking_static_export.py                  # 20 scripts, quick
    .venv/bin/python benchmarks/marking_static_export.py --scripts 1000 --baseline-scripts 50
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import kaleido
import plotly.io as pio

from gaffertape.chromium import require_chromium
from gaffertape.marking import api, pages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from marking_speed import generate_marks  # the shared seeded generator


def baseline_reports(data: api.Marking, scripts: list[tuple[str, str]], folder: Path) -> None:
    """The path before issue 11: one kaleido call per script, the page reloaded per chart."""
    os.environ["BROWSER_PATH"] = require_chromium("static charts")
    kaleido.start_sync_server(silence_warnings=True)
    try:
        for course, pi in scripts:
            flag, role = data.script(pi, course)
            text, table, figs = api._script_figures(data, flag, role)
            out = folder / f"{course}_{pi}"
            out.mkdir(parents=True, exist_ok=True)
            body = pages.script_section(flag, role, text, table, [
                pio.to_html(f, include_plotlyjs=False, full_html=False) for f in figs])
            (out / "report.html").write_text(pages.page(pi, body, "<script src='../p.js'>"))
            kaleido.write_fig_from_object_sync([
                {"fig": fig.to_dict(), "path": str(out / f"{name}.png"),
                 "opts": {"format": "png", "width": fig.layout.width,
                          "height": fig.layout.height}}
                for fig, name in zip(figs, ("categories", "totals"), strict=True)])
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def seconds(func, *args) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=int, default=20, help="scripts for the new path")
    parser.add_argument("--baseline-scripts", type=int, default=None,
                        help="scripts for the baseline (default: as --scripts); extrapolated")
    args = parser.parse_args()
    n_base = args.baseline_scripts or args.scripts
    data = api.Marking.from_marks(generate_marks(max(args.scripts, n_base)))
    scripts = api.select_scripts(data, "all")
    with tempfile.TemporaryDirectory(prefix="gt-bench-") as tmp:
        base = seconds(baseline_reports, data, scripts[:n_base], Path(tmp) / "base")
        now = seconds(api.write_script_reports, data, scripts[:args.scripts], Path(tmp) / "now",
                      ("png",))
        pngs = len(list((Path(tmp) / "now").glob("*/*.png")))
    per_base, per_now = base / n_base, now / args.scripts
    print(f"{'path':<52}{'scripts':>8}{'seconds':>10}{'s/script':>10}")
    print(f"{'baseline: kaleido reloads its page per chart':<52}{n_base:>8}{base:>10.2f}"
          f"{per_base:>10.3f}")
    print(f"{'now: one kept tab (ChartExporter), self-contained':<52}{args.scripts:>8}"
          f"{now:>10.2f}{per_now:>10.3f}")
    print(f"static charts written by the new path: {pngs}")
    print(f"speed-up per script: {per_base / per_now:.1f}x")
    print(f"1,000 scripts, two PNG charts each: baseline {per_base * 1000 / 60:.1f} min "
          f"(extrapolated), now {per_now * 1000:.0f} s"
          + ("" if args.scripts >= 1000 else " (extrapolated)"))


if __name__ == "__main__":
    main()
