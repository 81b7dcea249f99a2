"""The one way a verb reaches a destination's cluster: resolve the server's identity to a
kubeconfig context (identity.py decides), refuse a context that reaches another server,
then connect. drift, apply, sync, status --live and the daemon all come through here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from midway.cluster.connection import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_READ_TIMEOUT_S,
    Connection,
    Timeout,
    connect,
    read_contexts,
)
from midway.cluster.identity import ContextChoice, Wanted, choose_context, choose_in_cluster
from midway.model import Cluster, Destination

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterAccess:
    """How a verb may reach clusters: --kubeconfig, --context, --in-cluster (with
    --in-cluster-server) and --allow-server-mismatch, as the command line gave them."""

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    in_cluster_server: str | None = None
    allow_server_mismatch: bool = False


# kubeconfig/KUBECONFIG, its current context where the server matches, no override
DEFAULT_ACCESS = ClusterAccess()


def resolve_context(
    destination: Destination, cluster: Cluster, access: ClusterAccess = DEFAULT_ACCESS
) -> ContextChoice:
    """Which context reaches `cluster.server` (reads the kubeconfig; no network).

    `access.context` is --context; without it the cluster's `context:` is the explicit
    choice, and without either the context whose server matches. `access.in_cluster`: the
    pod's service account, for `https://kubernetes.default.svc` or `in_cluster_server` only.
    ClusterIdentityError otherwise.
    """
    context = access.context
    if context is not None:
        how = "--context"
    elif cluster.context is not None:
        where = cluster.server_source.path if cluster.server_source else "the environment file"
        how = f"`context:` in {where}"
    else:
        how = ""
    wanted = Wanted(
        destination=str(destination),
        server=cluster.server,
        server_source=cluster.server_source,
        context=context or cluster.context,
        context_from=how,
    )
    if access.in_cluster:
        choice = choose_in_cluster(
            wanted,
            own_server=access.in_cluster_server,
            allow_mismatch=access.allow_server_mismatch,
        )
    else:
        found = read_contexts(access.kubeconfig)
        choice = choose_context(
            wanted,
            found.contexts,
            found.current,
            kubeconfig=found.path,
            allow_mismatch=access.allow_server_mismatch,
        )
    if choice.mismatch:
        # loud on purpose: the one way to write to a server the environment does not name
        log.warning("SERVER MISMATCH for %s: %s", destination, choice.mismatch)
    return choice


def connect_destination(
    destination: Destination,
    cluster: Cluster,
    access: ClusterAccess = DEFAULT_ACCESS,
    *,
    probe: bool = True,
    timeout: Timeout = (DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_READ_TIMEOUT_S),
) -> Connection:
    """A connection to the cluster whose server `cluster.server` names (see resolve_context)."""
    choice = resolve_context(destination, cluster, access)
    return connect(
        access.kubeconfig,
        choice.context,
        in_cluster=access.in_cluster,
        probe=probe,
        timeout=timeout,
    )
