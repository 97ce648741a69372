"""Spreadsheet formula injection, made inert: the one rule, for every CSV and XLSX gaffertape
writes (:mod:`gaffertape.export` for DataFrames, ``gaffertape sql -f csv`` for streamed rows).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
a formula by Excel and LibreOffice; a leading ``'`` makes it text. Kept free of pandas so that
streaming output need not load it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A text value that a spreadsheet would run as a formula, made inert; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
