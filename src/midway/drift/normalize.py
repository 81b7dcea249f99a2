"""What never counts as drift: server-populated fields, and equal values spelled differently.

`strip_server_fields` drops what the API server writes on every object (status,
managedFields, resourceVersion, uid, generation, timestamps) before a compare;
`same_value` decides scalar equality the way the server means it (quantities "1000m" ==
"1", 1 == 1.0 but never True == 1).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from midway.objects.paths import Item, Path

# metadata fields the server sets or rewrites; never desired, never drift
SERVER_METADATA = frozenset(
    {
        "managedFields",
        "resourceVersion",
        "uid",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    }
)
# top-level fields the server owns
SERVER_TOP_LEVEL = frozenset({"status"})

_QUANTITY = re.compile(
    r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
# map keys under which values are resource quantities (requests, limits, PVC sizes…)
QUANTITY_PARENTS = frozenset(
    {"limits", "requests", "capacity", "allocatable", "hard", "overhead", "sizeLimit"}
)


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity ("250m", "1Gi", 2, "1e3") as a number; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2) or ""]
    except InvalidOperation:
        return None


def is_quantity_path(path: Path) -> bool:
    names = [seg for seg in path if not isinstance(seg, Item)]
    if not names:
        return False
    return names[-1] == "sizeLimit" or (len(names) >= 2 and names[-2] in QUANTITY_PARENTS)


def same_value(desired: Any, live: Any, path: Path = ()) -> bool:
    """Scalar equality as the server means it."""
    if isinstance(desired, bool) or isinstance(live, bool):
        return type(desired) is type(live) and desired == live
    if desired == live:
        return True
    if is_quantity_path(path):
        a, b = parse_quantity(desired), parse_quantity(live)
        return a is not None and a == b
    return False


def strip_server_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy without status and the metadata the server writes on every change."""
    out = {k: v for k, v in obj.items() if k not in SERVER_TOP_LEVEL}
    meta = obj.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
    return out


def prune_nulls(value: Any) -> Any:
    """Drop None values (the server drops them too); keep everything else as is."""
    if isinstance(value, Mapping):
        return {k: prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_nulls(v) for v in value]
    return value


def normalize_desired(desired: Mapping[str, Any]) -> dict[str, Any]:
    """The desired object as an offline compare sees it: no nulls, no server fields."""
    cleaned: dict[str, Any] = prune_nulls(strip_server_fields(copy.deepcopy(dict(desired))))
    return cleaned
