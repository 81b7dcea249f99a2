"""A blueprint's parameter defaults must satisfy the schema they sit in.

Defaults are merged into every app's params before validation; a default that breaks its own
schema (`backoffLimit: {type: integer, default: 1.5}`) made every app of the blueprint fail,
each at its own file line 1 — blaming the app teams for the platform team's mistake. Checked
once when the blueprint loads, at the `default:` line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from midway.config.validation import schema_errors
from midway.errors import MidwayError, SourceLocation
from midway.model import ParamPath

_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")


def _with_defaults(schema: Any, at: ParamPath) -> Iterator[tuple[ParamPath, Mapping[str, Any]]]:
    """Every sub-schema carrying a `default`, with its path inside the schema document."""
    if not isinstance(schema, dict):
        return
    if "default" in schema:
        yield at, schema
    for word in _SUBSCHEMA_ONE:
        yield from _with_defaults(schema.get(word), (*at, word))
    for word in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(word) or []):
            yield from _with_defaults(sub, (*at, word, index))
    for word in _SUBSCHEMA_MAPS:
        children = schema.get(word)
        if isinstance(children, dict):
            for key, sub in children.items():
                yield from _with_defaults(sub, (*at, word, key))


def default_errors(
    parameters: Mapping[str, Any],
    where: Callable[[ParamPath], SourceLocation],
    prefix: ParamPath,
) -> list[MidwayError]:
    """Problems with the defaults of `parameters` (located via `where(prefix + path)`)."""
    out: list[MidwayError] = []
    for at, schema in _with_defaults(parameters, ()):
        default_at = (*prefix, *at, "default")
        name = ".".join(str(p) for p in at if p != "properties") or "(top level)"

        def locate(path: ParamPath, at_default: ParamPath = default_at) -> SourceLocation:
            return where((*at_default, *path))

        try:
            problems = schema_errors(schema, schema["default"], locate, prefix="default")
        except Exception:  # a sub-schema with a $ref into its parent: apps still validate it
            continue
        for problem in problems:
            out.append(
                MidwayError(
                    f"parameter `{name}`: its default breaks its own schema: {problem.message}",
                    problem.source,
                    hint="fix the default (every app without this parameter gets it) or the "
                    "schema next to it",
                )
            )
    return out
