"""`midway daemon`: render on config commits, keep clusters converged, serve metrics."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from midway.cli.cluster_options import workers_option
from midway.cli.context import CliContext
from midway.errors import MidwayError


@click.command()
@click.option(
    "--config",
    "config_repo",
    metavar="PATH|URL",
    help="Config repo to follow (default: the global --config directory).",
)
@click.option("--config-rev", default="HEAD", show_default=True, help="Branch or ref to follow.")
@click.option("--state", "state_spec", metavar="PATH|URL[@BRANCH]", help="State repo.")
@click.option("--port", type=int, default=9477, show_default=True, help="HTTP port (0: any).")
@click.option("--host", default="0.0.0.0", show_default=True, help="HTTP bind address.")
@click.option(
    "--resync", type=float, default=600, show_default=True, help="Full resync every N seconds."
)
@click.option(
    "--log-format", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@click.option("--once", is_flag=True, help="Publish, sync every destination once, exit.")
@click.option("--env", "envs", multiple=True, help="Only these environments (repeatable).")
@click.option("--cluster", "clusters", multiple=True, help="Only these clusters (repeatable).")
@click.option(
    "--context",
    help="kubeconfig context for every destination (overrides `context:`); a destination "
    "whose `server:` it does not reach is refused.",
)
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="kubeconfig file.")
@click.option(
    "--in-cluster",
    is_flag=True,
    help="Use the pod's service account; reaches only clusters with "
    "`server: https://kubernetes.default.svc` (or --in-cluster-server).",
)
@click.option(
    "--in-cluster-server",
    metavar="URL",
    help="With --in-cluster: the `server:` the environments give the cluster this pod runs "
    "in (besides https://kubernetes.default.svc).",
)
@click.option(
    "--allow-server-mismatch",
    is_flag=True,
    help="Work a destination through --context / `context:` / --in-cluster even though its "
    "server is not the cluster's `server:` (logged as a warning).",
)
@workers_option(4, "Workers per destination.")
@click.option("--no-publish", is_flag=True, help="Only reconcile; never render or publish.")
@click.option("--leader-elect", is_flag=True, help="Leader election / sharding with Leases.")
@click.option("--lease-namespace", default="midway", show_default=True)
@click.option("--lease-duration", type=float, default=15.0, show_default=True, help="Seconds.")
@click.option("--shards", type=int, default=1, show_default=True, help="Number of shard Leases.")
@click.option("--identity", help="Replica identity (default: hostname-pid; POD_NAME if set).")
@click.option("--fight-threshold", type=int, default=3, show_default=True)
@click.option("--fight-window", type=float, default=600.0, show_default=True, help="Seconds.")
@click.option("--status-file", type=click.Path(dir_okay=False), help="Status document path.")
@click.option(
    "--fetch-interval",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between fetches of a remote config repo.",
)
@click.pass_obj
def daemon(
    ctx: CliContext,
    config_repo: str | None,
    config_rev: str,
    state_spec: str | None,
    port: int,
    host: str,
    resync: float,
    log_format: str,
    once: bool,
    envs: tuple[str, ...],
    clusters: tuple[str, ...],
    context: str | None,
    kubeconfig: str | None,
    in_cluster: bool,
    in_cluster_server: str | None,
    allow_server_mismatch: bool,
    workers: int,
    no_publish: bool,
    leader_elect: bool,
    lease_namespace: str,
    lease_duration: float,
    shards: int,
    identity: str | None,
    fight_threshold: int,
    fight_window: float,
    status_file: str | None,
    fetch_interval: float,
) -> None:
    """Run the reconciler: publish new config commits, correct drift, prune, report."""
    import os

    from midway.daemon.log_setup import setup_logging
    from midway.daemon.options import DaemonOptions
    from midway.daemon.run import run_daemon

    if in_cluster_server and not in_cluster:
        raise MidwayError(
            "--in-cluster-server needs --in-cluster",
            hint="it names the cluster the daemon's pod runs in; with a kubeconfig, midway "
            "picks each destination's context by its `server:`",
        )
    level = logging.DEBUG if ctx.verbose >= 2 else logging.INFO
    setup_logging(log_format, level)
    options = DaemonOptions(
        config=config_repo or str(ctx.config_path),
        config_rev=config_rev,
        state=state_spec,
        port=port,
        host=host,
        resync_s=resync,
        once=once,
        envs=envs,
        clusters=clusters,
        kubeconfig=kubeconfig,
        context=context,
        in_cluster=in_cluster,
        in_cluster_server=in_cluster_server,
        allow_server_mismatch=allow_server_mismatch,
        workers=workers,
        publish=not no_publish,
        leader_election=leader_elect,
        lease_namespace=lease_namespace,
        lease_duration_s=lease_duration,
        shards=shards,
        fight_threshold=fight_threshold,
        fight_window_s=fight_window,
        status_file=Path(status_file) if status_file else None,
        fetch_interval_s=fetch_interval,
    )
    chosen = identity or os.environ.get("POD_NAME")
    if chosen:
        options.identity = chosen
    sys.exit(run_daemon(options))
