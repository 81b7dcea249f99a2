"""Wiring and lifecycle: config watch -> publisher -> state follower -> destination runtimes.

    ConfigWatcher ──new config commit──► PublishLoop (publisher.py) ──► state repo
                                                                           │ poll / nudge
    LeaseManager ──shards held──► main loop ◄── StateFollower: new state commit
                                     │ DestinationSupervisor, per destination of a held shard:
                                     ▼
           DestinationRuntime: Connection + ClusterWatch + WorkQueue + Workers + Reconciler
                               + a monitor thread (probe, resync timer, queue metrics)

Everything slow (renders, cluster I/O) runs off the main thread; the main loop only
decides. SIGTERM/SIGINT stop it: the config watcher and publisher stop, each destination's
workers finish their current object (bounded by a timeout), Leases are released so another
replica takes over at once, the status file is written a last time, and the process exits 0.
`--once` is once.py.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from midway.cluster import connect
from midway.daemon.config_watch import ConfigWatcher
from midway.daemon.contest_store import ContestStore
from midway.daemon.destination_runtime import DestinationRuntime
from midway.daemon.http import HttpEndpoints
from midway.daemon.lease import LeaseManager
from midway.daemon.log_setup import fields
from midway.daemon.metrics import Metrics
from midway.daemon.once import run_once
from midway.daemon.options import DaemonOptions
from midway.daemon.publisher import Published, Publisher, PublishLoop
from midway.daemon.state_follower import StateFollower
from midway.daemon.status_document import Shards, StatusDocument
from midway.daemon.status_file import StatusWriter, default_status_path, read_status
from midway.daemon.supervisor import DestinationSupervisor
from midway.daemon.web.routes import Portal
from midway.errors import MidwayError
from midway.model import Destination
from midway.render.rollout_plan import rollouts_of
from midway.state.location import StateLocation, is_url, parse_state_spec
from midway.sync.contests import ContestTracker

log = logging.getLogger(__name__)

STATUS_INTERVAL_S = 2.0


class Daemon:
    def __init__(self, options: DaemonOptions, *, metrics: Metrics | None = None) -> None:
        self.options = options
        self.metrics = metrics or Metrics()
        self.contests = ContestTracker(options.fight_threshold, options.fight_window_s)
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.config_dir = self._config_dir()
        self.location = self._state_location()
        self.status_path = options.status_file or default_status_path(
            self.location, self.config_dir
        )
        self.publisher = Publisher(self.config_dir, self.location, self.metrics)
        self.publishing = PublishLoop(
            self.publisher,
            self.stopping,
            may_publish=self._may_publish,
            on_published=self._published,
        )
        self.watcher = ConfigWatcher(
            options.config,
            self.publishing.config_committed,
            rev=options.config_rev,
            poll_s=options.config_poll_s,
            fetch_interval_s=options.fetch_interval_s,
        )
        if self.watcher.remote:
            self.publisher.config_repo = self.watcher.repo_path
        self.held: frozenset[int] = frozenset(range(options.shards))
        self.leases: LeaseManager | None = None
        self.http: HttpEndpoints | None = None
        self._state_wake = threading.Event()
        self._held_changed = threading.Event()
        self._heartbeat = time.monotonic()
        previous = read_status(self.status_path)
        self.state = StateFollower(
            self.location, self.publisher, restored=previous.memory() if previous else {}
        )
        self.supervisor = DestinationSupervisor(
            options, self.state, metrics=self.metrics, contests=self.contests
        )
        self.status_writer = StatusWriter(
            self.status_path, self.status_document, self._status_signature
        )

    @property
    def runtimes(self) -> dict[Destination, DestinationRuntime]:
        return self.supervisor.runtimes

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

    # ------------------------------------------------------------------ callbacks

    def _leases_changed(self, held: frozenset[int]) -> None:
        for shard in range(self.options.shards):
            self.metrics.shard_held.labels(str(shard)).set(1 if shard in held else 0)
        self.held = held
        self._held_changed.set()

    def _may_publish(self) -> bool:
        # one publisher at a time: the holder of shard 0 (the state writer would cope with
        # two, but renders are not free)
        return self.options.publish and 0 in self.held

    def _published(self, config_commit: str, published: Published) -> None:
        self.state.configs[config_commit] = published.config
        self._state_wake.set()

    def _apply_state(self) -> None:
        self.supervisor.apply(self.state.config, self.state.commit, self.held)

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
        if self.state.commit is None:
            reasons.append(f"no state commit yet: {self.state.error or 'waiting'}")
        reasons.extend(self.supervisor.not_ready(self.state.config, self.held))
        self.metrics.ready.set(0 if reasons else 1)
        return not reasons, reasons

    def status(self) -> dict[str, Any]:
        """The status document as JSON (the /status endpoint)."""
        return self.status_document().to_json()

    def status_document(self) -> StatusDocument:
        return StatusDocument(
            written_at=time.time(),
            identity=self.options.identity,
            config_commit=self.watcher.head,
            state_commit=self.state.commit,
            state=str(self.location),
            publish_error=self.publisher.last_error,
            state_error=self.state.error,
            shards=Shards(count=self.options.shards, held=tuple(sorted(self.held))),
            destinations={
                **self.supervisor.refused_status(),
                **{str(d): runtime.snapshot() for d, runtime in sorted(self.runtimes.items())},
            },
        )

    def _status_signature(self) -> tuple[Any, ...]:
        return (
            self.state.commit,
            self.state.error,
            self.publisher.last_error,
            self.watcher.head,
            self.held,
            tuple(sorted(self.supervisor.refused.items())),
            tuple(
                (str(d), r.reconciler.version, r.watch.reachable, r.watch.synced())
                for d, r in sorted(self.runtimes.items())
            ),
        )

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
                portal=Portal(
                    self.status_document,
                    lambda: self.state.config,
                    rollouts=lambda blueprint: rollouts_of(self.state.config, blueprint),
                ).handle,
            ).start()
        except OSError as exc:
            raise MidwayError(
                f"cannot listen on {self.options.host}:{self.options.port}: {exc.strerror}",
                hint="another process uses the port: pass --port",
            ) from None
        self.metrics.watch_source(self.supervisor.watch_stats)
        if self.options.leader_election:
            self.held = frozenset()
            self._leases_changed(frozenset())
            lease_conn = connect(
                self.options.kubeconfig,
                self.options.context,
                in_cluster=self.options.in_cluster,
                probe=False,
            )
            # contests are remembered next to the Leases, so a new leader knows them too
            self.supervisor.contest_store = ContestStore(lease_conn, self.options.lease_namespace)
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
        self.publishing.start()
        self.watcher.start()
        try:
            self._main_loop()
        finally:
            self._shutdown()
        return 0

    def _main_loop(self) -> None:
        last_state_check = 0.0
        last_status = 0.0
        # a remote state repo is fetched at the config fetch pace, not every poll
        state_poll_s = self.options.state_poll_s
        if self.location.is_remote:
            state_poll_s = max(state_poll_s, self.options.fetch_interval_s)
        while not self.stopping.is_set():
            self._heartbeat = time.monotonic()
            if self._held_changed.is_set():
                self._held_changed.clear()
                self.publishing.wake.set()
                try:
                    self._apply_state()
                except MidwayError as exc:
                    self.state.error = exc.message
                    log.warning("reading the state repo failed: %s", exc.message)
            now = time.monotonic()
            woken = self._state_wake.is_set()
            if woken or now - last_state_check >= state_poll_s:
                self._state_wake.clear()
                if not woken:
                    last_state_check = now
                try:
                    # woken by our own publish: the local repo (or mirror) has the commit
                    self.state.follow(self._apply_state, fetch=not woken)
                except MidwayError as exc:
                    self.state.error = exc.message
                    log.warning("reading the state repo failed: %s", exc.message)
            if now - last_status >= STATUS_INTERVAL_S:
                last_status = now
                self.status_writer.write()
            self._state_wake.wait(0.2)

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.options.shutdown_timeout_s
        self.stopping.set()
        self.publishing.wake.set()
        self.watcher.stop()
        self.supervisor.stop_all(deadline)
        if self.leases is not None:
            self.leases.stop(release=True)
        self.status_writer.write(force=True)
        self.publishing.join(max(deadline - time.monotonic(), 0.1))
        if self.http is not None:
            self.http.stop()
        self.stopped.set()
        log.info("midway daemon stopped")

    def run_once(self) -> int:
        """Publish config HEAD if needed, sync every destination once, write status, exit."""
        return run_once(
            self.options,
            watcher=self.watcher,
            publisher=self.publisher,
            state=self.state,
            contests=self.contests,
            status_path=self.status_path,
        )


def run_daemon(
    options: DaemonOptions, *, on_started: Callable[[Daemon], None] | None = None
) -> int:
    daemon = Daemon(options)
    if threading.current_thread() is threading.main_thread():
        daemon.install_signal_handlers()
    if on_started is not None:
        on_started(daemon)
    return daemon.run()
