"""Field-level differences of two manifests: a JSON-pointer change list and a unified YAML diff.

Secret values are masked before anything is compared for display, so a preview never
prints a value even if a blueprint managed to emit one. The rule is drift's
(`midway.objects.masking`: Secret payloads and keys named like a password, token or secret);
only the placeholder differs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from midway.model import JSON
from midway.objects.masking import is_secret, mask_value, may_hold_secrets
from midway.objects.pointer import escape
from midway.render.serialize import canonical, to_yaml

FieldOp = Literal["add", "remove", "replace"]
MASK = "(hidden)"  # what the preview prints for a masked value


@dataclass(frozen=True)
class FieldChange:
    """One changed field, as in a JSON Patch (RFC 6902) operation with the old value kept."""

    op: FieldOp
    path: str  # JSON pointer, e.g. /spec/template/spec/containers/0/image
    before: JSON = None
    after: JSON = None


def _identical(a: JSON, b: JSON) -> bool:
    """Equal and of the same JSON types all the way down (1 == 1.0 == True in Python, but
    they are different YAML)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def field_changes(before: JSON, after: JSON, at: str = "") -> list[FieldChange]:
    """Every leaf-most difference; lists compare by index (objects in lists by position).

    Subtrees are compared with `!=` (fast, in C); only when that finds nothing although the
    documents differ is the type-exact comparison repeated (1 == 1.0 == True in Python)."""
    found = _changes(before, after, at, _differ)
    return found or _changes(before, after, at, _not_identical)


def _differ(a: JSON, b: JSON) -> bool:
    return bool(a != b)


def _not_identical(a: JSON, b: JSON) -> bool:
    return not _identical(a, b)


def _changes(
    before: JSON, after: JSON, at: str, differ: Callable[[JSON, JSON], bool]
) -> list[FieldChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(set(before) | set(after)):
            path = f"{at}/{escape(key)}"
            if key not in after:
                changes.append(FieldChange("remove", path, before[key], None))
            elif key not in before:
                changes.append(FieldChange("add", path, None, after[key]))
            elif differ(before[key], after[key]):
                changes.extend(_changes(before[key], after[key], path, differ))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            path = f"{at}/{index}"
            if index >= len(after):
                changes.append(FieldChange("remove", path, before[index], None))
            elif index >= len(before):
                changes.append(FieldChange("add", path, None, after[index]))
            elif differ(before[index], after[index]):
                changes.extend(_changes(before[index], after[index], path, differ))
        return changes
    if not differ(before, after):
        return []
    return [FieldChange("replace", at or "/", before, after)]


def _masked(body: Mapping[str, Any], content: bytes | None) -> tuple[dict[str, Any], bool]:
    if content is not None and not may_hold_secrets(body, content):
        return dict(body), False  # most objects: no walk
    hidden, any_masked = mask_value(str(body.get("kind", "")), (), body, MASK)
    result: dict[str, Any] = hidden
    return result, any_masked


def masked(body: Mapping[str, Any], content: bytes | None = None) -> dict[str, Any]:
    """The body with secret values replaced (keys stay visible: they say what changed).
    `content`, the file the body was read from, lets most objects skip the walk."""
    return _masked(body, content)[0]


def yaml_text(body: Mapping[str, Any], content: bytes) -> str:
    """The file as reviewers know it; re-serialised (masked) only when it holds a secret."""
    hidden, any_masked = _masked(body, content)
    if any_masked or is_secret(body):
        return to_yaml(canonical(hidden))
    return content.decode("utf-8", "replace")


def unified_yaml_diff(old: str, new: str, old_name: str, new_name: str) -> list[str]:
    """`diff -u` of two YAML files, without trailing newlines on the lines."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
            n=3,
        )
    ]
