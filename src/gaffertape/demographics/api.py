"""The Python API of the demographics capability: DataFrames in, DataFrames and figures out.

    import gaffertape as gt
    records = gt.load_oulad("../shared/data/demog/oulad")      # or gt.load_students(csv, mapping)
    table = gt.age_distributions(records)                      # year x population x band x sex
    gt.demographics_grid(table).show()
    hesa = gt.load_hesa("dt051-table-1.csv")                   # comparators, via gaffertape sheets

The workspace functions (:func:`save_dataset`, :func:`dataset`) keep datasets in the store for
the CLI and the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gaffertape.demographics import store as saved
from gaffertape.demographics.aggregate import distributions, excluded, record_scheme
from gaffertape.demographics.bands import DEFAULT_SCHEME, Scheme
from gaffertape.demographics.charts import (
    animation_figure,
    grid_figure,
    pyramid_figure,
    write_figure,
    year_figure,
)
from gaffertape.demographics.records import load_records, quality
from gaffertape.demographics.report import write_report
from gaffertape.workspace import Workspace


@dataclass
class Dataset:
    """A saved records dataset: its distributions, data-quality counts and provenance."""

    name: str
    table: pd.DataFrame
    quality: pd.DataFrame
    synthetic: bool
    source: str


def save_dataset(workspace: Workspace, name: str, records: pd.DataFrame, *, source: str,
                 synthetic: bool = False, scheme: Scheme = DEFAULT_SCHEME) -> pd.DataFrame:
    """Aggregate ``records`` and keep records, distributions and quality under ``name``."""
    table = distributions(records, scheme)
    merges = record_scheme(records, scheme).merged_bands()
    notes = "; ".join(f"{s}: {', '.join(o)} -> {label}" for s, label, o in merges)
    saved.save_records(workspace.store, name, records, table, source=source,
                       synthetic=synthetic, notes=notes)
    return table


def dataset(workspace: Workspace, name: str | None = None) -> Dataset:
    """A saved records dataset (the most recently loaded one by default)."""
    found = saved.datasets(workspace.store, "records")
    if name is None and len(found):
        name = str(found["name"].iloc[0])
    saved.require_dataset(workspace.store, name or "", "records")
    row = found[found["name"] == name].iloc[0]
    return Dataset(name, saved.read_distributions(workspace.store, name),
                   saved.read_quality(workspace.store, name), bool(row["synthetic"]),
                   str(row["source"]))


def comparators(workspace: Workspace, names: list[str] | None = None) -> pd.DataFrame:
    """Saved comparator counts (all comparator datasets by default)."""
    return saved.read_comparators(workspace.store, names)


# names registered in gaffertape._API
load_students = load_records
age_distributions = distributions
data_quality = quality
excluded_records = excluded
demographics_year = year_figure
demographics_grid = grid_figure
demographics_animation = animation_figure
population_pyramid = pyramid_figure
write_demographics_figure = write_figure
demographics_report = write_report

