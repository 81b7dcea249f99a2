"""`midway sync`: correct drift now — server-side apply per policy, optionally prune."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from midway.cli.cluster_options import kubeconfig_options, state_option
from midway.cli.context import CliContext
from midway.errors import EXIT_DIFFERENCES, EXIT_ERROR, EXIT_OK, ClusterError, MidwayError
from midway.model import ConfigRepo, Destination, DriftMode

OVERRIDES: dict[str | None, DriftMode] = {"correct": "correct", "warn": "warn"}


@click.command()
@click.option("--env", help="Only this environment.")
@click.option("--cluster", help="Only this cluster.")
@click.option("--app", "app", metavar="TEAM/APP", help="Only this app.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--prune", is_flag=True, help="Delete objects the previous state commit had and this lacks."
)
@click.option(
    "--prune-orphans",
    is_flag=True,
    help="Also delete orphans: objects with midway's labels for this environment (and an app "
    "of the config) that no state commit has, in namespaces the environment can produce.",
)
@state_option
@click.option("--rev", help="State revision to sync to (default: the branch head).")
@kubeconfig_options
@click.option(
    "--policy",
    "policy_override",
    type=click.Choice(["correct", "warn"]),
    help="Override the drift policy of every object for this run.",
)
@click.option(
    "--mode",
    type=click.Choice(["server", "offline"]),
    default="server",
    show_default=True,
    help="How drift is detected before correcting (server: dry-run apply).",
)
@click.option("--prune-timeout", type=float, default=60.0, show_default=True, help="Seconds.")
@click.option("-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def sync(
    ctx: CliContext,
    env: str | None,
    cluster: str | None,
    app: str | None,
    dry_run: bool,
    prune: bool,
    prune_orphans: bool,
    state_spec: str | None,
    rev: str | None,
    context: str | None,
    kubeconfig: str | None,
    allow_server_mismatch: bool,
    policy_override: str | None,
    mode: str,
    prune_timeout: float,
    fmt: str,
) -> None:
    """Bring live objects back to the state repo: apply drifted and missing objects as field
    manager `midway` (per the drift policy), and with --prune delete what was removed
    (with --prune-orphans also what no state commit has).

    Exit code: 0 in sync afterwards, 1 drift remains (warn policy, contested fields, or a dry
    run with changes), 2 errors.
    """
    from midway.cli.drift import DEFAULT_ORPHAN_KINDS
    from midway.cluster import connect_destination
    from midway.drift.desired import open_state_reader
    from midway.state.location import parse_state_spec
    from midway.sync.destination import SyncOptions, desired_objects, sync_destination
    from midway.sync.policy import DestinationPolicy

    _, working = ctx.load()
    location = parse_state_spec(
        state_spec, working.settings, config_dir=ctx.config_path, cwd=Path.cwd()
    )
    reader = open_state_reader(location)
    commit = reader.commit(rev)
    config = _config_of(ctx, commit.config_commit) or working
    destinations = _destinations(config, env, cluster)
    options = SyncOptions(
        dry_run=dry_run,
        prune=prune,
        mode="offline" if mode == "offline" else "server",
        prune_timeout_s=prune_timeout,
        prune_orphans=prune_orphans,
        orphan_kinds=DEFAULT_ORPHAN_KINDS,
        app=app,
    )
    results: list[dict[str, Any]] = []
    exit_code = EXIT_OK
    for destination in destinations:
        state_objects = reader.objects(commit.id, env=destination.env, cluster=destination.cluster)
        everything = desired_objects(state_objects)
        desired = [o for o in everything if app is None or _same_app(o.app, app)]
        previous = None
        if commit.parents:
            before = reader.objects(
                commit.parents[0], env=destination.env, cluster=destination.cluster
            )
            previous = [o for o in desired_objects(before) if app is None or _same_app(o.app, app)]
        target = next(
            c
            for c in config.environments[destination.env].clusters
            if c.name == destination.cluster
        )
        try:
            with connect_destination(
                destination,
                target,
                kubeconfig=kubeconfig,
                context=context,
                allow_server_mismatch=allow_server_mismatch,
            ) as conn:
                result = sync_destination(
                    conn,
                    destination,
                    desired,
                    DestinationPolicy(config, destination, override=OVERRIDES.get(policy_override)),
                    previous=previous,
                    current_all=everything,
                    options=options,
                    state_commit=commit.id,
                )
        except ClusterError as exc:
            if fmt == "text":
                click.echo(f"{destination}: {exc.render()}", err=True)
            results.append({"destination": str(destination), "error": exc.message})
            exit_code = EXIT_ERROR
            continue
        changes = result.changes
        if changes.errors:
            exit_code = EXIT_ERROR
        elif exit_code == EXIT_OK and _drift_remains(changes.entries, dry_run):
            exit_code = EXIT_DIFFERENCES
        if fmt == "json":
            results.append(
                {
                    "destination": str(destination),
                    "state_commit": commit.id,
                    "dry_run": dry_run,
                    "drift": result.report.counts(),
                    **changes.to_dict(),
                }
            )
        else:
            _print_text(ctx, destination, commit.id, changes.entries, changes.summary(), dry_run)
    if fmt == "json":
        click.echo(json.dumps(results, indent=2, default=str))
    sys.exit(exit_code)


def _same_app(candidate: str | None, wanted: str) -> bool:
    if candidate is None:
        return False
    return candidate == wanted or candidate.split("/", 1)[-1] == wanted


def _config_of(ctx: CliContext, config_commit: str | None) -> ConfigRepo | None:
    """The config the state commit was rendered from (its policies), if this repo has it."""
    if not config_commit:
        return None
    try:
        _, config = ctx.load(config_commit)
    except MidwayError:
        return None
    return config


def _destinations(config: ConfigRepo, env: str | None, cluster: str | None) -> list[Destination]:
    if env is not None and env not in config.environments:
        raise MidwayError(
            f"environment `{env}` does not exist",
            hint=f"known environments: {', '.join(sorted(config.environments))}",
        )
    found = [
        Destination(e.name, c.name)
        for e in config.environments_in_order()
        if env is None or e.name == env
        for c in e.clusters
        if cluster is None or c.name == cluster
    ]
    if not found:
        raise MidwayError(f"no cluster `{cluster}` in the selected environments")
    return found


def _drift_remains(entries: list[Any], dry_run: bool) -> bool:
    for entry in entries:
        if entry.action == "skipped" and not entry.error:
            return True
        if dry_run and entry.changed:
            return True
        if entry.contested:
            return True
    return False


def _print_text(
    ctx: CliContext,
    destination: Destination,
    commit: str,
    entries: list[Any],
    summary: str,
    dry_run: bool,
) -> None:
    title = f"{destination} @ {commit[:12]}" + (" (dry run)" if dry_run else "")
    click.echo(title)
    shown = [e for e in entries if e.action != "unchanged" or ctx.verbose]
    for entry in shown:
        click.echo(f"  {entry.describe()}")
        for contested in entry.contested:
            click.echo(
                f"    {contested.path} is contested by {contested.manager}; to let it own the "
                "field, add to the app file:"
            )
            for line in contested.suggestion().splitlines():
                click.echo(f"      {line}")
    click.echo(f"  {summary}")
