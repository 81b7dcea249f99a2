"""Wiring: config watch -> publisher -> state follower -> per-destination runtimes.

    ConfigWatcher ──new config commit──► publish thread (Publisher) ──► state repo
                                                                           │ poll / nudge
    LeaseManager ──shards held──► main loop ◄──────── new state commit ────┘
                                     │ per destination of a held shard:
                                     ▼
           DestinationRuntime: Connection + ClusterWatch + WorkQueue + Workers + Reconciler
                               + a monitor thread (probe, resync timer, queue metrics)

Everything slow (renders, cluster I/O) runs off the main thread; the main loop only
decides. SIGTERM/SIGINT stop it: the config watcher and publisher stop, each destination's
workers finish their current object (bounded by a timeout), Leases are released so another
replica takes over at once, the status file is written a last time, and the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from midway.cluster import Connection, connect
from midway.daemon.cluster_watch import ClusterWatch
from midway.daemon.config_watch import DEFAULT_FETCH_INTERVAL_S, ConfigWatcher
from midway.daemon.http import HttpEndpoints
from midway.daemon.lease import LeaseManager, shard_of
from midway.daemon.logging import fields
from midway.daemon.metrics import Metrics
from midway.daemon.publisher import Publisher
from midway.daemon.queue import Workers, WorkQueue
from midway.daemon.reconciler import Reconciler, TargetState, WorkItem
from midway.daemon.status_file import default_status_path, read_status, write_status
from midway.drift.model import DesiredObject
from midway.errors import ClusterError, MidwayError
from midway.model import ConfigRepo, Destination
from midway.state.location import StateLocation, is_url, parse_state_spec
from midway.state.reader import StateReader
from midway.sync.backoff import Backoff
from midway.sync.destination import SyncOptions, desired_objects, sync_destination
from midway.sync.fights import DEFAULT_THRESHOLD, DEFAULT_WINDOW_S, FightTracker
from midway.sync.policy import DestinationPolicy
from midway.sync.prune import DEFAULT_PRUNE_TIMEOUT_S

log = logging.getLogger(__name__)

DEFAULT_PORT = 9477
DEFAULT_RESYNC_S = 600.0
MONITOR_INTERVAL_S = 1.0
STATUS_INTERVAL_S = 2.0
STATUS_MAX_AGE_S = 15.0


@dataclass
class DaemonOptions:
    config: str  # config repo: a local path or a git URL
    state: str | None = None  # --state PATH|URL[@BRANCH]; default from midway.yaml
    config_rev: str = "HEAD"
    port: int = DEFAULT_PORT
    host: str = "0.0.0.0"
    resync_s: float = DEFAULT_RESYNC_S
    once: bool = False
    envs: tuple[str, ...] = ()  # only these environments (default: all)
    clusters: tuple[str, ...] = ()
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    workers: int = 4  # per destination
    publish: bool = True  # False: only reconcile what others publish
    leader_election: bool = False
    lease_namespace: str = "midway"
    lease_duration_s: float = 15.0
    shards: int = 1
    identity: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    fight_threshold: int = DEFAULT_THRESHOLD
    fight_window_s: float = DEFAULT_WINDOW_S
    prune_timeout_s: float = DEFAULT_PRUNE_TIMEOUT_S
    status_file: Path | None = None
    state_poll_s: float = 2.0
    config_poll_s: float = 5.0
    fetch_interval_s: float = DEFAULT_FETCH_INTERVAL_S
    shutdown_timeout_s: float = 8.0


# ---------------------------------------------------------------------- one destination


class DestinationRuntime:
    """Everything that works one destination; its own threads, so it never blocks others."""

    def __init__(
        self,
        destination: Destination,
        conn: Connection,
        *,
        metrics: Metrics,
        fights: FightTracker,
        options: DaemonOptions,
    ) -> None:
        self.destination = destination
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
            fights=fights,
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
            len(self.reconciler.fights.contested(self.destination))
        )
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

    def snapshot(self) -> dict[str, Any]:
        snap = self.reconciler.snapshot()
        snap["applied_commit"] = self.reconciler.applied_commit
        snap["last_sync"] = self.last_sync
        snap["queue_depth"] = self.queue.depth()
        snap["unwatched"] = dict(self.watch.unresolved)
        return snap

    def stop(self, timeout_s: float) -> None:
        self._stop.set()
        finished = self.workers.stop(timeout_s)
        if not finished:
            log.warning("%s: workers did not finish within %.1fs", self.destination, timeout_s)
        self.watch.stop()
        self.conn.close()
        self.metrics.forget_destination(*self.labels)


# ---------------------------------------------------------------------- the daemon


class Daemon:
    def __init__(self, options: DaemonOptions, *, metrics: Metrics | None = None) -> None:
        self.options = options
        self.metrics = metrics or Metrics()
        self.fights = FightTracker(options.fight_threshold, options.fight_window_s)
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.config_dir = self._config_dir()
        self.location = self._state_location()
        self.status_path = options.status_file or default_status_path(
            self.location, self.config_dir
        )
        self.publisher = Publisher(self.config_dir, self.location, self.metrics)
        self.watcher = ConfigWatcher(
            options.config,
            self._config_committed,
            rev=options.config_rev,
            poll_s=options.config_poll_s,
            fetch_interval_s=options.fetch_interval_s,
        )
        if self.watcher.remote:
            self.publisher.config_repo = self.watcher.repo_path
        self.runtimes: dict[Destination, DestinationRuntime] = {}
        self.held: frozenset[int] = frozenset(range(options.shards))
        self.leases: LeaseManager | None = None
        self.http: HttpEndpoints | None = None
        self.state_commit: str | None = None
        self.state_error: str | None = None
        self.config: ConfigRepo | None = None
        self._configs: dict[str, ConfigRepo] = {}
        self._reader: StateReader | None = None
        self._reader_lock = threading.Lock()
        self._pending_config: str | None = None
        self._publish_wake = threading.Event()
        self._state_wake = threading.Event()
        self._held_changed = threading.Event()
        self._heartbeat = time.monotonic()
        self._restored = read_status(self.status_path) or {}
        self._status_last: tuple[Any, ...] | None = None
        self._status_written = 0.0

    # ------------------------------------------------------------------ setup

    def _config_dir(self) -> Path:
        if is_url(self.options.config):
            return Path(".").resolve()  # only for relative defaults; the mirror is used
        return Path(self.options.config).resolve()

    def _state_location(self) -> StateLocation:
        if is_url(self.options.config) and self.options.state is None:
            raise MidwayError(
                "--state is required when --config is a URL",
                hint="pass --state URL[@BRANCH] (or a local path) for the state repo",
            )
        settings = None
        if not is_url(self.options.config):
            try:
                from midway.config.loader import load_config
                from midway.config.source import DiskSource

                settings = load_config(DiskSource(self.config_dir)).settings
            except MidwayError:
                settings = None  # a broken working tree must not stop the daemon
        return parse_state_spec(
            self.options.state, settings, config_dir=self.config_dir, cwd=Path.cwd()
        )

    def _connect(self, destination: Destination, config: ConfigRepo) -> Connection:
        cluster = next(
            (
                c
                for c in config.environments[destination.env].clusters
                if c.name == destination.cluster
            ),
            None,
        )
        context = self.options.context or (cluster.context if cluster else None)
        return connect(
            self.options.kubeconfig,
            context,
            in_cluster=self.options.in_cluster,
            probe=False,
        )

    # ------------------------------------------------------------------ callbacks

    def _config_committed(self, commit: str) -> None:
        self._pending_config = commit
        self._publish_wake.set()

    def _leases_changed(self, held: frozenset[int]) -> None:
        for shard in range(self.options.shards):
            self.metrics.shard_held.labels(str(shard)).set(1 if shard in held else 0)
        self.held = held
        self._held_changed.set()

    # ------------------------------------------------------------------ publishing

    def _may_publish(self) -> bool:
        # one publisher at a time: the holder of shard 0 (the state writer would cope with
        # two, but renders are not free)
        return self.options.publish and 0 in self.held

    def _publish_loop(self) -> None:
        """Publish the newest config commit. A commit that does not render is not tried
        again (the next commit will be); a failed write (push rejected, remote down) is
        retried with backoff."""
        done: str | None = None  # last commit published or found broken
        retry = Backoff(base_s=2.0, cap_s=60.0)
        retry_at = 0.0
        while not self.stopping.is_set():
            self._publish_wake.wait(1.0)
            if self.stopping.is_set():
                return
            self._publish_wake.clear()
            commit = self._pending_config
            if commit is None or commit == done or not self._may_publish():
                continue
            if time.monotonic() < retry_at:
                continue
            try:
                published = self.publisher.publish(commit)
            except Exception as exc:
                delay = retry.failed("publish")
                retry_at = time.monotonic() + delay
                message = exc.render() if isinstance(exc, MidwayError) else repr(exc)
                log.error(
                    "publishing config %s failed (retry in %.0fs): %s",
                    commit[:12],
                    delay,
                    message,
                )
                continue
            retry.succeeded("publish")
            done = commit
            if published is not None:
                self._configs[commit] = published.config
                self._state_wake.set()

    # ------------------------------------------------------------------ state

    def _open_reader(self) -> StateReader | None:
        with self._reader_lock:
            if self._reader is None:
                if self.location.path is not None and not self.location.path.exists():
                    self.state_error = f"the state repo {self.location.display} does not exist yet"
                    return None
                try:
                    self._reader = StateReader.open(self.location)
                except MidwayError as exc:
                    self.state_error = exc.message
                    return None
            return self._reader

    def _state_head(self, fetch: bool = True) -> str | None:
        """The state branch head; `fetch=False` reads a remote repo's local mirror only."""
        reader = self._open_reader()
        if reader is None:
            return None
        with self._reader_lock:
            try:
                if fetch or not self.location.is_remote:
                    reader.head = reader.opened.fetch()
                else:
                    reader.head = reader.opened.store.ref_target(reader.opened.read_ref)
            except MidwayError as exc:
                self.state_error = exc.message
                return None
            self.state_error = None if reader.head else "the state branch has no commit yet"
            return reader.head

    def _config_for(self, config_commit: str | None) -> ConfigRepo | None:
        if config_commit and config_commit in self._configs:
            return self._configs[config_commit]
        if config_commit:
            try:
                config = self.publisher.load(config_commit)
            except MidwayError as exc:
                log.warning("cannot load config %s for policies: %s", config_commit[:12], exc)
            else:
                self._configs[config_commit] = config
                return config
        return self.config  # the state was published from elsewhere: best effort

    def _destinations(self, config: ConfigRepo) -> list[Destination]:
        found = []
        for env in config.environments_in_order():
            if self.options.envs and env.name not in self.options.envs:
                continue
            for cluster in env.clusters:
                if self.options.clusters and cluster.name not in self.options.clusters:
                    continue
                found.append(Destination(env.name, cluster.name))
        return found

    def _objects(
        self, commit: str, destination: Destination
    ) -> tuple[list[DesiredObject], dict[str, str]]:
        reader = self._open_reader()
        assert reader is not None
        with self._reader_lock:
            objects = reader.objects(commit, env=destination.env, cluster=destination.cluster)
        return desired_objects(objects), {o.path: o.blob for o in objects}

    def _previous_objects(
        self, destination: Destination, commit: str
    ) -> tuple[list[DesiredObject] | None, str | None]:
        """What to prune against on first sight: the commit applied before a restart
        (status file), else the parent of `commit`."""
        restored = (self._restored.get("destinations") or {}).get(str(destination)) or {}
        applied = restored.get("applied_commit")
        reader = self._open_reader()
        assert reader is not None
        candidates = [applied] if applied else []
        with self._reader_lock:
            parents = list(reader.commit(commit).parents)
        candidates += parents[:1]
        for candidate in candidates:
            try:
                objects, _ = self._objects(candidate, destination)
            except MidwayError:
                continue
            return objects, applied
        return None, applied

    def _follow_state(self, fetch: bool = True) -> None:
        head = self._state_head(fetch)
        if head is None or head == self.state_commit:
            return
        reader = self._open_reader()
        assert reader is not None
        with self._reader_lock:
            commit = reader.commit(head)
        config = self._config_for(commit.config_commit)
        if config is None:
            self.state_error = (
                f"state commit {head[:12]} names config commit {commit.config_commit} "
                "which cannot be loaded"
            )
            return
        previous = (self.config, self.state_commit)
        self.config = config
        self.state_commit = head
        log.info(
            "state commit %s", head[:12], extra=fields(state_commit=head, summary=commit.summary)
        )
        try:
            self._apply_state()
        except BaseException:
            # not handed to every destination: try this commit again on the next poll
            self.config, self.state_commit = previous
            raise

    def _apply_state(self) -> None:
        """Bring runtimes in line with held shards and hand them the current state commit."""
        config, head = self.config, self.state_commit
        if config is None or head is None:
            return
        wanted = {
            d for d in self._destinations(config) if shard_of(d, self.options.shards) in self.held
        }
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
                    conn = self._connect(destination, config)
                except ClusterError as exc:
                    log.error("cannot connect to %s: %s", destination, exc.message)
                    continue
                runtime = DestinationRuntime(
                    destination,
                    conn,
                    metrics=self.metrics,
                    fights=self.fights,
                    options=self.options,
                )
                self.runtimes[destination] = runtime.start()
                log.info("working %s", destination, extra=fields(destination=str(destination)))
            if runtime.reconciler.state is not None and runtime.reconciler.state.commit == head:
                continue
            objects, blobs = self._objects(head, destination)
            target = TargetState(
                commit=head,
                objects=tuple(objects),
                blobs=blobs,
                policy=DestinationPolicy(config, destination),
            )
            if first:
                previous, restored = self._previous_objects(destination, head)
                runtime.reconciler.set_desired(target, previous=previous, restored_commit=restored)
            else:
                runtime.reconciler.set_desired(target)
            self.metrics.state_commit_info.labels(*runtime.labels, head[:12]).set(1)

    # ------------------------------------------------------------------ health

    def healthy(self) -> tuple[bool, list[str]]:
        age = time.monotonic() - self._heartbeat
        if age > 30:
            return False, [f"main loop stuck for {age:.0f}s"]
        return True, []

    def ready(self) -> tuple[bool, list[str]]:
        reasons: list[str] = []
        if self.stopping.is_set():
            reasons.append("shutting down")
        if self.state_commit is None:
            reasons.append(f"no state commit yet: {self.state_error or 'waiting'}")
        wanted = (
            {
                d
                for d in self._destinations(self.config)
                if shard_of(d, self.options.shards) in self.held
            }
            if self.config
            else set()
        )
        for destination in sorted(wanted):
            runtime = self.runtimes.get(destination)
            if runtime is None:
                reasons.append(f"{destination}: not connected")
                continue
            _, why = runtime.ready()
            reasons.extend(why)
        self.metrics.ready.set(0 if reasons else 1)
        return not reasons, reasons

    def status(self) -> dict[str, Any]:
        return {
            "written_at": time.time(),
            "identity": self.options.identity,
            "config_commit": self.watcher.head,
            "state_commit": self.state_commit,
            "state": str(self.location),
            "publish_error": self.publisher.last_error,
            "state_error": self.state_error,
            "shards": {"count": self.options.shards, "held": sorted(self.held)},
            "destinations": {
                str(d): runtime.snapshot() for d, runtime in sorted(self.runtimes.items())
            },
        }

    def _status_signature(self) -> tuple[Any, ...]:
        return (
            self.state_commit,
            self.state_error,
            self.publisher.last_error,
            self.watcher.head,
            self.held,
            tuple(
                (str(d), r.reconciler.version, r.watch.reachable, r.watch.synced())
                for d, r in sorted(self.runtimes.items())
            ),
        )

    def _write_status(self, force: bool = False) -> None:
        """Write the status file when something changed (or every STATUS_MAX_AGE_S)."""
        signature = self._status_signature()
        age = time.monotonic() - self._status_written
        if not force and signature == self._status_last and age < STATUS_MAX_AGE_S:
            return
        try:
            write_status(self.status_path, self.status())
        except OSError as exc:
            log.warning("cannot write the status file %s: %s", self.status_path, exc)
            return
        self._status_last = signature
        self._status_written = time.monotonic()

    # ------------------------------------------------------------------ run

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("received %s, shutting down", signal.Signals(signum).name)
            self.stopping.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> int:
        if self.options.once:
            return self.run_once()
        log.info(
            "midway daemon starting",
            extra=fields(
                identity=self.options.identity,
                config=self.options.config,
                state=str(self.location),
                port=self.options.port,
                shards=self.options.shards,
                leader_election=self.options.leader_election,
            ),
        )
        try:
            self.http = HttpEndpoints(
                self.options.port,
                host=self.options.host,
                healthy=self.healthy,
                ready=self.ready,
                metrics=self.metrics.exposition,
                status=self.status,
            ).start()
        except OSError as exc:
            raise MidwayError(
                f"cannot listen on {self.options.host}:{self.options.port}: {exc.strerror}",
                hint="another process uses the port: pass --port",
            ) from None
        self.metrics.watch_source(self._watch_stats)
        if self.options.leader_election:
            self.held = frozenset()
            self._leases_changed(frozenset())
            lease_conn = connect(
                self.options.kubeconfig,
                self.options.context,
                in_cluster=self.options.in_cluster,
                probe=False,
            )
            self.leases = LeaseManager(
                lease_conn,
                self.options.lease_namespace,
                self.options.identity,
                self.options.shards,
                duration_s=self.options.lease_duration_s,
                on_change=self._leases_changed,
            ).start()
        else:
            self._leases_changed(frozenset(range(self.options.shards)))
        publisher = threading.Thread(target=self._publish_loop, name="publish", daemon=True)
        publisher.start()
        self.watcher.start()
        last_state_check = 0.0
        last_status = 0.0
        # a remote state repo is fetched at the config fetch pace, not every poll
        state_poll_s = self.options.state_poll_s
        if self.location.is_remote:
            state_poll_s = max(state_poll_s, self.options.fetch_interval_s)
        try:
            while not self.stopping.is_set():
                self._heartbeat = time.monotonic()
                if self._held_changed.is_set():
                    self._held_changed.clear()
                    self._publish_wake.set()
                    try:
                        self._apply_state()
                    except MidwayError as exc:
                        self.state_error = exc.message
                        log.warning("reading the state repo failed: %s", exc.message)
                now = time.monotonic()
                woken = self._state_wake.is_set()
                if woken or now - last_state_check >= state_poll_s:
                    self._state_wake.clear()
                    if not woken:
                        last_state_check = now
                    try:
                        # woken by our own publish: the local repo (or mirror) has the commit
                        self._follow_state(fetch=not woken)
                    except MidwayError as exc:
                        self.state_error = exc.message
                        log.warning("reading the state repo failed: %s", exc.message)
                if now - last_status >= STATUS_INTERVAL_S:
                    last_status = now
                    self._write_status()
                self._state_wake.wait(0.2)
        finally:
            self._shutdown(publisher)
        return 0

    def _watch_stats(self) -> list[tuple[str, str, str, int, int]]:
        return [
            (d.env, d.cluster, resource, restarts, count)
            for d, runtime in list(self.runtimes.items())
            for resource, restarts, count in runtime.watch.stats()
        ]

    def _shutdown(self, publisher: threading.Thread) -> None:
        deadline = time.monotonic() + self.options.shutdown_timeout_s
        self.stopping.set()
        self._publish_wake.set()
        self.watcher.stop()
        per_runtime = max(deadline - time.monotonic() - 1.5, 0.5)
        stoppers = [
            threading.Thread(target=runtime.stop, args=(per_runtime,), daemon=True)
            for runtime in self.runtimes.values()
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join(max(deadline - time.monotonic() - 1.0, 0.1))
        if self.leases is not None:
            self.leases.stop(release=True)
        self._write_status(force=True)
        publisher.join(max(deadline - time.monotonic(), 0.1))
        if self.http is not None:
            self.http.stop()
        self.stopped.set()
        log.info("midway daemon stopped")

    # ------------------------------------------------------------------ --once

    def run_once(self) -> int:
        """Publish config HEAD if needed, sync every destination once, write status, exit."""
        exit_code = 0
        head = self.watcher.check() if self.options.publish else None
        if head is not None:
            published = self.publisher.publish(head)
            if published is None:
                exit_code = 2
            else:
                self._configs[head] = published.config
        state_head = self._state_head()
        if state_head is None:
            raise MidwayError(f"no state commit to sync: {self.state_error}")
        reader = self._open_reader()
        assert reader is not None
        commit = reader.commit(state_head)
        config = self._config_for(commit.config_commit)
        if config is None:
            raise MidwayError(f"cannot load the config of state commit {state_head[:12]}")
        self.state_commit, self.config = state_head, config
        summaries: dict[str, Any] = {}
        for destination in self._destinations(config):
            objects, _ = self._objects(state_head, destination)
            previous, _ = self._previous_objects(destination, state_head)
            try:
                with self._connect(destination, config) as conn:
                    result = sync_destination(
                        conn,
                        destination,
                        objects,
                        DestinationPolicy(config, destination),
                        previous=previous,
                        options=SyncOptions(prune_timeout_s=self.options.prune_timeout_s),
                        fights=self.fights,
                        state_commit=state_head,
                    )
            except ClusterError as exc:
                log.error("%s: %s", destination, exc.message)
                exit_code = 2
                continue
            for entry in result.changes:
                if entry.action != "unchanged":
                    log.info("%s", entry.describe(), extra=fields(destination=str(destination)))
            if result.changes.errors:
                exit_code = 2
            summaries[str(destination)] = {
                "env": destination.env,
                "cluster": destination.cluster,
                "state_commit": state_head,
                "applied_commit": state_head,
                "last_sync": time.time() if not result.changes.errors else None,
                "reachable": True,
                "synced": True,
                "objects": result.report.counts(),
                "changes": result.changes.to_dict()["counts"],
                "recent": [
                    {"object": str(e.key), "action": e.action, "reason": e.reason, "time": e.time}
                    for e in result.changes
                    if e.action != "unchanged"
                ],
                "apps": {},
                "contested": [],
            }
        write_status(
            self.status_path,
            {
                "written_at": time.time(),
                "identity": self.options.identity,
                "config_commit": head,
                "state_commit": state_head,
                "state": str(self.location),
                "destinations": summaries,
            },
        )
        return exit_code


def run_daemon(
    options: DaemonOptions, *, on_started: Callable[[Daemon], None] | None = None
) -> int:
    daemon = Daemon(options)
    if threading.current_thread() is threading.main_thread():
        daemon.install_signal_handlers()
    if on_started is not None:
        on_started(daemon)
    return daemon.run()
