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

from midway.objects.paths import Item, Path, Segment

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
    return _secret_payload(kind, path) or any(_sensitive_segment(seg) for seg in path)


def _secret_payload(kind: str, path: Path) -> bool:
    if kind != "Secret" or not path:
        return False
    # the last-applied annotation holds a copy of the data
    return path[0] in SECRET_DATA_FIELDS or path[:3] == ("metadata", "annotations", LAST_APPLIED)


def _sensitive_segment(seg: Segment) -> bool:
    if isinstance(seg, Item):
        return seg.key is not None and isinstance(seg.key[1], str) and sensitive_name(seg.key[1])
    return seg not in REFERENCE_NAMES and sensitive_name(seg)


def is_secret(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") == "Secret"


# Every match of SENSITIVE_NAME contains one of these (lower case); keep them in step.
_SENSITIVE_PARTS = (
    b"passw",
    b"passphrase",
    b"token",
    b"secret",
    b"apikey",
    b"api-key",
    b"api_key",
    b"privatekey",
    b"private-key",
    b"private_key",
    b"credential",
)


def may_hold_secrets(obj: Mapping[str, Any], text: bytes) -> bool:
    """False when `obj`, serialised as `text`, certainly has nothing to mask: it is no
    Secret and no word of its text looks sensitive (every key and item name is in the
    text, unless escaped or non-ASCII: then True). Substring searches in C, ~50 times
    cheaper than the walk of `mask_value`, which most objects can then skip."""
    if is_secret(obj) or not text.isascii() or b"\\" in text:
        return True
    lower = text.lower()
    return any(part in lower for part in _SENSITIVE_PARTS)


def mask_value(kind: str, path: Path, value: Any, mask: str = MASK) -> tuple[Any, bool]:
    """(value with every sensitive leaf replaced by `mask`, whether anything was masked)."""
    if value is None:
        return None, False
    if is_sensitive(kind, path):
        return _mask_leaves(value, mask), True
    return _mask_below(kind, path[:3], value, mask)


def _mask_below(kind: str, head: Path, value: Any, mask: str) -> tuple[Any, bool]:
    # The path so far is known not to be sensitive, so only a child's own segment (or a
    # Secret's payload rule, which reads the first three segments: `head`) can make the
    # child so — one check per node, not one per segment of its path (the preview masks
    # every changed object whole).
    if isinstance(value, Mapping):
        masked_any = False
        out: dict[str, Any] = {}
        for key, sub in value.items():
            child = (*head, key) if len(head) < 3 else head
            sensitive = key not in REFERENCE_NAMES and sensitive_name(key)
            out[key], masked = _mask_child(kind, child, sensitive, sub, mask)
            masked_any = masked_any or masked
        return out, masked_any
    if isinstance(value, list):
        masked_any = False
        items: list[Any] = []
        for index, sub in enumerate(value):
            name = _item_name(sub)
            child = (*head, Item(index, name)) if len(head) < 3 else head
            sensitive = name is not None and sensitive_name(name[1])
            masked_item, masked = _mask_child(kind, child, sensitive, sub, mask)
            items.append(masked_item)
            masked_any = masked_any or masked
        return items, masked_any
    return value, False


def _mask_child(kind: str, head: Path, sensitive: bool, value: Any, mask: str) -> tuple[Any, bool]:
    if value is None:
        return None, False
    if sensitive or _secret_payload(kind, head):
        return _mask_leaves(value, mask), True
    if isinstance(value, (Mapping, list)):
        return _mask_below(kind, head, value, mask)
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
