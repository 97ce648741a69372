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

sys.path.insert(0, str(Path(__file__).parent))

from sites_common import GAFFERTAPE, USERNAME, Demo, env, files_lost, measure


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gb", type=float, default=1.0, help="target zip size in GB")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gaffertape-bigzip-"))
    try:
        # the demo draws each zip at 0.5-1.5 x zip_mb: find the seed's factor with a tiny probe
        probe = (
            Demo(tmp / "probe", students=1, zip_mb=1.0, faults="none", settings=[])
            if (tmp / "probe").mkdir() is None
            else None
        )
        assert probe is not None
        student = probe.truth()["students"][0]
        probe.stop()
        factor = student["zip"]["size"] / 1e6
        zip_mb = args.gb * 1000 / factor
        demo = Demo(tmp, students=1, zip_mb=zip_mb, faults="none", settings=[])
        try:
            ws = tmp / "ws"
            run = measure(
                [
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
                ],
                env(),
            )
            truth = demo.truth()
            size = truth["students"][0]["zip"]["size"]
            lost = files_lost(truth, lambda s: ws / "scripts" / s["course"] / s["pi"])
        finally:
            demo.stop()
        result = {
            "zip_bytes": size,
            "zip_gb": round(size / 1e9, 3),
            "seconds": round(run["seconds"], 1),
            "exit": run["returncode"],
            "peak_rss_mb": round(run["peak_rss_mb"], 1),
            "files_lost": lost,
            "mb_per_s": round(size / 1e6 / run["seconds"], 1),
        }
        if run["returncode"]:
            print(run["output"][-3000:])
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
