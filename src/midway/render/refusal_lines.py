"""A line for refusals found after evaluation (plaintext Secret, a blueprint-set namespace,
an API version the cluster does not serve).

These checks see the evaluated objects, not the Jsonnet that built them: the evaluator keeps
no trace from an output field back to its source. So the line is found by a text search of
the blueprint's own files (main.jsonnet first; for API versions also lib/) — a heuristic, and
the hint says so. When the search finds nothing (the text is computed), the error keeps the
file alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from midway.config.source import ConfigSource
from midway.errors import MidwayError, SourceLocation

_NAMESPACE_SET = re.compile(r"sets metadata\.namespace `([^`]*)`")
_SECRET = re.compile(r"""\bkind\s*:\s*['"]Secret['"]""")
_ANY_NAMESPACE = re.compile(r"""\bnamespace\s*:\s*(?!\s*env\.namespace)""")
_COMMENT = re.compile(r"^\s*(//|#)")
_INVALID = re.compile(r"^blueprint (\S+) produced objects that are not valid Kubernetes")
_UNSERVED = re.compile(r": apiVersion: ((\S+) \S+ is not served by Kubernetes .*)$")
_JSONNET = (".jsonnet", ".libsonnet")


class Placer:
    """Finds lines for refusals; reads each file once however many errors ask."""

    def __init__(self, source: ConfigSource, directories: Mapping[str, str]) -> None:
        self.source = source
        self.directories = directories  # blueprint ref -> its directory
        self.paths = source.paths()
        self.texts: dict[str, str | None] = {}

    def place(self, error: MidwayError) -> MidwayError:
        """`error` with a line when a text search can tell (or re-blamed); else as it was."""
        unserved = self._unserved_api(error)
        if unserved is not None:
            return unserved
        where = error.source
        if where is None or where.line is not None or not where.path.endswith("/main.jsonnet"):
            return error
        wanted = _patterns(error.message)
        if wanted is None:
            return error
        patterns, what = wanted
        directory = where.path.rsplit("/", 1)[0] + "/"
        others = [p for p in self.paths if p.startswith(directory) and p != where.path]
        found = self._search([where.path, *sorted(others)], patterns)
        if found is None:
            return error
        note = f"(line found by searching the blueprint for {what}; a text search)"
        hint = f"{error.hint} {note}" if error.hint else note
        return MidwayError(error.message, found, hint=hint, detail=error.detail)

    def _text(self, path: str) -> str | None:
        if path not in self.texts:
            try:
                self.texts[path] = self.source.read(path).decode("utf-8", errors="replace")
            except MidwayError:
                self.texts[path] = None
        return self.texts[path]

    def _search(
        self, candidates: list[str], patterns: list[re.Pattern[str]]
    ) -> SourceLocation | None:
        for pattern in patterns:  # most specific first, in every file, before a looser one
            for path in candidates:
                text = self._text(path) if path.endswith(_JSONNET) else None
                line = _first_line(text, pattern) if text is not None else None
                if line is not None:
                    return SourceLocation(path, line)
        return None

    def _unserved_api(self, error: MidwayError) -> MidwayError | None:
        """Objects refused only for API versions the cluster does not serve: the blueprint
        chose the version, so the error goes to the blueprint (where the text appears), not
        the app; the object names are dropped so the same mistake in many apps is one error."""
        invalid = _INVALID.match(error.message)
        lines = (error.detail or "").splitlines()
        found = [_UNSERVED.search(line) for line in lines]
        if invalid is None or not lines or not all(found):
            return None
        directory = self.directories.get(invalid.group(1))
        if directory is None:
            return None
        matches = [m for m in found if m is not None]
        main = f"{directory}/main.jsonnet"
        own = sorted(p for p in self.paths if p.startswith(directory + "/") and p != main)
        libs = sorted(p for p in self.paths if p.startswith("lib/"))
        literal = re.compile("['\"]" + re.escape(matches[0].group(2)) + "['\"]")
        where = self._search([main, *own, *libs], [literal])
        hint = (
            "the blueprint picks an API version this Kubernetes version does not serve: choose "
            "it by env.cluster.kubernetesMinor (as lib/k8s.libsonnet's apiVersion helpers do), "
            "or correct the cluster's kubernetesVersion in environments/<env>.yaml"
        )
        if where is not None:
            hint += " (line found by a text search for the API version)"
        return MidwayError(
            error.message,
            where or SourceLocation(main),
            hint=hint,
            detail="\n".join(sorted({m.group(1) for m in matches})),
        )


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
