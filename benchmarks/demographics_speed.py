"""Benchmark: the four age distributions of N synthetic students over 50 years, in DuckDB and in
plain pandas (the baseline, same run, same data), and rendering the 5 x 10 grid and the
animation as interactive HTML and static PNG.

    python benchmarks/demographics_speed.py                     # 200,000 students (quick)
    python benchmarks/demographics_speed.py --students 2000000  # the issue's size

Each stage runs in its own process, measured for wall time and exact peak RSS (``wait4``'s
``ru_maxrss``); inside, the stage times its own steps. Every process generates the same seeded
students first (that time is reported apart). The two aggregations are checked to give
identical tables. Targets: DuckDB at least 5x faster than pandas, peak RSS under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from gaffertape.demographics.aggregate import POPULATIONS, distributions, record_scheme
from gaffertape.demographics.bands import DEFAULT_SCHEME, UNKNOWN, band_of
from gaffertape.demographics.synthetic import generate_students
from sites_common import PYTHON, measure

SEED = 1
STAGES = ("duckdb", "pandas", "pandas-cohorts", "render")


def distributions_pandas(records: pd.DataFrame, *, cohorts: bool = False) -> pd.DataFrame:
    """The same table as :func:`distributions`, in plain pandas (explode the study years).

    ``cohorts`` first counts records alike in every field, as the DuckDB query does, so the
    second baseline measures the engine rather than that step.
    """
    bands = record_scheme(records, DEFAULT_SCHEME)
    fields = ["birth_year", "sex", "year_joined", "year_left", "graduated"]
    usable = records.loc[records["year_status"] == "ok", fields].assign(n=1)
    if cohorts:
        usable = (usable.groupby(fields, observed=True, dropna=False)["n"].sum()
                  .reset_index())
    first = int(usable["year_joined"].min())
    last = int(max(usable["year_joined"].max(), usable["year_left"].max()))
    end = usable["year_left"].fillna(last).clip(upper=last).astype(int)
    length = (end - usable["year_joined"].astype(int) + 1).clip(lower=0).to_numpy()
    spells = usable.loc[usable.index.repeat(length), ["birth_year", "sex", "year_joined", "n"]]
    spells["year"] = (spells["year_joined"].astype(int).to_numpy()
                      + spells.groupby(level=0).cumcount().to_numpy())
    lookup = pd.Series([band_of(bands.scheme, a) for a in range(121)])
    events = {
        "joined": spells[spells["year"] == spells["year_joined"]],
        "studying": spells,
        "graduated": usable[usable["graduated"]].assign(year=usable["year_left"]),
    }
    labels = [b.label for b in bands.scheme] + [UNKNOWN]
    grid = pd.MultiIndex.from_product(
        [range(first, last + 1), labels, ["F", "M", "other", UNKNOWN]],
        names=["year", "age_band", "sex"])
    frames = []
    for population, rows in events.items():
        age = (rows["year"].astype(float) - rows["birth_year"].astype(float)).to_numpy()
        known = ~np.isnan(age) & (age >= 0) & (age <= 120)
        ages = np.nan_to_num(age, nan=0).astype(int).clip(0, 120)
        band = np.where(known, lookup.to_numpy()[ages], UNKNOWN)
        counts = (pd.DataFrame({"year": rows["year"].astype(int).to_numpy(), "age_band": band,
                                "sex": rows["sex"].astype(str).to_numpy(),
                                "n": rows["n"].to_numpy()})
                  .groupby(["year", "age_band", "sex"])["n"].sum().reindex(grid, fill_value=0))
        frames.append(counts.rename("count").reset_index().assign(population=population))
        if population == "graduated":
            cumulative = counts.groupby(level=["age_band", "sex"]).cumsum()
            frames.append(cumulative.rename("count").reset_index()
                          .assign(population="graduates to date"))
    return pd.concat(frames, ignore_index=True)


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    columns = ["year", "population", "age_band", "sex", "count"]
    table = table[columns].astype({"year": "int64", "count": "int64"})
    return table.sort_values(columns[:4]).reset_index(drop=True)


def run_stage(stage: str, students: int, out: Path) -> None:
    """One stage in this process; its timings and result go to ``out``."""
    started = time.perf_counter()
    records = generate_students(students, seed=SEED)
    timings = {"generate_s": time.perf_counter() - started}
    started = time.perf_counter()
    if stage.startswith("pandas"):
        table = distributions_pandas(records, cohorts=stage == "pandas-cohorts")
    else:
        table = distributions(records)
    timings["aggregate_s"] = time.perf_counter() - started
    if stage == "render":
        timings |= render(table, out.parent)
    _sorted(table).to_csv(out.with_suffix(".csv"), index=False)
    out.write_text(json.dumps(timings))


def render(table: pd.DataFrame, folder: Path) -> dict[str, float]:
    from gaffertape.demographics.charts import animation_figure, grid_figure, write_figure
    from gaffertape.marking.charts import static_session

    timings = {}
    for name, build in (("grid", grid_figure), ("animation", animation_figure)):
        started = time.perf_counter()
        fig = build(table)
        timings[f"{name}_figure_s"] = time.perf_counter() - started
        started = time.perf_counter()
        write_figure(fig, folder / name, ("html",))
        timings[f"{name}_html_s"] = time.perf_counter() - started
        started = time.perf_counter()
        with static_session():
            write_figure(fig, folder / name, ("png",))
        timings[f"{name}_png_s"] = time.perf_counter() - started
    return timings


def measured(stage: str, students: int, folder: Path) -> dict[str, float]:
    out = folder / f"{stage}.json"
    run = measure([PYTHON, __file__, "--stage", stage, "--students", str(students),
                   "--out", str(out)])
    if run["returncode"]:
        raise SystemExit(f"stage {stage} failed:\n{run['output'][-3000:]}")
    return {**json.loads(out.read_text()), "process_s": round(run["seconds"], 2),
            "peak_rss_mb": round(run["peak_rss_mb"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        run_stage(args.stage, args.students, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="gaffertape-demog-bench-") as tmp:
        folder = Path(tmp)
        results = {stage: measured(stage, args.students, folder)
                   for stage in STAGES}
        duck_table = _sorted(pd.read_csv(folder / "duckdb.csv"))
        same = all(duck_table.equals(_sorted(pd.read_csv(folder / f"{stage}.csv")))
                   for stage in STAGES[1:])
        sizes = {p.name: round(p.stat().st_size / 1e6, 2) for p in sorted(folder.glob("*.*"))
                 if p.suffix in {".html", ".png"}}
    for stage, figures in results.items():
        print(stage, json.dumps({k: round(v, 2) for k, v in figures.items()}))
    duck = results["duckdb"]["aggregate_s"]
    plain, grouped = results["pandas"]["aggregate_s"], results["pandas-cohorts"]["aggregate_s"]
    print(f"files (MB): {json.dumps(sizes)}")
    print(f"\n{args.students:,} students, {len(POPULATIONS)} populations x 50 years: "
          f"DuckDB {duck:.2f} s vs plain pandas {plain:.2f} s = {plain / duck:.1f}x faster "
          f"(target >= 5x); vs pandas counting cohorts first {grouped:.2f} s = "
          f"{grouped / duck:.1f}x; identical tables (all four): {same}")
    ours = {stage: results[stage]["peak_rss_mb"] for stage in ("duckdb", "render")}
    print(f"peak RSS (MB), gaffertape: aggregation {ours['duckdb']}, aggregation + rendering "
          f"{ours['render']} (target < 1000 MB: {'met' if max(ours.values()) < 1000 else 'MISSED'})"
          f"; baselines: plain pandas {results['pandas']['peak_rss_mb']}, pandas with cohorts "
          f"{results['pandas-cohorts']['peak_rss_mb']}")

if __name__ == "__main__":
    main()
