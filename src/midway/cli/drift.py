"""`midway drift`: compare a destination's live objects with the state repo.

Two layers, each its own section: config HEAD vs state (is the state commit stale?) and
state vs live (what drifted, who changed it). Exit 0 in sync, 1 drift (or a stale state),
2 error. `--watch` keeps going and prints one line (or JSON object) per change.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from midway.cli.cluster_options import (
    destination_options,
    kubeconfig_options,
    state_option,
    workers_option,
)
from midway.cli.context import CliContext
from midway.config.source import ConfigSource
from midway.config.targets import Target, check_app, choose_target
from midway.drift.desired import DesiredState, load_desired
from midway.drift.ignoring import IgnoreRules
from midway.drift.model import CompareMode, DriftEvent
from midway.drift.report import (
    dumps,
    event_json,
    event_line,
    render_markdown,
    render_text,
    report_json,
)
from midway.drift.stale import stale_report
from midway.model import ConfigRepo
from midway.objects.stale import StaleReport
from midway.state.location import StateLocation, parse_state_spec

if TYPE_CHECKING:  # the kubernetes client loads only when a cluster is contacted
    from midway.cluster import Connection

# Searched for orphans besides the kinds the destination's desired objects have.
DEFAULT_ORPHAN_KINDS = (
    "ConfigMap",
    "Secret",
    "Service",
    "ServiceAccount",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "PersistentVolumeClaim",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
)


@dataclass(frozen=True)
class DestinationInputs:
    """Everything a cluster verb needs about one destination, loaded once."""

    config: ConfigRepo
    source: ConfigSource
    target: Target
    location: StateLocation
    desired: DesiredState
    app: str | None


def load_inputs(
    ctx: CliContext, env: str | None, cluster: str | None, app: str | None, state_spec: str | None
) -> DestinationInputs:
    """Config (git HEAD when the config dir is a repo with commits, else the working
    tree), the destination, the state location (--state, else midway.yaml, as publish
    resolves it) and the desired objects at the state branch head."""
    from midway.state.publishing import config_origin  # pygit2 only for cluster verbs

    origin = config_origin(ctx.config_path, None, worktree=False)
    source, config = ctx.load("HEAD" if origin.commit is not None else None)
    target = choose_target(config, env, cluster)
    app = check_app(config, app)
    location = parse_state_spec(
        state_spec, config.settings, config_dir=ctx.config_path, cwd=Path.cwd()
    )
    desired = load_desired(location, target.destination, app=app)
    return DestinationInputs(config, source, target, location, desired, app)


def connect_to(
    target: Target, kubeconfig: str | None, context: str | None, allow_server_mismatch: bool
) -> Connection:
    """A probed connection to the cluster the destination's `server:` names."""
    from midway.cluster import ClusterAccess, connect_destination

    access = ClusterAccess(
        kubeconfig=kubeconfig, context=context, allow_server_mismatch=allow_server_mismatch
    )
    return connect_destination(target.destination, target.cluster, access)


def _orphan_kinds(text: str | None) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_ORPHAN_KINDS
    return tuple(k.strip() for k in text.split(",") if k.strip())


