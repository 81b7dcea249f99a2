"""What `midway daemon` is asked to do: its options, and the destinations they select."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from midway.cluster.target import ClusterAccess
from midway.config.targets import select_targets
from midway.daemon.config_watch import DEFAULT_FETCH_INTERVAL_S
from midway.model import ConfigRepo, Destination
from midway.sync.contests import DEFAULT_THRESHOLD, DEFAULT_WINDOW_S
from midway.sync.prune import DEFAULT_PRUNE_TIMEOUT_S

DEFAULT_PORT = 9477
DEFAULT_RESYNC_S = 600.0


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
    in_cluster_server: str | None = None  # the URL environments use for the pod's cluster
    allow_server_mismatch: bool = False  # use --context even where its server differs
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

    @property
    def access(self) -> ClusterAccess:
        """How the destinations' clusters are reached (midway.cluster.connect_destination)."""
        return ClusterAccess(
            kubeconfig=self.kubeconfig,
            context=self.context,
            in_cluster=self.in_cluster,
            in_cluster_server=self.in_cluster_server,
            allow_server_mismatch=self.allow_server_mismatch,
        )

    def destinations(self, config: ConfigRepo) -> list[Destination]:
        """The destinations of `config` in environment order, restricted by --env/--cluster."""
        return [t.destination for t in select_targets(config, self.envs, self.clusters)]
