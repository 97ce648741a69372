"""A small workspace with something in every table the documented views read, and data files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import pytest

from gaffertape.workspace import Workspace

NOW = "2026-01-01T00:00:00+00:00"
STUDENTS = [
    ("TM470-25J", f"A{1000000 + i}", f"Student {i}", f"G{i % 3}", "marked", "demo-marks", NOW)
    for i in range(12)
]
CATEGORIES = ["Project definition", "Evaluation", "Presentation"]


def seed_store(db_path: Path) -> None:
    """Rows in every table a documented view reads, including NULLs and a third marker."""
    conn = sqlite3.connect(db_path)
    conn.executemany(
        "INSERT INTO students (course, pi, name, tutor_group, status, source, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", STUDENTS)
    for n, (course, pi, *_rest) in enumerate(STUDENTS):
        status = "failed" if n == 3 else "ok"
        conn.execute(
            "INSERT INTO downloads (course, pi, status, zip_size, zip_sha256, n_files, error,"
            " attempts, downloaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (course, pi, status, 1000 + n, f"sha{n}", None if n == 3 else n % 4,
             "timeout" if n == 3 else None, 1 + n % 2, NOW))
        for f in range(n % 3):
            conn.execute("INSERT INTO submitted_files VALUES (?, ?, ?, ?, ?)",
                         (course, pi, f"file{f}.pdf", 10 * f, NOW))
        for role, marker in (("first", "Ann"), ("second", "Bob")):
            for c, category in enumerate(CATEGORIES):
                mark = (n + c * 3) % 9 - 0.5 * (role == "second")
                conn.execute("INSERT INTO marks VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (course, pi, role, marker, category,
                              None if (n, c) == (5, 1) else mark, f"{marker} on {pi}"))
        if n % 4 == 0:
            for category in CATEGORIES:
                conn.execute("INSERT INTO marks VALUES (?, ?, 'third', 'Cat', ?, ?, 'third')",
                             (course, pi, category, 6.5))
        conn.execute(
            "INSERT INTO marking_flags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (course, pi, "needs third marker" if n % 4 == 0 else "agreed", int(n % 4 == 0),
             "gap" if n % 4 == 0 else None, 50.0 + n, 52.5 + n, None, 51.25 + n, 51.25 + n,
             "Pass 2", None, NOW))
    for r in range(20):
        conn.execute(
            "INSERT INTO sheet_observations (source_file, sheet, \"table\", table_title, cell,"
            " row_header, column_header, sub_table, value, raw, value_flags, is_total)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("release.xlsx", "Table 1", r % 2, "Enrolments", f"C{r + 5}", f"Region {r % 4}",
             "2024 | Full-time", None, None if r == 7 else r * 1.5, str(r), "*" if r == 7 else None,
             int(r == 19)))
    conn.commit()
    conn.close()


def seed_data_folder(data: Path) -> None:
    """One file of each kind, a headerless CSV, a name needing cleaning, a clash with a view."""
    data.mkdir(exist_ok=True)
    (data / "grades 2024.csv").write_text(
        "pi,module,score\n" + "".join(f"A{1000000 + i},M{i % 2},{40 + i * 3}\n" for i in range(12)),
        encoding="utf-8")
    (data / "noheader.csv").write_text("1,2.5,x\n2,3.5,y\n3,4.5,z\n", encoding="utf-8")
    (data / "marks.csv").write_text("a\n1\n", encoding="utf-8")
    (data / "regions.json").write_text(json.dumps(
        [{"region": f"Region {i}", "nation": "England" if i < 3 else "Wales"} for i in range(4)]),
        encoding="utf-8")
    (data / "events.jsonl").write_text(
        "".join(json.dumps({"pi": f"A{1000000 + i}", "event": "login", "n": i}) + "\n"
                for i in range(5)), encoding="utf-8")
    with duckdb.connect() as conn:
        conn.sql("SELECT 'TM470-25J' AS course, range AS week, range * 10 AS hours"
                 " FROM range(6)").write_parquet(str(data / "tutorials.parquet"))
    (data / "notes.txt").write_text("not data", encoding="utf-8")


@pytest.fixture
def sql_workspace(tmp_path: Path) -> Workspace:
    workspace = Workspace.init(tmp_path / "ws")
    seed_store(workspace.db_path)
    seed_data_folder(workspace.root / "data")
    return workspace
