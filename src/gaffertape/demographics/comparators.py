"""Comparator tables: other institutions' counts by year, population, age band and sex.

HESA files carry title rows, filters and notes above the table. They are read with gaffertape's
own sheets capability (:func:`gaffertape.tidy_sheets`, :func:`gaffertape.wide_sheets`) and the
columns are recognised by their header text, never by cell position, so a better table detector
or an extra title line does not change the result. Three shapes are understood:

* provider x category (DT051 Table 1 on-screen export): one row per provider, a column per
  sex (Female, Male, Unknown/Other) or per age band;
* category rows (sector tables): sub-tables "Sex" and "Age group", a "Total ..." column;
* the long Table 1 CSV: ``HE provider``, ``First year marker``, ``Level of study``,
  ``Mode of study``, ``Academic Year``, ``Category marker``, ``Category``, ``Number``.

HESA publishes sex and age separately, never crossed: a row with sex ``all`` is an age
margin and a row with age band ``all ages`` is a sex margin. Provider rows named ``Total`` are
the sector total and are kept as the institution ``UK sector (HESA total)``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from gaffertape.demographics.aggregate import POPULATIONS
from gaffertape.demographics.bands import is_unknown_label, label_bounds
from gaffertape.errors import UserError
from gaffertape.sheets.api import tidy_sheets, wide_sheets

COLUMNS = ["institution", "year", "population", "age_band", "sex", "count"]
ALL_AGES, ALL_SEXES = "all ages", "all"
SECTOR = "UK sector (HESA total)"
_SEX_HEADERS = {"female": "F", "male": "M", "other": "other", "unknown": "unknown",
                "not known": "unknown", "sex unknown": "unknown"}
_ACADEMIC_YEAR = re.compile(r"\b(\d{4})/(\d{2})\b")
_FILTER_YEAR = re.compile(r"\bacademic year\W+(\d{4})/\d{2}\b", re.IGNORECASE)
_FIRST_YEAR_MARKER = {"all": "studying", "first year": "joined"}


def load_hesa(path: Path | str, *, year: int | None = None,
              population: str | None = None) -> pd.DataFrame:
    """One HESA table as comparator counts (``COLUMNS``).

    ``year`` (the first calendar year of the academic year: 2022 for 2022/23) and
    ``population`` (default ``studying``: HESA Table 1 counts enrolments) are needed only when
    the file does not say them.
    """
    path = Path(path)
    if population is not None and population not in POPULATIONS:
        raise UserError(f"population {population!r} is not one of {', '.join(POPULATIONS)}")
    frames = []
    for table in wide_sheets(tidy_sheets(path)).values():
        named = _name_columns(table)
        if "number" in named.columns and "category" not in named.columns:
            named = _named_long_labels(named)
        if {"number", "category marker", "category"} <= set(named.columns):
            frames.append(_long_table(named, path, year))
        else:
            frames.append(_wide_table(named, path, year, population or "studying"))
    frames = [f for f in frames if len(f)]
    if not frames:
        raise UserError(f"{path}: no counts by sex or age band found",
                        hint="expected HESA columns such as Female/Male or age groups")
    found = pd.concat(frames, ignore_index=True)
    found["count"] = pd.to_numeric(found["count"], errors="coerce")
    return found.dropna(subset=["count"])[COLUMNS].reset_index(drop=True)


def _name_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Columns renamed to the last part of their header path, lower case ('All | 2022/23 |
    Female' -> 'female'); the full header paths and the table's title (an export's filters:
    "Academic year 2022/23") are kept in ``attrs`` to find the year."""
    headers = {c: str(c).split(" | ")[-1].strip().lower() for c in table.columns}
    named = table.rename(columns=headers)
    named.attrs["headers"] = " ".join(map(str, table.columns))
    named.attrs["title"] = table.attrs.get("title", "")
    return named.loc[:, ~named.columns.duplicated()]


def _year_in(text: str) -> int | None:
    match = _ACADEMIC_YEAR.search(text)
    return int(match[1]) if match else None


def _year_of(table: pd.DataFrame) -> int | None:
    """The academic year a table covers: in its column headings ('All | 2022/23 | Female'),
    else in an export's filter line in its title ('Academic year 2022/23'; not the subtitle's
    'Academic years 2014/15 to 2022/23', the range the source offers)."""
    found = _year_in(table.attrs.get("headers", ""))
    if found is None and (match := _FILTER_YEAR.search(table.attrs.get("title", ""))):
        found = int(match[1])
    return found


def _require_year(year: int | None, found: int | None, path: Path) -> int:
    if year is not None:
        return year
    if found is None:
        raise UserError(f"{path}: the file does not say which academic year it covers",
                        hint="pass the year, e.g. --year 2021 for 2021/22")
    return found


