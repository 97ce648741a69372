"""The per-table count of observations whose key another one shares, against pandas."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from gaffertape.sheets.uniqueness import ambiguous, ambiguous_in_table
from gaffertape.sheets.values import object_array


def test_table_count_matches_duplicated_keys_of_the_long_form() -> None:
    """Random tables with repeated sub-tables, row and column headers (and gaps) count as
    many ambiguous observations as ``ambiguous`` finds over their rows of the long form."""
    rng = random.Random(5)
    for _ in range(500):
        n_rows, n_cols = rng.randint(1, 12), rng.randint(1, 6)
        sub_tables = object_array([rng.choice(["", "Full-time", "Part-time"])
                                   for _ in range(n_rows)])
        paths = object_array([rng.choice(["", "Maths", "Art", "Maths | Men"])
                              for _ in range(n_rows)])
        headers = object_array([rng.choice(["", "2016", "2017"]) for _ in range(n_cols)])
        row_i, col_i = np.nonzero(np.array([[rng.random() < 0.7 for _ in range(n_cols)]
                                            for _ in range(n_rows)]))
        long = pd.DataFrame({"source_file": "f", "sheet": "s", "table": 0, "table_title": "",
                             "row_header": paths[row_i], "column_header": headers[col_i],
                             "sub_table": sub_tables[row_i]})
        expected = int(ambiguous(long).sum()) if len(long) else 0
        assert ambiguous_in_table([sub_tables, paths], headers, row_i, col_i) == expected
