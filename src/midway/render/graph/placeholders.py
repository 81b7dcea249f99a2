"""Score's placeholders: `${resources.<name>.<output>}`, `${metadata.name|team}`,
`${env.name|namespace|cluster}`; `$$` is a literal `$`.

A string that is exactly one placeholder takes the value's own type; inside a longer string
the value is interpolated (strings as they are, anything else JSON-encoded, as Score does).
Pure: the caller supplies a resolver and turns `PlaceholderError` into a located error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson

from midway.model import JSON, ParamPath

ROOTS = ("resources", "metadata", "env")
_TOKEN = re.compile(r"\$\$|\$\{([^{}]*)\}|\$\{")


class PlaceholderError(Exception):
    """A placeholder that cannot be resolved; `message` is in the app team's terms."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Ref:
    """One `${...}`: its text and dotted parts (`resources`, `db`, `host`)."""

    text: str
    parts: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.parts[0]


Piece = str | Ref


def parse(text: str, roots: tuple[str, ...] = ROOTS) -> list[Piece]:
    """The literal text and placeholders of one string, in order."""
    pieces: list[Piece] = []
    literal: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        literal.append(text[at : match.start()])
        at = match.end()
        token = match.group(0)
        if token == "$$":
            literal.append("$")
            continue
        if match.group(1) is None:
            raise PlaceholderError(
                f"`{text[match.start() :]}` opens a placeholder that is never closed",
                hint="close it with `}`, or write `$$` for a literal `$`",
            )
        if literal:
            pieces.append("".join(literal))
            literal = []
        inner = match.group(1).strip()
        parts = tuple(inner.split(".")) if inner else ()
        if not parts or any(not p for p in parts):
            raise PlaceholderError(f"`{token}` is not a placeholder", hint=_FORMS)
        if parts[0] not in roots:
            raise PlaceholderError(
                f"`{token}` has the unknown root `{parts[0]}`",
                hint=f"{_FORMS}; write `$${{...}}` for a literal `${{...}}`",
            )
        pieces.append(Ref(token, parts))
    literal.append(text[at:])
    tail = "".join(literal)
    if tail or not pieces:
        pieces.append(tail)
    return pieces


_FORMS = (
    "placeholders are ${resources.<name>.<output>}, ${metadata.name}, ${metadata.team}, "
    "${env.name}, ${env.namespace} and ${env.cluster}"
)


def has_placeholder(text: str) -> bool:
    return "$" in text and any(isinstance(p, Ref) for p in parse(text))


def refs_in(value: JSON, at: ParamPath = ()) -> Iterator[tuple[ParamPath, Ref]]:
    """Every placeholder under `value`, with the path of the string holding it."""
    if isinstance(value, str):
        if "$" in value:
            for piece in parse(value):
                if isinstance(piece, Ref):
                    yield at, piece
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from refs_in(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from refs_in(child, (*at, index))


Resolver = Callable[[Ref], JSON]


def substitute(
    value: JSON, resolve: Resolver, at: ParamPath = (), roots: tuple[str, ...] = ROOTS
) -> JSON:
    """`value` with every placeholder replaced. Raises PlaceholderError with `.path` set."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        try:
            return _substitute_text(value, resolve, roots)
        except PlaceholderError as exc:
            exc.path = at  # type: ignore[attr-defined]
            raise
    if isinstance(value, dict):
        return {k: substitute(v, resolve, (*at, k), roots) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, resolve, (*at, i), roots) for i, v in enumerate(value)]
    return value


def _substitute_text(text: str, resolve: Resolver, roots: tuple[str, ...]) -> JSON:
    pieces = parse(text, roots)
    if len(pieces) == 1 and isinstance(pieces[0], Ref):
        return resolve(pieces[0])
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        resolved = resolve(piece)
        out.append(resolved if isinstance(resolved, str) else orjson.dumps(resolved).decode())
    return "".join(out)
