"""Pure field-level comparison of two Kubernetes objects.

Both functions return the differing fields as `Difference`s with raw (unmasked,
unattributed) values; `evaluate.evaluate_object` masks, attributes and applies ignore
rules. Lists of named maps (containers, env, ports, volumes…) are matched by merge key,
so a reordering is no difference and a path names the item (`containers[name=web]`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from midway.drift.model import FieldChange
from midway.drift.normalize import normalize_desired, same_value, strip_server_fields
from midway.objects.paths import Item, Path, merge_key


@dataclass(frozen=True)
class Difference:
    """One differing field: where, how, and both raw values (None on the absent side)."""

    path: Path
    change: FieldChange
    desired: Any = None
    live: Any = None


def compare_server(dry_run: Mapping[str, Any], live: Mapping[str, Any]) -> tuple[Difference, ...]:
    """Server mode: `dry_run` is the server-side-apply dry-run result of the desired object
    (as field manager midway, forced) on top of `live`. Every difference between the two —
    outside status and the metadata the server rewrites on each write (resourceVersion,
    managedFields, generation, timestamps) — is a change applying would make."""
    out: list[Difference] = []
    _diff(strip_server_fields(dry_run), strip_server_fields(live), (), out, subset=False)
    return tuple(out)


def compare_offline(desired: Mapping[str, Any], live: Mapping[str, Any]) -> tuple[Difference, ...]:
    """Offline mode: a normalized subset compare. Only fields the desired object sets
    count; fields live has beyond them (defaults, status, server-populated metadata) are
    not differences; lists of named items (containers, ports, env…) are matched by merge
    key; quantities compare by value ("1000m" == "1")."""
    out: list[Difference] = []
    _diff(normalize_desired(desired), strip_server_fields(live), (), out, subset=True)
    return tuple(out)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def _diff(desired: Any, live: Any, path: Path, out: list[Difference], *, subset: bool) -> None:
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        _diff_maps(desired, live, path, out, subset=subset)
    elif isinstance(desired, list) and isinstance(live, list):
        _diff_lists(desired, live, path, out, subset=subset)
    elif not same_value(desired, live, path):
        out.append(Difference(path, "changed", desired, live))


def _diff_maps(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    path: Path,
    out: list[Difference],
    *,
    subset: bool,
) -> None:
    for key, want in desired.items():
        if key in live:
            _diff(want, live[key], (*path, key), out, subset=subset)
        elif not (subset and _empty(want)):  # the server drops empty values it defaults
            out.append(Difference((*path, key), "removed", want, None))
    if subset:
        return
    for key, have in live.items():
        if key not in desired:
            out.append(Difference((*path, key), "added", None, have))


def _diff_lists(
    desired: Sequence[Any],
    live: Sequence[Any],
    path: Path,
    out: list[Difference],
    *,
    subset: bool,
) -> None:
    field = merge_key(desired, live)
    if field is None:
        if len(desired) != len(live):
            out.append(Difference(path, "changed", list(desired), list(live)))
            return
        for index, (want, have) in enumerate(zip(desired, live, strict=True)):
            _diff(want, have, (*path, Item(index)), out, subset=subset)
        return
    live_index = {_key_text(item[field]): i for i, item in enumerate(live)}
    desired_keys = set()
    for d_index, want in enumerate(desired):
        name = _key_text(want[field])
        desired_keys.add(name)
        l_index = live_index.get(name)
        if l_index is None:
            out.append(Difference((*path, Item(d_index, (field, want[field]))), "removed", want))
        else:
            seg = Item(l_index, (field, want[field]))
            _diff(want, live[l_index], (*path, seg), out, subset=subset)
    if subset:
        return
    for l_index, have in enumerate(live):
        if _key_text(have[field]) not in desired_keys:
            seg = Item(l_index, (field, have[field]))
            out.append(Difference((*path, seg), "added", None, have))


def _key_text(value: Any) -> str:
    return repr(value)
