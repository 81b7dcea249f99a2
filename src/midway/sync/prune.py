"""Prune: delete what midway put in a cluster and no longer wants there. Carefully.

An object is deleted only when all of these hold:

1. it was desired by the *previous* state commit for this destination and is not desired by
   the new one (so objects midway never rendered are never candidates, whatever their
   labels say);
2. the live object still carries midway's ownership labels for that app, team and
   environment (`app.kubernetes.io/managed-by: midway`, `midway.dev/app|team|env`): someone
   else's object that happens to have the same name is left alone;
3. the new desired set of the destination is not empty, unless the environment sets
   `allowEmptyPrune` (an empty render is far more often an accident than an intention);
4. pruning is on: the environment's `policy.prune` (daemon) or `--prune` (command line);
5. the object (as the previous state commit has it) does not opt out: annotation
   `midway.dev/prune: disabled`, or ArgoCD's `argocd.argoproj.io/sync-options` with
   `Prune=false` (ArgoCD syncs the same state and would keep it too); and a protected kind
   (CustomResourceDefinition: deleting it deletes every custom resource of it; Namespace:
   everything in it) opted *in* with `midway.dev/prune: allow`.

Cluster-scoped objects follow the same rules; their ownership labels also include
`midway.dev/cluster`, so a destination never prunes the one of another destination of the
same environment on a shared cluster.

Deletion is foreground (dependents first) and conditional on the live object's uid, then
awaited up to a timeout. A dry run shows the same plan without deleting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from midway.cluster import Connection, delete, wait_until_gone
from midway.drift.model import DesiredObject
from midway.errors import ClusterError
from midway.model import (
    ANNOTATION_ARGOCD_SYNC_OPTIONS,
    ANNOTATION_PRUNE,
    LABEL_APP,
    LABEL_CLUSTER,
    LABEL_ENV,
    LABEL_MANAGED_BY,
    LABEL_TEAM,
    MANAGED_BY_VALUE,
    PRUNE_ALLOW,
    PRUNE_DISABLED,
    PRUNE_PROTECTED_KINDS,
    Destination,
    ObjectKey,
)
from midway.sync.changeset import ChangeSetEntry
from midway.sync.policy import PrunePolicy

DEFAULT_PRUNE_TIMEOUT_S = 60.0
OWNERSHIP_LABELS = (LABEL_MANAGED_BY, LABEL_APP, LABEL_TEAM, LABEL_ENV, LABEL_CLUSTER)

LiveLookup = Callable[[DesiredObject], Mapping[str, Any] | None]


@dataclass(frozen=True)
class PruneStep:
    """One candidate: delete it, or leave it (with the reason)."""

    obj: DesiredObject  # as the previous state commit had it
    delete: bool
    reason: str
    uid: str | None = None  # the live incarnation to delete

    @property
    def key(self) -> ObjectKey:
        return self.obj.key


def first_refusal(
    obj: DesiredObject, uid: str | None, refusals: Sequence[str | None], deleting: str
) -> PruneStep:
    """The step for a candidate: left alone for the first refusal that applies (in order of
    importance), else deleted for the reason `deleting`."""
    for refusal in refusals:
        if refusal is not None:
            return PruneStep(obj, False, refusal, uid)
    return PruneStep(obj, True, deleting, uid)


def _labels(body: Mapping[str, Any] | None) -> Mapping[str, str]:
    return ((body or {}).get("metadata") or {}).get("labels") or {}


def ownership_mismatch(
    previous: DesiredObject, live: Mapping[str, Any], destination: Destination
) -> str | None:
    """Why the live object is not provably midway's for that app/env, or None if it is."""
    expected = dict(_labels(previous.body))
    expected[LABEL_MANAGED_BY] = MANAGED_BY_VALUE
    expected.setdefault(LABEL_ENV, destination.env)
    if previous.app and "/" in previous.app:
        team, name = previous.app.split("/", 1)
        expected.setdefault(LABEL_TEAM, team)
        expected.setdefault(LABEL_APP, name)
    actual = _labels(live)
    wrong = [
        f"{label}={actual.get(label, '<unset>')} (expected {expected[label]})"
        for label in OWNERSHIP_LABELS
        if label in expected and actual.get(label) != expected[label]
    ]
    if wrong:
        return "not midway's: live labels " + ", ".join(wrong)
    return None


def _annotations(body: Mapping[str, Any] | None) -> Mapping[str, str]:
    return ((body or {}).get("metadata") or {}).get("annotations") or {}


