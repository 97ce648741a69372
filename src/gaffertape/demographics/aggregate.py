"""The four populations per year, by age band and sex, computed in DuckDB.

For each year Y:

1. ``joined``: records with ``year_joined = Y``, at their age in Y;
2. ``studying``: records with ``year_joined <= Y <= year_left`` (or still studying), age in Y;
3. ``graduated``: records that graduated in Y, at their age in Y;
4. ``graduates to date``: everyone who graduated in Y or before, at their age when they
   graduated: the running sum of (3), a window function over the years.

DuckDB scans the records DataFrame in place (no copy into Python objects), counts records that
are alike in every field that matters once (two million records make about 68,000 such
cohorts), and only then expands the years of study, so millions of records stay fast and
memory stays flat. Records with an unknown
age or sex are counted under ``unknown``; records whose years are unusable cannot be placed in
any year and are counted by :func:`excluded`. Counts are of study records: in OULAD a student
taking two modules in one year counts twice.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from gaffertape.demographics.bands import (
    DEFAULT_SCHEME,
    UNKNOWN,
    Harmonised,
    Scheme,
    band_of,
    harmonise,
    label_bounds,
    parse_scheme,
)

POPULATIONS = ("joined", "studying", "graduated", "graduates to date")
MAX_AGE = 120
COUNT_COLUMNS = ["year", "population", "age_band", "sex", "count"]


def record_scheme(records: pd.DataFrame, scheme: Scheme = DEFAULT_SCHEME) -> Harmonised:
    """The bands to count records in: ``scheme`` for exact ages, merged with any band labels.

    Records known only by a band (OULAD) force a merge of ``scheme`` with their bands; the
    result's ``merges`` says which bands were combined.
    """
    labels = records["age_band"].dropna().unique().tolist()
    schemes = {"ages": scheme}
    if labels:
        schemes = {"bands": parse_scheme(labels)}
        if records["birth_year"].notna().any():
            schemes["ages"] = scheme
    return harmonise(schemes)


def distributions(records: pd.DataFrame, scheme: Scheme = DEFAULT_SCHEME,
                  *, last_year: int | None = None) -> pd.DataFrame:
    """Counts per (year, population, age band, sex), every combination present (zeros too).

    ``last_year`` is the year of the data (records still studying count up to it); by default
    the latest year any record joined or left.
    """
    bands = record_scheme(records, scheme)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    columns = ["birth_year", "age_band", "sex", "year_joined", "year_left", "graduated"]
    age_bands = pd.DataFrame({"age": range(MAX_AGE + 1)})
    age_bands["band"] = [band_of(bands.scheme, a) for a in age_bands["age"]]
    inputs = {
        "usable": records.loc[records["year_status"] == "ok", columns],
        "age_bands": age_bands,
        "label_bands": pd.DataFrame([(k, v) for m in bands.merges.values() for k, v in m.items()],
                                    columns=["label", "band"]),
        "bands": pd.DataFrame({"band": [b.label for b in bands.scheme] + [UNKNOWN]}),
        "sexes": pd.DataFrame({"sex": ["F", "M", "other", UNKNOWN]}),
        "populations": pd.DataFrame({"population": list(POPULATIONS)}),
    }
    for name, frame in inputs.items():
        con.register(name, frame)  # scanned in place by DuckDB, not copied
    table = con.execute(_SQL, {"last_year": last_year}).df()
    table["count"] = table["count"].astype("int64")
    table["year"] = table["year"].astype("int64")
    return table


_SQL = """
WITH span AS (
    SELECT min(year_joined) AS first_year,
           coalesce($last_year, greatest(max(year_joined), max(year_left))) AS last_year
    FROM usable
),
cohorts AS (  -- records alike in every field that matters, counted once: millions -> thousands
    SELECT birth_year, age_band, sex, year_joined, year_left, graduated,
           least(coalesce(year_left, s.last_year), s.last_year) AS year_end, count(*) AS n
    FROM usable, span s
    GROUP BY ALL
),
events AS (
    SELECT 'joined' AS population, year_joined AS year, birth_year, age_band, sex, n
        FROM cohorts WHERE year_joined <= year_end
    UNION ALL
    SELECT 'studying', unnest(range(year_joined, year_end + 1)), birth_year, age_band, sex, n
        FROM cohorts
    UNION ALL
    SELECT 'graduated', year_left, birth_year, age_band, sex, n
        FROM cohorts WHERE graduated AND year_left IS NOT NULL
),
counted AS (
    SELECT e.population, e.year, coalesce(a.band, l.band, 'unknown') AS band, e.sex,
           sum(e.n) AS n
    FROM events e
    LEFT JOIN age_bands a ON a.age = e.year - e.birth_year
    LEFT JOIN label_bands l ON l.label = e.age_band
    GROUP BY ALL
),
grid AS (  -- every year x population x band x sex, so that zeros show and the window is dense
    SELECT y.year, p.population, o.band, x.sex
    FROM span s, range(s.first_year, s.last_year + 1) y(year), populations p, bands o, sexes x
),
dense AS (
    SELECT g.year, g.population, g.band, g.sex, coalesce(c.n, 0) AS n
    FROM grid g LEFT JOIN counted c USING (year, population, band, sex)
),
cumulative AS (  -- graduates to date: a running sum over the years, per band and sex
    SELECT year, 'graduates to date' AS population, band, sex,
           sum(n) OVER (PARTITION BY band, sex ORDER BY year
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n
    FROM dense WHERE population = 'graduated'
)
SELECT year, population, band AS age_band, sex, n AS count
FROM (SELECT * FROM dense WHERE population <> 'graduates to date' UNION ALL
      SELECT * FROM cumulative)
ORDER BY year, population, band, sex
"""


def excluded(records: pd.DataFrame) -> pd.DataFrame:
    """Records that could not be placed in any year, and records with unknown age or sex."""
    rows = {
        "records": len(records),
        "excluded: years missing or invalid": int((records["year_status"] != "ok").sum()),
        "counted as unknown age": int((records["age_status"] != "ok").sum()),
        "counted as unknown sex": int((records["sex_status"] != "ok").sum()),
        "sex recorded as other": int((records["sex"] == "other").sum()),
    }
    return pd.DataFrame({"what": list(rows), "records": list(rows.values())})


def band_order(table: pd.DataFrame) -> list[str]:
    """The bands of a distributions table in age order (unknown last)."""
    bands = [b for b in dict.fromkeys(table["age_band"]) if b != UNKNOWN]
    return sorted(bands, key=_band_start) + ([UNKNOWN] if UNKNOWN in set(table["age_band"]) else [])


def _band_start(label: str) -> int:
    bounds = label_bounds(label)
    return bounds[0] if bounds else (0 if label == "all ages" else 10**6)
