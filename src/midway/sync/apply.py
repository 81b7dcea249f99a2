"""Correct one object: server-side apply as field manager `midway`, per its policy.

Given the drift verdict of an object (midway.drift's ObjectDrift), build the body to apply:
the desired object minus every field midway must leave alone —

- fields an ignore rule covers (a live edit there is allowed), and
- fields another manager keeps reverting (contested, see contests.py).

Leaving a field out of an apply releases midway's ownership of it, so the other manager's
value stays. One exception: when no other manager owns the field (1.20's `kubectl scale`
leaves no managedFields entry), releasing it would make the server *remove* it; then the
live value is applied instead, which changes nothing.

The first apply is not forced. If the server answers with a conflict, each conflicting field
is either forced (the blueprint owns it per policy) or dropped and reported (an ignore rule
lets that manager own it, or it is contested); then the apply is sent once more.

Two things an apply cannot do are done around it: list items other managers added or
re-keyed are taken out first (listitems.py: one compare-and-swap PUT), and when the server
refuses the apply because an immutable field differs, the object is deleted and created
again if it opts in (recreate.py), else reported as "needs recreate".
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from midway.cluster import (
    AlreadyExists,
    ApplyConflict,
    Connection,
    Invalid,
    NotFound,
    ResourceConflict,
    apply,
    create,
    delete,
    get,
)
from midway.cluster import replace as replace_object
from midway.drift.model import (
    UNKNOWN_MANAGER,
    DesiredObject,
    FieldDrift,
    ObjectDrift,
)
from midway.model import (
    ANNOTATION_CREATED_NAMESPACE,
    Destination,
    implicit_namespace,
)
from midway.objects.fieldpath import get_value, remove, resolve_path, set_value
from midway.objects.pointer import Tokens, resolve_pointer, to_pointer
from midway.sync.changeset import (
    ChangeSetEntry,
    ContestedField,
    ForcedField,
    SkippedField,
)
from midway.sync.contests import ContestTracker
from midway.sync.decisions import (
    forced_takeover,
    looks_for_foreign_items,
    outcome,
    owned_by_nobody_else,
    resolve_conflicts,
    skip_before_apply,
    skip_unless_recreate,
    skip_when_left_alone,
)
from midway.sync.listitems import foreign_items, items_to_replace, without_foreign_items
from midway.sync.policy import ObjectPolicy, ignoring_rule
from midway.sync.recreate import (
    RECREATE,
    SYNC_OPTIONS_ANNOTATION,
    immutable_fields,
)

MAX_CONFLICT_ROUNDS = 3
CREATED_NAMESPACE_ANNOTATION = ANNOTATION_CREATED_NAMESPACE


@dataclass
class _Body:
    """The body being prepared, plus what was left out of it and why."""

    body: dict[str, Any]
    skipped: list[SkippedField] = field(default_factory=list)
    contested: list[ContestedField] = field(default_factory=list)
    corrected: list[FieldDrift] = field(default_factory=list)

    @property
    def extras(self) -> list[FieldDrift]:
        """Corrected fields an apply cannot revert: another manager added them."""
        return [f for f in self.corrected if not f.reverted_by_apply]


def _locate(doc: Any, drift: FieldDrift, *, strict: bool = False) -> Tokens | None:
    """The field in `doc`: by readable path (merge keys survive reordering), else pointer.
    `strict` never falls back to the pointer for a path through a named list item: its
    index may now hold another item (one taken out before the apply)."""
    if drift.path:
        tokens = resolve_path(doc, drift.path)
        if tokens is not None:
            return tokens
        if strict and "=" in drift.path:
            return None
    return resolve_pointer(doc, drift.pointer) if drift.pointer else None


def _leave_alone(body: dict[str, Any], live: Mapping[str, Any] | None, drift: FieldDrift) -> None:
    """Make applying `body` keep the live value of `drift`'s field."""
    in_body = _locate(body, drift)
    if in_body is None:
        return  # midway does not set it: applying cannot touch it
    in_live = _locate(live, drift) if live is not None else None
    if in_live is not None and owned_by_nobody_else(drift.manager):
        set_value(body, in_body, copy.deepcopy(get_value(live, in_live)))
    else:
        remove(body, in_body)


