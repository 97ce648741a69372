"""Sheets: messy statistical workbooks -> one long-form dataset with provenance.

Public entry points live in :mod:`gaffertape.sheets.api` (``tidy``, ``tidy_files``, ``wide``,
``layouts``); the CLI in :mod:`gaffertape.sheets.commands` wraps them.
"""
