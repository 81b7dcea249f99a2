"""Secret values never reach a report: the one masking rule of drift and the PR preview.

The rule: the payload of a Secret (`data`, `stringData`, and the last-applied annotation
that copies it) and anything under a key named like a password, token or secret is
replaced by a placeholder before a report holds it (drift prints MASK, the preview its
own "(hidden)").

Key names are checked on every map key of a path and on the merge-key value of list items
(so `env[name=DB_PASSWORD].value` is masked). Structure stays visible: a masked map keeps
its keys, only leaf values turn into the placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from midway.objects.paths import Item, Path

MASK = "***"  # what drift prints for a masked value

SENSITIVE_NAME = re.compile(
    r"passw(or)?d|passphrase|token|secret|api[-_]?key|private[-_]?key|credential",
    re.IGNORECASE,
)
# names that contain "secret"/"token" but hold references or switches, never a value
REFERENCE_NAMES = frozenset(
    {
        "secret",  # volume source: {secretName: …}
        "secrets",  # ServiceAccount: references to Secrets
        "secretName",
        "secretRef",
        "secretKeyRef",
        "secretStoreRef",
        "tokenSecretRef",
        "imagePullSecrets",
        "serviceAccountToken",
        "automountServiceAccountToken",
    }
)
SECRET_DATA_FIELDS = frozenset({"data", "stringData"})
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@lru_cache(maxsize=4096)  # the same few hundred key names come back in every object
def sensitive_name(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name))


def is_sensitive(kind: str, path: Path) -> bool:
    """Whether the value at `path` of an object of `kind` must be masked."""
    if kind == "Secret" and path:
        if path[0] in SECRET_DATA_FIELDS:
            return True
        if path[:3] == ("metadata", "annotations", LAST_APPLIED):  # holds a copy of the data
            return True
    for seg in path:
        if isinstance(seg, Item):
            if seg.key is not None and isinstance(seg.key[1], str) and sensitive_name(seg.key[1]):
                return True
        elif seg not in REFERENCE_NAMES and sensitive_name(seg):
            return True
    return False


def is_secret(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") == "Secret"


def mask_value(kind: str, path: Path, value: Any, mask: str = MASK) -> tuple[Any, bool]:
    """(value with every sensitive leaf replaced by `mask`, whether anything was masked)."""
    if value is None:
        return None, False
    if is_sensitive(kind, path):
        return _mask_leaves(value, mask), True
    if isinstance(value, Mapping):
        masked_any = False
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out[key], masked = mask_value(kind, (*path, key), sub, mask)
            masked_any = masked_any or masked
        return out, masked_any
    if isinstance(value, list):
        masked_any = False
        items: list[Any] = []
        for index, sub in enumerate(value):
            seg = Item(index, _item_name(sub))
            masked_item, masked = mask_value(kind, (*path, seg), sub, mask)
            items.append(masked_item)
            masked_any = masked_any or masked
        return items, masked_any
    return value, False


def mask_object(obj: Mapping[str, Any] | None, mask: str = MASK) -> dict[str, Any] | None:
    """A copy of a whole object with its sensitive values masked."""
    if obj is None:
        return None
    masked, _ = mask_value(str(obj.get("kind", "")), (), obj, mask)
    result: dict[str, Any] = masked
    return result


def _item_name(item: Any) -> tuple[str, Any] | None:
    # env entries and the like are named by `name`; that name decides about their value
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        return ("name", item["name"])
    return None


def _mask_leaves(value: Any, mask: str) -> Any:
    if isinstance(value, Mapping):
        return {k: _mask_leaves(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_leaves(v, mask) for v in value]
    return mask
