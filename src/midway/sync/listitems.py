"""List items other managers added or re-keyed: take them out before applying.

Server-side apply merges associative lists (Service and container ports, containers, env,
volumes…) item by item, by the list's key (`port`+`protocol`, `name`, `containerPort`…).
An item another manager added, or re-keyed in place (`kubectl patch --type=json … -p
'[{"op":"replace","path":"/spec/ports/0/port","value":8080}]'`), is an item of theirs the
apply keeps: the desired item is added next to it, which the server refuses
(`spec.ports[1].name: Duplicate value: "http"`) or which leaves both.

So before applying, sync writes the live object with those items taken out and the desired
items they displaced put back (a PUT, compare-and-swap on the resourceVersion just read),
then applies as usual. Only items the drift verdict counts are touched: an item in a list
no corrected field lies in, or one an ignore rule, a preset or a contest leaves to its
manager, stays.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from midway.drift.attribution import foreign_fields, managed_entries
from midway.drift.normalize import normalize_desired
from midway.objects.fieldpath import get_value
from midway.objects.paths import Item, merge_key, readable
from midway.objects.pointer import Tokens, parse_pointer, to_pointer


@dataclass(frozen=True)
class ForeignItem:
    """A list item of another manager that the desired object does not have."""

    tokens: Tokens  # into the live object
    path: str  # readable, e.g. spec.ports[name=http]
    manager: str

    @property
    def pointer(self) -> str:
        return to_pointer(self.tokens)

    @property
    def list_tokens(self) -> Tokens:
        return self.tokens[:-1]


def foreign_items(live: Mapping[str, Any], desired: Mapping[str, Any]) -> list[ForeignItem]:
    """Items of associative lists the desired object sets that other managers own in
    `live` (with its managedFields) and no desired item matches by key."""
    found = []
    entries = managed_entries(live)
    for path, value, owner in foreign_fields(entries, live, normalize_desired(desired)):
        if not path or not isinstance(path[-1], Item) or not isinstance(value, Mapping):
            continue  # a whole field, or an item of a set of scalars (finalizers)
        if path[0] == "metadata":
            continue  # ownerReferences and the like are not ours to edit
        tokens: Tokens = [seg.index if isinstance(seg, Item) else seg for seg in path]
        found.append(ForeignItem(tokens, readable(path), owner.manager))
    return found


def _tokens_of(pointer: str) -> list[str]:
    return parse_pointer(pointer) if pointer else []


def _within(inner: Sequence[Any], outer: Sequence[Any]) -> bool:
    return len(inner) >= len(outer) and [str(t) for t in inner[: len(outer)]] == [
        str(t) for t in outer
    ]


def items_to_replace(
    items: Iterable[ForeignItem], corrected: Iterable[str], left_alone: Iterable[str]
) -> list[ForeignItem]:
    """The foreign items to take out: in a list a corrected field (by JSON pointer) lies in,
    and with no field left alone (ignored, contested) inside or above them."""
    corrected_tokens = [_tokens_of(p) for p in corrected]
    kept_tokens = [_tokens_of(p) for p in left_alone]
    chosen = []
    for item in items:
        if not any(_within(c, item.list_tokens) for c in corrected_tokens):
            continue
        if any(_within(k, item.tokens) or _within(item.tokens, k) for k in kept_tokens):
            continue
        chosen.append(item)
    return chosen


def _matches(want: Any, have: Any) -> bool:
    """`want` (a desired item) is a subset of `have` (a live item)."""
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        return all(k in have and _matches(v, have[k]) for k, v in want.items())
    return bool(want == have) or str(want) == str(have)


def _find(desired_item: Any, live_items: Sequence[Any], key: str | None) -> bool:
    if key is not None and isinstance(desired_item, Mapping) and key in desired_item:
        return any(isinstance(i, Mapping) and i.get(key) == desired_item[key] for i in live_items)
    return any(_matches(desired_item, i) for i in live_items)


def without_foreign_items(
    live: Mapping[str, Any], desired: Mapping[str, Any], items: Sequence[ForeignItem]
) -> dict[str, Any] | None:
    """The live object (managedFields dropped) with `items` taken out and the desired items
    no remaining live item matches put back at their desired position; None if unchanged."""
    body = copy.deepcopy(dict(live))
    body.get("metadata", {}).pop("managedFields", None)  # the server keeps its bookkeeping
    lists: dict[str, Tokens] = {to_pointer(i.list_tokens): i.list_tokens for i in items}
    if not lists:
        return None
    # deepest and highest index first, so the tokens of the others stay valid
    for item in sorted(items, key=lambda i: _order(i.tokens), reverse=True):
        parent = get_value(body, item.list_tokens)
        index = item.tokens[-1]
        if isinstance(parent, list) and isinstance(index, int) and index < len(parent):
            del parent[index]
    normalized = normalize_desired(desired)
    for tokens in lists.values():
        try:
            wanted = _desired_list(normalized, body, tokens)
            remaining = get_value(body, tokens)
        except (IndexError, KeyError, TypeError):
            continue  # inside an item taken out above
        if not isinstance(wanted, list) or not isinstance(remaining, list):
            continue
        key = merge_key(wanted, remaining) if remaining else merge_key(wanted)
        for position, desired_item in enumerate(wanted):
            if not _find(desired_item, remaining, key):
                remaining.insert(min(position, len(remaining)), copy.deepcopy(desired_item))
    return body


def _order(tokens: Tokens) -> tuple[tuple[int, str], ...]:
    return tuple((t, "") if isinstance(t, int) else (-1, t) for t in tokens)


def _desired_list(desired: Any, live: Any, tokens: Tokens) -> Any:
    """The desired counterpart of the live list at `tokens` (list items matched by key)."""
    node_d, node_l = desired, live
    for token in tokens:
        if isinstance(token, int):
            if not isinstance(node_d, list) or not isinstance(node_l, list):
                return None
            have = node_l[token]
            key = merge_key(node_d, node_l)
            match = next(
                (
                    c
                    for c in node_d
                    if key is not None
                    and isinstance(c, Mapping)
                    and isinstance(have, Mapping)
                    and c.get(key) == have.get(key)
                ),
                None,
            )
            if match is None:
                return None
            node_d, node_l = match, have
        else:
            if not isinstance(node_d, Mapping) or token not in node_d:
                return None
            node_d, node_l = node_d[token], node_l[token]
    return node_d
