"""Speed and memory of a group-by over a big CSV in the data folder: gaffertape sql vs pandas.

One run, one generated CSV of student records (one row per student per assessment, thirteen
columns shaped like the Open University's OULAD studentInfo + studentAssessment tables: module,
presentation, PI, gender, region, age band, IMD band, disability, tutor group, assessment,
submission date, score with ~4% missing, final result; values drawn by hash, not cycled, so the
file compresses as real data does). Each way runs in its own process, so its peak RSS is its own
(the kernel's high-water mark via wait4, see sites_common.measure):

  * pandas: ``pd.read_csv(path)`` then ``groupby`` (the documented, default way a notebook does it);
  * gaffertape sql, first query of the file (cold): DuckDB converts the CSV to Parquet in the
    workspace cache (once), then answers from it;
  * gaffertape sql, the same query again (warm): it reads the Parquet copy, two columns of 13;
  * gaffertape sql --no-cache: DuckDB reads the CSV itself (no cache, every time);
  * gaffertape sql "select 1": the command's own start-up (Python, imports, workspace);
  * Spark local mode (``--engine spark --master local[2]``), and its ``select 1`` start-up.

Every answer is checked equal to pandas' before any figure is printed. Wall time is what a user
waits; CPU time (user + system, all threads) is printed beside it because on a shared machine
wall time depends on the load of the moment; the load average is printed with the figures.

Run: python benchmarks/sql_speed.py                  (small: about 50 MB, a couple of minutes)
     python benchmarks/sql_speed.py --gb 1 --no-spark
     python benchmarks/sql_speed.py --gb 1            (the 1 GB figures in docs/sql.md)
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from gaffertape.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent))
from sites_common import GAFFERTAPE, PYTHON, measure

BYTES_PER_ROW = 84  # of the generated CSV, measured; used to size the file
TARGET = 10.0  # the target: at least 10x faster than pandas
QUERY = ("select region, count(score) as n, avg(score) as mean, max(score) as hi"
         " from student_records group by region order by region")
PANDAS = """
import sys, pandas as pd
frame = pd.read_csv(sys.argv[1])
result = frame.groupby("region")["score"].agg(n="count", mean="mean", hi="max").reset_index()
sys.stdout.write(result.sort_values("region").to_csv(index=False))
"""
REGIONS = ["East Anglian Region", "East Midlands Region", "Ireland", "London Region",
           "North Region", "North Western Region", "Scotland", "South East Region",
           "South Region", "South West Region", "Wales", "West Midlands Region",
           "Yorkshire Region"]


def make_csv(path: Path, rows: int) -> None:
    """Student records, one row per student per assessment (five assessments per student)."""
    duckdb.sql(f"""
        COPY (
            SELECT ['TM470', 'TM354', 'TT284', 'M269', 'TM352'][1 + h % 5] AS code_module,
                   ['2023J', '2024B', '2024J'][1 + (h >> 3) % 3] AS code_presentation,
                   'A' || (1000000 + s) AS pi,
                   ['F', 'M'][1 + (h >> 5) % 2] AS gender,
                   {REGIONS}[1 + (h >> 6) % 13] AS region,
                   ['0-35', '35-55', '55<='][1 + (h >> 10) % 3] AS age_band,
                   ((h >> 12) % 10) * 10 || '-' || ((h >> 12) % 10 + 1) * 10 || '%' AS imd_band,
                   ['N', 'Y'][1 + ((h >> 16) % 10 = 0)::INT] AS disability,
                   'G' || lpad(((h >> 17) % 40)::VARCHAR, 2, '0') AS tutor_group,
                   ['TMA01', 'TMA02', 'TMA03', 'TMA04', 'EMA'][1 + i % 5] AS assessment,
                   DATE '2024-10-01' + ((i % 5) * 35 + g % 12)::INT AS submitted,
                   CASE WHEN g % 25 = 0 THEN NULL ELSE (g >> 8) % 101 END AS score,
                   ['Pass', 'Fail', 'Distinction', 'Withdrawn'][1 + (h >> 23) % 4] AS final_result
            FROM (SELECT i, i // 5 AS s, (hash(i // 5) >> 1)::BIGINT AS h,
                         (hash(i) >> 1)::BIGINT AS g FROM range({rows}) t(i))
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def answer(output: str) -> pd.DataFrame:
    """The CSV a run printed, as a frame to compare (float sums differ in the last bits)."""
    lines = [line for line in output.splitlines() if line.count(",") == 3]  # not log lines
    frame = pd.read_csv(io.StringIO("\n".join(lines)))
    return frame.round({"mean": 9, "hi": 9}).reset_index(drop=True)


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=0.05, help="CSV size in GB (default 0.05)")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark runs")
    parser.add_argument("--warm-runs", type=int, default=3,
                        help="repeated (warm) queries; the median is shown (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sql-speed-") as tmp:
        workspace = Workspace.init(Path(tmp) / "ws")
        data = workspace.root / "data"
        data.mkdir()
        csv = data / "student_records.csv"
        rows = int(args.gb * 1e9 / BYTES_PER_ROW)
        make_csv(csv, rows)
        size_mb = csv.stat().st_size / 1e6
        print(f"CSV {size_mb:,.0f} MB, {rows:,} rows, 13 columns;"
              f" load average (1/5/15 min) at start: {load()}", flush=True)
        base = [GAFFERTAPE, "-w", str(workspace.root), "sql"]
        runs = {"pandas read_csv + groupby": measure([PYTHON, "-c", PANDAS, str(csv)])}
        runs["gaffertape sql, cold (converts)"] = measure([*base, QUERY, "-f", "csv"])
        cached = sorted((workspace.root / "cache" / "sql").glob("*.parquet"))
        warm = [measure([*base, QUERY, "-f", "csv"]) for _ in range(args.warm_runs)]
        runs["gaffertape sql, warm (median)"] = sorted(warm, key=lambda r: r["seconds"])[
            len(warm) // 2]
        runs["gaffertape sql --no-cache"] = measure([*base, "--no-cache", QUERY, "-f", "csv"])
        runs["  start-up (select 1)"] = measure([*base, "select 1 as x", "-f", "csv"])
        if not args.no_spark:
            spark = [*base, "--engine", "spark", "--master", "local[2]"]
            runs["spark local[2]"] = measure([*spark, QUERY, "-f", "csv"])
            runs["  spark start-up (select 1)"] = measure([*spark, "select 1 as x", "-f", "csv"])
        for name, run in runs.items():
            if run["returncode"] != 0:
                sys.exit(f"{name} failed:\n{run['output'][-2000:]}")
        expected = answer(runs["pandas read_csv + groupby"]["output"])
        for name, run in runs.items():
            if "start-up" not in name:
                pd.testing.assert_frame_equal(answer(run["output"]), expected, check_dtype=False)
        report(runs, size_mb, len(expected), cached)


def report(runs: dict[str, dict], size_mb: float, groups: int, cached: list[Path]) -> None:
    pandas = runs["pandas read_csv + groupby"]
    print(f"\n{groups} groups; the same answer from every run. Parquet copy: "
          + (f"{cached[0].stat().st_size / 1e6:,.0f} MB" if cached else "none") + "\n")
    print(f"{'':34} {'wall s':>8} {'pandas/this':>12} {'CPU s':>8} {'pandas/this':>12}"
          f" {'peak RSS MB':>12}")
    for name, run in runs.items():
        if "spark" in name:  # Spark's work is in its JVM, which these counters do not see
            cpu = f"{'-':>8} {'-':>12} {run['peak_rss_mb']:9,.0f} (Python driver only)"
        else:
            cpu = (f"{run['cpu_seconds']:8.2f} {pandas['cpu_seconds'] / run['cpu_seconds']:11.1f}x"
                   f" {run['peak_rss_mb']:12,.0f}")
        print(f"{name:34} {run['seconds']:8.2f} {pandas['seconds'] / run['seconds']:11.1f}x {cpu}")
    print(f"\nload average (1/5/15 min) at the end: {load()}")
    for name in ("gaffertape sql, cold (converts)", "gaffertape sql, warm (median)"):
        wall = pandas["seconds"] / runs[name]["seconds"]
        cpu = pandas["cpu_seconds"] / runs[name]["cpu_seconds"]
        verdict = "MET" if wall >= TARGET else "NOT met"
        print(f"target >= {TARGET:.0f}x pandas, {name.split(', ')[1]}: {verdict}"
              f" ({wall:.1f}x wall, {cpu:.1f}x CPU)")


if __name__ == "__main__":
    main()
