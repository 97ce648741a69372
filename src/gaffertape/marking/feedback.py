"""Draft feedback for students: templates per category and band, the overall mark and grade,
and the markers' own comments to draw on.

Drafts are a starting point for the marker, never sent as they are: one Markdown file per
script, for editing. The wording is for students: encouraging and specific, with no marker
qualifiers ("strong", "bare"), which describe where a mark sits in its band for markers.

A draft is final only when the script has a final mark (agreed, or third marked). A script
still waiting for a marker gets a draft from the marks so far, with ``_PROVISIONAL`` in its file
name and "PROVISIONAL" on its first line, so it cannot be mistaken for the final word.

A scheme can override any template under ``[scheme.feedback."<category>"]`` (or ``"*"`` for
every category) keyed by band name. Placeholders: ``{category}``, ``{mark}``, ``{max}``,
``{band}``, and ``{qualifier}`` (for schemes that want it; the built-in templates do not).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaffertape.atomic import write_text_atomic
from gaffertape.marking.marks import ROLES
from gaffertape.marking.scheme import MarkScheme

DEFAULT_TEMPLATES = {
    "Pass 1": "{category} ({mark:g}/{max:g}): excellent work. "
              "[Name what made it excellent, and one way to take it further.]",
    "Pass 2": "{category} ({mark:g}/{max:g}): a good standard, with clear strengths. "
              "[Name what worked well, and the one change that would lift it further.]",
    "Pass 3": "{category} ({mark:g}/{max:g}): good foundations to build on. "
              "[Name the best part, and the next step that would strengthen the rest.]",
    "Pass 4": "{category} ({mark:g}/{max:g}): the essentials are in place. "
              "[Name what is there, and what to add against the marking guide next time.]",
    "Fail": "{category} ({mark:g}/{max:g}): not yet at the standard needed here, and you can "
            "get there. [Name one thing done well, and exactly what is needed to pass.]",
}
GENERIC = "{category} ({mark:g}/{max:g}). [Add feedback.]"
PROVISIONAL = "PROVISIONAL"


def template_for(scheme: MarkScheme, category: str, band: str) -> str:
    """The most specific template: category+band, then "*"+band, then the built-in default."""
    for key in (category, "*"):
        if band in scheme.feedback.get(key, {}):
            return scheme.feedback[key][band]
    return DEFAULT_TEMPLATES.get(band, GENERIC)


def _agreed_mark(row: dict, category: str) -> float:
    """The third marker's mark if there is one, else the mean of the marks there are."""
    third = row[f"third:{category}"]
    if not pd.isna(third):
        return third
    return pd.Series([row[f"first:{category}"], row[f"second:{category}"]]).mean()


def _overall(flag: dict) -> tuple[float, str, bool]:
    """(overall %, grade, provisional): the final mark, else the best estimate so far."""
    if not pd.isna(flag["final_pct"]):
        return flag["final_pct"], flag["final_grade"], False
    for prefix in ("average", "first", "second"):
        if not pd.isna(flag[f"{prefix}_pct"]):
            return flag[f"{prefix}_pct"], flag[f"{prefix}_grade"], True
    return float("nan"), "", True


def _comments(row: dict) -> str:
    said = [f"{role} marker: {str(row[f'{role}_comments']).strip()}" for role in ROLES
            if isinstance(row.get(f"{role}_comments"), str) and row[f"{role}_comments"].strip()]
    return " | ".join(said)


def feedback_drafts(roles: pd.DataFrame, flags: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """One draft sentence per script and category, graded on the category's own percentage,
    with the script's overall mark, whether it is provisional, and the markers' comments."""
    by_script = flags.set_index(["course", "pi"])
    rows = []
    for row in roles.to_dict("records"):
        overall, grade, provisional = _overall(by_script.loc[(row["course"], row["pi"])])
        for cat in scheme.categories:
            mark = _agreed_mark(row, cat.name)
            band, qualifier = scheme.grade(mark / cat.max * 100)
            rows.append({
                "course": row["course"], "pi": row["pi"], "provisional": provisional,
                "overall_pct": overall, "overall_grade": grade, "category": cat.name,
                "mark": mark, "max": cat.max, "band": band, "qualifier": qualifier,
                "draft": template_for(scheme, cat.name, band).format(
                    category=cat.name, mark=mark, max=cat.max, band=band, qualifier=qualifier),
                "markers_comments": _comments(row)})
    return pd.DataFrame(rows)


def _document(course: str, pi: str, rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    overall = (f"{first['overall_pct']:g}% ({first['overall_grade']})"
               if not pd.isna(first["overall_pct"]) else "not yet available")
    lines = []
    if first["provisional"]:
        lines += [f"{PROVISIONAL}: not the final mark. This draft uses the marks so far; "
                  "rewrite it once the final mark is agreed.", ""]
    lines += [f"# Draft feedback: {course} {pi}", "",
              f"Overall mark: {overall}.", "",
              "[Open with what the project does best, in a sentence.]", "",
              *[f"- {draft}" for draft in rows["draft"]], ""]
    if first["markers_comments"]:
        lines += ["## From the markers' comments (draw on these; edit before sending)", "",
                  *[f"> {part}" for part in first["markers_comments"].split(" | ")], ""]
    return "\n".join(lines)


def write_feedback(drafts: pd.DataFrame, folder: Path) -> list[Path]:
    """One editable Markdown file per script: ``<course>_<pi>.md``, or
    ``<course>_<pi>_PROVISIONAL.md`` while the script has no final mark. A draft of the other
    kind left from an earlier run is removed, so a folder never holds both."""
    written = []
    for (course, pi), rows in drafts.groupby(["course", "pi"], sort=True):
        final, provisional = (folder / f"{course}_{pi}.md",
                              folder / f"{course}_{pi}_{PROVISIONAL}.md")
        dest, stale = (provisional, final) if rows["provisional"].iloc[0] else (final, provisional)
        written.append(write_text_atomic(dest, _document(course, pi, rows)))
        stale.unlink(missing_ok=True)
    return written
