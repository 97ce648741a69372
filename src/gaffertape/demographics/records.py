"""Student records: the data model, loading from CSV/XLSX with a column mapping and from OULAD.

One row per study record (a student's spell of study: in OULAD, one module presentation):

=============  =========================================================================
student_id     the institution's identifier (text)
birth_year     year of birth; from an age at entry it is ``year_joined - age`` (±1 year)
age_band       the band as the source wrote it, when only a band is known (OULAD)
sex            ``F``, ``M``, ``other`` (recorded, neither F nor M) or ``unknown``
year_joined    year the record starts (academic years by their first calendar year)
year_left      year it ended by leaving or graduating; empty while still studying
graduated      whether it ended with the qualification
qualification  what was studied (a named degree, a module code, ...)
=============  =========================================================================

Every record also carries ``age_status``, ``sex_status`` and ``year_status``: ``ok``,
``missing``, ``invalid`` or ``ambiguous``. Nothing is dropped at load; records with an unknown
age or sex stay in every population under ``unknown`` and every output reports them, and
records whose years are unusable are counted as excluded by the aggregation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gaffertape.demographics.bands import UNKNOWN, is_unknown_label, label_bounds, parse_scheme
from gaffertape.errors import UserError
from gaffertape.tablefile import read_excel

FIELDS = ("id", "birth_year", "age", "age_band", "sex", "year_joined", "year_left", "graduated",
          "year_graduated", "qualification")
COLUMNS = ["student_id", "birth_year", "age_band", "sex", "year_joined", "year_left",
           "graduated", "qualification", "age_status", "sex_status", "year_status"]
STATUSES = ("ok", "missing", "invalid", "ambiguous")
SEXES = ("F", "M", "other", "unknown")

_SEX_WORDS = {
    "f": "F", "female": "F", "woman": "F", "w": "F",
    "m": "M", "male": "M", "man": "M",
    "other": "other", "x": "other", "non-binary": "other", "nonbinary": "other",
    "indeterminate": "other", "i": "other",
}
_SEX_MISSING = {"", "unknown", "not known", "u", "n/a", "na", "prefer not to say",
                "information refused", "nan"}
_SEX_AMBIGUOUS = {"m/f", "f/m", "mf", "fm", "m or f", "both"}
_YES = {"1", "y", "yes", "true", "t", "graduated", "completed", "pass", "passed", "awarded"}
_NO = {"0", "n", "no", "false", "f", "withdrawn", "left", "fail", "failed", ""}
MIN_AGE, MAX_AGE = 10, 100
MIN_YEAR, MAX_YEAR = 1900, 2100


def load_records(path: Path | str, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Student records from a CSV or XLSX file; ``mapping`` is field -> column name in the file.

    Unmapped fields are looked for under their own name (``id`` also as ``student_id``).
    """
    path = Path(path)
    table = _read_table(path)
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise UserError(f"unknown field(s) in the column mapping: {', '.join(unknown)}",
                        hint=f"fields are {', '.join(FIELDS)}")
    raw = pd.DataFrame(index=table.index)
    for field in FIELDS:
        column = mapping.get(field) or _default_column(field, table.columns)
        if mapping.get(field) and column not in table.columns:
            raise UserError(f"{path}: no column {column!r} for field {field!r}",
                            hint=f"columns are: {', '.join(map(str, table.columns))}")
        if column in table.columns:
            raw[field] = table[column]
    for required in ("id", "year_joined"):
        if required not in raw:
            raise UserError(f"{path}: no column for {required!r}",
                            hint=f"map one, e.g. --map {required}=<column>; columns are: "
                                 f"{', '.join(map(str, table.columns))}")
    return normalise(raw)


def _default_column(field: str, columns: pd.Index) -> str | None:
    names = {"id": ("id", "student_id")}.get(field, (field,))
    lowered = {str(c).strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _read_table(path: Path) -> pd.DataFrame:
    """Every cell as text (or missing), so that parsing and validation happen in one place."""
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
            table = read_excel(path, dtype=str)
        elif path.suffix.lower() in {".csv", ".txt"}:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise UserError(f"{path}: not a CSV or XLSX file", hint="save it as .csv or .xlsx")
    except UserError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}",
                        hint="check it is a UTF-8 CSV or an Excel workbook") from exc
    if table.empty:
        raise UserError(f"{path}: no rows", hint="is this the right file?")
    return table


