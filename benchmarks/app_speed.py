"""App speed in Chromium: the allocation page's time to interactive, and click-to-progress.

For each size (default 1,000 and 5,000 students) the demo university is started with that many
students (no faults: this measures the app, not the network), a workspace gets its allocation
through the sites workflow, and ``gaffertape app`` runs as a subprocess. Headless Debian
Chromium (Playwright) then measures, median of ``--repeats`` runs:

* **time to interactive** of ``/allocation``: from navigation start until the grid shows rows
  and its select-all box is enabled (the page answers input), against the **baseline**: a
  plain static HTML table of the same rows and columns, served over HTTP from 127.0.0.1 in the
  same run, until its last row is in the DOM;
* **click to first progress**: from clicking "Download files" (all rows selected) until the
  job panel shows the new job, and until the progress bar first moves (a student done); the
  baseline for the latter is the same workflow called directly, as the CLI does, until its
  first student is done (both include signing in to the site).

Targets (issue 12): under 2 s to interactive at 1,000 students; under 1 s to the first
progress update.

    .venv/bin/python benchmarks/app_speed.py [--sizes 1000 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import sync_playwright

from gaffertape.cli.mainjob import configure_demo_sites
from gaffertape.demo import DemoConfig, DemoUniversity, Faults
from gaffertape.sites import workflows as wf
from gaffertape.workspace import Workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOKEN = "benchmark-token-" + "0" * 24
COLUMNS = ["pi", "name", "course", "tutor_group", "status"]


@contextlib.contextmanager
def app_process(root: Path, env: dict[str, str]) -> Iterator[str]:
    """``gaffertape app`` on ``root``; yields its URL with the token."""
    proc = subprocess.Popen([sys.executable, "-m", "gaffertape", "-w", str(root), "app",
                             "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """A plain HTTP server of ``folder`` on 127.0.0.1 (the baseline's page)."""
    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                   {"log_message": lambda *a: None})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


def static_table(ws: Workspace, dest: Path) -> Path:
    rows = ws.store.query_df(f"SELECT {', '.join(COLUMNS)} FROM students ORDER BY course, pi")
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows.itertuples(index=False))
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    dest.write_text(f"<!doctype html><html lang=en><title>students</title><table><thead><tr>"
                    f"{head}</tr></thead><tbody>{body}</tbody></table>", encoding="utf-8")
    return dest


def time_to_interactive(page, url: str) -> float:
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#alloc-grid .ag-row")
    page.wait_for_selector("#alloc-grid .ag-header-select-all input:not([disabled])")
    return time.perf_counter() - started


def time_static(page, url: str, n: int) -> float:
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => document.querySelectorAll('tbody tr').length === {n}")
    return time.perf_counter() - started


def click_to_progress(page) -> tuple[float, float]:
    """(seconds to the job showing, seconds to the bar first moving), then cancel the job."""
    page.locator("#alloc-grid .ag-header-select-all input").check()
    page.wait_for_function("() => !document.querySelector('#alloc-act-download').disabled")
    before = page.inner_text("#alloc-job-status")
    started = time.perf_counter()
    page.click("#alloc-act-download")
    page.wait_for_function("(b) => { const t = document.querySelector('#alloc-job-status')"
                           ".innerText; return t !== b && t.includes('download files'); }",
                           arg=before)
    shown = time.perf_counter() - started
    page.wait_for_function("() => document.querySelector('#alloc-progress').value > 0",
                           timeout=60_000)
    moved = time.perf_counter() - started
    page.click("#alloc-cancel")
    page.wait_for_selector("#alloc-job-status:has-text('cancelled')", timeout=900_000)
    return shown, moved


def forget_downloads(ws: Workspace) -> None:
    """A fresh start for each download measurement (no manifests to check)."""
    with ws.store.connect() as conn:
        conn.execute("DELETE FROM downloads")
        conn.execute("DELETE FROM download_files")


def workflow_first_row(ws: Workspace) -> float:
    """Baseline for click-to-first-row: the same workflow call the app's job makes (every PI),
    made directly as the CLI does, from the call until its first student is done (sign-in
    included), then stopped."""
    from gaffertape.sites.workflows.common import watch_rows

    forget_downloads(ws)
    pis = ws.store.query_df("SELECT pi FROM students")["pi"].tolist()
    first: list[float] = []
    started = time.perf_counter()
    with watch_rows(lambda row: first.append(time.perf_counter()), lambda: bool(first)):
        wf.download_scripts(ws, pis=pis, progress=False)
    return first[0] - started


def measure(n: int, repeats: int, browser) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="gaffertape-appbench-") as tmp:
        tmp_path = Path(tmp)
        config = DemoConfig(seed=5, students=n, zip_mb=0.01, faults=Faults.profile("none"),
                            truth_path=tmp_path / "truth.json", port=0)
        with DemoUniversity(config) as demo:
            env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
            env |= {"GAFFERTAPE_PASSWORD": demo.password, "GAFFERTAPE_APP_TOKEN": TOKEN}
            os.environ["GAFFERTAPE_PASSWORD"] = demo.password
            ws = configure_demo_sites(Workspace.init(tmp_path / "ws"), demo.base_url,
                                      demo.username)
            wf.get_allocation(ws, progress=False)
            (tmp_path / "static").mkdir()
            table = static_table(ws, tmp_path / "static" / "index.html")
            with app_process(ws.root, env) as url, static_server(table.parent) as static:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(url)  # the token becomes the cookie
                base = url.split("?")[0]
                app = [time_to_interactive(page, base + "allocation") for _ in range(repeats)]
                plain = [time_static(page, static, n) for _ in range(repeats)]
                forget_downloads(ws)
                time_to_interactive(page, base + "allocation")  # back from the static page
                shown, moved = click_to_progress(page)
                context.close()
            direct = workflow_first_row(ws)
    return {"app": statistics.median(app), "static": statistics.median(plain),
            "shown": shown, "moved": moved, "direct": direct}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(f"{'students':>8} | {'app TTI':>8} | {'static':>7} | {'ratio':>6} | "
              f"{'click->job':>10} | {'click->first row':>16} | {'workflow->first row':>19}")
        for n in args.sizes:
            r = measure(n, args.repeats, browser)
            print(f"{n:>8} | {r['app']:>7.2f}s | {r['static']:>6.2f}s | "
                  f"{r['app'] / r['static']:>5.1f}x | {r['shown']:>9.2f}s | {r['moved']:>15.2f}s"
                  f" | {r['direct']:>18.2f}s", flush=True)
        browser.close()
    print("targets: app TTI < 2 s at 1,000 students; click to first progress < 1 s")


if __name__ == "__main__":
    main()
