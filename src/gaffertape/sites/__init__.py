"""Sites: make the institution's web systems behave like an API.

Site profiles (TOML, :mod:`gaffertape.sites.profile`) describe each system; a polite engine
(:mod:`gaffertape.sites.engine`) talks to it; the workflows (:mod:`gaffertape.sites.workflows`)
return DataFrames and fill the workspace store. The public functions are
``gaffertape.get_allocation``, ``download_scripts``, ``collect_codes``, ``collect_marks``,
``post_third_marks``, ``sync`` (see docs/sites.md).
"""