def protection(previous: DesiredObject) -> str | None:
    """Why the object may not be pruned whatever the policy says, or None.

    Read from the previous state commit's object: the opt-in (or opt-out) was reviewed and
    published with it, before it left the config."""
    annotations = _annotations(previous.body)
    marked = annotations.get(ANNOTATION_PRUNE)
    if marked == PRUNE_DISABLED:
        return f"prune disabled by annotation {ANNOTATION_PRUNE}: {PRUNE_DISABLED}"
    if previous.key.kind in PRUNE_PROTECTED_KINDS and marked != PRUNE_ALLOW:
        what = (
            "every custom resource of it"
            if previous.key.kind == "CustomResourceDefinition"
            else "everything in it"
        )
        return (
            f"{previous.key.kind} is protected from prune (deleting it deletes {what}): "
            f"publish it with annotation {ANNOTATION_PRUNE}: {PRUNE_ALLOW} first, or delete it "
            f"by hand (kubectl delete {previous.key.kind.lower()} {previous.key.name})"
        )
    options = str(annotations.get(ANNOTATION_ARGOCD_SYNC_OPTIONS) or "")
    if "Prune=false" in [o.strip() for o in options.split(",")]:
        return f"prune disabled by annotation {ANNOTATION_ARGOCD_SYNC_OPTIONS}: {options}"
    return None


def plan_prune(
    destination: Destination,
    previous: Sequence[DesiredObject],
    current: Sequence[DesiredObject],
    lookup: LiveLookup,
    policy: PrunePolicy,
    *,
    requested: bool | None = None,
) -> list[PruneStep]:
    """Decide, for each object of `previous` missing from `current`, whether to delete it.

    `lookup` returns the live object (None when it is gone already: no step). `requested`
    overrides `policy.enabled` (the command line's --prune).
    """
    wanted = {obj.key for obj in current}
    candidates = sorted((o for o in previous if o.key not in wanted), key=lambda o: o.key)
    if not candidates:
        return []
    enabled = policy.enabled if requested is None else requested
    blocked: str | None = None
    if not enabled:
        blocked = (
            "prune is off (pass --prune)"
            if requested is not None
            else f"prune is off for environment {destination.env} (policy.prune)"
        )
    elif not current and not policy.allow_empty:
        blocked = (
            f"the new desired set of {destination} is empty: refusing to prune "
            f"{len(candidates)} object(s) (set policy.allowEmptyPrune if this is intended)"
        )
    steps: list[PruneStep] = []
    for obj in candidates:
        live = lookup(obj)
        if live is None:
            continue  # gone already
        uid = str((live.get("metadata") or {}).get("uid") or "") or None
        refusals = (ownership_mismatch(obj, live, destination), protection(obj), blocked)
        steps.append(first_refusal(obj, uid, refusals, "no longer in the state repo"))
    return steps


def execute_prune(
    conn: Connection,
    destination: Destination,
    steps: Sequence[PruneStep],
    *,
    dry_run: bool = False,
    timeout_s: float = DEFAULT_PRUNE_TIMEOUT_S,
    clock: Callable[[], float] = time.time,
) -> list[ChangeSetEntry]:
    """Delete the steps marked for deletion (foreground, uid-conditional), then wait."""
    entries: list[ChangeSetEntry] = []
    deleted: list[tuple[int, PruneStep]] = []  # (index in entries, step)
    for step in steps:
        entry = ChangeSetEntry(
            destination=destination,
            key=step.key,
            action="skipped",
            reason=step.reason,
            app=step.obj.app,
            path=step.obj.path,
            dry_run=dry_run,
            time=clock(),
        )
        if step.delete:
            try:
                delete(
                    conn,
                    step.obj.api_version,
                    step.key.kind,
                    step.key.namespace or None,
                    step.key.name,
                    propagation="Foreground",
                    dry_run=dry_run,
                    uid=step.uid,
                )
            except ClusterError as exc:
                entry = replace(entry, reason=f"failed: {exc.message}", error=True)
            else:
                entry = replace(entry, action="pruned")
                deleted.append((len(entries), step))
        entries.append(entry)
    if dry_run:
        return entries
    deadline = time.monotonic() + timeout_s
    for index, step in deleted:
        try:
            wait_until_gone(
                conn,
                step.obj.api_version,
                step.key.kind,
                step.key.namespace or None,
                step.key.name,
                timeout_s=max(deadline - time.monotonic(), 0.1),
                uid=step.uid,
            )
        except ClusterError as exc:
            entries[index] = replace(
                entries[index], reason=f"deletion still pending: {exc.message}", error=True
            )
    return entries