def _wide_table(table: pd.DataFrame, path: Path, year: int | None,
                population: str) -> pd.DataFrame:
    """Provider rows x sex or age-band columns, or Sex / Age group sub-table rows."""
    if "sub_table" in table.columns:
        return _category_rows(table, path, year, population)
    sex_columns = {c: _SEX_HEADERS[c] for c in table.columns if c in _SEX_HEADERS}
    band_columns = {c: c for c in table.columns if label_bounds(c) is not None}
    if not {"F", "M"} <= set(sex_columns.values()):
        sex_columns = {}  # e.g. a domicile table's "Not known" column is not a sex
    if len(band_columns) < 2:
        band_columns = {}
    if not sex_columns and not band_columns:
        return pd.DataFrame(columns=COLUMNS)
    found_year = _require_year(year, _year_of(table), path)
    institutions = _institutions(table)
    frames = []
    for column, sex in sex_columns.items():
        frames.append(pd.DataFrame({"institution": institutions, "age_band": ALL_AGES,
                                    "sex": sex, "count": table[column]}))
    for column in band_columns:
        frames.append(pd.DataFrame({"institution": institutions, "age_band": column,
                                    "sex": ALL_SEXES, "count": table[column]}))
    out = pd.concat(frames, ignore_index=True).assign(year=found_year, population=population)
    return out.dropna(subset=["count", "institution"])


# HESA's long CSVs end their text columns in this order, just before Academic Year and Number
_LONG_LABELS = ("first year marker", "level of study", "mode of study", "category marker",
                "category")


def _named_long_labels(table: pd.DataFrame) -> pd.DataFrame:
    """Sheets keeps the text columns of an already-tidy table as its row key, joined into
    ``row_header`` ('Alpha | All | All | All | Sex | Female'); HESA's long CSVs put those
    columns in a fixed order, so the provider (the first part, after the UKPRN when sheets
    keys the rows by it too) and the last five are named by position. A table whose row key is
    shorter is not that format and is returned as it is."""
    if "row_header" not in table.columns:
        return table
    parts = table["row_header"].astype(str).str.split(" | ", regex=False)
    if len(parts) == 0 or parts.str.len().min() <= len(_LONG_LABELS):
        return table
    ukprn = parts.str[0].str.fullmatch(r"\d+")
    named = table.assign(**{"he provider": parts.str[1].where(ukprn, parts.str[0])})
    for position, name in enumerate(_LONG_LABELS):
        named[name] = parts.str[position - len(_LONG_LABELS)]
    return named


def _institutions(table: pd.DataFrame) -> pd.Series:
    """The provider of each row: the 'HE provider' column, else the row header's last part."""
    if "he provider" in table.columns:
        names = table["he provider"].astype(str)
    elif "row_header" in table.columns and table["row_header"].astype(bool).any():
        names = table["row_header"].astype(str).str.split(" | ", regex=False).str[-1]
    else:
        names = pd.Series(SECTOR, index=table.index)
    return names.str.strip().replace({"Total": SECTOR})


def _category_rows(table: pd.DataFrame, path: Path, year: int | None,
                   population: str) -> pd.DataFrame:
    """Sector tables with 'Sex' and 'Age group' sub-tables and a 'Total ...' column."""
    totals = [c for c in table.columns if c.startswith("total")]
    if not totals:
        return pd.DataFrame(columns=COLUMNS)
    found_year = _require_year(year, _year_of(table), path)
    label = table["row_header"].astype(str).str.strip()
    group = table["sub_table"].astype(str).str.strip().str.lower()
    count = pd.to_numeric(table[totals[-1]], errors="coerce")
    sex = label.str.lower().map(_SEX_HEADERS)
    rows = []
    for i in table.index:
        if group[i] == "sex" and isinstance(sex[i], str):
            rows.append((ALL_AGES, sex[i], count[i]))
        elif group[i].startswith("age") and label[i].lower() != "total":
            band = "unknown" if is_unknown_label(label[i]) else label[i]
            rows.append((band, ALL_SEXES, count[i]))
    out = pd.DataFrame(rows, columns=["age_band", "sex", "count"])
    return out.assign(institution=SECTOR, year=found_year, population=population)


def _long_table(table: pd.DataFrame, path: Path, year: int | None) -> pd.DataFrame:
    """HESA's long CSV: all levels and modes; 'All' years -> studying, 'First year' -> joined."""
    keep = pd.Series(True, index=table.index)
    for column in ("level of study", "mode of study"):
        if column in table.columns:
            keep &= table[column].astype(str).str.strip().str.lower() == "all"
    table = table[keep]
    marker = table.get("first year marker", pd.Series("All", index=table.index))
    population = marker.astype(str).str.strip().str.lower().map(_FIRST_YEAR_MARKER)
    years = table["academic year"].astype(str).map(_year_in) if year is None else year
    kind = table["category marker"].astype(str).str.strip().str.lower()
    category = table["category"].astype(str).str.strip()
    out = pd.DataFrame({
        "institution": _institutions(table),
        "year": years,
        "population": population,
        "age_band": category.where(kind.str.startswith("age"), ALL_AGES),
        "sex": category.str.lower().map(_SEX_HEADERS).where(kind == "sex", ALL_SEXES),
        "count": pd.to_numeric(table["number"], errors="coerce"),
    })
    out = out[kind.isin(["total", "sex"]) | kind.str.startswith("age")]
    if out["year"].isna().any():
        raise UserError(f"{path}: some rows have no academic year", hint="pass --year")
    return out.dropna(subset=["population", "count", "sex"])
