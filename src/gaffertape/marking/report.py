"""The per-script report: a category comparison table and a short plain-English summary.

Written for the third marker, who needs to see at a glance where and why the first two markers
differed: differences are given in raw marks, weighted marks and percentage points of the total.
"""

from __future__ import annotations

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.marking.marks import ROLES
from gaffertape.marking.scheme import MarkScheme

#: How many of the most-different categories the summary names.
TOP_CATEGORIES = 2


def category_table(roles_row: dict, scheme: MarkScheme) -> pd.DataFrame:
    """Per category: max, weight, each marker's mark and the differences, signed second minus
    first (negative: the second marker gave less), in raw marks, weighted marks and points."""
    rows = []
    for cat in scheme.categories:
        row = {"category": cat.name, "max": cat.max, "weight": cat.weight}
        for role in ROLES:
            row[role] = roles_row[f"{role}:{cat.name}"]
        raw = row["second"] - row["first"]
        row["diff_raw"] = raw
        row["diff_weighted"] = raw * cat.weight
        row["diff_pct_points"] = round(raw * cat.weight / scheme.max_total * 100, 9)
        rows.append(row)
    return pd.DataFrame(rows)


def _marker_line(flag: dict, role: str, scheme: MarkScheme) -> str:
    if pd.isna(flag[f"{role}_pct"]):
        return f"{role.capitalize()} marker: not yet marked."
    return (f"{role.capitalize()} marker {flag[f'{role}_marker']}: "
            f"{flag[f'{role}_total']:g}/{scheme.max_total:g} ({flag[f'{role}_pct']:.1f}%), "
            f"{flag[f'{role}_grade']} {flag[f'{role}_qualifier']}.")


def _n(value: float, noun: str) -> str:
    return f"{value:g} {noun}" + ("" if value == 1 else "s")


def _differences_line(table: pd.DataFrame) -> str:
    # Plain Python over the few category rows: pandas costs ~10 ms a script here.
    differ = sorted((r for r in table.to_dict("records") if abs(r["diff_raw"]) > 0),
                    key=lambda r: (abs(r["diff_weighted"]), abs(r["diff_raw"])),
                    reverse=True)[:TOP_CATEGORIES]  # stable: ties keep the scheme's order
    if not differ:
        return "The markers gave identical marks in every category."
    parts = [f"{r['category']} (first {r['first']:g}, second {r['second']:g}: "
             f"{_n(abs(r['diff_raw']), 'raw mark')}, "
             f"{_n(abs(r['diff_weighted']), 'weighted mark')}, "
             f"{abs(r['diff_pct_points']):.1f} percentage points)" for r in differ]
    return "They differ most in " + "; ".join(parts) + "."


def _outcome_line(flag: dict) -> str:
    if flag["status"] == "agreed":
        return (f"No significant difference: the agreed mark is the average, "
                f"{flag['final_pct']:g}% ({flag['final_grade']} {flag['final_qualifier']}).")
    if flag["status"] == "needs third marker":
        return (f"Significant difference: {flag['reasons']}. Needs a third marker "
                f"(average would be {flag['average_pct']:g}%, {flag['average_grade']}).")
    if flag["status"] == "third marked":
        why = f"Flagged: {flag['reasons']}. " if flag["flagged"] else ""
        return (f"{why}Third marker {flag['third_marker']} gave {flag['third_pct']:.1f}%; "
                f"final mark by rule '{flag['final_rule']}': {flag['final_pct']:g}% "
                f"({flag['final_grade']} {flag['final_qualifier']}).")
    return f"Incomplete: {flag['status']}."


def script_report(flag: dict, roles_row: dict, scheme: MarkScheme) -> tuple[str, pd.DataFrame]:
    """(plain-English summary, category table) for one script."""
    table = category_table(roles_row, scheme)
    lines = [f"{flag['course']} {flag['pi']}."]
    lines += [_marker_line(flag, role, scheme) for role in ("first", "second")]
    if not pd.isna(flag["diff_pct"]):
        lines.append(f"Difference: {abs(flag['diff_total']):g} weighted marks "
                     f"({flag['diff_pct']:.1f} percentage points).")
        lines.append(_differences_line(table))
    lines.append(_outcome_line(flag))
    return " ".join(lines), table


def find_script(flags: pd.DataFrame, roles: pd.DataFrame, pi: str,
                course: str | None = None) -> tuple[dict, dict]:
    """The flags row and role row of one script, by PI (and course if the PI is ambiguous)."""
    hit = flags[(flags["pi"] == pi) & ((flags["course"] == course) if course else True)]
    if hit.empty:
        raise UserError(f"no marks for PI {pi}" + (f" on {course}" if course else ""),
                        hint="check the PI, or list scripts with `gaffertape marking flags`")
    if len(hit) > 1:
        raise UserError(f"PI {pi} is on several courses {sorted(hit['course'])}",
                        hint="pass --course")
    flag = hit.iloc[0].to_dict()
    role = roles[(roles["pi"] == pi) & (roles["course"] == flag["course"])].iloc[0].to_dict()
    return flag, role