def prepare_body(
    desired: DesiredObject,
    drift: ObjectDrift,
    destination: Destination,
    contests: ContestTracker | None,
) -> _Body:
    """The desired body with ignored and contested fields left out (see module doc)."""
    prepared = _Body(body=copy.deepcopy(dict(desired.body)))
    for field_drift in drift.fields:
        if field_drift.ignored:
            _leave_alone(prepared.body, drift.live, field_drift)
            prepared.skipped.append(
                SkippedField(field_drift.path, field_drift.manager, str(field_drift.ignored_by))
            )
            continue
        if contests is not None:
            tokens = _locate(desired.body, field_drift)
            wanted = get_value(desired.body, tokens) if tokens is not None else None
            contested = contests.observe(
                destination,
                drift.key,
                field_drift.path,
                pointer=to_pointer(tokens) if tokens is not None else field_drift.pointer,
                manager=field_drift.manager or UNKNOWN_MANAGER,
                desired=wanted,
                app=desired.app or drift.app,
            )
            if contested is not None:
                _leave_alone(prepared.body, drift.live, field_drift)
                prepared.contested.append(contested)
                prepared.skipped.append(
                    SkippedField(
                        field_drift.path, contested.manager, f"contested by {contested.manager}"
                    )
                )
                continue
        prepared.corrected.append(field_drift)
    return prepared


def _namespace_missing(exc: NotFound) -> str | None:
    details = exc.status.get("details") or {}
    if details.get("kind") == "namespaces" and details.get("name"):
        return str(details["name"])
    return None


def ensure_namespace(conn: Connection, name: str) -> bool:
    """Create namespace `name` if it is missing; True when midway created it.

    Not labelled as managed by midway (model.implicit_namespace, the rule `midway apply`
    follows too): namespaces are never pruned, and a label would make the drift scan list
    it as an orphan.
    """
    try:
        create(conn, implicit_namespace(name))
    except AlreadyExists:
        return False
    return True


def _apply_resolving_conflicts(
    conn: Connection,
    prepared: _Body,
    drift: ObjectDrift,
    policy: ObjectPolicy,
    dry_run: bool,
) -> tuple[dict[str, Any], list[ForcedField]]:
    """Apply; on a conflict force the fields the blueprint owns, drop the others, retry.

    Shortcut: when the drift already names the other managers of every field to take and
    no ignore rule depends on who the manager is, the first apply is forced (one request
    instead of two: the conflict could only say what we know)."""
    takeover = forced_takeover(prepared.corrected, policy.rules)
    if takeover:
        return apply(conn, prepared.body, dry_run=dry_run, force=True), list(takeover)
    forced: list[ForcedField] = []
    force = False
    rounds = 0
    while True:
        rounds += 1
        try:
            return apply(conn, prepared.body, dry_run=dry_run, force=force), forced
        except ApplyConflict as exc:
            if rounds >= MAX_CONFLICT_ROUNDS:
                raise
            resolution = resolve_conflicts(prepared.body, exc.conflicts, drift.key, policy.rules)
            prepared.body = resolution.body
            forced.extend(resolution.forced)
            force = bool(resolution.forced)
            prepared.skipped.extend(resolution.skipped)


def _remove_extras(
    conn: Connection, applied: dict[str, Any], extras: list[FieldDrift], dry_run: bool
) -> dict[str, Any]:
    """Remove fields other managers added (an apply keeps those): a PUT of the object just
    applied minus those fields, compare-and-swap on its resourceVersion."""
    body = copy.deepcopy(applied)
    body.get("metadata", {}).pop("managedFields", None)  # keep the server's bookkeeping
    removed = False
    for extra in extras:
        tokens = _locate(body, extra, strict=True)
        if tokens is not None:
            removed = remove(body, tokens) or removed
    if not removed:
        return applied
    return replace_object(conn, body, dry_run=dry_run)


