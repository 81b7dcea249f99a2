"""`midway apply`: server-side apply a destination's desired objects as field manager midway.

Namespaces first (created when missing), CRDs next, then the rest in Helm's order
(`midway.cluster.applying`). No ignore rules, no pruning, no fight detection: that is
`midway sync`. Useful to create a synced starting point, or to push a state commit by hand.
Exit 0 when every object applied, 2 when any failed.
"""

from __future__ import annotations

import json
import sys

import click

from midway.cli.cluster_options import (
    destination_options,
    kubeconfig_options,
    state_option,
    workers_option,
)
from midway.cli.context import CliContext
from midway.cli.drift import connect_to, load_inputs
from midway.errors import EXIT_ERROR, EXIT_OK


@click.command()
@destination_options
@state_option
@click.option(
    "--dry-run", is_flag=True, help="Server-side dry run: the server checks, stores nothing."
)
@click.option(
    "--force-conflicts",
    is_flag=True,
    help="Take over fields other field managers own (default: report the conflict).",
)
@kubeconfig_options
@click.option(
    "-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@workers_option(4, "Concurrent applies.")
@click.pass_obj
def apply(
    ctx: CliContext,
    env: str | None,
    cluster: str | None,
    app: str | None,
    state_spec: str | None,
    dry_run: bool,
    force_conflicts: bool,
    context: str | None,
    kubeconfig: str | None,
    allow_server_mismatch: bool,
    fmt: str,
    workers: int,
) -> None:
    """Server-side apply the desired objects of a destination (namespaces first)."""
    from midway.cluster.applying import apply_all

    inputs = load_inputs(ctx, env, cluster, app, state_spec)
    bodies = [d.body for d in inputs.desired.objects]
    with connect_to(inputs.target, kubeconfig, context, allow_server_mismatch) as conn:
        run = apply_all(conn, bodies, dry_run=dry_run, force=force_conflicts, workers=workers)
        server = conn.describe()
    code = EXIT_ERROR if run.failed else EXIT_OK
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "destination": str(inputs.target.destination),
                    "server": server,
                    "stateCommit": inputs.desired.commit_id,
                    "dryRun": dry_run,
                    "namespacesCreated": list(run.namespaces_created),
                    "objects": [
                        {
                            "group": o.key.group,
                            "kind": o.key.kind,
                            "namespace": o.key.namespace,
                            "name": o.key.name,
                            "action": o.action,
                            "error": o.error.message if o.error else None,
                            "note": o.note,
                        }
                        for o in run.outcomes
                    ],
                },
                indent=2,
            )
        )
        sys.exit(code)
    prefix = "dry run: " if dry_run else ""
    for namespace in run.namespaces_created:
        click.echo(f"{prefix}namespace {namespace} created")
    counts: dict[str, int] = {}
    for outcome in run.outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
        if outcome.action == "failed" and outcome.error is not None:
            click.echo(f"{prefix}failed     {outcome.key}: {outcome.error.render()}")
        elif outcome.action != "unchanged" or ctx.verbose:
            note = f"  ({outcome.note})" if outcome.note else ""
            click.echo(f"{prefix}{outcome.action:<10} {outcome.key}{note}")
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
    click.echo(
        f"{prefix}applied state {inputs.desired.commit_id[:12]} to "
        f"{inputs.target.destination} ({server}): {summary or 'nothing to apply'}"
    )
    sys.exit(code)
