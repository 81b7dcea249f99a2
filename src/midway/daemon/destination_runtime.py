"""One destination at work: Connection + ClusterWatch + WorkQueue + Workers + Reconciler.

Each destination has its own threads (watches, workers, a monitor), so a slow or
unreachable cluster never holds up another. The monitor probes the cluster every
MONITOR_INTERVAL_S, publishes the destination's gauges, notes when it converged and runs
the full resync every `--resync`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from midway.cluster import Connection, resolve_context
from midway.cluster import connect_destination as connect_to_cluster
from midway.cluster.identity import ContextChoice
from midway.config.targets import target_of
from midway.daemon.cluster_watch import ClusterWatch
from midway.daemon.contest_store import ContestStore, encode
from midway.daemon.metrics import Metrics
from midway.daemon.options import DaemonOptions
from midway.daemon.queue import Workers, WorkQueue
from midway.daemon.reconciler import Reconciler, WorkItem
from midway.daemon.status_document import DestinationMemory, DestinationStatus
from midway.model import Cluster, ConfigRepo, Destination
from midway.sync.contests import ContestTracker

log = logging.getLogger(__name__)

MONITOR_INTERVAL_S = 1.0


def _cluster_of(destination: Destination, config: ConfigRepo) -> Cluster:
    return target_of(config, destination).cluster


def connect_destination(
    destination: Destination, config: ConfigRepo, options: DaemonOptions
) -> Connection:
    """The cluster the destination's `server:` names (midway.cluster.connect_destination):
    --context or the cluster's `context:` must reach that server; ClusterIdentityError
    (the destination is then refused, never written) otherwise."""
    return connect_to_cluster(
        destination, _cluster_of(destination, config), options.access, probe=False
    )


def resolve_destination(
    destination: Destination, config: ConfigRepo, options: DaemonOptions
) -> ContextChoice:
    """The context `connect_destination` would use now (reads the kubeconfig, no network):
    a running destination is checked again with each state commit, since its `server:`,
    `context:` or the kubeconfig may have changed since it connected."""
    return resolve_context(destination, _cluster_of(destination, config), options.access)


class DestinationRuntime:
    """Everything that works one destination; its own threads, so it never blocks others."""

    def __init__(
        self,
        destination: Destination,
        conn: Connection,
        *,
        metrics: Metrics,
        contests: ContestTracker,
        options: DaemonOptions,
        contest_store: ContestStore | None = None,
    ) -> None:
        self.destination = destination
        self.contests = contests
        self.contest_store = contest_store
        self._contests_saved: str | None = None
        self.conn = conn
        self.metrics = metrics
        self.options = options
        self.labels = (destination.env, destination.cluster)
        self.queue: WorkQueue[WorkItem] = WorkQueue(str(destination))
        self.reconciler: Reconciler
        self.watch = ClusterWatch(conn, destination, self._on_change)
        self.reconciler = Reconciler(
            destination,
            conn,
            self.watch,
            self.queue,
            metrics=metrics,
            contests=contests,
            prune_timeout_s=options.prune_timeout_s,
        )
        self.workers = Workers(
            self.queue,
            self.reconciler.handle,
            count=options.workers,
            name=f"reconcile-{destination.env}-{destination.cluster}",
        )
        self.last_sync: float | None = None
        self._next_resync = time.monotonic() + options.resync_s
        self._stop = threading.Event()
        self._monitor = threading.Thread(
            target=self._run_monitor, name=f"monitor-{destination}", daemon=True
        )

    def _on_change(self, event: str, key: Any, obj: Any) -> None:
        self.reconciler.live_changed(event, key, obj)

    def start(self) -> DestinationRuntime:
        if self.contest_store is not None:
            for contested, desired in self.contest_store.load(self.destination):
                self.contests.restore(contested, desired)
            self._contests_saved = encode(self.contests.export(self.destination))
        self.watch.probe()
        self.workers.start()
        self._monitor.start()
        return self

    def _run_monitor(self) -> None:
        while not self._stop.wait(MONITOR_INTERVAL_S):
            try:
                self._tick()
            except Exception:
                log.exception("monitor of %s failed", self.destination)

    def _tick(self) -> None:
        reachable = self.watch.probe()
        self.metrics.reachable.labels(*self.labels).set(1 if reachable else 0)
        if reachable:
            self.watch.retry_unresolved()
        self.metrics.queue_depth.labels(*self.labels).set(self.queue.depth())
        self.metrics.contested_fields.labels(*self.labels).set(
            len(self.reconciler.contests.contested(self.destination))
        )
        if self.contest_store is not None:
            current = self.contests.export(self.destination)
            text = encode(current)
            if text != self._contests_saved and self.contest_store.save(self.destination, current):
                self._contests_saved = text
        for status, count in self.reconciler.counts().items():
            self.metrics.objects.labels(*self.labels, status).set(count)
        if (
            reachable
            and self.watch.synced()
            and self.workers.busy == 0
            and self.reconciler.converged()
        ):
            self.last_sync = time.time()
            self.metrics.last_sync.labels(*self.labels).set(self.last_sync)
        if time.monotonic() >= self._next_resync:
            self._next_resync = time.monotonic() + self.options.resync_s
            self.reconciler.resync()

    def ready(self) -> tuple[bool, list[str]]:
        reasons = []
        if not self.watch.reachable:
            reasons.append(
                f"{self.destination}: cluster unreachable ({self.watch.last_probe_error})"
            )
        elif not self.watch.synced():
            reasons.append(f"{self.destination}: watch caches are syncing")
        if self.reconciler.state is None:
            reasons.append(f"{self.destination}: no state commit loaded yet")
        return not reasons, reasons

    def snapshot(self) -> DestinationStatus:
        return replace(
            self.reconciler.snapshot(),
            memory=DestinationMemory(applied_commit=self.reconciler.applied_commit),
            last_sync=self.last_sync,
            queue_depth=self.queue.depth(),
            unwatched=dict(self.watch.unresolved),
        )

    def stop(self, timeout_s: float) -> None:
        self._stop.set()
        finished = self.workers.stop(timeout_s)
        if not finished:
            log.warning("%s: workers did not finish within %.1fs", self.destination, timeout_s)
        self.watch.stop()
        self.conn.close()
        self.metrics.forget_destination(*self.labels)
