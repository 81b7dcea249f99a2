"""JSON pointers (RFC 6901): the one spelling of a field that machines exchange.

Tokens are map keys (str) and list indexes (int); `parse_pointer` gives str tokens only,
`resolve_pointer` turns them into the concrete tokens of one document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Tokens = list[str | int]


def escape(token: str) -> str:
    """RFC 6901 escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def to_pointer(tokens: Iterable[str | int]) -> str:
    """["spec", "a/b", 0] -> "/spec/a~1b/0"; [] -> ""."""
    return "".join("/" + escape(str(token)) for token in tokens)


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: "/a/b~1c" -> ["a", "b/c"]; "" -> []; "/" -> [""] (the key "")."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [unescape(part) for part in pointer[1:].split("/")]


def resolve_pointer(doc: Any, pointer: str) -> Tokens | None:
    """Tokens of `pointer` in `doc` (list indexes as int), None when the path is absent."""
    tokens: Tokens = []
    node = doc
    for part in parse_pointer(pointer):
        if isinstance(node, dict):
            if part not in node:
                return None
            tokens.append(part)
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return None
            tokens.append(int(part))
            node = node[int(part)]
        else:
            return None
    return tokens
