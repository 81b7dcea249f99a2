"""`midway publish`: render the config at a revision and commit it to the state repo."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from midway.cli.context import CliContext
from midway.cli.render import print_summary, render_options
from midway.cli.render_options import render_cache_options
from midway.errors import MidwayError
from midway.render.engine import ENGINE_NAME
from midway.render.pipeline import render_config
from midway.render.vendoring import locked_dependencies
from midway.state.argocd import ArgoSource
from midway.state.location import parse_state_spec
from midway.state.message import SHORT
from midway.state.publishing import (
    DEFAULT_IDENTITY,
    Identity,
    PublishOutcome,
    PublishRequest,
    config_origin,
    parse_identity,
)
from midway.state.publishing import (
    publish as publish_state,
)
from midway.state.tree import state_files


@click.command()
@click.option(
    "--state",
    "state_spec",
    metavar="PATH|URL[@BRANCH]",
    help="State repo (default: midway.yaml state.path, else .midway/state.git).",
)
@click.option("--rev", help="Config revision to render (default: HEAD).")
@click.option(
    "--worktree",
    is_flag=True,
    help="Render the working tree instead (the commit gets a Config-Dirty: true trailer).",
)
@click.option("--push", is_flag=True, help="Push to the remote (a URL --state, or origin).")
@click.option("--dry-run", is_flag=True, help="Show what would be committed; write nothing.")
@click.option("--author", metavar="'NAME <EMAIL>'", help="Commit author (default: midway).")
@click.option("--committer", metavar="'NAME <EMAIL>'", help="Committer (default: the author).")
@click.option(
    "--allow-older",
    is_flag=True,
    help="Publish even when the branch holds a newer config commit (one that contains this).",
)
@render_cache_options
@click.option(
    "-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def publish(
    ctx: CliContext,
    state_spec: str | None,
    rev: str | None,
    worktree: bool,
    push: bool,
    dry_run: bool,
    author: str | None,
    committer: str | None,
    allow_older: bool,
    no_cache: bool,
    workers: int | None,
    fmt: str,
) -> None:
    """Render the config (HEAD by default) and write it as ONE commit on the state branch."""
    if rev is not None and worktree:
        raise MidwayError("--rev and --worktree exclude each other")
    if ENGINE_NAME == "cpp":
        # the C++ binding prints some floats differently (0.6 vs 0.59999999999999998): its
        # output would change state bytes without any config change
        raise MidwayError(
            f"MIDWAY_JSONNET={ENGINE_NAME} is a comparison-only switch: publish renders with "
            "the Go binding only",
            hint="unset MIDWAY_JSONNET (render, diff and check accept it for comparisons)",
        )
    config_dir = ctx.config_path
    origin = config_origin(config_dir, rev, worktree=worktree)
    from_git = not worktree and origin.commit is not None
    source, config = ctx.load((rev or "HEAD") if from_git else None)
    origin = dataclasses.replace(origin, vendor_lock=tuple(locked_dependencies(source)))
    settings = config.settings
    location = parse_state_spec(state_spec, settings, config_dir=config_dir, cwd=Path.cwd())
    author_id = _identity(author, settings.state_author, "--author") or DEFAULT_IDENTITY
    committer_id = _identity(committer, settings.state_committer, "--committer")

    # lazy: the tree is planned from blob ids; only files the branch lacks are read
    options = render_options(ctx, None, None, no_cache, workers, lazy=True)
    result = render_config(config, source, options)
    argo = ArgoSource(settings.state_repo_url or location.display, location.branch)
    files = state_files(result, argo)
    outcome = publish_state(
        PublishRequest(
            files=files,
            location=location,
            origin=origin,
            author=author_id,
            committer=committer_id,
            push=push,
            dry_run=dry_run,
            allow_older=allow_older,
        )
    )
    if fmt == "json":
        click.echo(json.dumps(_as_json(outcome, len(result.objects)), indent=2))
        return
    if not ctx.quiet:
        print_summary(ctx, result, None)
    _print_outcome(ctx, outcome, len(files))


def _identity(flag: str | None, configured: str | None, what: str) -> Identity | None:
    text = flag or configured
    return parse_identity(text, what) if text else None


def _counts(outcome: PublishOutcome) -> str:
    s = outcome.summary
    return f"{s.count('added')} added, {s.count('changed')} changed, {s.count('removed')} removed"


def _print_outcome(ctx: CliContext, outcome: PublishOutcome, total_files: int) -> None:
    where = str(outcome.location)
    if outcome.superseded_by is not None:
        click.echo(
            f"skipped: {where} already holds config {outcome.superseded_by[:SHORT]}, which is "
            "newer than this one (its history contains it); nothing published "
            "(--allow-older publishes anyway)"
        )
        return
    if outcome.unknown_config is not None:
        click.echo(
            f"note: {where} was rendered from config {outcome.unknown_config[:SHORT]}, which "
            "this clone does not have, so whether it is newer could not be told; publishing. "
            "Fetch full history in CI (e.g. fetch-depth: 0) to let midway skip stale publishes.",
            err=True,
        )
    if outcome.noop:
        head = f" (commit {outcome.parent[:SHORT]})" if outcome.parent else ""
        click.echo(f"no changes: {where} already holds this render{head}")
        return
    summary_line = outcome.message.split("\n", 1)[0]
    if outcome.dry_run:
        click.echo(f"dry run: would commit to {where}: {summary_line}")
        click.echo(f"  files: {_counts(outcome)} (of {total_files})")
        if ctx.verbose:
            click.echo(outcome.message)
        return
    assert outcome.commit is not None
    verb = "pushed" if outcome.pushed else "committed"
    click.echo(f"{verb} {outcome.commit[:SHORT]} to {where}: {summary_line}")
    click.echo(
        f"  files: {_counts(outcome)} (of {total_files}); {outcome.objects_written} git objects "
        f"written" + (f"; {outcome.attempts} attempts" if outcome.attempts > 1 else "")
    )
    if ctx.verbose:
        click.echo(outcome.message)
    if outcome.worktree_stale:
        click.echo(
            f"note: {outcome.location.branch} is checked out in {outcome.repository}; its "
            "working tree was not updated (`git reset --hard` there to see the new files)",
            err=True,
        )


def _as_json(outcome: PublishOutcome, objects: int) -> dict[str, object]:
    return {
        "state": outcome.location.display,
        "branch": outcome.location.branch,
        "commit": outcome.commit,
        "parent": outcome.parent,
        "tree": outcome.tree,
        "noop": outcome.noop,
        "superseded_by": outcome.superseded_by,
        "unknown_config": outcome.unknown_config,
        "dry_run": outcome.dry_run,
        "pushed": outcome.pushed,
        "attempts": outcome.attempts,
        "objects": objects,
        "summary": outcome.message.split("\n", 1)[0] if outcome.message else None,
        "changes": [{"path": c.path, "action": c.action} for c in outcome.changes],
    }
