"""Benchmark: gaffertape (default politeness) vs a naive notebook loop, against the demo.

    python benchmarks/sites_speed.py --students 300 --zip-mb 4 --faults realistic

Both download every student's zip, unzip it and read the marks page; the demo runs in its own
process with the chosen faults (realistic: ~80 ms latency, 2 MB/s per connection, 2% 5xx).
Prints the wall-time ratio, peak RSS, requests per student, files lost, and the requests made by
a second gaffertape run with nothing changed.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from sites_common import GAFFERTAPE, PASSWORD, PYTHON, USERNAME, Demo, env, files_lost, measure


def naive_loop(base: str, out: Path) -> None:
    """What a notebook user writes: one MechanicalSoup session, one student after another,
    each zip read into memory and extracted, "Failed for PI" on any error."""
    import mechanicalsoup

    browser = mechanicalsoup.StatefulBrowser()
    browser.open(base + "/oscar/")
    browser.select_form("form")
    browser["username"] = USERNAME
    browser["password"] = PASSWORD
    browser.submit_selected()
    home = browser.open(base + "/oscar/").soup
    courses = [a["href"].split("pres=")[1] for a in home.select("a[href*='allocation?']")]
    rows = []
    for course in courses:
        soup = browser.open(f"{base}/oscar/allocation?pres={course}").soup
        for tr in soup.select("table.allocation tr")[1:]:
            cells = tr.find_all("td")
            if cells:
                rows.append((course, cells[0].get_text(strip=True)))
    failed = 0
    marks = []
    for course, pi in rows:
        try:
            browser.open(base + "/etma/admin")
            browser.select_form("form")
            browser["course"] = course
            browser["pi"] = pi
            page = browser.submit_selected()
            if "No submission found" in page.text:
                continue
            page.soup.select_one("b.code").get_text()
            browser.select_form('form[action="/etma/download"]')
            response = browser.submit_selected()
            zipfile.ZipFile(io.BytesIO(response.content)).extractall(out / pi)
            soup = browser.open(f"{base}/oscar/marks?pres={course}&pi={pi}").soup
            for table in soup.select("table.marks"):
                for tr in table.select("tr")[1:]:
                    marks.append([td.get_text() for td in tr.find_all("td")])
        except Exception as exc:
            print(f"Failed for PI {pi}: {exc}")
            failed += 1
    print(json.dumps({"students": len(rows), "failed": failed, "marks_rows": len(marks)}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--zip-mb", type=float, default=4.0)
    parser.add_argument("--faults", default="realistic")
    parser.add_argument("--set", action="append", default=[], help="demo fault override")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--concurrency", type=int, help="gaffertape --concurrency (default: the profile's)"
    )
    parser.add_argument(
        "--naive-worker", nargs=2, metavar=("BASE_URL", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.naive_worker:
        naive_loop(args.naive_worker[0], Path(args.naive_worker[1]))
        return

    tmp = Path(tempfile.mkdtemp(prefix="gaffertape-bench-"))
    results: dict[str, Any] = {
        "students": args.students,
        "zip_mb": args.zip_mb,
        "faults": args.faults,
        "settings": args.set,
    }
    try:
        # gaffertape
        demo = Demo(
            tmp, students=args.students, zip_mb=args.zip_mb, faults=args.faults, settings=args.set
        )
        try:
            ws = tmp / "ws"
            cli = [
                GAFFERTAPE,
                "--workspace",
                str(ws),
                "sites",
                "sync",
                "--base-url",
                demo.base_url,
                "--username",
                USERNAME,
                "--quiet",
            ]
            if args.concurrency:
                cli += ["--concurrency", str(args.concurrency)]
            before = demo.requests()
            run = measure(cli, env())
            truth = demo.truth()
            made = sum(truth["counters"]["requests"].values()) - before
            lost = files_lost(truth, lambda s: ws / "scripts" / s["course"] / s["pi"])
            again = measure(cli, env())
            made_again = demo.requests() - before - made
            results["gaffertape"] = {
                "seconds": round(run["seconds"], 1),
                "peak_rss_mb": round(run["peak_rss_mb"]),
                "exit": run["returncode"],
                "requests": made,
                "requests_per_student": round(made / args.students, 2),
                "files_lost": lost,
                "faults_injected": truth["counters"]["faults"],
                "second_run_requests": made_again,
                "second_run_requests_per_student": round(made_again / args.students, 3),
                "second_run_seconds": round(again["seconds"], 1),
            }
            if run["returncode"]:
                print(run["output"][-3000:])
        finally:
            demo.stop()
        print(json.dumps(results, indent=1), flush=True)
        if args.skip_naive:
            return
        # naive loop, against a fresh demo with the same seed and faults
        naive_tmp = tmp / "naive"
        naive_tmp.mkdir()
        demo = Demo(
            naive_tmp,
            students=args.students,
            zip_mb=args.zip_mb,
            faults=args.faults,
            settings=args.set,
        )
        try:
            before = demo.requests()
            out = naive_tmp / "scripts"
            run = measure([PYTHON, __file__, "--naive-worker", demo.base_url, str(out)], env())
            truth = demo.truth()
            made = sum(truth["counters"]["requests"].values()) - before
            summary = json.loads(run["output"].strip().splitlines()[-1]) if run["output"] else {}
            results["naive"] = {
                "seconds": round(run["seconds"], 1),
                "peak_rss_mb": round(run["peak_rss_mb"]),
                "requests": made,
                "requests_per_student": round(made / args.students, 2),
                "failed_for_pi": summary.get("failed"),
                "files_lost": files_lost(truth, lambda s: out / s["pi"]),
                "faults_injected": truth["counters"]["faults"],
                "lockouts": truth["counters"].get("lockouts"),
            }
        finally:
            demo.stop()
        g, n = results["gaffertape"], results["naive"]
        results["speedup"] = round(n["seconds"] / g["seconds"], 2)
        print(json.dumps(results, indent=1))
        print(
            f"\ngaffertape {g['seconds']} s vs naive {n['seconds']} s: "
            f"{results['speedup']}x faster; files lost {g['files_lost']} vs "
            f"{n['files_lost']}; peak RSS {g['peak_rss_mb']} MB vs {n['peak_rss_mb']} MB; "
            f"requests/student {g['requests_per_student']} vs {n['requests_per_student']}; "
            f"second run {g['second_run_requests']} requests"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
