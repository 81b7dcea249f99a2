"""Each distinct render error once, with how many apps and destinations it affects.

One Jsonnet syntax error in a blueprint used by 4 apps in 7 destinations used to print 7 near-
identical errors; a bad environment param one per app, none naming an app. Errors of units
are grouped by what is wrong and where (source, message without the unit's own app and
destination, hint, detail); a group of one is left exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import RenderUnit

_LISTED = 5
# params errors end in "(blueprint web-service@2.1.0, environment dev)"
_PARAMS_SUFFIX = re.compile(r" \(blueprint (\S+), environment \S+\)$")


@dataclass
class _Group:
    first: MidwayError
    message: str
    units: list[RenderUnit] = field(default_factory=list)
    blueprints: set[str] = field(default_factory=set)


def _generic(message: str, unit: RenderUnit) -> str:
    """The message without the phrases that name this unit (exact text, nothing guessed)."""
    here = f"{unit.env}/{unit.cluster}"
    for phrase, instead in (
        (f" failed for app {unit.app} in {here}:", " failed:"),
        (f" for app {unit.app} in {here}", ""),
    ):
        message = message.replace(phrase, instead)
    return message


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def group_unit_errors(found: Iterable[tuple[MidwayError, RenderUnit]]) -> list[MidwayError]:
    groups: dict[tuple[SourceLocation | None, str, str | None, str | None], _Group] = {}
    for error, unit in found:
        for one in error.errors if isinstance(error, MidwayErrors) else (error,):
            message = _generic(one.message, unit)
            suffix = _PARAMS_SUFFIX.search(message)
            if suffix is not None:
                message = message[: suffix.start()]
            key = (one.source, message, one.hint, one.detail)
            group = groups.setdefault(key, _Group(one, message))
            if unit not in group.units:
                group.units.append(unit)
            if suffix is not None:
                group.blueprints.add(suffix.group(1))
    out: list[MidwayError] = []
    for (source, message, hint, detail), group in groups.items():
        if len(group.units) == 1:
            out.append(group.first)
            continue
        apps = sorted({u.app for u in group.units})
        destinations = sorted({f"{u.env}/{u.cluster}" for u in group.units})
        if group.blueprints:
            word = "blueprint" if len(group.blueprints) == 1 else "blueprints"
            message += f" ({word} {', '.join(sorted(group.blueprints))})"
        out.append(
            MidwayError(
                f"{message} — affects {_plural(len(apps), 'app')} ({_names(apps)}) in "
                f"{_plural(len(destinations), 'destination')} ({_names(destinations)})",
                source,
                hint=hint,
                detail=detail,
            )
        )
    return out
