"""The same views and queries give identical results on DuckDB and on Spark (local[1]).

Spark starts once per test session (a few seconds of JVM start-up); the data is small.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.sql.catalog import VIEWS
from gaffertape.sql.duck import DuckEngine
from gaffertape.sql.spark import SparkEngine, spark_session
from gaffertape.workspace import Workspace

from .conftest import seed_data_folder, seed_store

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # .ci/run installs openjdk-17-jre-headless, so CI has it
    pytest.fail("the Spark tests need Java 17: apt-get install openjdk-17-jre-headless",
                pytrace=False)

DATA_VIEWS = ["grades_2024", "noheader", "regions", "events", "tutorials", "data.marks"]
STORE_TABLES = ["store.students", "store.downloads", "store.marks", "store.marking_flags",
                "store.sheet_observations", "store.submitted_files"]

EXAMPLES = {
    "group-by": "select role, category, count(*) as n, avg(mark) as mean, min(mark) as lo,"
                " max(mark) as hi, count(mark) as marked from marks group by role, category",
    "group by all": "select status, flagged, count(*) as n from flags group by all",
    "join": "select s.tutor_group, f.status, count(*) as n, avg(f.final_pct) as mean"
            " from students s join flags f on f.course = s.course and f.pi = s.pi"
            " group by s.tutor_group, f.status",
    "left join": "select s.pi, coalesce(t.n, 0) as third from students s left join"
                 " (select pi, count(*) as n from third_marks group by pi) t on t.pi = s.pi",
    "join a data file": "select g.module, count(*) as n, avg(g.score) as mean, max(s.name) as top"
                        " from grades_2024 g join students s on s.pi = g.pi group by g.module",
    "join json and store": "select r.nation, count(*) as cells, sum(o.value) as total"
                           " from sheet_observations o join regions r on r.region = o.row_header"
                           " group by r.nation",
    "window rank": "select pi, category, mark, rank() over (partition by category"
                   " order by mark desc) as r, sum(mark) over (partition by pi) as total"
                   " from marks where role = 'first'",
    "window lag": "with totals as (select pi, sum(mark) as total from marks where role = 'first'"
                  " group by pi) select pi, total, total - lag(total) over (order by pi) as diff"
                  " from totals",
    "running total": "select week, hours, sum(hours) over (order by week rows between unbounded"
                     " preceding and current row) as running from tutorials",
    "case and distinct": "select case when mark >= 6 then 'high' when mark >= 3 then 'mid'"
                         " else 'low' end as band, count(distinct pi) as students from marks"
                         " group by 1",
    "having, order, limit": "select marker, round(avg(mark), 2) as mean from marks group by"
                            " marker having count(*) > 10 order by mean desc limit 2",
    "nulls sort last": "select pi, n_files from submissions order by n_files, pi",
    "strings": "select upper(name) as shout, length(pi) as len, substr(pi, 1, 1) as initial,"
               " concat(course, '/', pi) as path from students",
    "integer division": "select pi, zip_size // 7 as sevenths, zip_size % 7 as rest,"
                        " zip_size / 8 as eighths from submissions",
}
ORDERED = {"having, order, limit", "nulls sort last"}


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory):
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("identity")) / "ws")
    seed_store(workspace.db_path)
    seed_data_folder(workspace.root / "data")
    from gaffertape.sql.api import catalog

    duck, spark = DuckEngine(catalog(workspace)), SparkEngine(catalog(workspace), "local[1]")
    yield duck, spark
    duck.close()
    spark.close()


@pytest.fixture(scope="session", autouse=True)
def one_spark_per_session():
    """Start Spark once; every SparkEngine in the session reuses it."""
    session = spark_session("local[1]")
    yield session
    session.stop()


def normalised(frame: pd.DataFrame, *, ordered: bool) -> tuple[list[str], list[tuple]]:
    """Column names and rows as plain Python values: NULL is None, floats to 9 places."""
    def plain(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return round(float(value), 9)
        return str(value)

    rows = [tuple(plain(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
    if not ordered:
        rows.sort(key=lambda row: [(v is None, str(type(v)), v if v is not None else 0)
                                   for v in row])
    return list(frame.columns), rows


def assert_identical(engines, query: str, *, ordered: bool = False) -> None:
    duck, spark = engines
    from_duck = duck.query(query)
    from_spark = spark.query(query)
    assert len(from_duck) > 0, f"{query!r} returns nothing, so it shows nothing"
    assert normalised(from_spark, ordered=ordered) == normalised(from_duck, ordered=ordered)


@pytest.mark.parametrize("view", [*VIEWS, *DATA_VIEWS, *STORE_TABLES])
def test_every_view_is_identical(engines, view: str) -> None:
    assert_identical(engines, f"select * from {view}")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_queries_are_identical(engines, name: str) -> None:
    assert_identical(engines, EXAMPLES[name], ordered=name in ORDERED)


def test_spark_refuses_writes_and_reports_errors_in_one_line(engines) -> None:
    from gaffertape.errors import UserError

    _, spark = engines
    with pytest.raises(UserError, match="refused"):
        spark.query("drop table students")
    with pytest.raises(UserError) as error:
        spark.query("select nme from students")
    assert "nme" in error.value.one_line() and "(line 1, column 8)" in error.value.one_line()
    assert "\n" not in error.value.one_line()
