"""The demo university: local stand-ins for a marks system and a submissions system.

It imitates remote legacy systems, so it never imports product code (stdlib only), and only
``gaffertape.cli.demo`` imports it. See docs/demo-university.md for the page map, the faults
and the truth file.
"""

from gaffertape.demo.config import PROFILES, DemoConfig, Faults
from gaffertape.demo.server import DemoUniversity

__all__ = ["PROFILES", "DemoConfig", "DemoUniversity", "Faults"]
