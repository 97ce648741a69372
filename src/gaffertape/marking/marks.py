"""Reading and checking the long-form ``marks`` table (store, CSV or XLSX).

Marks decide students' awards, so bad input must never be guessed at or silently dropped: every
check fails with a :class:`UserError` naming the file and row (spreadsheet numbering: the header
is row 1) and saying what is wrong, e.g.
``marks.csv row 17: mark 9 above maximum 8 for 'Evaluation' (PI A1234567, first marker)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.identity import is_name_part, normalise_pi, valid_pi
from gaffertape.marking.scheme import MarkScheme
from gaffertape.store import Store
from gaffertape.tablefile import read_table

COLUMNS = ["course", "pi", "role", "marker", "category", "mark", "comments"]
ROLES = ("first", "second", "third")
KEY = ["course", "pi", "role", "category"]


def read_marks_file(path: Path | str) -> pd.DataFrame:
    """A marks CSV/XLSX as a DataFrame with a ``where`` column naming each row for errors."""
    path = Path(path)
    df = read_table(path, what="marks")
    if df.empty:
        raise UserError(f"{path}: no marks in the file", hint="check you picked the right file")
    df["where"] = [f"{path.name} row {i + 2}" for i in range(len(df))]
    if "pi" in df:  # PIs typed by people are checked where they enter; blanks are reported later
        df["pi"] = [valid_pi(pi, where=where) if str(pi).strip() else pi
                    for pi, where in zip(df["pi"], df["where"], strict=True)]
    return df


def read_marks_store(store: Store) -> pd.DataFrame:
    """The store's ``marks`` table (filled by the sites capability), rows named by rowid."""
    if "marks" not in set(store.tables()["table"]):
        raise UserError("the workspace store has no marks table yet",
                        hint="fetch marks with `gaffertape sites ...` or pass --from FILE")
    df = store.query_df("SELECT rowid AS _rowid, * FROM marks ORDER BY rowid")
    if df.empty:
        raise UserError("the workspace store's marks table is empty",
                        hint="fetch marks with `gaffertape sites ...` or pass --from FILE")
    df["where"] = [f"store marks rowid {r}" for r in df.pop("_rowid")]
    return df


def _fail(row: pd.Series, problem: str) -> UserError:
    who = f"PI {row.get('pi', '?')}, {row.get('role', '?')} marker"
    return UserError(f"{row['where']}: {problem} ({who})", hint="fix the marks and rerun")


def _first_bad(df: pd.DataFrame, mask: pd.Series) -> pd.Series | None:
    hits = df.index[mask.to_numpy()]
    return df.loc[hits[0]] if len(hits) else None


