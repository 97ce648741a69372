"""Datasets in the workspace store: round trip, and a failed save leaves the old one whole."""

from __future__ import annotations

import pandas as pd
import pytest

from gaffertape.demographics import api
from gaffertape.demographics.store import datasets, read_quality, read_records, save_records
from gaffertape.demographics.synthetic import generate_students
from gaffertape.errors import UserError
from gaffertape.workspace import Workspace


def test_round_trip(workspace: Workspace) -> None:
    records = generate_students(2_000, seed=4)
    table = api.save_dataset(workspace, "syn", records, source="generated", synthetic=True)
    back = read_records(workspace.store, "syn")
    pd.testing.assert_frame_equal(back.drop(columns="student_id"),
                                  records.drop(columns="student_id"), check_categorical=False)
    saved = api.dataset(workspace)
    assert saved.name == "syn" and saved.synthetic
    pd.testing.assert_frame_equal(saved.table, table, check_dtype=False)
    assert read_quality(workspace.store, "syn")["count"].sum() == 3 * 2_000


def test_failed_save_keeps_the_earlier_dataset(workspace: Workspace) -> None:
    records = generate_students(500, seed=4)
    api.save_dataset(workspace, "syn", records, source="first")
    broken = records.assign(nonsense=1)  # the INSERT fails after the DELETE, in one transaction
    with pytest.raises(UserError, match="no column named nonsense"):
        save_records(workspace.store, "syn", broken, pd.DataFrame(), source="second")
    assert datasets(workspace.store)["source"].tolist() == ["first"]
    assert len(read_records(workspace.store, "syn")) == 500


def test_unknown_dataset_names_the_ones_there_are(workspace: Workspace) -> None:
    api.save_dataset(workspace, "syn", generate_students(100, seed=4), source="x")
    with pytest.raises(UserError, match=r"no records dataset named 'nope'.*have: syn"):
        api.dataset(workspace, "nope")
