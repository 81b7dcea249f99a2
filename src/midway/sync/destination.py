"""Sync one destination end to end, once: scan, correct per policy, prune.

What `midway sync` runs for each destination it selects (and `midway daemon --once`).
The long-running daemon does the same per object, driven by watch events
(midway.daemon.reconciler), with the same `correct_object` and prune plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from midway.cluster import Connection, get
from midway.drift.destination import namespace_glob
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
    report = scan(
        conn,
        desired,
        destination=destination,
        mode=options.mode,
        rules=policy.ignore,
        orphans=options.prune_orphans,
        orphan_kinds=options.orphan_kinds if options.prune_orphans else (),
        app=options.app if options.prune_orphans else None,
        orphan_namespaces=_namespace_glob(policy, destination),
        state_commit=state_commit,
        workers=options.workers,
    )
    result = SyncResult(destination, report, state_commit=state_commit)
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
        result.changes.extend(pool.map(correct, verdicts))
    for error in report.errors:
        result.changes.add(
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