def load_oulad(folder: Path | str) -> pd.DataFrame:
    """OULAD ``studentInfo.csv``: one record per student and module presentation.

    The presentation code gives the year (``2013J`` starts in October 2013 and ends in 2014;
    ``2013B`` starts in February and ends the same year); Pass and Distinction count as
    graduating (completing the module); the module code is the qualification.
    """
    path = Path(folder) / "studentInfo.csv"
    if not path.is_file():
        raise UserError(f"{path} not found", hint="point at the folder holding OULAD's CSV files")
    info = _read_table(path)
    missing = {"id_student", "gender", "age_band", "code_presentation", "final_result",
               "code_module"} - set(info.columns)
    if missing:
        raise UserError(f"{path}: not OULAD's studentInfo.csv (no {', '.join(sorted(missing))})")
    presentation = info["code_presentation"].str.extract(r"^(\d{4})([BJ])$")
    start = pd.to_numeric(presentation[0], errors="coerce")
    raw = pd.DataFrame({
        "id": info["id_student"],
        "age_band": info["age_band"],
        "sex": info["gender"],
        "year_joined": start,
        "year_left": start + (presentation[1] == "J").astype(int),
        "graduated": info["final_result"].isin(["Pass", "Distinction"]),
        "qualification": info["code_module"],
    })
    return normalise(raw)


def normalise(raw: pd.DataFrame) -> pd.DataFrame:
    """Canonical records from raw fields (text or numbers), with the status of each field."""
    n = len(raw)
    out = pd.DataFrame({"student_id": _column(raw, "id").astype(str).str.strip()})
    joined = _year(_column(raw, "year_joined"))
    left = _year(_column(raw, "year_left"))
    graduated_year = _year(_column(raw, "year_graduated"))
    graduated = _graduated(raw, graduated_year)
    left = left.fillna(graduated_year)
    out["year_joined"] = joined.astype("Int16")
    out["year_left"] = left.astype("Int16")
    out["graduated"] = graduated
    out["qualification"] = _column(raw, "qualification").fillna("").astype(str)
    out["year_status"] = _year_status(_column(raw, "year_joined"), joined, left, graduated)
    birth_year, age_band, age_status = _ages(raw, joined)
    out["birth_year"] = birth_year.astype("Int16")
    out["age_band"] = age_band
    out["age_status"] = age_status
    out["sex"], out["sex_status"] = _sexes(_column(raw, "sex"), out["student_id"])
    assert len(out) == n
    return compact(out[COLUMNS].reset_index(drop=True))


def compact(records: pd.DataFrame) -> pd.DataFrame:
    """Small-integer years and categorical labels: millions of records in little memory."""
    records = records.copy()
    records["sex"] = pd.Categorical(records["sex"], categories=SEXES)
    for field in ("age", "sex", "year"):
        records[f"{field}_status"] = pd.Categorical(records[f"{field}_status"],
                                                    categories=STATUSES)
    records["age_band"] = records["age_band"].astype("category")
    records["qualification"] = records["qualification"].astype("category")
    return records


def _column(raw: pd.DataFrame, field: str) -> pd.Series:
    if field in raw:
        return raw[field]
    return pd.Series([None] * len(raw), index=raw.index, dtype=object)


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype(str).str.strip().isin(["", "nan", "NaN", "None"]))


