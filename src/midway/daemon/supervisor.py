"""Which destinations this replica works, and handing each the current state commit.

A destination is worked when its shard is held (all shards without leader election): the
supervisor starts a DestinationRuntime for it, stops the runtimes of destinations no
longer wanted, and gives every runtime the desired objects of a new state commit — on a
runtime's first commit also what to prune against (the commit applied before a restart).
"""

from __future__ import annotations

import logging
import threading
import time

from midway.daemon.contest_store import ContestStore
from midway.daemon.destination_runtime import DestinationRuntime, connect_destination
from midway.daemon.lease import shard_of
from midway.daemon.logging import fields
from midway.daemon.metrics import Metrics
from midway.daemon.options import DaemonOptions
from midway.daemon.reconciler import TargetState
from midway.daemon.state_follower import StateFollower
from midway.errors import ClusterError
from midway.model import ConfigRepo, Destination
from midway.sync.fights import FightTracker
from midway.sync.policy import DestinationPolicy

log = logging.getLogger(__name__)


class DestinationSupervisor:
    def __init__(
        self,
        options: DaemonOptions,
        state: StateFollower,
        *,
        metrics: Metrics,
        fights: FightTracker,
    ) -> None:
        self.options = options
        self.state = state
        self.metrics = metrics
        self.fights = fights
        self.runtimes: dict[Destination, DestinationRuntime] = {}
        # where destinations' contests are remembered (set once the daemon has a home cluster)
        self.contests: ContestStore | None = None

    def wanted(self, config: ConfigRepo, held: frozenset[int]) -> set[Destination]:
        """The destinations of `config` whose shard this replica holds."""
        return {
            d for d in self.options.destinations(config) if shard_of(d, self.options.shards) in held
        }

    def apply(self, config: ConfigRepo | None, head: str | None, held: frozenset[int]) -> None:
        """Bring runtimes in line with held shards and hand them the state commit `head`."""
        if config is None or head is None:
            return
        wanted = self.wanted(config, held)
        for destination in list(self.runtimes):
            if destination not in wanted:
                log.info("no longer working %s", destination)
                self.runtimes.pop(destination).stop(2.0)
                self.fights.forget(destination)
        for destination in sorted(wanted):
            runtime = self.runtimes.get(destination)
            first = runtime is None
            if runtime is None:
                try:
                    conn = connect_destination(destination, config, self.options)
                except ClusterError as exc:
                    log.error("cannot connect to %s: %s", destination, exc.message)
                    continue
                runtime = DestinationRuntime(
                    destination,
                    conn,
                    metrics=self.metrics,
                    fights=self.fights,
                    options=self.options,
                    contests=self.contests,
                )
                self.runtimes[destination] = runtime.start()
                log.info("working %s", destination, extra=fields(destination=str(destination)))
            if runtime.reconciler.state is not None and runtime.reconciler.state.commit == head:
                continue
            objects, blobs = self.state.objects(head, destination)
            target = TargetState(
                commit=head,
                objects=tuple(objects),
                blobs=blobs,
                policy=DestinationPolicy(config, destination),
            )
            if first:
                previous, restored = self.state.previous_objects(destination, head)
                runtime.reconciler.set_desired(target, previous=previous, restored_commit=restored)
            else:
                runtime.reconciler.set_desired(target)
            self.metrics.set_state_commit(*runtime.labels, head[:12])

    def not_ready(self, config: ConfigRepo | None, held: frozenset[int]) -> list[str]:
        """Why the wanted destinations are not ready (none: they are)."""
        reasons: list[str] = []
        wanted = self.wanted(config, held) if config else set()
        for destination in sorted(wanted):
            runtime = self.runtimes.get(destination)
            if runtime is None:
                reasons.append(f"{destination}: not connected")
                continue
            _, why = runtime.ready()
            reasons.extend(why)
        return reasons

    def watch_stats(self) -> list[tuple[str, str, str, int, int]]:
        return [
            (d.env, d.cluster, resource, restarts, count)
            for d, runtime in list(self.runtimes.items())
            for resource, restarts, count in runtime.watch.stats()
        ]

    def stop_all(self, deadline: float) -> None:
        """Stop every runtime in parallel, leaving about a second of `deadline` (monotonic)."""
        per_runtime = max(deadline - time.monotonic() - 1.5, 0.5)
        stoppers = [
            threading.Thread(target=runtime.stop, args=(per_runtime,), daemon=True)
            for runtime in self.runtimes.values()
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join(max(deadline - time.monotonic() - 1.0, 0.1))
