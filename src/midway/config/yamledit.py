"""Round-trip edits of config files: set values, keep every comment and the layout.

ruamel.yaml's round-trip mode keeps comments, key order, flow or block style and quoting;
what it does not record is the file's indentation, so the indentation that reproduces the
file unchanged is found first (of the usual ones). A file no setting reproduces byte for byte
is refused rather than reformatted: an edit must show up in review as the lines it changed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from midway.errors import MidwayError, SourceLocation
from midway.model import JSON

# (mapping, sequence, offset) as ruamel's YAML.indent takes them, most common first
INDENTS: tuple[tuple[int, int, int], ...] = (
    (2, 4, 2),
    (2, 2, 0),
    (4, 4, 0),
    (4, 6, 4),
    (4, 4, 2),
    (2, 3, 1),
)


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was not folded
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _faithful(path: str, text: str) -> tuple[YAML, Any]:
    for indent in INDENTS:
        yaml = _yaml(indent)
        data = yaml.load(text)
        if _dump(yaml, data) == text:
            return yaml, data
    raise MidwayError(
        "cannot edit this file without reformatting it (its indentation or layout is not "
        "one midway can reproduce)",
        SourceLocation(path),
        hint="make the change by hand, or indent it with 2 spaces per level",
    )


def set_values(path: str, text: str, at: Sequence[str], values: Mapping[str, JSON]) -> str:
    """`text` with `values` set in the mapping at `at` (created, as block mappings, where
    missing or null; a flow mapping stays flow). Existing keys keep their place; new ones
    are appended."""
    yaml, data = _faithful(path, text)
    node = data
    for depth, key in enumerate(at):
        child = node.get(key) if isinstance(node, Mapping) else None
        if child is None:
            child = CommentedMap()
            node[key] = child
        if not isinstance(child, Mapping):
            where = ".".join(at[: depth + 1])
            raise MidwayError(f"`{where}` is not a mapping", SourceLocation(path))
        node = child
    for key, value in values.items():
        node[key] = value
    return _dump(yaml, data)
