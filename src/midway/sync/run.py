"""`midway sync` across the destinations it selects: one state commit, each destination in
environment order, one typed outcome per destination (the CLI only prints them).

Each destination gets its desired objects at the state commit (and at its first parent, what
prune compares against), restricted to `--app`, a connection through the identity check of
its cluster's `server:` (midway.cluster.connect_destination), and `sync_destination`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from midway.cluster import ClusterAccess, connect_destination
from midway.cluster.target import DEFAULT_ACCESS
from midway.config.targets import Target, same_app
from midway.drift.model import DesiredObject
from midway.errors import EXIT_DIFFERENCES, EXIT_ERROR, EXIT_OK, ClusterError
from midway.model import ConfigRepo, Destination, DriftMode
from midway.state.reader import StateCommit, StateReader
from midway.sync.changeset import ChangeSetEntry
from midway.sync.destination import SyncOptions, SyncResult, desired_objects, sync_destination
from midway.sync.policy import DestinationPolicy


@dataclass(frozen=True)
class DestinationSync:
    """One destination's outcome: its sync result, or why it could not be reached."""

    destination: Destination
    result: SyncResult | None = None
    error: ClusterError | None = None

    def exit_code(self, dry_run: bool) -> int:
        """0 in sync afterwards, 1 drift remains, 2 errors (this destination alone)."""
        if self.result is None or self.result.changes.errors:
            return EXIT_ERROR
        if drift_remains(self.result.changes.entries, dry_run):
            return EXIT_DIFFERENCES
        return EXIT_OK


def drift_remains(entries: Iterable[ChangeSetEntry], dry_run: bool) -> bool:
    """Whether the destination still differs from the state commit: an object skipped by the
    policy (warn), a dry run that would change something, or a contested field."""
    for entry in entries:
        if entry.action == "skipped" and not entry.error:
            return True
        if dry_run and entry.changed:
            return True
        if entry.contested:
            return True
    return False


def exit_code(outcomes: Sequence[DestinationSync], dry_run: bool) -> int:
    """The run's exit code: an error anywhere wins over remaining drift."""
    return max((o.exit_code(dry_run) for o in outcomes), default=EXIT_OK)


def sync_targets(
    config: ConfigRepo,
    reader: StateReader,
    commit: StateCommit,
    targets: Sequence[Target],
    options: SyncOptions,
    *,
    override: DriftMode | None = None,
    access: ClusterAccess = DEFAULT_ACCESS,
) -> Iterator[DestinationSync]:
    """Sync each target to `commit`, one after the other, yielding each outcome as it is
    known (so a caller prints a destination before the next one starts)."""
    for target in targets:
        destination = target.destination
        everything = desired_objects(
            reader.objects(commit.id, env=destination.env, cluster=destination.cluster)
        )
        previous = None
        if commit.parents:
            before = reader.objects(
                commit.parents[0], env=destination.env, cluster=destination.cluster
            )
            previous = _of_app(desired_objects(before), options.app)
        try:
            with connect_destination(destination, target.cluster, access) as conn:
                result = sync_destination(
                    conn,
                    destination,
                    _of_app(everything, options.app),
                    DestinationPolicy(config, destination, override=override),
                    previous=previous,
                    current_all=everything,
                    options=options,
                    state_commit=commit.id,
                )
        except ClusterError as exc:
            yield DestinationSync(destination, error=exc)
            continue
        yield DestinationSync(destination, result=result)


def _of_app(objects: list[DesiredObject], app: str | None) -> list[DesiredObject]:
    return [o for o in objects if app is None or same_app(o.app, app)]
