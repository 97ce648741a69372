"""Per-script results: each marker's total and grade, significant-difference flags, final mark.

Every reason a script is flagged is listed (not just the first), because the third marker needs
to see *why* the first two disagreed, and the same grade can still hide a large difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from gaffertape.marking.marks import ROLES, marks_wide
from gaffertape.marking.scheme import EPS, FinalRule, MarkScheme

STATUS_PRIORITY = {"needs third marker": 3, "awaiting second marker": 2,
                   "awaiting first marker": 2, "third marked": 1, "agreed": 0}


def role_table(marks: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """One row per script; per role: marker, comments, total, pct and each category mark.

    Columns are ``{role}_marker``, ``{role}_total``, ``{role}_pct`` and ``{role}:{category}``.
    """
    wide = marks_wide(marks, scheme)
    names = [c.name for c in scheme.categories]
    weights = pd.Series({c.name: c.weight for c in scheme.categories})
    wide["total"] = wide[names].mul(weights).sum(axis=1).round(9)
    wide["pct"] = (wide["total"] / scheme.max_total * 100).round(9)
    per_role = wide.set_index(["course", "pi", "role"]).unstack("role")
    per_role.columns = [f"{role}:{col}" if col in names else f"{role}_{col}"
                        for col, role in per_role.columns]
    for role in ROLES:
        for col in ["marker", "comments", "total", "pct", *names]:
            key = f"{role}:{col}" if col in names else f"{role}_{col}"
            if key not in per_role:
                per_role[key] = math.nan if col not in ("marker", "comments") else None
    return per_role.reset_index()


@dataclass
class Flags:
    """Why a pair of marks is significantly different: short codes and plain-English reasons."""

    codes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, code: str, reason: str) -> None:
        self.codes.append(code)
        self.reasons.append(reason)


def boundaries_between(scheme: MarkScheme, a: float, b: float) -> list[float]:
    """Grade boundaries (band minima above 0) that lie between two percentages."""
    low, high = sorted((a, b))
    return sorted(band.min for band in scheme.bands
                  if band.min > 0 and low < band.min - EPS and high >= band.min - EPS)


def find_flags(scheme: MarkScheme, row: dict) -> Flags:
    """Every significant-difference rule the first and second marks break."""
    flags = Flags()
    first, second = row["first_pct"], row["second_pct"]
    rules = scheme.rules
    gap = abs(first - second)
    if rules.threshold_pct is not None and gap > rules.threshold_pct + EPS:
        flags.add("pct", f"totals differ by {gap:.1f} percentage points "
                         f"(more than {rules.threshold_pct:g})")
    crossed = boundaries_between(scheme, first, second) if rules.straddle else []
    if crossed:
        grades = f"{scheme.grade(first)[0]} vs {scheme.grade(second)[0]}"
        where = ", ".join(f"{b:g}%" for b in crossed)
        plural = "boundaries" if len(crossed) > 1 else "boundary"
        flags.add("boundary", f"marks straddle the {where} grade {plural} ({grades})")
    for name, limit in rules.category_thresholds.items():
        diff = abs(row[f"first:{name}"] - row[f"second:{name}"])
        if diff > limit + EPS:
            flags.add(f"category:{name}",
                      f"{name} differs by {diff:g} marks (more than {limit:g})")
    return flags


def final_pct(rule: FinalRule, first: float, second: float, third: float) -> float:
    """The unrounded final percentage from three marks under ``rule``.

    Ties: for ``closest_pair``, a pair that includes the third marker wins; if the third mark is
    exactly midway (two such pairs tie) it stands. For ``closest_original``, if both originals
    are equally close the third mark (their midpoint) stands.
    """
    if rule is FinalRule.THIRD:
        return third
    if rule is FinalRule.CLOSEST_ORIGINAL:
        d1, d2 = abs(first - third), abs(second - third)
        return first if d1 < d2 - EPS else second if d2 < d1 - EPS else third
    candidates = [(abs(first - third), 0, (first, third)),
                  (abs(second - third), 0, (second, third)),
                  (abs(first - second), 1, (first, second))]
    pairs = sorted(candidates, key=lambda p: (round(p[0], 9), p[1]))
    (best, _, pair), (runner, rank, _) = pairs[0], pairs[1]
    if rank == 0 and abs(best - runner) < EPS:
        return third
    return sum(pair) / 2


def _status(row: dict, flagged: bool) -> str:
    for role in ("first", "second"):
        if pd.isna(row[f"{role}_pct"]):
            return f"awaiting {role} marker"
    if not pd.isna(row["third_pct"]):
        return "third marked"
    return "needs third marker" if flagged else "agreed"


def _graded(scheme: MarkScheme, prefix: str, pct: float) -> dict:
    grade, qualifier = scheme.grade(pct)
    return {f"{prefix}_pct": pct, f"{prefix}_grade": grade, f"{prefix}_qualifier": qualifier}


def _script_result(scheme: MarkScheme, row: dict) -> dict:
    both = not (pd.isna(row["first_pct"]) or pd.isna(row["second_pct"]))
    flags = find_flags(scheme, row) if both else Flags()
    status = _status(row, bool(flags.codes))
    average = (row["first_pct"] + row["second_pct"]) / 2 if both else math.nan
    final = math.nan
    if status == "agreed":
        final = average
    elif status == "third marked":
        final = final_pct(scheme.final_rule, row["first_pct"], row["second_pct"], row["third_pct"])
    out = {"course": row["course"], "pi": row["pi"], "status": status,
           "flagged": bool(flags.codes), "reasons": "; ".join(flags.reasons),
           "flag_codes": ";".join(flags.codes), "n_reasons": len(flags.codes)}
    for role in ROLES:
        out[f"{role}_marker"] = row[f"{role}_marker"]
        out[f"{role}_total"] = row[f"{role}_total"]
        out.update(_graded(scheme, role, row[f"{role}_pct"]))
    out["diff_total"] = row["first_total"] - row["second_total"]
    out["diff_pct"] = round(abs(row["first_pct"] - row["second_pct"]), 9)
    out.update(_graded(scheme, "average", scheme.rounding.apply(average)))
    out.update(_graded(scheme, "final", scheme.rounding.apply(final)))
    out["final_rule"] = ("average" if status == "agreed" else
                         scheme.final_rule.value if status == "third marked" else "")
    return out


def by_attention(flags: pd.DataFrame) -> pd.DataFrame:
    """Scripts most in need of attention first: pending third marking, most reasons, widest gap."""
    order = flags.assign(_p=flags["status"].map(STATUS_PRIORITY))
    order = order.sort_values(["_p", "n_reasons", "diff_pct", "course", "pi"],
                              ascending=[False, False, False, True, True], kind="stable")
    order = order.drop(columns="_p").reset_index(drop=True)
    order.insert(0, "attention", range(1, len(order) + 1))
    return order


def compute_flags(roles: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """The flags table from :func:`role_table`: one row per script, by attention needed."""
    rows = [_script_result(scheme, row) for row in roles.to_dict("records")]
    return by_attention(pd.DataFrame(rows))
