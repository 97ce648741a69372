"""The workflows as DataFrame-returning functions, one module each.

* :mod:`.allocation`: which students each presentation has (``students``)
* :mod:`.download`: each student's zip, verified and safely extracted, with a manifest
* :mod:`.codes`: confirmation codes, and exporting them
* :mod:`.marks`: every marker's marks in long form
* :mod:`.post`: posting third marks, idempotent and audited
* :mod:`.sync`: the whole round in one pipelined pass
* :mod:`.common`: what they share: the site sessions (:class:`Sites`), the worker pool, and the
  student selection

Each acts on every student in the store's ``students`` table, or a selection (course, status,
PIs). Work is spread over the per-host connection limit; one student's failure never stops the
others; a lockout stops that site cleanly.
"""

from gaffertape.sites.workflows.allocation import get_allocation
from gaffertape.sites.workflows.codes import collect_codes, export_codes
from gaffertape.sites.workflows.common import (
    DEFAULT_PROFILES,
    Sites,
    read_pis_file,
    select_students,
)
from gaffertape.sites.workflows.download import download_scripts
from gaffertape.sites.workflows.marks import collect_marks, scheme_from_site, scheme_toml
from gaffertape.sites.workflows.post import post_third_marks, read_third_marks
from gaffertape.sites.workflows.sync import sync

__all__ = [
    "DEFAULT_PROFILES",
    "Sites",
    "collect_codes",
    "collect_marks",
    "download_scripts",
    "export_codes",
    "get_allocation",
    "post_third_marks",
    "read_pis_file",
    "read_third_marks",
    "scheme_from_site",
    "scheme_toml",
    "select_students",
    "sync",
]
