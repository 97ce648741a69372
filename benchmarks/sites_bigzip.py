"""Benchmark: one very large submission (default ~1 GB) downloaded, verified and extracted by
the gaffertape CLI, measuring the peak RSS of the gaffertape process (the demo runs apart).

    python benchmarks/sites_bigzip.py --gb 1

Memory must stay flat (target: peak RSS under 150 MB) whatever the zip's size: the body is
streamed to disk, hashed on the way, CRC-checked and extracted in chunks.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from sites_common import GAFFERTAPE, USERNAME, Demo, env, files_lost, measure


def download_one_zip(folder: Path, megabytes: float) -> dict[str, Any]:
    """Serve one student whose zip is about ``megabytes`` MB; download it with the CLI."""
    folder.mkdir(parents=True)
    # the demo draws each zip at 0.5-1.5 x zip_mb: scale by this seed's factor, from a probe
    probe = Demo(folder / "probe", students=1, zip_mb=1.0, faults="none", settings=[])
    factor = probe.truth()["students"][0]["zip"]["size"] / 1e6
    probe.stop()
    demo = Demo(folder, students=1, zip_mb=megabytes / factor, faults="none", settings=[])
    try:
        ws = folder / "ws"
        command = [
            GAFFERTAPE,
            "--workspace",
            str(ws),
            "sites",
            "download",
            "--base-url",
            demo.base_url,
            "--username",
            USERNAME,
            "--quiet",
        ]
        run = measure(command, env())
        truth = demo.truth()
    finally:
        demo.stop()
    if run["returncode"]:
        print(run["output"][-3000:])
    size = truth["students"][0]["zip"]["size"]
    return {
        "zip_mb": round(size / 1e6, 1),
        "seconds": round(run["seconds"], 1),
        "exit": run["returncode"],
        "peak_rss_mb": round(run["peak_rss_mb"], 1),
        "files_lost": files_lost(truth, lambda s: ws / "scripts" / s["course"] / s["pi"]),
        "mb_per_s": round(size / 1e6 / run["seconds"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gb", type=float, default=1.0, help="target zip size in GB")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gaffertape-bigzip-"))
    try:
        baseline = download_one_zip(tmp / "baseline", 1.0)
        big = download_one_zip(tmp / "big", args.gb * 1000)
        ratio = big["peak_rss_mb"] / baseline["peak_rss_mb"]
        print(json.dumps({"baseline (1 MB zip)": baseline, "big zip": big}, indent=1))
        print(
            f"\npeak RSS {big['peak_rss_mb']} MB for a {big['zip_mb']:,.0f} MB zip vs "
            f"{baseline['peak_rss_mb']} MB for a {baseline['zip_mb']} MB zip: "
            f"{ratio:.2f}x the baseline (target: under 150 MB); files lost {big['files_lost']}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
