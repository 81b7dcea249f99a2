"""Sync one destination end to end, once: scan, correct per policy, prune.

What `midway sync` runs for each destination it selects (and `midway daemon --once`).
The long-running daemon does the same per object, driven by watch events
(midway.daemon.reconciler), with the same `correct_object` and prune plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from midway.cluster import Connection, get
from midway.cluster.applying import wait_for_crds
from midway.config.targets import namespace_glob
from midway.drift.model import CompareMode, DesiredObject, DriftReport, ObjectDrift
from midway.drift.scan import scan
from midway.errors import ClusterError
from midway.model import LABEL_APP, LABEL_TEAM, Destination
from midway.state.reader import StateObject
from midway.sync.apply import correct_object, failed_entry
from midway.sync.changeset import ChangeSet, ChangeSetEntry
from midway.sync.fights import FightTracker
from midway.sync.orphans import plan_orphan_prune
from midway.sync.policy import DestinationPolicy
from midway.sync.prune import DEFAULT_PRUNE_TIMEOUT_S, execute_prune, plan_prune

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    prune: bool | None = None  # None: the environment's policy.prune decides
    mode: CompareMode = "server"
    prune_timeout_s: float = DEFAULT_PRUNE_TIMEOUT_S
    workers: int = 8
    # delete orphans too (sync/orphans.py); they are searched among these kinds besides
    # the desired ones, in the namespaces the environment can produce
    prune_orphans: bool = False
    orphan_kinds: tuple[str, ...] = ()
    app: str | None = None  # "team/app" when `desired` is one app's objects


@dataclass
class SyncResult:
    destination: Destination
    report: DriftReport
    changes: ChangeSet = field(default_factory=ChangeSet)
    state_commit: str | None = None


def app_of(obj: StateObject) -> str:
    """ "team/app" of a state object (paths carry only the app name, labels the team)."""
    labels = (obj.body.get("metadata") or {}).get("labels") or {}
    team = labels.get(LABEL_TEAM)
    name = labels.get(LABEL_APP) or obj.entry.app
    return f"{team}/{name}" if team else str(name)


def desired_objects(objects: Iterable[StateObject]) -> list[DesiredObject]:
    return [DesiredObject(body=o.body, path=o.path, app=app_of(o)) for o in objects]


def live_lookup(conn: Connection) -> Callable[[DesiredObject], dict[str, object] | None]:
    def lookup(obj: DesiredObject) -> dict[str, object] | None:
        key = obj.key
        return get(conn, obj.api_version, key.kind, key.namespace or None, key.name)

    return lookup


def sync_destination(
    conn: Connection,
    destination: Destination,
    desired: Sequence[DesiredObject],
    policy: DestinationPolicy,
    *,
    previous: Sequence[DesiredObject] | None = None,
    current_all: Sequence[DesiredObject] | None = None,
    options: SyncOptions = SyncOptions(),
    fights: FightTracker | None = None,
    state_commit: str | None = None,
) -> SyncResult:
    """Scan `desired` against the cluster, correct what the policy lets midway correct,
    then prune objects of `previous` (the parent state commit) that are no longer desired.

    `current_all` is the destination's whole desired set when `desired` is a subset (one
    app): prune candidates and the empty-render guard are judged against all of it.
    """
    report, entries = _scan_and_correct(
        conn, destination, desired, policy, options, fights, state_commit, orphans=True
    )
    waiting = [] if options.dry_run else _custom_resources_of_new_crds(desired, report, entries)
    if waiting:
        # An operator's CRD and its custom resources in one render: the custom resources could
        # not be resolved before the CRD existed. Once it is Established, sync them too.
        crds = sorted({e.key.name for e in entries if _is_new_crd(e)})
        try:
            wait_for_crds(conn, crds)
        except ClusterError as exc:
            log.warning("custom resources wait for their CRDs: %s", exc.message)
        else:
            keys = {d.key for d in waiting}
            again, retried = _scan_and_correct(
                conn, destination, waiting, policy, options, fights, state_commit
            )
            entries = [e for e in entries if e.key not in keys] + retried
            report = replace(
                report,
                objects=tuple(sorted((*report.objects, *again.objects), key=lambda o: o.key)),
                errors=tuple(e for e in report.errors if e.key not in keys) + again.errors,
                requests=report.requests + again.requests,
            )
    result = SyncResult(destination, report, state_commit=state_commit)
    result.changes.extend(entries)
    if previous is not None:
        steps = plan_prune(
            destination,
            previous,
            current_all if current_all is not None else desired,
            live_lookup(conn),
            policy.prune,
            requested=options.prune,
        )
        result.changes.extend(
            execute_prune(
                conn,
                destination,
                steps,
                dry_run=options.dry_run,
                timeout_s=options.prune_timeout_s,
            )
        )
    if options.prune_orphans:
        orphan_steps = plan_orphan_prune(
            destination,
            report,
            current_all if current_all is not None else desired,
            previous,
            frozenset(policy.config.apps),
            policy.prune,
            _namespace_glob(policy, destination),
        )
        result.changes.extend(
            execute_prune(
                conn,
                destination,
                orphan_steps,
                dry_run=options.dry_run,
                timeout_s=options.prune_timeout_s,
            )
        )
    return result


def _namespace_glob(policy: DestinationPolicy, destination: Destination) -> str | None:
    environment = policy.config.environments.get(destination.env)
    if environment is None:
        return None
    return namespace_glob(environment.namespace_template, destination.env)


def _scan_and_correct(
    conn: Connection,
    destination: Destination,
    desired: Sequence[DesiredObject],
    policy: DestinationPolicy,
    options: SyncOptions,
    fights: FightTracker | None,
    state_commit: str | None,
    *,
    orphans: bool = False,
) -> tuple[DriftReport, list[ChangeSetEntry]]:
    """One scan of `desired` and the corrections the policy allows (no prune); with
    `orphans` (the first pass only) it also searches orphans when --prune-orphans asks."""
    search = orphans and options.prune_orphans
    report = scan(
        conn,
        desired,
        destination=destination,
        mode=options.mode,
        rules=policy.ignore,
        orphans=search,
        orphan_kinds=options.orphan_kinds if search else (),
        app=options.app if search else None,
        orphan_namespaces=_namespace_glob(policy, destination),
        state_commit=state_commit,
        workers=options.workers,
    )
    entries: list[ChangeSetEntry] = []
    by_key = {obj.key: obj for obj in desired}

    def correct(drift: ObjectDrift) -> ChangeSetEntry:
        wanted = by_key[drift.key]
        object_policy = policy.for_object(wanted.app, wanted.body)
        try:
            return correct_object(
                conn,
                wanted,
                drift,
                object_policy,
                destination,
                fights=fights,
                dry_run=options.dry_run,
            )
        except ClusterError as exc:
            log.warning("correcting %s failed: %s", drift.key, exc.message)
            return failed_entry(wanted, drift, destination, exc, dry_run=options.dry_run)

    verdicts = [d for d in report.objects if d.key in by_key]
    with ThreadPoolExecutor(max_workers=max(options.workers, 1)) as pool:
        entries.extend(pool.map(correct, verdicts))
    for error in report.errors:
        entries.append(
            ChangeSetEntry(
                destination=destination,
                key=error.key,
                action="skipped",
                reason=f"failed: {error.message}",
                path=error.path,
                dry_run=options.dry_run,
                error=True,
            )
        )
    return report, entries


def _is_new_crd(entry: ChangeSetEntry) -> bool:
    return entry.key.kind == "CustomResourceDefinition" and entry.action == "created"


def _custom_resources_of_new_crds(
    desired: Sequence[DesiredObject], report: DriftReport, entries: Sequence[ChangeSetEntry]
) -> list[DesiredObject]:
    """Desired objects that failed (kind not served) whose API group a CRD created in this
    pass defines."""
    new_crds = {e.key.name for e in entries if _is_new_crd(e)}
    if not new_crds:
        return []
    groups = set()
    for obj in desired:
        if obj.key.kind == "CustomResourceDefinition" and obj.key.name in new_crds:
            spec = obj.body.get("spec")
            if isinstance(spec, dict) and spec.get("group"):
                groups.add(str(spec["group"]))
    failed = {e.key for e in report.errors}
    return [d for d in desired if d.key in failed and d.key.group in groups]
