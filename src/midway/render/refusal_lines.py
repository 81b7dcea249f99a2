"""A line for refusals found after evaluation (plaintext Secret, a blueprint-set namespace).

These checks see the evaluated objects, not the Jsonnet that built them: the evaluator keeps
no trace from an output field back to its source. So the line is found by a text search of
the blueprint's own files (main.jsonnet first) — a heuristic, and the hint says so. When the
search finds nothing (the text is built, or comes from lib/), the error keeps the file alone.
"""

from __future__ import annotations

import re

from midway.config.source import ConfigSource
from midway.errors import MidwayError, SourceLocation

_NAMESPACE_SET = re.compile(r"sets metadata\.namespace `([^`]*)`")
_SECRET = re.compile(r"""\bkind\s*:\s*['"]Secret['"]""")
_ANY_NAMESPACE = re.compile(r"""\bnamespace\s*:\s*(?!\s*env\.namespace)""")
_COMMENT = re.compile(r"^\s*(//|#)")


def _patterns(message: str) -> tuple[list[re.Pattern[str]], str] | None:
    found = _NAMESPACE_SET.search(message)
    if found is not None:
        literal = re.compile(r"""\bnamespace\s*:\s*['"]""" + re.escape(found.group(1)) + "['\"]")
        return [literal, _ANY_NAMESPACE], "`namespace:`"
    if "contains plaintext data" in message and message.startswith("Secret "):
        return [_SECRET], "`kind: 'Secret'`"
    return None


def _first_line(text: str, pattern: re.Pattern[str]) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not _COMMENT.match(line) and pattern.search(line):
            return number
    return None


def place_refusal(error: MidwayError, source: ConfigSource) -> MidwayError:
    """`error` with a line in the blueprint's source when a text search can tell; else as is."""
    where = error.source
    if where is None or where.line is not None or not where.path.endswith("/main.jsonnet"):
        return error
    wanted = _patterns(error.message)
    if wanted is None:
        return error
    patterns, what = wanted
    directory = where.path.rsplit("/", 1)[0] + "/"
    candidates = [where.path] + sorted(
        p
        for p in source.paths()
        if p.startswith(directory) and p != where.path and p.endswith((".jsonnet", ".libsonnet"))
    )
    for pattern in patterns:  # most specific first, in every file, before a looser one
        for path in candidates:
            try:
                text = source.read(path).decode("utf-8", errors="replace")
            except MidwayError:
                continue
            line = _first_line(text, pattern)
            if line is not None:
                note = f"(line found by searching the blueprint for {what}; a text search)"
                hint = f"{error.hint} {note}" if error.hint else note
                return MidwayError(
                    error.message, SourceLocation(path, line), hint=hint, detail=error.detail
                )
    return error