def _year(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    ok = (numbers == np.floor(numbers)) & numbers.between(MIN_YEAR, MAX_YEAR)
    return numbers.where(ok)


def _graduated(raw: pd.DataFrame, graduated_year: pd.Series) -> pd.Series:
    if "graduated" not in raw:
        return graduated_year.notna().to_numpy()
    values = raw["graduated"]
    if values.dtype == bool:
        return values.to_numpy()
    text = values.fillna("").astype(str).str.strip().str.lower()
    return text.isin(_YES).to_numpy()


def _year_status(given: pd.Series, joined: pd.Series, left: pd.Series,
                 graduated: np.ndarray) -> pd.Series:
    status = pd.Series("ok", index=given.index, dtype=object)
    status[joined.isna()] = "invalid"
    status[(left < joined).fillna(False)] = "invalid"
    status[pd.Series(graduated, index=given.index) & left.isna()] = "invalid"
    status[_blank(given)] = "missing"
    return status


def _ages(raw: pd.DataFrame, joined: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Birth years, band labels and the status of each record's age."""
    index = raw.index
    given_birth, given_age = _column(raw, "birth_year"), _column(raw, "age")
    birth = pd.to_numeric(given_birth, errors="coerce")
    birth = birth.where((birth == np.floor(birth)) & (birth >= MIN_YEAR) & (birth <= MAX_YEAR))
    age = pd.to_numeric(given_age, errors="coerce")
    age = age.where((age >= MIN_AGE) & (age <= MAX_AGE)).apply(np.floor)
    from_age = joined - age
    birth_age_ok = (joined - birth).between(MIN_AGE, MAX_AGE)
    birth = birth.where(birth_age_ok | joined.isna())
    status = pd.Series("missing", index=index, dtype=object)
    invalid = (~_blank(given_birth) & birth.isna()) | (~_blank(given_age) & age.isna())
    clash = birth.notna() & from_age.notna() & ((birth - from_age).abs() > 1)
    labels, band_status, band_age_clash = _band_labels(_column(raw, "age_band"), birth, joined)
    known = birth.notna() | from_age.notna() | (band_status == "ok")
    status[known] = "ok"
    status[invalid | (band_status == "invalid")] = "invalid"
    status[clash | band_age_clash] = "ambiguous"
    birth_year = birth.fillna(from_age).where(status == "ok")
    labels = labels.where((status == "ok") & birth_year.isna(), None)
    return birth_year, labels, status


def _band_labels(given: pd.Series, birth: pd.Series,
                 joined: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Band labels, their status, and where a band contradicts a birth year."""
    text = given.fillna("").astype(str).str.strip()
    status = pd.Series("missing", index=given.index, dtype=object)
    readable = [label for label in text.unique()
                if not is_unknown_label(label) and label_bounds(label) is not None]
    scheme = {band.label: band for band in parse_scheme(readable)} if readable else {}
    status[text.isin(list(scheme))] = "ok"
    status[~text.isin(list(scheme)) & ~text.map(is_unknown_label)] = "invalid"
    clash = pd.Series(False, index=given.index)
    if scheme and birth.notna().any():
        age = joined - birth
        lo = text.map(lambda t: scheme[t].lo if t in scheme else np.nan)
        hi = text.map(lambda t: (scheme[t].hi or 999) if t in scheme else np.nan)
        clash = (age.notna() & lo.notna() & ((age < lo) | (age >= hi))).fillna(False)
    return text.where(status == "ok"), status, clash


def _sexes(given: pd.Series, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = given.fillna("").astype(str).str.strip().str.lower()
    sex = text.map(_SEX_WORDS)
    status = pd.Series("invalid", index=given.index, dtype=object)
    status[sex.notna()] = "ok"
    status[text.isin(_SEX_MISSING)] = "missing"
    status[text.isin(_SEX_AMBIGUOUS)] = "ambiguous"
    # one person recorded with two different sexes: both records are ambiguous
    conflicting = sex.groupby(ids).transform("nunique") > 1
    status[conflicting] = "ambiguous"
    sex = sex.where(status == "ok", UNKNOWN)
    return sex, status


def quality(records: pd.DataFrame) -> pd.DataFrame:
    """How many records have each status for age, sex and years (ok rows included)."""
    rows = []
    for field in ("age", "sex", "year"):
        counts = records[f"{field}_status"].value_counts()
        rows += [{"field": field, "status": s, "count": int(counts.get(s, 0))} for s in STATUSES]
    return pd.DataFrame(rows)
