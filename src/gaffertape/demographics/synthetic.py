"""A seeded generator of SYNTHETIC student records and comparator institutions (no real people).

The story it tells is the one the demographics charts exist for: a university that opened to
mid-life "second chancers" taking a first degree part time and professionals taking a single
module, and over fifty years turned towards 18-year-olds on full named degrees. Three kinds of
student, whose mix shifts linearly from the first year to the last:

================  ============  ==============  =============  ==========================
kind              share first   share last      age at entry   study, completion
================  ============  ==============  =============  ==========================
second chancer    60%           15%             ~38 (sd 8)     4-8 years, 45% graduate
professional      35%           10%             ~42 (sd 9)     1 year, 80% complete
school leaver     5%            75%             18-22          3-4 years, 78% graduate
================  ============  ==============  =============  ==========================

Everything is vectorised numpy, so millions of records take seconds. A small share of records
get a missing, invalid or ambiguous age or sex on purpose, so that every output shows how such
records are counted. Comparators are three synthetic institutions with steadier, younger
profiles, aggregated in HESA's age bands (so charts must harmonise bands to compare them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gaffertape.demographics.aggregate import distributions
from gaffertape.demographics.bands import parse_scheme
from gaffertape.demographics.records import COLUMNS, SEXES, STATUSES, compact

FIRST_YEAR = 1971  # the Open University's first students
YEARS = 50
LABEL = "SYNTHETIC"

# kind: (share in the first year, share in the last, mean age, sd age, min years, max years,
#        completion rate, qualification)
KINDS = {
    "second chancer": (0.60, 0.15, 38.0, 8.0, 4, 8, 0.45, "BA Open degree"),
    "professional": (0.35, 0.10, 42.0, 9.0, 1, 1, 0.80, "single module"),
    "school leaver": (0.05, 0.75, 18.5, 1.2, 3, 4, 0.78, "BSc named degree"),
}
HESA_BANDS = parse_scheme(["20 and under", "21-24", "25-29", "30 and over"])
COMPARATORS = {  # name: (students per year, share of school leavers, share female)
    "Synthetic Redbrick University": (0.10, 0.85, 0.55),
    "Synthetic Metropolitan University": (0.08, 0.60, 0.58),
    "Synthetic Evening College": (0.03, 0.25, 0.62),
}
DEFECT_RATE = 0.004
CHUNK = 250_000  # share of records with a missing/invalid/ambiguous age, and of sexes


def generate_students(students: int = 100_000, *, seed: int = 1, first_year: int = FIRST_YEAR,
                      years: int = YEARS, young_share: tuple[float, float] | None = None,
                      female_share: tuple[float, float] = (0.45, 0.60)) -> pd.DataFrame:
    """``students`` synthetic records over ``years`` years, intake growing over time.

    Made in chunks (each with its own stream of the seed), so memory stays near the size of
    the result however many students are asked for.
    """
    streams = np.random.SeedSequence(seed).spawn(-(-students // CHUNK) or 1)
    chunks = []
    for i, stream in enumerate(streams):
        size = min(CHUNK, students - i * CHUNK)
        chunk = _chunk(np.random.default_rng(stream), size, first_year, years, young_share,
                       female_share)
        chunk["student_id"] += i * CHUNK
        chunks.append(chunk)
    records = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    return compact(records[COLUMNS])


def _chunk(rng: np.random.Generator, students: int, first_year: int, years: int,
           young_share: tuple[float, float] | None,
           female_share: tuple[float, float]) -> pd.DataFrame:
    year_index = np.arange(years)
    intake = np.linspace(0.5, 1.5, years)
    offset = rng.choice(year_index, size=students, p=intake / intake.sum())
    era = offset / max(years - 1, 1)
    kind = _kinds(rng, era, young_share)
    params = np.array([v[2:7] for v in KINDS.values()])[kind]  # per record
    mean, sd, lo, hi, completion = params.T
    age = np.clip(np.rint(rng.normal(mean, sd)), 16, 85).astype(np.int16)
    length = rng.integers(lo.astype(int), hi.astype(int) + 1)
    graduated = rng.random(students) < completion
    # leavers leave part way through: any year up to the planned end
    length = np.where(graduated, length, rng.integers(1, length + 1))
    joined = (first_year + offset).astype(np.int16)
    left = joined + length - 1
    last_year = first_year + years - 1
    still_studying = left > last_year
    graduated &= ~still_studying
    p_female = np.interp(era, [0, 1], female_share)
    sex = np.where(rng.random(students) < p_female, 0, 1).astype(np.int8)  # F, M
    sex[rng.random(students) < 0.003] = 2  # other
    records = pd.DataFrame({
        "student_id": np.arange(1, students + 1, dtype=np.int64),
        "birth_year": pd.array(joined - age, dtype="Int16"),
        "age_band": pd.Categorical.from_codes(np.full(students, -1, np.int8), ["unused"]),
        "sex": pd.Categorical.from_codes(sex, SEXES),
        "year_joined": pd.array(joined, dtype="Int16"),
        "year_left": pd.array(left, dtype="Int16"),
        "graduated": graduated,
        "qualification": pd.Categorical.from_codes(kind, [v[7] for v in KINDS.values()]),
    })
    records["year_left"] = records["year_left"].mask(still_studying)
    ok = np.zeros(students, dtype=np.int8)
    for field in ("age", "sex", "year"):
        records[f"{field}_status"] = pd.Categorical.from_codes(ok, STATUSES)
    _add_defects(rng, records)
    return records


def _kinds(rng: np.random.Generator, era: np.ndarray,
           young_share: tuple[float, float] | None) -> np.ndarray:
    """Each record's kind (0, 1, 2 in KINDS order), the mix shifting with the era."""
    first = np.array([v[0] for v in KINDS.values()])
    last = np.array([v[1] for v in KINDS.values()])
    if young_share is not None:  # comparators: a fixed share of school leavers, rest split
        first = np.array([(1 - young_share[0]) * 0.6, (1 - young_share[0]) * 0.4, young_share[0]])
        last = np.array([(1 - young_share[1]) * 0.6, (1 - young_share[1]) * 0.4, young_share[1]])
    shares = first + np.outer(era, last - first)
    cumulative = np.cumsum(shares, axis=1)
    return (rng.random(len(era))[:, None] > cumulative).sum(axis=1).clip(0, 2)