def correct_object(
    conn: Connection,
    desired: DesiredObject,
    drift: ObjectDrift,
    policy: ObjectPolicy,
    destination: Destination,
    *,
    contests: ContestTracker | None = None,
    dry_run: bool = False,
    always_apply: bool = False,
    rollout: bool = False,
    clock: Callable[[], float] = time.time,
) -> ChangeSetEntry:
    """Apply `desired` where `drift` says live differs, per `policy`.

    `always_apply` applies even when the verdict is in-sync (the desired object changed in
    a new state commit: an offline compare cannot see fields midway should now release).
    `rollout` says the desired object changed since the state applied before: a write is
    then reported as a rollout of the new desired state, not as drift someone caused.
    Cluster failures raise ClusterError; the caller records them (and backs off).
    """
    entry = ChangeSetEntry(
        destination=destination,
        key=drift.key,
        action="unchanged",
        app=desired.app or drift.app,
        path=desired.path or drift.path,
        dry_run=dry_run,
        time=clock(),
    )
    skip = skip_before_apply(drift, policy, always_apply=always_apply)
    if skip is not None:
        return replace(entry, action=skip.action, reason=skip.reason, fields=skip.fields)
    prepared = prepare_body(desired, drift, destination, contests)
    skip = skip_when_left_alone(drift, prepared.corrected, always_apply=always_apply)
    if skip is not None:
        return replace(
            entry,
            action=skip.action,
            reason=skip.reason,
            skipped_fields=tuple(prepared.skipped),
            contested=tuple(prepared.contested),
        )
    before = str((drift.live or {}).get("metadata", {}).get("resourceVersion") or "")
    notes: list[str] = []
    written: list[str] = []
    forced: list[ForcedField] = []
    try:
        replaced = None
        if looks_for_foreign_items(drift, prepared.corrected):
            replaced = _replace_foreign_items(conn, desired, drift, prepared, policy, dry_run)
        if replaced is not None:
            put, paths = replaced
            written.append(_rv(put))
            notes.append(
                f"{'would take' if dry_run else 'took'} out list items of other managers: "
                + ", ".join(paths)
            )
        if replaced is not None and dry_run:
            # the dry-run apply would meet the items the dry-run PUT only pretended to remove
            result = replaced[0]
        else:
            result, forced = _apply_handling_missing_namespace(
                conn, prepared, drift, policy, dry_run, notes
            )
    except Invalid as exc:
        fields = immutable_fields(exc)
        if fields is None or drift.live is None:
            raise
        skip = skip_unless_recreate(fields, desired.body, prepared.corrected)
        if skip is not None:
            return replace(
                entry,
                action=skip.action,
                reason=skip.reason,
                fields=skip.fields,
                skipped_fields=tuple(prepared.skipped),
            )
        result = _recreate(conn, prepared.body, drift, dry_run)
        notes.append(
            f"{'would be recreated' if dry_run else 'recreated'}: {', '.join(fields)} "
            f"cannot change in place ({SYNC_OPTIONS_ANNOTATION}: {RECREATE}=true)"
        )
        recreated = True
    else:
        recreated = False
    written.append(_rv(result))
    if prepared.extras and result and not recreated:
        result = _remove_extras(conn, result, prepared.extras, dry_run)
        written.append(_rv(result))
    after = _rv(result)
    action, note = outcome(
        drift,
        prepared.corrected,
        dry_run=dry_run,
        always_apply=always_apply,
        rollout=rollout,
        before=before,
        after=after,
    )
    if note is not None:
        notes.insert(0, note)
    if contests is not None and not dry_run:
        for field_drift in prepared.corrected:
            tokens = _locate(desired.body, field_drift)
            value = get_value(desired.body, tokens) if tokens is not None else None
            contests.corrected(destination, drift.key, field_drift.path, value)
    return replace(
        entry,
        action=action,
        reason="; ".join(notes),
        written_versions=() if dry_run else tuple(v for v in written if v),
        fields=tuple(f.path for f in prepared.corrected),
        forced=tuple(forced),
        skipped_fields=tuple(prepared.skipped),
        contested=tuple(prepared.contested),
        recreated=recreated,
    )


