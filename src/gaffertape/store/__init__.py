"""The workspace store: one SQLite database that every capability reads and writes.

Capabilities talk to each other through tables here rather than through each other's code.
The database runs in WAL mode so the browser app and the CLI can use it at the same time.
"""

from gaffertape.store.db import Store

__all__ = ["Store"]
