"""``python -m gaffertape.demo``: serve the demo university without the gaffertape CLI.

The demo is meant to stand alone (like the remote systems it imitates), so it has its own
minimal, stdlib-only command line with the same options as ``gaffertape demo serve``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gaffertape.demo.config import INSTITUTIONS, PROFILES, DemoConfig, Faults
from gaffertape.demo.server import serve


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m gaffertape.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zip-mb", type=float, default=1.0, help="mean zip size per student")
    parser.add_argument("--faults", choices=sorted(PROFILES), default="none")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one fault setting, e.g. --set error_rate=0.2")
    parser.add_argument("--truth", type=Path, help="where to write the ground-truth JSON")
    parser.add_argument("--institution", choices=INSTITUTIONS, default="demo",
                        help="which institution to serve (differently laid out)")
    args = parser.parse_args(argv)
    try:
        faults = Faults.profile(args.faults).with_settings(args.set)
        config = DemoConfig(seed=args.seed, students=args.students, zip_mb=args.zip_mb,
                            faults=faults, truth_path=args.truth, port=args.port,
                            institution=args.institution)
    except ValueError as exc:
        parser.error(str(exc))
    serve(config, print)


if __name__ == "__main__":
    main()
