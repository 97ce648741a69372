"""Cohort analytics: where markers disagree, who marks high or low, how reliable each category is.

The course team wants to learn *why* markers differ so they can improve the marking guide; a
category with low reliability or a large mean difference is where the guide is least clear.
Reliability is Krippendorff's alpha from the ``krippendorff`` library (it handles missing marks
and any number of markers), at interval and ordinal level, per category; for the total
percentage the same interval alpha in closed form (see :func:`interval_alpha_two_markers`).
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd

from gaffertape.marking.scheme import MarkScheme


def _alpha(first: pd.Series, second: pd.Series, level: str) -> float:
    """Krippendorff's alpha for two markers; NaN when it is undefined (e.g. all marks equal)."""
    data = np.vstack([first.to_numpy(float), second.to_numpy(float)])
    try:
        value = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    except (ValueError, ZeroDivisionError):
        return math.nan
    return round(float(value), 4)


def interval_alpha_two_markers(first: pd.Series, second: pd.Series) -> float:
    """Interval Krippendorff's alpha for two markers with complete data, in closed form.

    The library builds a units x values x values array, which for totals (~130 distinct
    values) on 5,000 scripts needs ~0.7 GB; with two markers and no missing marks alpha reduces
    to 1 - (n - 1) * sum((a - b)^2) / (n * SS), n = 2 * units, SS = sum of squared deviations of
    all 2n marks. Tests check it equals ``krippendorff.alpha``.
    """
    values = np.concatenate([first.to_numpy(float), second.to_numpy(float)])
    spread = float(((values - values.mean()) ** 2).sum())
    if len(first) < 2 or spread == 0:
        return math.nan
    n = len(values)
    observed = float(((first.to_numpy(float) - second.to_numpy(float)) ** 2).sum())
    return round(1 - (n - 1) * observed / (n * spread), 4)


def _disagreement_row(name: str, first: pd.Series, second: pd.Series, weight: float,
                      scale: float, *, alphas: bool = True) -> dict:
    diff = first - second
    row = {
        "category": name, "scripts": int(diff.notna().sum()),
        "mean_diff": round(diff.mean(), 4),
        "mean_abs_diff": round(diff.abs().mean(), 4),
        "mean_abs_diff_weighted": round(diff.abs().mean() * weight, 4),
        "mean_abs_diff_pct_points": round(diff.abs().mean() * weight * scale, 4),
        "share_differ_2plus": round((diff.abs() >= 2).mean(), 4),
    }
    if alphas:
        row["alpha_interval"] = _alpha(first, second, "interval")
        row["alpha_ordinal"] = _alpha(first, second, "ordinal")
    return row


def category_disagreement(roles: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """Per category (and the total percentage): first-second differences and reliability.

    ``mean_diff`` is first minus second in raw marks; the ``TOTAL (%)`` row is in percentage
    points and has no ordinal alpha. Sorted with the least reliable category first.
    """
    both = roles.dropna(subset=["first_pct", "second_pct"])
    scale = 100 / scheme.max_total
    rows = [_disagreement_row(c.name, both[f"first:{c.name}"], both[f"second:{c.name}"],
                              c.weight, scale) for c in scheme.categories]
    rows.sort(key=lambda r: (-math.inf if math.isnan(r["alpha_interval"]) else r["alpha_interval"]))
    total = _disagreement_row("TOTAL (%)", both["first_pct"], both["second_pct"], 1.0, 1.0,
                              alphas=False)
    total.update(mean_abs_diff_weighted=round(total["mean_abs_diff"] / scale, 4),
                 mean_abs_diff_pct_points=total["mean_abs_diff"], share_differ_2plus=math.nan,
                 alpha_interval=interval_alpha_two_markers(both["first_pct"], both["second_pct"]),
                 alpha_ordinal=math.nan)
    return pd.DataFrame([*rows, total])


def marker_bias(roles: pd.DataFrame, flags: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """Each marker's mean difference from the markers they were paired with (positive = higher).

    Columns: scripts, partners, mean and mean absolute difference in percentage points, share of
    their scripts flagged, and ``bias:<category>`` (mean raw-mark difference per category).
    """
    both = roles.dropna(subset=["first_pct", "second_pct"]).merge(
        flags[["course", "pi", "flagged"]], on=["course", "pi"])
    names = [c.name for c in scheme.categories]
    views = []
    for me, other in (("first", "second"), ("second", "first")):
        view = pd.DataFrame({"marker": both[f"{me}_marker"], "partner": both[f"{other}_marker"],
                             "diff_pct": both[f"{me}_pct"] - both[f"{other}_pct"],
                             "flagged": both["flagged"]})
        for name in names:
            view[f"bias:{name}"] = both[f"{me}:{name}"] - both[f"{other}:{name}"]
        views.append(view)
    long = pd.concat(views, ignore_index=True)
    long["abs_diff_pct"] = long["diff_pct"].abs()
    grouped = long.groupby("marker")
    out = pd.DataFrame({
        "scripts": grouped.size(),
        "partners": grouped["partner"].nunique(),
        "mean_diff_pct": grouped["diff_pct"].mean(),
        "mean_abs_diff_pct": grouped["abs_diff_pct"].mean(),
        "share_flagged": grouped["flagged"].mean(),
    }).join(grouped[[f"bias:{n}" for n in names]].mean())
    out = out.round(4).reset_index()
    return out.sort_values("mean_diff_pct", key=abs, ascending=False, kind="stable",
                           ignore_index=True)
