"""Marking: mark schemes, significant-difference flags, final marks, reports, cohort analytics.

The API (in :mod:`gaffertape.marking.api`) returns DataFrames; the CLI (`gaffertape marking`)
mirrors it. See docs/marking.md.
"""

from gaffertape.marking.api import (
    Marking,
    cohort_report,
    export_table,
    load,
    write_board,
    write_cohort,
    write_feedback,
    write_reports,
    write_script_reports,
)
from gaffertape.marking.scheme import MarkScheme, load_scheme
from gaffertape.marking.template import write_template

__all__ = ["MarkScheme", "Marking", "cohort_report", "export_table", "load", "load_scheme",
           "write_board", "write_cohort", "write_feedback", "write_reports", "write_script_reports",
           "write_template"]
