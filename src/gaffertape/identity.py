"""Student identifiers (PIs): one normal form and one check, wherever a PI enters gaffertape.

A PI typed, pasted or exported by another system may carry full-width digits (``Ａ１２３``), a
zero-width space, a non-breaking space or lower case. Left as they are, ``a1234567`` and
``A1234567`` become two students, and a real disagreement between markers is never flagged.
So every PI is normalised (Unicode NFKC, invisible and space characters removed, upper case)
and then checked against the site's pattern (the Open University's: a letter and 7 digits);
anything else is an error naming where it came from, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from gaffertape.errors import UserError

OU_PI_PATTERN = r"[A-Z][0-9]{7}"
"""The default PI pattern (Open University: a letter and 7 digits, e.g. ``A1234567``)."""

_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Zs", "Zl", "Zp"}  # format (zero-width), control, spaces


def normalise_pi(value: object) -> str:
    """The PI in its one written form: NFKC, no invisible or space characters, upper case.

    ``"ａ1234567\\u200b"`` -> ``"A1234567"``. Empty for ``None`` and blanks.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    kept = (ch for ch in text if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    return "".join(kept).upper()


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UserError(f"PI pattern {pattern!r} is not a valid regular expression: {exc}",
                        hint="fix pi_pattern in the site profile") from exc


def is_pi(value: object, pattern: str = OU_PI_PATTERN) -> bool:
    """Does ``value``, normalised, match the whole of ``pattern``?"""
    return _compiled(pattern).fullmatch(normalise_pi(value)) is not None


def pis_in_text(text: str, pattern: str = OU_PI_PATTERN) -> list[str]:
    """Every PI written in free text (a list, a CSV, a pasted column), normalised, in order,
    each once. Zero-width characters are dropped and full-width letters and digits read as
    their plain forms; spaces still separate words."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").upper()
    found = re.findall(rf"(?<![A-Z0-9])(?:{pattern})(?![A-Z0-9])", text)
    return list(dict.fromkeys(found))


def valid_pi(value: object, *, where: str, pattern: str = OU_PI_PATTERN) -> str:
    """The normalised PI, or a :class:`UserError` naming ``where`` (file and row) and the value.

    ``where`` reads as the start of the message, e.g. ``"marks.csv row 7"``.
    """
    pi = normalise_pi(value)
    if _compiled(pattern).fullmatch(pi) is None:
        shown = repr(value) if pi == str(value) else f"{value!r} (read as {pi!r})"
        expected = "a letter and 7 digits, e.g. A1234567" if pattern == OU_PI_PATTERN \
            else f"the pattern {pattern}"
        raise UserError(f"{where}: PI {shown} is not valid (expected {expected})",
                        hint="correct the PI and run again")
    return pi


_NOT_IN_A_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def is_name_part(value: object) -> bool:
    """Can ``value`` (stripped) be one part of a file or folder name? Not empty, at most 100
    characters, not only dots, no slash, backslash or control character."""
    text = str(value).strip()
    return bool(text) and len(text) <= 100 and set(text) != {"."} \
        and not _NOT_IN_A_NAME.search(text)


def valid_name_part(value: object, *, what: str, where: str) -> str:
    """``value`` (stripped), if it can be one part of a file or folder name, else a
    :class:`UserError` naming ``where``.

    Course codes and PIs become folder and file names (``scripts/<course>/<pi>/``,
    ``<course>_<pi>.md``), and they come from other systems' pages and files: a course
    ``../../x`` in a link or a marks file must never choose where gaffertape writes.
    """
    if not is_name_part(value):
        raise UserError(
            f"{where}: {what} {str(value)[:120]!r} cannot name a file or folder (empty, over "
            "100 characters, only dots, or holding a slash, backslash or control character)",
            hint=f"correct the {what} at its source and run again",
        )
    return str(value).strip()
