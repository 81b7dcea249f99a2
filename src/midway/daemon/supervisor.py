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

from midway.cluster import ClusterIdentityError, normalize_server
from midway.config.targets import target_of
from midway.daemon.contest_store import ContestStore
from midway.daemon.destination_runtime import (
    DestinationRuntime,
    connect_destination,
    resolve_destination,
)
from midway.daemon.lease import shard_of
from midway.daemon.log_setup import fields
from midway.daemon.metrics import Metrics
from midway.daemon.options import DaemonOptions
from midway.daemon.reconciler import TargetState
from midway.daemon.reporting import refused_status
from midway.daemon.state_follower import StateFollower
from midway.daemon.status_document import DestinationStatus
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
        # destinations whose `server:` no context reaches safely: never connected, never
        # written; why, as the error says it (retried on the next state commit)
        self.refused: dict[Destination, str] = {}
        # the (normalised) `server:` each running destination was checked against
        self.checked: dict[Destination, str] = {}
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
        for destination in list(self.refused):
            if destination not in wanted:
                self._forget_refusal(destination)
        for destination in sorted(wanted):
            runtime = self.runtimes.get(destination)
            if runtime is not None and not self._still_reaches(destination, config, runtime):
                self.runtimes.pop(destination).stop(2.0)
                self.fights.forget(destination)
                runtime = None
                if destination in self.refused:
                    continue
            first = runtime is None
            if runtime is None:
                try:
                    conn = connect_destination(destination, config, self.options)
                except ClusterIdentityError as exc:
                    self._refuse(destination, exc)
                    continue
                except ClusterError as exc:
                    log.error("cannot connect to %s: %s", destination, exc.message)
                    continue
                self._forget_refusal(destination)
                self.checked[destination] = _server_of(destination, config)
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

    def _still_reaches(
        self, destination: Destination, config: ConfigRepo, runtime: DestinationRuntime
    ) -> bool:
        """Whether the running connection is still the one the config asks for: a commit
        that moves `server:` (or a kubeconfig edit) must not leave it writing to the old
        cluster."""
        try:
            choice = resolve_destination(destination, config, self.options)
        except ClusterIdentityError as exc:
            log.error("%s: its connection no longer matches the config; stopping", destination)
            self._refuse(destination, exc)
            return False
        except ClusterError:
            # the kubeconfig cannot be read just now: keep the connection only while the
            # config still names the server it was checked against
            return self.checked.get(destination) == _server_of(destination, config)
        if choice.context != runtime.conn.context:
            log.warning(
                "%s now resolves to context %s (was %s): reconnecting",
                destination,
                choice.context,
                runtime.conn.context,
            )
            return False
        return True

    def _refuse(self, destination: Destination, exc: ClusterIdentityError) -> None:
        text = exc.render().replace("\n", " ")
        if self.refused.get(destination) != text:
            log.error(
                "refusing %s: %s",
                destination,
                text,
                extra=fields(destination=str(destination)),
            )
        self.refused[destination] = text
        self.metrics.server_mismatch.labels(destination.env, destination.cluster).set(1)

    def _forget_refusal(self, destination: Destination) -> None:
        if self.refused.pop(destination, None) is not None:
            self.metrics.server_mismatch.labels(destination.env, destination.cluster).set(0)

    def refused_status(self) -> dict[str, DestinationStatus]:
        """Status-document entries of refused destinations (they have no runtime)."""
        return {str(d): refused_status(d, why) for d, why in sorted(self.refused.items())}

    def not_ready(self, config: ConfigRepo | None, held: frozenset[int]) -> list[str]:
        """Why the wanted destinations are not ready (none: they are)."""
        reasons: list[str] = []
        wanted = self.wanted(config, held) if config else set()
        for destination in sorted(wanted):
            runtime = self.runtimes.get(destination)
            if destination in self.refused:
                reasons.append(
                    f"{destination}: refused, nothing is written there: {self.refused[destination]}"
                )
                continue
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


def _server_of(destination: Destination, config: ConfigRepo) -> str:
    try:
        return normalize_server(target_of(config, destination).cluster.server)
    except KeyError:  # the destination left the config
        return ""
