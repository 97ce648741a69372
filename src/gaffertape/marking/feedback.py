"""Draft feedback: templates per category and band turn agreed marks into editable text.

Drafts are a starting point for the marker, never sent as they are: they are written as one
Markdown file per script for editing. A scheme can override any template under
``[scheme.feedback."<category>"]`` (or ``"*"`` for every category) keyed by band name.
Placeholders: ``{category}``, ``{mark}``, ``{max}``, ``{band}``, ``{qualifier}``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaffertape.atomic import write_text_atomic
from gaffertape.marking.scheme import MarkScheme

DEFAULT_TEMPLATES = {
    "Pass 1": "{category} ({mark:g}/{max:g}, {qualifier} {band}): excellent work. "
              "[Name the strongest point and one way to go further.]",
    "Pass 2": "{category} ({mark:g}/{max:g}, {qualifier} {band}): a good standard. "
              "[Name what worked and the one change that would lift it to the top band.]",
    "Pass 3": "{category} ({mark:g}/{max:g}, {qualifier} {band}): sound in places but uneven. "
              "[Point to the weakest part and how to strengthen it.]",
    "Pass 4": "{category} ({mark:g}/{max:g}, {qualifier} {band}): only just adequate. "
              "[Explain what was missing against the marking guide.]",
    "Fail": "{category} ({mark:g}/{max:g}, {qualifier} {band}): does not yet meet the "
            "requirements. [Explain what is needed to pass this part.]",
}
GENERIC = "{category} ({mark:g}/{max:g}, {qualifier} {band}). [Add feedback.]"


def template_for(scheme: MarkScheme, category: str, band: str) -> str:
    """The most specific template: category+band, then "*"+band, then the built-in default."""
    for key in (category, "*"):
        if band in scheme.feedback.get(key, {}):
            return scheme.feedback[key][band]
    return DEFAULT_TEMPLATES.get(band, GENERIC)


def agreed_category_marks(roles: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """Long table of each script's agreed category marks (third marker's if present, else mean)."""
    rows = []
    for row in roles.to_dict("records"):
        for cat in scheme.categories:
            third = row[f"third:{cat.name}"]
            pair = pd.Series([row[f"first:{cat.name}"], row[f"second:{cat.name}"]]).mean()
            mark = third if not pd.isna(third) else pair
            rows.append({"course": row["course"], "pi": row["pi"], "category": cat.name,
                         "mark": mark, "max": cat.max})
    return pd.DataFrame(rows)


def feedback_drafts(roles: pd.DataFrame, scheme: MarkScheme) -> pd.DataFrame:
    """One draft sentence per script and category, graded on the category's own percentage."""
    marks = agreed_category_marks(roles, scheme)
    graded = [scheme.grade(m / mx * 100) for m, mx in zip(marks["mark"], marks["max"], strict=True)]
    marks["band"] = [g[0] for g in graded]
    marks["qualifier"] = [g[1] for g in graded]
    marks["draft"] = [template_for(scheme, r.category, r.band).format(
        category=r.category, mark=r.mark, max=r.max, band=r.band, qualifier=r.qualifier)
        for r in marks.itertuples()]
    return marks


def write_feedback(drafts: pd.DataFrame, folder: Path) -> list[Path]:
    """One editable Markdown file per script: ``<course>_<pi>.md``."""
    written = []
    for (course, pi), rows in drafts.groupby(["course", "pi"], sort=True):
        text = f"# Draft feedback: {course} {pi}\n\n" + "\n\n".join(rows["draft"]) + "\n"
        written.append(write_text_atomic(folder / f"{course}_{pi}.md", text))
    return written
