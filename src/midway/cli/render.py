"""`midway render`: render the config repo (working tree or --rev) to a directory or stdout."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import click

from midway.cache import Cache
from midway.cli.context import CliContext
from midway.cli.progress import progress_reporter
from midway.cli.render_options import render_cache_options
from midway.model import RenderResult
from midway.render.output import write_tree
from midway.render.pipeline import RenderOptions, render_config


def render_options(
    ctx: CliContext,
    env: str | None,
    app: str | None,
    no_cache: bool,
    workers: int | None,
    *,
    lazy: bool = False,
) -> RenderOptions:
    return RenderOptions(
        env=env,
        app=app,
        workers=workers,
        cache=Cache.disabled() if no_cache else ctx.cache,
        progress=progress_reporter(ctx),
        lazy=lazy,
    )


@click.command()
@click.option("--env", help="Only this environment.")
@click.option("--app", "app", metavar="TEAM/APP", help="Only this app.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write files here.")
@click.option("--rev", help="Render this git revision (read from git objects, no checkout).")
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["yaml", "json", "text"]),
    default=None,
    help="stdout format (default: yaml without --out, a summary table with --out).",
)
@render_cache_options
@click.pass_obj
def render(
    ctx: CliContext,
    env: str | None,
    app: str | None,
    out_dir: str | None,
    rev: str | None,
    fmt: str | None,
    no_cache: bool,
    workers: int | None,
) -> None:
    """Render blueprints + app requests into Kubernetes manifests (state-repo layout)."""
    source, config = ctx.load(rev)
    # --out compares blob ids with the directory's manifest: unchanged files are never read
    lazy = out_dir is not None
    result = render_config(
        config, source, render_options(ctx, env, app, no_cache, workers, lazy=lazy)
    )
    if out_dir is not None:
        written = write_tree(Path(out_dir), result.files)
        if written.by_content:
            click.echo(
                f"note: {out_dir}/.midway-output was missing, old or damaged: every file was "
                "compared by content (a full pass); the next render is incremental again",
                err=True,
            )
    fmt = fmt or ("text" if out_dir else "yaml")
    if fmt == "yaml":
        docs = [obj.content.decode() for obj in result.objects]
        click.echo("---\n".join(docs), nl=False)
    elif fmt == "json":
        click.echo(json.dumps([obj.body for obj in result.objects], indent=2, sort_keys=False))
    elif not ctx.quiet:
        print_summary(ctx, result, out_dir)


def _blueprint_cell(result: RenderResult, app_id: str) -> str:
    """The app's version, and where a rollout renders another: `worker@1.2.0 (dev: 1.3.0)`."""
    own = result.resolved.get(app_id, "")
    others = [
        f"{env}: {ref.partition('@')[2]}"
        for env, ref in result.versions.get(app_id, {}).items()
        if ref != own
    ]
    return f"{own} ({', '.join(others)})" if others else own


def print_summary(ctx: CliContext, result: RenderResult, where: str | None) -> None:
    from rich.table import Table

    envs = [e.name for e in result.config.environments_in_order()]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for obj in result.objects:
        counts[obj.unit.app][obj.unit.env] += 1
    table = Table(title="midway render", show_footer=True)
    table.add_column("app", footer="total")
    table.add_column("blueprint")
    for env in envs:
        total = sum(c.get(env, 0) for c in counts.values())
        table.add_column(env, justify="right", footer=str(total))
    for app_id in sorted(counts):
        row = [app_id, _blueprint_cell(result, app_id)]
        row += [str(counts[app_id].get(env, "-")) for env in envs]
        table.add_row(*row)
    ctx.console.print(table)
    summary = (
        f"{len(result.objects)} objects from {len(counts)} apps in {len(envs)} environments "
        f"({result.evaluations} evaluated, the rest from cache)"
    )
    ctx.console.print(summary)
    if result.resources:
        from midway.render.graph.view import summary_line

        ctx.console.print(summary_line(result.resources))
    if result.config.rollouts:
        from midway.render.rollout_plan import progress_line, rollout_plans

        line = progress_line(rollout_plans(result.config))
        if line:
            ctx.console.print(line, markup=False, soft_wrap=True)
    if where:
        ctx.console.print(f"written to {where}")
    if result.unvalidated:
        ctx.console.print(
            "not validated offline (kinds unknown to the bundled Kubernetes schemas): "
            + ", ".join(result.unvalidated)
        )
