"""Benchmark: `gaffertape sheets tidy` on a generated 1-million-row CSV. Prints the exact peak
RSS of the gaffertape process (``wait4``), against a 10,000-row CSV of the same shape measured
in the same run, plus rows in vs rows out (no row may be lost).

    python benchmarks/sheets_bigcsv.py               # 1,000,000 rows
    python benchmarks/sheets_bigcsv.py --rows 200000 # quicker

The CSV is a plain listing (a running id, an integer count drawn from 0..999,999), so about
400 rows hold a year-like value (1900-2100): the shape in which detection takes those rows for
header rows, splits the data into hundreds of tables and loses their observations. "rows out"
counts the distinct sheet rows among the observations, checked against the CSV's own count;
the script exits 1 when a row is lost.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).parent))

from sites_common import GAFFERTAPE, env, measure


def write_csv(path: Path, rows: int, seed: int = 8) -> int:
    """A CSV of ``rows`` data rows (a running id, a count drawn from 0..999,999) under one header
    row; returns how many rows hold a year-like value (1900-2100) in either column."""
    rng = random.Random(seed)
    year_like = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,count\n")
        for i in range(1, rows + 1):
            count = rng.randrange(1_000_000)
            year_like += 1900 <= i <= 2100 or 1900 <= count <= 2100
            out.write(f"{i},{count}\n")
    return year_like


def tidy(folder: Path, rows: int) -> dict[str, Any]:
    """Run the CLI on a fresh CSV of ``rows`` rows; peak RSS, time, rows in and out."""
    folder.mkdir(parents=True)
    csv_path = folder / "big.csv"
    year_like = write_csv(csv_path, rows)
    out = folder / "out.parquet"
    run = measure([GAFFERTAPE, "sheets", "tidy", str(csv_path), "--out", str(out)], env())
    if run["returncode"]:
        print(run["output"][-3000:])
    rows_in = sum(1 for _ in csv_path.open(encoding="utf-8")) - 1  # the CSV's own count
    observations = rows_out = tables = 0
    if out.exists():
        observations, rows_out, tables = duckdb.sql(
            f"select count(*), count(distinct regexp_extract(cell, '[0-9]+$')), "
            f"count(distinct \"table\") from read_parquet('{out}')"
        ).fetchall()[0]
    return {
        "rows_in": rows_in,
        "year_like_rows": year_like,
        "rows_out": rows_out,
        "rows_lost": rows_in - rows_out,
        "observations": observations,
        "tables": tables,
        "seconds": round(run["seconds"], 1),
        "peak_rss_mb": round(run["peak_rss_mb"], 1),
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
        "exit": run["returncode"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows in the big CSV")
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gaffertape-bigcsv-"))
    try:
        baseline = tidy(tmp / "baseline", args.baseline_rows)
        big = tidy(tmp / "big", args.rows)
        print(json.dumps({f"baseline ({args.baseline_rows:,} rows)": baseline,
                          f"big ({args.rows:,} rows)": big}, indent=1))
        print(
            f"\npeak RSS {big['peak_rss_mb']} MB for {big['rows_in']:,} rows "
            f"({big['csv_mb']} MB CSV) vs {baseline['peak_rss_mb']} MB for "
            f"{baseline['rows_in']:,} rows: {big['peak_rss_mb'] / baseline['peak_rss_mb']:.2f}x "
            f"the baseline; {big['seconds']} s vs {baseline['seconds']} s "
            f"({big['seconds'] / max(baseline['seconds'], 0.01):.1f}x)"
        )
        print(
            f"rows in {big['rows_in']:,}, rows out {big['rows_out']:,} "
            f"(lost {big['rows_lost']:,}; {big['year_like_rows']} year-like rows); "
            f"observations {big['observations']:,}; tables {big['tables']}"
        )
        if big["rows_lost"] or baseline["rows_lost"]:
            print("ROWS LOST: detection dropped data rows (see docs/sheets.md)")
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
