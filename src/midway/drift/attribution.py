"""Who changed it: field ownership from an object's managedFields (fieldsV1).

fieldsV1 is a trie of path elements: `f:<field>` a map field, `k:{json}` the item of an
associative list with those key fields, `v:<json>` an item of a set, `i:<n>` an index of
an atomic list, and `.` the item or map itself. An empty node `{}` owns the whole value
beneath it (atomic fields such as a label selector).

`owner_of` finds the manager owning a path (the deepest match wins; midway's own entry
never explains drift). `foreign_fields` lists what other managers own that the desired
object does not set at all: a sidecar added by `kubectl edit`, a key added to a ConfigMap
by `kubectl patch`. Server-side apply keeps such fields, so the dry-run alone never shows
them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from midway.drift.normalize import SERVER_METADATA, SERVER_TOP_LEVEL
from midway.model import FIELD_MANAGER
from midway.objects.paths import Item, Path, merge_key, value_at


@dataclass(frozen=True)
class ManagedEntry:
    """One entry of metadata.managedFields."""

    manager: str
    operation: str  # Apply | Update
    time: str | None
    fields: Mapping[str, Any]  # the fieldsV1 trie


@dataclass(frozen=True)
class Owner:
    manager: str
    operation: str
    time: str | None


def managed_entries(obj: Mapping[str, Any] | None) -> tuple[ManagedEntry, ...]:
    """The managedFields entries of an object that carry a fieldsV1 set."""
    if not obj:
        return ()
    entries = []
    for raw in (obj.get("metadata") or {}).get("managedFields") or []:
        fields = raw.get("fieldsV1")
        if not isinstance(fields, Mapping):
            continue
        entries.append(
            ManagedEntry(
                manager=str(raw.get("manager") or "(unnamed)"),
                operation=str(raw.get("operation") or ""),
                time=raw.get("time"),
                fields=fields,
            )
        )
    return tuple(entries)


@lru_cache(maxsize=4096)
def _parse_element(element: str) -> tuple[str, Any]:
    """("f", name) | ("k", {fields}) | ("v", value) | ("i", index) | (".", None)."""
    if element == ".":
        return ".", None
    prefix, _, rest = element.partition(":")
    if prefix == "f":
        return "f", rest
    if prefix == "i":
        return "i", int(rest)
    if prefix in ("k", "v"):
        return prefix, json.loads(rest)
    return "?", rest


def _item_matches(element: str, item: Any, index: int) -> bool:
    kind, value = _parse_element(element)
    if kind == "k":
        return isinstance(item, Mapping) and all(item.get(f) == v for f, v in value.items())
    if kind == "v":
        return bool(item == value)
    if kind == "i":
        return bool(value == index)
    return False


def _child(node: Mapping[str, Any], seg: Any, element_value: Any) -> Mapping[str, Any] | None:
    if isinstance(seg, Item):
        for element, child in node.items():
            is_item = element[:2] in ("k:", "v:", "i:")
            if is_item and _item_matches(element, element_value, seg.index):
                return child if isinstance(child, Mapping) else {}
        return None
    child = node.get("f:" + seg)
    if child is None:
        return None
    return child if isinstance(child, Mapping) else {}


def _ownership_depth(fields: Mapping[str, Any], path: Path, values: Sequence[Any]) -> int | None:
    """How deep `fields` owns `path`: len(path) if it owns it (or something beneath it),
    the depth of an atomic ancestor it owns whole, or None."""
    node: Mapping[str, Any] = fields
    for depth, seg in enumerate(path):
        if depth > 0 and not node:  # an empty node owns everything beneath it
            return depth
        child = _child(node, seg, values[depth])
        if child is None:
            return None
        node = child
    return len(path)


def _values_along(path: Path, objects: Sequence[Mapping[str, Any] | None]) -> list[Any]:
    """The element at each prefix of path, from the first object that has it (list items
    are matched by their fieldsV1 key, so we need the element itself)."""
    values: list[Any] = []
    for depth in range(1, len(path) + 1):
        found = None
        for obj in objects:
            if obj is None:
                continue
            ok, value = value_at(obj, path[:depth])
            if ok:
                found = value
                break
        values.append(found)
    return values


def owner_of(
    entries: Sequence[ManagedEntry],
    path: Path,
    objects: Sequence[Mapping[str, Any] | None],
    *,
    ignore: str = FIELD_MANAGER,
) -> Owner | None:
    """The manager (not `ignore`) that owns `path` most specifically, None if only
    `ignore` (or nobody) does. `objects` (live first) resolve list items to their keys.
    Among equally deep owners the latest write wins."""
    values = _values_along(path, objects)
    best_depth = -1
    best: list[ManagedEntry] = []
    for entry in entries:
        depth = _ownership_depth(entry.fields, path, values)
        if depth is None:
            continue
        if depth > best_depth:
            best_depth, best = depth, [entry]
        elif depth == best_depth:
            best.append(entry)
    others = [e for e in best if e.manager != ignore]
    if not others:
        return None
    chosen = max(others, key=lambda e: e.time or "")
    return Owner(chosen.manager, chosen.operation, chosen.time)


def foreign_fields(
    entries: Sequence[ManagedEntry],
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    *,
    ignore: str = FIELD_MANAGER,
) -> list[tuple[Path, Any, Owner]]:
    """Fields other managers own in `live` that `desired` does not set at all.

    Each is reported once, at its topmost path (a whole added container, not its fields),
    with the live value and the owner (latest writer if several own it).
    """
    found: dict[Path, tuple[Any, Owner]] = {}
    for entry in entries:
        if entry.manager == ignore:
            continue
        owner = Owner(entry.manager, entry.operation, entry.time)
        for path, value in _walk_foreign(entry.fields, live, desired, ()):
            known = found.get(path)
            if known is None or (owner.time or "") > (known[1].time or ""):
                found[path] = (value, owner)
    # drop paths inside another reported path (two managers at different depths)
    paths = sorted(found, key=len)
    result: list[tuple[Path, Any, Owner]] = []
    kept: list[Path] = []
    for path in paths:
        if any(path[: len(p)] == p for p in kept):
            continue
        kept.append(path)
        value, owner = found[path]
        result.append((path, value, owner))
    return result


def _excluded(path: Path) -> bool:
    if len(path) == 1 and path[0] in SERVER_TOP_LEVEL:
        return True
    return len(path) == 2 and path[0] == "metadata" and path[1] in SERVER_METADATA


def _walk_foreign(
    node: Mapping[str, Any], live: Any, desired: Any, path: Path
) -> Iterator[tuple[Path, Any]]:
    for element, child in node.items():
        if element == ".":
            continue
        kind, value = _parse_element(element)
        if kind == "f":
            if not isinstance(live, Mapping) or value not in live:
                continue  # stale ownership of a field that is gone
            seg: Any = value
            live_value = live[value]
            d_has = isinstance(desired, Mapping) and value in desired
            d_value = desired.get(value) if d_has else None
        elif kind in ("k", "v", "i") and isinstance(live, list):
            index = next(
                (i for i, item in enumerate(live) if _item_matches(element, item, i)), None
            )
            if index is None:
                continue
            live_value = live[index]
            field = merge_key(live)
            seg = Item(index, (field, live_value[field]) if field else None)
            d_index = _desired_item(element, desired, index)
            d_has = d_index is not None
            d_value = desired[d_index] if d_index is not None else None
        else:
            continue
        sub = (*path, seg)
        if _excluded(sub):
            continue
        if not d_has:
            if kind == "f" and _is_map_node(child) and isinstance(live_value, Mapping):
                # a map desired lacks entirely (annotations): report its keys, not the map
                yield from _walk_foreign(child, live_value, None, sub)
            else:
                yield sub, live_value
        elif isinstance(child, Mapping) and child and isinstance(d_value, (Mapping, list)):
            yield from _walk_foreign(child, live_value, d_value, sub)


def _is_map_node(node: Any) -> bool:
    """A fieldsV1 node of a map or struct: `f:` children (and maybe `.`), not a leaf."""
    if not isinstance(node, Mapping):
        return False
    fields = [e for e in node if e != "."]
    return bool(fields) and all(str(e).startswith("f:") for e in fields)


def _desired_item(element: str, desired: Any, index: int) -> int | None:
    if not isinstance(desired, list):
        return None
    kind, value = _parse_element(element)
    if kind == "k":
        for i, item in enumerate(desired):
            if not isinstance(item, Mapping):
                continue
            # desired may leave out a key field the server defaults (protocol: TCP)
            present = [f for f in value if f in item]
            if present and all(item[f] == value[f] for f in present):
                return i
        return None
    if kind == "v":
        return next((i for i, item in enumerate(desired) if item == value), None)
    if kind == "i":
        return index if index < len(desired) else None
    return None
