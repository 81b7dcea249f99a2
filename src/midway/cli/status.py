"""`midway status`: per environment, what runs where and whether it is in sync.

One table per environment: app, blueprint version, state commit, sync status, drift,
last correction, contested fields. Read from the status file the daemon writes beside the
state repo (`.midway/daemon-status.json`), or computed now with `--live` (daemon/live_status.py:
a drift scan of each destination; the last correction and contested fields still come from
the file). This module only turns a StatusDocument into tables or JSON rows.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from midway.cli.context import CliContext
from midway.daemon.status_document import DestinationStatus, StatusDocument
from midway.errors import MidwayError, MidwayErrors


@click.command()
@click.option("--state", "state_spec", metavar="PATH|URL[@BRANCH]", help="State repo.")
@click.option("--status-file", type=click.Path(dir_okay=False), help="Daemon status document.")
@click.option("--live", is_flag=True, help="Scan the clusters now instead of trusting the file.")
@click.option("--env", help="Only this environment.")
@click.option(
    "--context",
    help="kubeconfig context for --live (default: the one whose server is the cluster's).",
)
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="kubeconfig for --live.")
@click.option(
    "--allow-server-mismatch",
    is_flag=True,
    help="With --context: use it even where its server is not the cluster's `server:`.",
)
@click.option(
    "--blueprints",
    is_flag=True,
    help="Which blueprint version runs where, from the config (rollouts included; no daemon).",
)
@click.option("-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def status(
    ctx: CliContext,
    state_spec: str | None,
    status_file: str | None,
    live: bool,
    env: str | None,
    context: str | None,
    kubeconfig: str | None,
    allow_server_mismatch: bool,
    blueprints: bool,
    fmt: str,
) -> None:
    """Show apps per environment: blueprint, state commit, sync and drift, last correction."""
    if blueprints:
        from midway.cli.rollout import print_versions

        print_versions(ctx, env, fmt)
        return
    from midway.cluster import ClusterAccess
    from midway.daemon.live_status import live_document
    from midway.daemon.status_file import default_status_path, read_status
    from midway.state.location import parse_state_spec

    _, config = ctx.load()
    location = parse_state_spec(
        state_spec, config.settings, config_dir=ctx.config_path, cwd=Path.cwd()
    )
    path = Path(status_file) if status_file else default_status_path(location, ctx.config_path)
    document = read_status(path)
    if live:
        document = live_document(
            config,
            location,
            document,
            env=env,
            access=ClusterAccess(
                kubeconfig=kubeconfig,
                context=context,
                allow_server_mismatch=allow_server_mismatch,
            ),
        )
    elif document is None:
        raise MidwayError(
            f"no daemon status at {path}",
            hint="run `midway daemon` (it writes this file), pass --status-file, or use --live",
        )
    rows = _rows(document, env)
    problems = _problems(document, env)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"source": "live" if live else str(path), "apps": rows, "errors": problems},
                indent=2,
            )
        )
    else:
        _print_tables(ctx, document, rows, live)
        if not live:
            for problem in problems:
                click.echo(f"{problem['destination']}: {problem['error']}", err=True)
    if live:
        _raise_unscanned(problems)


def _problems(document: StatusDocument, env: str | None) -> list[dict[str, Any]]:
    """Destinations the scan (or the daemon) could not work: refused or unreachable."""
    found = []
    for name, dest in sorted(document.destinations.items()):
        if env is not None and dest.env != env:
            continue
        why = dest.refused or dest.error
        if why or not dest.reachable:
            found.append({"destination": name, "error": str(why or "unreachable")})
    return found


def _raise_unscanned(problems: list[dict[str, Any]]) -> None:
    """--live that could not scan a destination did not answer the question: exit 2, not an
    empty table that reads like "nothing deployed"."""
    MidwayErrors.raise_if_any(
        MidwayError(
            f"{problem['destination']}: cannot scan the cluster for --live: {problem['error']}",
            hint="pass --kubeconfig/--context (or set KUBECONFIG), or drop --live to read "
            "the daemon's status file",
        )
        for problem in problems
    )


def _rows(document: StatusDocument, env: str | None) -> list[dict[str, Any]]:
    rows = []
    for name, dest in sorted(document.destinations.items()):
        if env is not None and dest.env != env:
            continue
        for app, info in sorted(dest.apps.items()):
            last = info.last_correction
            rows.append(
                {
                    "env": dest.env,
                    "cluster": dest.cluster,
                    "destination": name,
                    "app": app,
                    "blueprint": info.blueprint,
                    "state_commit": dest.state_commit,
                    "sync": _sync_state(dest),
                    "status": info.status,
                    "drift": dict(info.drift),
                    "last_correction": last.to_json() if last else None,
                    "contested": [c.to_json() for c in info.contested],
                    "errors": list(info.errors),
                }
            )
    return rows


def _sync_state(dest: DestinationStatus) -> str:
    if dest.refused:
        return "refused: wrong cluster"
    if dest.live:
        return "live scan"
    if not dest.reachable:
        return "unreachable"
    if not dest.synced:
        return "caches syncing"
    if dest.last_sync:
        return f"synced {_ago(dest.last_sync)}"
    return "syncing"


def _short_object(text: str) -> str:
    """ "ConfigMap ns/name" -> "ConfigMap/name" (the namespace is the app's anyway)."""
    kind, _, rest = text.partition(" ")
    return f"{kind}/{rest.rsplit('/', 1)[-1]}" if rest else text


def _ago(when: float) -> str:
    seconds = max(time.time() - when, 0)
    if seconds < 90:
        return f"{seconds:.0f}s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h ago"
    return f"{seconds / 86400:.0f}d ago"


def _drift_text(status: str | None, drift: dict[str, int]) -> str:
    counted = ", ".join(
        f"{n} {what}" for what, n in sorted(drift.items()) if n and what != "in-sync"
    )
    if status == "unknown":
        return "unknown (cluster unreachable)"
    if status == "in-sync" or not counted:
        return "in sync" if status != "syncing" else "syncing"
    return f"{status}: {counted}"


def _print_tables(
    ctx: CliContext, document: StatusDocument, rows: list[dict[str, Any]], live: bool
) -> None:
    # The tables are the command's output: stdout, and wide enough when piped.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    by_env: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_env[str(row["env"])].append(row)
    if not by_env:
        click.echo("no apps in the status document")
    for env_name, env_rows in by_env.items():
        table = Table(title=f"environment {env_name}", title_justify="left")
        for column in ("app", "cluster", "blueprint", "state commit", "sync", "drift"):
            table.add_column(column)
        table.add_column("last correction")
        table.add_column("contested")
        for row in env_rows:
            last = row["last_correction"]
            last_text = (
                f"{last['action']} {_short_object(last['object'])} {_ago(float(last['time']))}"
                if last
                else "-"
            )
            contested = "; ".join(
                f"{c['field']} of {c['kind']}/{c['name']} by {c['manager']}"
                for c in row["contested"]
            )
            table.add_row(
                str(row["app"]),
                str(row["cluster"]),
                str(row["blueprint"] or "-"),
                str(row["state_commit"] or "-")[:8],
                row["sync"],
                _drift_text(row["status"], row["drift"]),
                last_text,
                contested or "-",
            )
        out.print(table)
    written = document.written_at
    source = "live scan" if live else f"daemon {document.identity or '?'}"
    if written:
        source += f", status written {_ago(written)}"
    ctx.info(source)
    contested_rows = [c for row in rows for c in row["contested"]]
    if contested_rows:
        out.print("contested fields: add an ignore rule to let the other manager own them:")
        for item in contested_rows:
            out.print(item.get("suggestion", ""), markup=False)
