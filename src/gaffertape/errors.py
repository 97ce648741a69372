"""Errors a user can act on.

A :class:`UserError` is something the user can fix (a bad file, a missing password, a wrong
option). The CLI prints its message as one line and exits non-zero, with no traceback unless
``--debug`` is given. Messages name the file, row or field at fault and say what to do.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; its message is shown as a single line."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(message)

    def one_line(self) -> str:
        """The message and hint joined into the single line the CLI prints."""
        text = " ".join(str(self).split())
        return f"{text} ({self.hint})" if self.hint else text
