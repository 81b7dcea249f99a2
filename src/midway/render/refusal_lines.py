"""A line for refusals found after evaluation (plaintext Secret, a blueprint-set namespace,
an API version the cluster does not serve).

These checks see the evaluated objects, not the Jsonnet that built them: the evaluator keeps
no trace from an output field back to its source. So the line is found by a text search of
the blueprint's own files (main.jsonnet first) — a heuristic, and the hint says so. When the
search finds nothing (the text is built, or comes from lib/), the error keeps the file alone.
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


_INVALID = re.compile(r"^blueprint (\S+) produced objects that are not valid Kubernetes")
_UNSERVED = re.compile(r": apiVersion: (\S+) (\S+) is not served by Kubernetes")


def place_refusal(
    error: MidwayError, source: ConfigSource, directories: Mapping[str, str]
) -> MidwayError:
    """`error` with a line in the blueprint's source when a text search can tell; else as is.

    `directories` maps blueprint refs to their directories (for errors that name a ref)."""
    unserved = _unserved_api(error, source, directories)
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
    others = sorted(
        p
        for p in source.paths()
        if p.startswith(directory) and p != where.path and p.endswith((".jsonnet", ".libsonnet"))
    )
    candidates = [where.path, *others]
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


def _unserved_api(
    error: MidwayError, source: ConfigSource, directories: Mapping[str, str]
) -> MidwayError | None:
    """Objects refused only for API versions the cluster does not serve: the blueprint chose
    the version, so the error goes to the blueprint (where the text appears), not the app."""
    invalid = _INVALID.match(error.message)
    lines = (error.detail or "").splitlines()
    found = [_UNSERVED.search(line) for line in lines]
    if invalid is None or not lines or not all(found):
        return None
    directory = directories.get(invalid.group(1))
    if directory is None:
        return None
    api_version = next(m.group(1) for m in found if m is not None)
    literal = re.compile("['\"]" + re.escape(api_version) + "['\"]")
    main = f"{directory}/main.jsonnet"
    own = sorted(p for p in source.paths() if p.startswith(directory + "/") and p != main)
    libs = sorted(p for p in source.paths() if p.startswith("lib/"))
    candidates = [main, *own, *libs]
    where = SourceLocation(main)
    for path in candidates:
        if not path.endswith((".jsonnet", ".libsonnet")):
            continue
        try:
            text = source.read(path).decode("utf-8", errors="replace")
        except MidwayError:
            continue
        line = _first_line(text, literal)
        if line is not None:
            where = SourceLocation(path, line)
            break
    return MidwayError(
        error.message,
        where,
        hint="the blueprint picks an API version this Kubernetes version does not serve: "
        "choose it by env.cluster.kubernetesMinor (as lib/k8s.libsonnet's apiVersion helpers "
        "do), or correct the cluster's kubernetesVersion in environments/<env>.yaml"
        + (" (line found by a text search for the API version)" if where.line else ""),
        detail=error.detail,
    )