@click.command()
@destination_options
@state_option
@click.option(
    "--mode",
    type=click.Choice(["server", "offline"]),
    default="server",
    show_default=True,
    help="server: dry-run apply and compare (what applying would change); offline: "
    "normalized compare of the desired fields, no write access needed.",
)
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--watch", is_flag=True, help="Keep watching; print one line per change.")
@click.option(
    "--watch-for",
    "watch_for",
    type=float,
    metavar="SECONDS",
    help="With --watch: stop after this long (default: until interrupted).",
)
@kubeconfig_options
@click.option(
    "--orphan-kinds",
    metavar="KIND,...",
    help="Kinds searched for orphans besides the desired ones (Kind or Kind.group; "
    "'*' = every listable kind). Default: common workload and config kinds.",
)
@click.option("--no-orphans", is_flag=True, help="Do not look for orphans.")
@click.option("--no-stale", is_flag=True, help="Skip the config → state check (no render).")
@workers_option(8, "Concurrent requests.")
@click.pass_obj
def drift(
    ctx: CliContext,
    env: str | None,
    cluster: str | None,
    app: str | None,
    state_spec: str | None,
    mode: CompareMode,
    fmt: str,
    watch: bool,
    watch_for: float | None,
    context: str | None,
    kubeconfig: str | None,
    allow_server_mismatch: bool,
    orphan_kinds: str | None,
    no_orphans: bool,
    no_stale: bool,
    workers: int,
) -> None:
    """Report live drift of a destination against the state repo (exit 0 in sync, 1 drift)."""
    from midway.drift.scan import scan

    inputs = load_inputs(ctx, env, cluster, app, state_spec)
    destination = inputs.target.destination
    rules = IgnoreRules.from_config(inputs.config, destination.env)
    state_commit = inputs.desired.commit_id
    stale = None
    if not no_stale:
        stale = stale_report(
            inputs.config,
            inputs.source,
            destination,
            inputs.desired.files,
            state_commit=state_commit,
            app=inputs.app,
        )
    conn = connect_to(inputs.target, kubeconfig, context, allow_server_mismatch)
    with conn:
        if watch:
            _watch(ctx, inputs, conn, mode, rules, fmt, watch_for, workers, no_orphans, stale)
            return
        report = scan(
            conn,
            inputs.desired.objects,
            destination=destination,
            mode=mode,
            rules=rules,
            orphans=not no_orphans,
            orphan_kinds=() if no_orphans else _orphan_kinds(orphan_kinds),
            app=inputs.app,
            orphan_namespaces=inputs.target.namespace_glob,
            stale=stale,
            state_commit=state_commit,
            workers=workers,
        )
    if fmt == "json":
        click.echo(dumps(report_json(report)))
    elif fmt == "markdown":
        click.echo(render_markdown(report), nl=False)
    else:
        click.echo(render_text(report, verbose=ctx.verbose > 0))
    sys.exit(report.exit_code)


def _watch(
    ctx: CliContext,
    inputs: DestinationInputs,
    conn: Connection,
    mode: CompareMode,
    rules: IgnoreRules,
    fmt: str,
    watch_for: float | None,
    workers: int,
    no_orphans: bool,
    stale: StaleReport | None,
) -> None:
    from midway.drift.watching import DriftWatcher

    lock = threading.Lock()

    def emit(event: DriftEvent) -> None:
        text = json.dumps(event_json(event)) if fmt == "json" else event_line(event)
        with lock:
            click.echo(text)
            sys.stdout.flush()

    watcher = DriftWatcher(
        conn,
        inputs.desired.objects,
        destination=inputs.target.destination,
        mode=mode,
        rules=rules,
        on_event=emit,
        app=inputs.app,
        orphans=not no_orphans,
        orphan_namespaces=inputs.target.namespace_glob,
        workers=workers,
        state_commit=inputs.desired.commit_id,
    )
    report = watcher.start()
    if stale is not None:
        report = replace(report, stale=stale)
    with lock:
        if fmt == "json":
            click.echo(json.dumps(report_json(report)))
        elif fmt == "markdown":
            click.echo(render_markdown(report), nl=False)
        else:
            click.echo(render_text(report, verbose=ctx.verbose > 0))
            click.echo("watching for changes (Ctrl-C to stop)…")
        sys.stdout.flush()
    deadline = None if watch_for is None else time.monotonic() + watch_for
    try:
        while deadline is None or time.monotonic() < deadline:
            left = 0.2 if deadline is None else deadline - time.monotonic()
            time.sleep(min(0.2, max(0.0, left)))
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    final = watcher.report()
    sys.exit(final.exit_code)
