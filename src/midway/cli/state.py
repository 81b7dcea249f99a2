"""`midway state ...`: look at the state repo (what was rendered and committed)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from midway.cli.context import CliContext
from midway.errors import MidwayError
from midway.model import Settings
from midway.state.location import parse_state_spec
from midway.state.message import SHORT
from midway.state.reader import StateReader


@click.group()
def state() -> None:
    """Inspect the state repo."""


def _settings(ctx: CliContext) -> Settings:
    """midway.yaml of the working tree, if the config repo has one (only for the location)."""
    if not (ctx.config_path / "midway.yaml").is_file():
        return Settings()
    try:
        return ctx.load(None)[1].settings
    except MidwayError:
        return Settings()  # a broken config must not stop reading the state repo


@state.command("ls")
@click.option("--state", "state_spec", metavar="PATH|URL[@BRANCH]", help="State repo.")
@click.option("--rev", help="State revision (default: the branch head).")
@click.option("--env", help="Only this environment.")
@click.option("--cluster", help="Only this cluster.")
@click.option("--app", metavar="[TEAM/]APP", help="Only this app.")
@click.option(
    "-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def ls(
    ctx: CliContext,
    state_spec: str | None,
    rev: str | None,
    env: str | None,
    cluster: str | None,
    app: str | None,
    fmt: str,
) -> None:
    """List the objects in the state repo at its branch head (or --rev)."""
    settings = Settings() if state_spec else _settings(ctx)
    location = parse_state_spec(state_spec, settings, config_dir=ctx.config_path, cwd=Path.cwd())
    reader = StateReader.open(location)
    commit = reader.commit(rev)
    entries = reader.entries(commit.id, env=env, cluster=cluster, app=app)
    if fmt == "json":
        payload = {
            "state": location.display,
            "branch": location.branch,
            "commit": commit.id,
            "summary": commit.summary,
            "config_commit": commit.config_commit,
            "config_repo": commit.config_repo,
            "config_dirty": commit.config_dirty,
            "objects": [
                {
                    "env": e.env,
                    "cluster": e.cluster,
                    "namespace": e.namespace,
                    "app": e.app,
                    "kind": e.kind,
                    "name": e.name,
                    "path": e.path,
                    "blob": e.blob,
                }
                for e in entries
            ],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    config = commit.config_commit[:SHORT] if commit.config_commit else "working tree"
    if not ctx.quiet:
        click.echo(
            f"{location} at {commit.id[:SHORT]} (config {config}"
            f"{', dirty' if commit.config_dirty else ''}): {len(entries)} objects",
            err=True,
        )
    header = ("ENV", "CLUSTER", "NAMESPACE", "APP", "KIND", "NAME")
    rows = [(e.env, e.cluster, e.namespace or "-", e.app, e.kind, e.name) for e in entries]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
