"""The one way a verb reaches a destination's cluster: resolve the server's identity to a
kubeconfig context (identity.py decides), refuse a context that reaches another server,
then connect. drift, apply, sync, status --live and the daemon all come through here."""

from __future__ import annotations

import logging

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


def resolve_context(
    destination: Destination,
    cluster: Cluster,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    in_cluster: bool = False,
    in_cluster_server: str | None = None,
    allow_server_mismatch: bool = False,
) -> ContextChoice:
    """Which context reaches `cluster.server` (reads the kubeconfig; no network).

    `context` is --context; without it the cluster's `context:` is the explicit choice,
    and without either the context whose server matches. `in_cluster`: the pod's service
    account, for `https://kubernetes.default.svc` or `in_cluster_server` only.
    ClusterIdentityError otherwise.
    """
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
    if in_cluster:
        choice = choose_in_cluster(
            wanted, own_server=in_cluster_server, allow_mismatch=allow_server_mismatch
        )
    else:
        found = read_contexts(kubeconfig)
        choice = choose_context(
            wanted,
            found.contexts,
            found.current,
            kubeconfig=found.path,
            allow_mismatch=allow_server_mismatch,
        )
    if choice.mismatch:
        # loud on purpose: the one way to write to a server the environment does not name
        log.warning("SERVER MISMATCH for %s: %s", destination, choice.mismatch)
    return choice


def connect_destination(
    destination: Destination,
    cluster: Cluster,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    in_cluster: bool = False,
    in_cluster_server: str | None = None,
    allow_server_mismatch: bool = False,
    probe: bool = True,
    timeout: Timeout = (DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_READ_TIMEOUT_S),
) -> Connection:
    """A connection to the cluster whose server `cluster.server` names (see resolve_context)."""
    choice = resolve_context(
        destination,
        cluster,
        kubeconfig=kubeconfig,
        context=context,
        in_cluster=in_cluster,
        in_cluster_server=in_cluster_server,
        allow_server_mismatch=allow_server_mismatch,
    )
    return connect(
        kubeconfig,
        choice.context,
        in_cluster=in_cluster,
        probe=probe,
        timeout=timeout,
    )
