"""Speed and memory of a group-by over a big CSV in the data folder: gaffertape sql vs pandas.

One run, one generated CSV (marks in long form), three ways, each in its own process so its
peak RSS is its own (the kernel's high-water mark via wait4, see sites_common.measure):

  * gaffertape: ``gaffertape sql "<group-by>" -f csv`` (DuckDB streams the file);
  * pandas: ``pd.read_csv`` of the whole file, then ``groupby`` (the notebook way);
  * spark: the same command with ``--engine spark --master local[2]``, and, to separate Spark's
    fixed cost from its work, the time of ``select 1`` on Spark (JVM start-up and session).

The three answers are checked equal before any figure is printed. Wall time is what a user
waits; CPU time (user + system, all threads) is printed beside it because on a shared machine
wall time depends on the load of the moment.

Run: python benchmarks/sql_speed.py            (small: about 50 MB, a minute)
     python benchmarks/sql_speed.py --gb 1     (the 1 GB figure in docs/sql.md)
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from gaffertape.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent))
from sites_common import GAFFERTAPE, PYTHON, measure

BYTES_PER_ROW = 62  # of the generated CSV, measured; used to size the file
QUERY = ("select category, count(*) as n, avg(mark) as mean, max(mark) as hi"
         " from big_marks group by category order by category")
PANDAS = """
import sys, pandas as pd
frame = pd.read_csv(sys.argv[1])
result = frame.groupby("category")["mark"].agg(n="count", mean="mean", hi="max").reset_index()
sys.stdout.write(result.sort_values("category").to_csv(index=False))
"""


def make_csv(path: Path, rows: int) -> None:
    """Marks in long form: course, pi, role, marker, category, mark, marked_at."""
    duckdb.sql(f"""
        COPY (
            SELECT 'TM' || (470 + i % 7) || '-25J' AS course,
                   'A' || (1000000 + i // 15) AS pi,
                   ['first', 'second', 'third'][1 + i % 3] AS role,
                   'Marker ' || (i % 40) AS marker,
                   ['Project definition', 'Research', 'Design', 'Evaluation',
                    'Presentation'][1 + (i // 3) % 5] AS category,
                   round((hash(i) % 81) / 10.0, 1) AS mark,
                   DATE '2025-01-01' + CAST(i % 300 AS INTEGER) AS marked_at
            FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def answer(output: str) -> pd.DataFrame:
    """The CSV a run printed, as a frame to compare (marks rounded: float sums differ last bit)."""
    lines = [line for line in output.splitlines() if line.count(",") == 3]  # not log lines
    frame = pd.read_csv(io.StringIO("\n".join(lines)))
    return frame.round({"mean": 9, "hi": 9}).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=0.05, help="CSV size in GB (default 0.05)")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sql-speed-") as tmp:
        workspace = Workspace.init(Path(tmp) / "ws")
        data = workspace.root / "data"
        data.mkdir()
        csv = data / "big_marks.csv"
        make_csv(csv, int(args.gb * 1e9 / BYTES_PER_ROW))
        size_mb = csv.stat().st_size / 1e6
        base = [GAFFERTAPE, "-w", str(workspace.root), "sql"]
        runs = {
            "gaffertape sql (DuckDB)": measure([*base, QUERY, "-f", "csv"]),
            "pandas read_csv + groupby": measure([PYTHON, "-c", PANDAS, str(csv)]),
        }
        if not args.no_spark:
            spark = [*base, "--engine", "spark", "--master", "local[2]"]
            runs["gaffertape sql --engine spark"] = measure([*spark, QUERY, "-f", "csv"])
            runs["  of which Spark start-up"] = measure([*spark, "select 1 as x", "-f", "csv"])
        for name, run in runs.items():
            if run["returncode"] != 0:
                sys.exit(f"{name} failed:\n{run['output'][-2000:]}")
        expected = answer(runs["pandas read_csv + groupby"]["output"])
        for name, run in runs.items():
            if "start-up" not in name:
                pd.testing.assert_frame_equal(answer(run["output"]), expected, check_dtype=False)
        pandas_s = runs["pandas read_csv + groupby"]["seconds"]
        print(f"\nCSV {size_mb:,.0f} MB, {len(expected)} groups; same answer from every engine\n")
        pandas_cpu = runs["pandas read_csv + groupby"]["cpu_seconds"]
        print(f"{'':32} {'seconds':>8} {'pandas/this':>12} {'CPU s':>8} {'pandas/this':>12}"
              f" {'peak RSS MB':>12}")
        for name, run in runs.items():
            print(f"{name:32} {run['seconds']:8.2f} {pandas_s / run['seconds']:11.1f}x"
                  f" {run['cpu_seconds']:8.2f} {pandas_cpu / run['cpu_seconds']:11.1f}x"
                  f" {run['peak_rss_mb']:12,.0f}")


if __name__ == "__main__":
    main()
