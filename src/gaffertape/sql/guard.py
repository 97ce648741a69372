"""Checks before a query runs, and the one-line error when it fails.

`gaffertape sql` is read-only. The store is opened with SQLite's ``mode=ro`` and DuckDB cannot
touch files outside the data folder, but a user who types ``drop table students`` should hear
"refused, read-only", not a puzzling engine error, so each statement's type is checked first
with DuckDB's own parser (which parses only: nothing is bound or run).
"""

from __future__ import annotations

import re

import duckdb

from gaffertape.errors import UserError

READ_ONLY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}

_LINE_MARKER = re.compile(r"^LINE (\d+): (.*)$")
_NAMED = re.compile(r'["`]([^"`]+)["`]|with name (\w+)')


def check_read_only(query: str) -> str:
    """The query's single read-only statement, or a UserError saying why it cannot run."""
    if not query.strip().strip(";").strip():
        raise UserError("the query is empty", hint='give one, e.g. gaffertape sql "select 1"')
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise sql_error(exc, query) from exc
    if len(statements) != 1:
        raise UserError(
            f"{len(statements)} statements given; run one at a time",
            hint="remove the extra ';'-separated statements",
        )
    statement = statements[0]
    if statement.type not in READ_ONLY_STATEMENTS:
        kind = statement.type.name.replace("_", " ")
        raise UserError(
            f"refused: {kind} statements change data, and `gaffertape sql` is read-only",
            hint="only SELECT (and DESCRIBE, SHOW, EXPLAIN) run here; to change the store use "
            "`gaffertape sql --write` with SQLite's SQL",
        )
    return query


def sql_error(exc: Exception, query: str) -> UserError:
    """An engine error as one line, with the line and column it points at when it says."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    message = lines[0] if lines else type(exc).__name__
    where = _caret_position(lines, query) or _name_position(message, query)
    suffix = f" (line {where[0]}, column {where[1]})" if where else ""
    extra = [line for line in lines[1:] if not line.startswith("LINE ") and line.strip() != "^"]
    extra = [line.strip() for line in extra if not line.strip().startswith("^")]
    return UserError(f"SQL error: {message}{suffix}", hint=" ".join(extra) or None)


def _caret_position(lines: list[str], query: str) -> tuple[int, int] | None:
    """DuckDB's parser marks the spot as ``LINE n: <text>`` over a ``^`` line."""
    for index, line in enumerate(lines[:-1]):
        marker = _LINE_MARKER.match(line)
        caret = lines[index + 1]
        if not marker or "^" not in caret:
            continue
        line_no, shown = int(marker[1]), marker[2]
        offset = caret.index("^") - len(line) + len(shown)
        source_lines = query.splitlines() or [""]
        source = source_lines[min(line_no, len(source_lines)) - 1]
        if shown.startswith("..."):  # a long line is shown as a window onto it
            start = source.find(shown[3:].rstrip(". "))
            offset += max(start, 0) - 3
        return line_no, offset + 1
    return None


def _name_position(message: str, query: str) -> tuple[int, int] | None:
    """Where the first name quoted in the message (an unknown column or table) appears."""
    for quoted, bare in _NAMED.findall(message):
        name = quoted or bare
        match = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", query, flags=re.IGNORECASE)
        if match:
            before = query[: match.start()]
            return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1
    return None
