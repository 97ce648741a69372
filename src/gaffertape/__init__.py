"""gaffertape: roll your own IT.

The Python API mirrors the CLI and returns pandas DataFrames. Names are imported lazily so that
``import gaffertape`` stays fast and a notebook only pays for the capabilities it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it; capabilities add their entry points here.
_API: dict[str, str] = {
    "Workspace": "gaffertape.workspace",
    "open_workspace": "gaffertape.workspace",
    "UserError": "gaffertape.errors",
    "get_allocation": "gaffertape.sites.workflows",
    "download_scripts": "gaffertape.sites.workflows",
    "collect_codes": "gaffertape.sites.workflows",
    "collect_marks": "gaffertape.sites.workflows",
    "post_third_marks": "gaffertape.sites.workflows",
    "export_codes": "gaffertape.sites.workflows",
    "sync": "gaffertape.sites.workflows",
    "load_profile": "gaffertape.sites.profile",
    "scheme_from_site": "gaffertape.sites.workflows",
    "tidy_sheets": "gaffertape.sheets.api",
    "tidy_sheet_files": "gaffertape.sheets.api",
    "wide_sheets": "gaffertape.sheets.api",
    "MarkScheme": "gaffertape.marking.scheme",
    "load_scheme": "gaffertape.marking.scheme",
    "Marking": "gaffertape.marking.api",
    "cohort_report": "gaffertape.marking.api",
    "write_reports": "gaffertape.marking.api",
    "load_students": "gaffertape.demographics.api",
    "load_oulad": "gaffertape.demographics.records",
    "load_hesa": "gaffertape.demographics.comparators",
    "generate_students": "gaffertape.demographics.synthetic",
    "generate_comparators": "gaffertape.demographics.synthetic",
    "age_distributions": "gaffertape.demographics.api",
    "data_quality": "gaffertape.demographics.api",
    "excluded_records": "gaffertape.demographics.api",
    "demographics_year": "gaffertape.demographics.api",
    "demographics_grid": "gaffertape.demographics.api",
    "demographics_animation": "gaffertape.demographics.api",
    "population_pyramid": "gaffertape.demographics.api",
    "write_demographics_figure": "gaffertape.demographics.api",
    "demographics_report": "gaffertape.demographics.api",
    "ingest_ouxml": "gaffertape.ouxml.api",
    "search_ouxml": "gaffertape.ouxml.api",
    "ouxml_glossary": "gaffertape.ouxml.api",
    "ouxml_outcomes": "gaffertape.ouxml.api",
    "ouxml_images": "gaffertape.ouxml.api",
    "ouxml_links": "gaffertape.ouxml.api",
    "ouxml_topic": "gaffertape.ouxml.api",
    "ouxml_audit": "gaffertape.ouxml.api",
    "check_ouxml_links": "gaffertape.ouxml.api",
    "ouxml_mindmap": "gaffertape.ouxml.api",
    "convert_to_ouxml": "gaffertape.ouxml.api",
    "ouxml_to_file": "gaffertape.ouxml.api",
    "sql": "gaffertape.sql",
}


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'gaffertape' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
