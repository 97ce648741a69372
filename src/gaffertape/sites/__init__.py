"""Sites: make the institution's web systems behave like an API.

Site profiles (TOML, :mod:`gaffertape.sites.profile`) describe each system; a polite engine
(:mod:`gaffertape.sites.engine`) talks to it; the workflows (:mod:`gaffertape.sites.workflows`)
return DataFrames and fill the workspace store. See docs/sites.md.
"""

from gaffertape.sites.workflows import (
    collect_codes,
    collect_marks,
    download_scripts,
    export_codes,
    get_allocation,
    post_third_marks,
    sync,
)

__all__ = [
    "collect_codes",
    "collect_marks",
    "download_scripts",
    "export_codes",
    "get_allocation",
    "post_third_marks",
    "sync",
]