def validate_marks(raw: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """Check every row against the scheme; return clean typed rows (nothing dropped)."""
    if raw.empty:
        raise UserError("no marks to check", hint="pass a file or table with marks in it")
    df = raw.copy()
    if "where" not in df:
        df["where"] = [f"marks row {i + 2}" for i in range(len(df))]
    missing = [c for c in COLUMNS if c not in df and c != "comments"]
    if missing:
        source = df["where"].iloc[0].rsplit(" row ", 1)[0] if len(df) else "marks"
        raise UserError(f"{source}: missing columns {missing}", hint=f"expected {COLUMNS}")
    if "comments" not in df:
        df["comments"] = ""
    for column in ["course", "pi", "role", "marker", "category", "comments"]:
        df[column] = df[column].fillna("").astype(str).str.strip()
    df["role"] = df["role"].str.lower()
    _check_text(df, scheme)
    df["pi"] = df["pi"].map(normalise_pi)  # a1234567 and A1234567 are one student
    _check_marks(df, scheme)
    _check_duplicates(df)
    _check_complete(df, scheme)
    return df[[*COLUMNS, "where"]].reset_index(drop=True)


def _check_text(df: pd.DataFrame, scheme: MarkScheme) -> None:
    checks = [
        (df["pi"] == "", lambda r: "missing PI"),
        ((df["course"] != "") & ~df["course"].map(is_name_part),
         lambda r: f"course {r['course']!r} cannot name a report file (a slash, a control "
                   "character, only dots or over 100 characters)"),
        (~df["role"].isin(ROLES), lambda r: f"unknown marker role {r['role']!r}, "
                                            f"expected one of {', '.join(ROLES)}"),
        (df["marker"] == "", lambda r: "missing marker name"),
        (~df["category"].isin([c.name for c in scheme.categories]),
         lambda r: f"unknown category {r['category']!r}, expected one of "
                   f"{[c.name for c in scheme.categories]}"),
    ]
    if scheme.markers:
        checks.append((~df["marker"].isin(scheme.markers),
                       lambda r: f"unknown marker {r['marker']!r} (not in the scheme's markers)"))
    for mask, message in checks:
        row = _first_bad(df, mask)
        if row is not None:
            error = _fail(row, message(row))
            if "unknown category" in str(error):
                error.hint = ("the marks' categories are not the scheme's: pass --scheme FILE "
                              "(`gaffertape sites scheme --out FILE` reads one from the site)")
            raise error


def _check_marks(df: pd.DataFrame, scheme: MarkScheme) -> None:
    numeric = pd.to_numeric(df["mark"], errors="coerce")
    row = _first_bad(df, numeric.isna())
    if row is not None:
        blank = row["mark"] is None or str(row["mark"]).strip() in {"", "nan", "None"}
        problem = "missing mark" if blank else f"mark {row['mark']!r} is not a number"
        raise _fail(row, f"{problem} for {row['category']!r}")
    df["mark"] = numeric.astype(float)
    maxima = df["category"].map({c.name: c.max for c in scheme.categories})
    row = _first_bad(df, df["mark"] > maxima)
    if row is not None:
        limit = scheme.category(row["category"]).max
        raise _fail(row, f"mark {row['mark']:g} above maximum {limit:g} "
                         f"for {row['category']!r}")
    row = _first_bad(df, df["mark"] < 0)
    if row is not None:
        raise _fail(row, f"negative mark {row['mark']:g} for {row['category']!r}")


def _check_duplicates(df: pd.DataFrame) -> None:
    dupes = df.duplicated(KEY, keep=False)
    if dupes.any():
        group = df[dupes].groupby(KEY, sort=False)["where"].apply(list).iloc[0]
        row = df.loc[df[dupes].index[1]]
        raise _fail(row, f"duplicate mark for {row['category']!r}: also at {group[0]}")
    names = df.groupby(["course", "pi", "role"])["marker"].nunique()
    if (names > 1).any():
        course, pi, role = names[names > 1].index[0]
        rows = df[(df["course"] == course) & (df["pi"] == pi) & (df["role"] == role)]
        raise _fail(rows.iloc[1], f"two different {role} markers "
                                  f"({', '.join(sorted(rows['marker'].unique()))})")


def _check_complete(df: pd.DataFrame, scheme: MarkScheme) -> None:
    expected = {c.name for c in scheme.categories}
    counts = df.groupby(["course", "pi", "role"], sort=False)["category"].transform("size")
    row = _first_bad(df, counts != len(expected))
    if row is not None:
        mine = df[(df["course"] == row["course"]) & (df["pi"] == row["pi"])
                  & (df["role"] == row["role"])]
        raise _fail(row, f"missing categories {sorted(expected - set(mine['category']))}")


def marks_wide(marks: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """One row per (course, pi, role): marker, comments and one column per category."""
    wide = marks.pivot_table(index=["course", "pi", "role"], columns="category", values="mark",
                             aggfunc="first")
    wide = wide[[c.name for c in scheme.categories]]
    info = marks.groupby(["course", "pi", "role"])[["marker", "comments"]].first()
    return info.join(wide).reset_index()