def _add_defects(rng: np.random.Generator, records: pd.DataFrame) -> None:
    """Mark a few ages and sexes missing, invalid or ambiguous, as real extracts have."""
    n = len(records)
    for field, value_column in (("age", "birth_year"), ("sex", "sex")):
        hit = rng.random(n) < DEFECT_RATE
        status = rng.choice(["missing", "invalid", "ambiguous"], size=n, p=[0.6, 0.25, 0.15])
        records.loc[hit, f"{field}_status"] = status[hit]
        records.loc[hit, value_column] = pd.NA if field == "age" else "unknown"


def generate_comparators(students: int = 100_000, *, seed: int = 1,
                         first_year: int = FIRST_YEAR, years: int = YEARS) -> pd.DataFrame:
    """Aggregate counts for the synthetic comparator institutions, in HESA's age bands."""
    frames = []
    for i, (name, (size, young, female)) in enumerate(COMPARATORS.items()):
        records = generate_students(max(int(students * size), 100), seed=seed + 1000 + i,
                                    first_year=first_year, years=years,
                                    young_share=(young, young), female_share=(female, female))
        table = distributions(records, HESA_BANDS)
        table = table[table["age_band"] != "unknown"]
        table = table[table["sex"].isin(["F", "M"])]
        frames.append(table.assign(institution=name))
    table = pd.concat(frames, ignore_index=True)
    return table[["institution", "year", "population", "age_band", "sex", "count"]]
