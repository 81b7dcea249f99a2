"""Field paths inside an object: JSON pointers for machines, merge-key paths for people.

A path is a tuple of segments: a `str` is a map key, an `Item` a list element. An Item
keeps its index (for the JSON pointer) and, when the list is a list of named things, its
merge key (`name=web`), which survives reordering and reads well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from midway.objects.pointer import to_pointer

# Fields that identify an item of a list of maps, most specific first. A list uses the
# first of these that every item on both sides has, with unique values (so containers go
# by name, container ports by containerPort, volume mounts by mountPath).
MERGE_KEYS = ("name", "containerPort", "mountPath", "port", "type", "ip", "topologyKey", "key")


@dataclass(frozen=True)
class Item:
    """A list element: its index and, for lists of named maps, (key field, value)."""

    index: int
    key: tuple[str, Any] | None = None

    def __str__(self) -> str:
        if self.key is None:
            return f"[{self.index}]"
        return f"[{self.key[0]}={_scalar_text(self.key[1])}]"


Segment = str | Item
Path = tuple[Segment, ...]


def _scalar_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def pointer(path: Path) -> str:
    """The JSON pointer of a path, e.g. /spec/template/spec/containers/0/image."""
    return to_pointer(seg.index if isinstance(seg, Item) else seg for seg in path)


def readable(path: Path) -> str:
    """A path for people: spec.template.spec.containers[name=web].image."""
    out = ""
    for seg in path:
        if isinstance(seg, Item):
            out += str(seg)
        else:
            plain = seg.replace("_", "").replace("-", "").isalnum()
            out += (("." if out else "") + seg) if plain else f"[{json.dumps(seg)}]"
    return out or "."


def merge_key(*lists: Sequence[Any]) -> str | None:
    """The field that names the items of these lists, or None if they are not named."""
    items = [item for items in lists for item in items]
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    for field in MERGE_KEYS:
        if all(_unique_key(items_of, field) for items_of in lists):
            return field
    return None


def _unique_key(items: Sequence[Any], field: str) -> bool:
    seen: set[str] = set()
    for item in items:
        if field not in item or isinstance(item[field], (dict, list)):
            return False
        value = json.dumps(item[field], sort_keys=True)
        if value in seen:
            return False
        seen.add(value)
    return True


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    """(True, value) at path in obj, or (False, None) when the path does not exist."""
    current = obj
    for seg in path:
        if isinstance(seg, Item):
            if not isinstance(current, list):
                return False, None
            found = find_item(current, seg)
            if found is None:
                return False, None
            current = current[found]
        else:
            if not isinstance(current, Mapping) or seg not in current:
                return False, None
            current = current[seg]
    return True, current


def find_item(items: Sequence[Any], seg: Item) -> int | None:
    """Index of the element an Item names: by merge key if it has one, else by index."""
    if seg.key is not None:
        field, value = seg.key
        for index, item in enumerate(items):
            if isinstance(item, Mapping) and item.get(field) == value:
                return index
        return None
    return seg.index if 0 <= seg.index < len(items) else None
