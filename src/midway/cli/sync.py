"""`midway sync`: correct drift now — server-side apply per policy, optionally prune."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from midway.cli.cluster_options import kubeconfig_options, state_option
from midway.cli.context import CliContext
from midway.errors import MidwayError
from midway.model import ConfigRepo, Destination, DriftMode

if TYPE_CHECKING:  # the sync package loads the kubernetes client
    from midway.sync.changeset import ChangeSetEntry

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
    from midway.cluster import ClusterAccess
    from midway.config.targets import require_targets
    from midway.drift.desired import open_state_reader
    from midway.state.location import parse_state_spec
    from midway.sync.destination import SyncOptions
    from midway.sync.run import DestinationSync, exit_code, sync_targets

    _, working = ctx.load()
    location = parse_state_spec(
        state_spec, working.settings, config_dir=ctx.config_path, cwd=Path.cwd()
    )
    reader = open_state_reader(location)
    commit = reader.commit(rev)
    config = _config_of(ctx, commit.config_commit) or working
    targets = require_targets(config, env, cluster)
    options = SyncOptions(
        dry_run=dry_run,
        prune=prune,
        mode="offline" if mode == "offline" else "server",
        prune_timeout_s=prune_timeout,
        prune_orphans=prune_orphans,
        orphan_kinds=DEFAULT_ORPHAN_KINDS,
        app=app,
    )
    outcomes: list[DestinationSync] = []
    results: list[dict[str, Any]] = []
    for outcome in sync_targets(
        config,
        reader,
        commit,
        targets,
        options,
        override=OVERRIDES.get(policy_override),
        access=ClusterAccess(
            kubeconfig=kubeconfig, context=context, allow_server_mismatch=allow_server_mismatch
        ),
    ):
        outcomes.append(outcome)
        destination, result, error = outcome.destination, outcome.result, outcome.error
        if error is not None:
            if fmt == "text":
                click.echo(f"{destination}: {error.render()}", err=True)
            results.append({"destination": str(destination), "error": error.message})
        elif result is not None and fmt == "json":
            results.append(
                {
                    "destination": str(destination),
                    "state_commit": commit.id,
                    "dry_run": dry_run,
                    "drift": result.report.counts(),
                    **result.changes.to_dict(),
                }
            )
        elif result is not None:
            changes = result.changes
            _print_text(ctx, destination, commit.id, changes.entries, changes.summary(), dry_run)
    if fmt == "json":
        click.echo(json.dumps(results, indent=2, default=str))
    sys.exit(exit_code(outcomes, dry_run))


def _config_of(ctx: CliContext, config_commit: str | None) -> ConfigRepo | None:
    """The config the state commit was rendered from (its policies), if this repo has it."""
    if not config_commit:
        return None
    try:
        _, config = ctx.load(config_commit)
    except MidwayError:
        return None
    return config


def _print_text(
    ctx: CliContext,
    destination: Destination,
    commit: str,
    entries: list[ChangeSetEntry],
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