def _rv(obj: Mapping[str, Any] | None) -> str:
    return str((obj or {}).get("metadata", {}).get("resourceVersion") or "")


def _apply_handling_missing_namespace(
    conn: Connection,
    prepared: _Body,
    drift: ObjectDrift,
    policy: ObjectPolicy,
    dry_run: bool,
    notes: list[str],
) -> tuple[dict[str, Any], list[ForcedField]]:
    """Apply; when the namespace is missing, create it (or say so in a dry run) first."""
    try:
        return _apply_resolving_conflicts(conn, prepared, drift, policy, dry_run)
    except NotFound as exc:
        namespace = _namespace_missing(exc)
        if namespace is None:
            raise
        if dry_run:
            notes.append(f"namespace {namespace} would be created")
            return {}, []
        if ensure_namespace(conn, namespace):
            notes.append(f"created namespace {namespace}")
        return _apply_resolving_conflicts(conn, prepared, drift, policy, dry_run)


def _replace_foreign_items(
    conn: Connection,
    desired: DesiredObject,
    drift: ObjectDrift,
    prepared: _Body,
    policy: ObjectPolicy,
    dry_run: bool,
) -> tuple[dict[str, Any], list[str]] | None:
    """Take out the list items other managers added or re-keyed (see listitems.py) with a
    compare-and-swap PUT; (the object written, the items' paths), or None when none.
    Called only when decisions.looks_for_foreign_items says there may be some."""
    left_alone = [f.pointer for f in drift.fields if f.ignored]
    left_alone += [c.pointer for c in prepared.contested]
    for attempt in range(2):
        live = get(
            conn,
            drift.api_version or desired.api_version,
            drift.key.kind,
            drift.key.namespace or None,
            drift.key.name,
        )
        if live is None:
            return None
        candidates = [
            item
            for item in foreign_items(live, desired.body)
            if ignoring_rule(policy.rules, drift.key, item.pointer, item.manager, live) is None
        ]
        chosen = items_to_replace(candidates, [f.pointer for f in prepared.corrected], left_alone)
        body = without_foreign_items(live, desired.body, chosen) if chosen else None
        if body is None:
            return None
        try:
            written = replace_object(conn, body, dry_run=dry_run)
        except ResourceConflict:
            if attempt:
                raise
            continue  # changed since we read it: read again
        return written, [f"{item.path} ({item.manager})" for item in chosen]
    return None


def _recreate(
    conn: Connection, body: Mapping[str, Any], drift: ObjectDrift, dry_run: bool
) -> dict[str, Any]:
    """Delete the live object (that uid, foreground, awaited), then apply `body` anew."""
    live = drift.live or {}
    uid = str((live.get("metadata") or {}).get("uid") or "") or None
    key = drift.key
    api_version = str(body.get("apiVersion") or drift.api_version)
    delete(
        conn,
        api_version,
        key.kind,
        key.namespace or None,
        key.name,
        propagation="Foreground",
        wait=True,
        dry_run=dry_run,
        uid=uid,
    )
    if dry_run:
        return dict(live)
    return apply(conn, body, dry_run=False)


def failed_entry(
    desired: DesiredObject | None,
    drift: ObjectDrift,
    destination: Destination,
    error: Exception,
    *,
    dry_run: bool = False,
    clock: Callable[[], float] = time.time,
) -> ChangeSetEntry:
    """The entry for an object whose correction failed (the error message is the reason)."""
    message = getattr(error, "message", None) or str(error)
    return ChangeSetEntry(
        destination=destination,
        key=drift.key,
        action="skipped",
        reason=f"failed: {message}",
        app=(desired.app if desired else None) or drift.app,
        path=(desired.path if desired else None) or drift.path,
        dry_run=dry_run,
        error=True,
        time=clock(),
    )
