"""What correcting one object should do, decided from data alone (no cluster, no clock).

sync/apply.py asks these questions and does the I/O around the answers:

- skip before writing: in sync, only ignored fields differ, the drift policy is warn, or
  every differing field is left alone (ignored or contested) -> `Skip`;
- how to leave a field alone: leave it out of the body (release it to its manager), or
  apply its live value when nobody else owns it (`owned_by_nobody_else`: releasing such a
  field would make the server remove it);
- whether the first apply is forced (`forced_takeover`), and after a conflict which fields
  to force and which to drop (`resolve_conflicts`);
- whether to look for list items of other managers first (`looks_for_foreign_items`);
- an immutable field refused: recreate, or skip as "needs recreate" (`skip_unless_recreate`);
- what the entry says afterwards: created / configured / unchanged and why (`outcome`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from midway.cluster import FieldConflict
from midway.drift.model import (
    DROPPED_FROM_GIT,
    UNKNOWN_MANAGER,
    UNKNOWN_REMOVER,
    FieldDrift,
    ObjectDrift,
)
from midway.model import FIELD_MANAGER, IgnoreRule, ObjectKey
from midway.objects.fieldpath import remove, resolve_path
from midway.objects.pointer import to_pointer
from midway.sync.changeset import Action, ForcedField, SkippedField
from midway.sync.policy import ObjectPolicy, describe_rule, ignoring_rule
from midway.sync.recreate import opt_in_hint, recreate_allowed

NOBODY_ELSE = frozenset({"", FIELD_MANAGER, UNKNOWN_MANAGER, UNKNOWN_REMOVER, DROPPED_FROM_GIT})


@dataclass(frozen=True)
class Skip:
    """Write nothing: the entry's action, its reason and the fields concerned."""

    action: Literal["unchanged", "skipped"]
    reason: str = ""
    fields: tuple[str, ...] = ()


def skip_before_apply(
    drift: ObjectDrift, policy: ObjectPolicy, *, always_apply: bool
) -> Skip | None:
    """Nothing to correct (unless `always_apply`), or the policy only warns."""
    if drift.status in ("in-sync", "ignored") and not always_apply:
        reason = "only ignored fields differ" if drift.status == "ignored" else ""
        return Skip("unchanged", reason)
    if not policy.correct:
        counted = drift.counted_fields
        what = "missing" if drift.status == "missing" else f"{len(counted)} field(s) differ"
        return Skip(
            "skipped",
            f"{what}; drift policy is warn ({policy.decided_by})",
            tuple(f.path for f in counted),
        )
    return None


def skip_when_left_alone(
    drift: ObjectDrift, corrected: Sequence[FieldDrift], *, always_apply: bool
) -> Skip | None:
    """Every differing field is ignored or contested: applying would change nothing."""
    if drift.status == "modified" and not corrected and not always_apply:
        return Skip("skipped", "every differing field is contested or ignored")
    return None


def owned_by_nobody_else(manager: str | None) -> bool:
    """No other field manager to leave the field to (midway's own, or nobody known)."""
    return manager is None or manager in NOBODY_ELSE


def foreign(manager: str | None) -> bool:
    """A real other field manager (not midway, not "unknown")."""
    return not owned_by_nobody_else(manager)


def forced_takeover(
    corrected: Sequence[FieldDrift], rules: Sequence[IgnoreRule]
) -> tuple[ForcedField, ...]:
    """The fields a forced first apply takes over, or () to send it unforced.

    Forced at once when the drift already names the other managers of fields to take and
    no ignore rule depends on who the manager is: the conflict could only say what we know.
    """
    takeover = [f for f in corrected if f.reverted_by_apply and foreign(f.manager)]
    if not takeover or any(rule.manager for rule in rules):
        return ()
    return tuple(ForcedField(f.path, str(f.manager)) for f in takeover)


@dataclass(frozen=True)
class ConflictResolution:
    """What to send after an apply conflict: `body` without the dropped fields; `forced`
    are the fields the blueprint owns per policy (force them), `skipped` the dropped ones."""

    body: dict[str, Any]
    forced: tuple[ForcedField, ...]
    skipped: tuple[SkippedField, ...]


def resolve_conflicts(
    body: Mapping[str, Any],
    conflicts: Sequence[FieldConflict],
    key: ObjectKey,
    rules: Sequence[IgnoreRule],
) -> ConflictResolution:
    """Force a conflicting field unless an ignore rule lets that manager own it; then drop
    it. Fields are looked up in the body as it is after the drops before them."""
    result = copy.deepcopy(dict(body))
    forced: list[ForcedField] = []
    skipped: list[SkippedField] = []
    for conflict in conflicts:
        tokens = resolve_path(result, conflict.field)
        if tokens is None:
            continue
        rule = ignoring_rule(rules, key, to_pointer(tokens), conflict.manager, result)
        if rule is None:
            forced.append(ForcedField(conflict.field, conflict.manager))
            continue
        remove(result, tokens)
        skipped.append(SkippedField(conflict.field, conflict.manager, describe_rule(rule)))
    return ConflictResolution(result, tuple(forced), tuple(skipped))


def looks_for_foreign_items(drift: ObjectDrift, corrected: Sequence[FieldDrift]) -> bool:
    """Worth reading the object for list items of other managers: it exists, differs, and a
    corrected field lies inside a list."""
    return (
        drift.live is not None
        and drift.status == "modified"
        and any("[" in f.path for f in corrected)
    )


def skip_unless_recreate(
    immutable: Sequence[str], desired_body: Mapping[str, Any], corrected: Sequence[FieldDrift]
) -> Skip | None:
    """An immutable field differs: None when the object opts in to being recreated."""
    if recreate_allowed(desired_body):
        return None
    return Skip(
        "skipped",
        f"needs recreate: {', '.join(immutable)} cannot change in place; " + opt_in_hint(),
        tuple(f.path for f in corrected),
    )


def outcome(
    drift: ObjectDrift,
    corrected: Sequence[FieldDrift],
    *,
    dry_run: bool,
    always_apply: bool,
    rollout: bool,
    before: str,
    after: str,
) -> tuple[Action, str | None]:
    """The entry's action after the writes, and the note that leads its reason.

    `before`/`after` are the object's resourceVersions: a real write that changed nothing
    leaves it as it was. A rollout (the desired object changed) is never blamed on anyone.
    """
    if drift.live is None or drift.status == "missing":
        return "created", "rollout: new desired object" if rollout else "missing from the cluster"
    if (dry_run and (corrected or always_apply)) or (not dry_run and after != before):
        managers = sorted({f.manager or UNKNOWN_MANAGER for f in corrected})
        if rollout or not managers:
            return "configured", "rollout: desired state changed" if rollout else (
                "desired state changed"
            )
        return "configured", f"drift by {', '.join(managers)} corrected"
    return "unchanged", None
