"""`midway graph`: the resource graph of the config repo (working tree or --rev): which apps use
which resources, provisioned by what, in each destination (docs/graph.md)."""

from __future__ import annotations

import click

from midway.cli.context import CliContext
from midway.cli.render import render_options
from midway.cli.render_options import render_cache_options
from midway.config.targets import require_targets
from midway.render.graph import view
from midway.render.pipeline import render_config


@click.command()
@click.option("--env", help="Only this environment.")
@click.option("--cluster", help="Only this cluster.")
@click.option("--rev", help="Read this git revision (from git objects, no checkout).")
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "json", "dot", "mermaid"]),
    default="text",
    show_default=True,
    help="json follows graph.schema.json; dot is Graphviz; mermaid renders on GitHub.",
)
@render_cache_options
@click.pass_obj
def graph(
    ctx: CliContext,
    env: str | None,
    cluster: str | None,
    rev: str | None,
    fmt: str,
    no_cache: bool,
    workers: int | None,
) -> None:
    """Show the resource graph: apps, the resources they use and the apps they reach."""
    source, config = ctx.load(rev)
    require_targets(config, env, cluster)  # an unknown --env/--cluster is an error, not empty
    result = render_config(config, source, render_options(ctx, env, None, no_cache, workers))
    order = {name: e.order for name, e in config.environments.items()}
    shown = view.build_graph(
        result.resources, order, env=env, cluster=cluster, revision=config.revision
    )
    if fmt == "json":
        click.echo(view.to_json(shown), nl=False)
    elif fmt == "dot":
        click.echo(view.to_dot(shown), nl=False)
    elif fmt == "mermaid":
        click.echo(view.to_mermaid(shown.parts), nl=False)
    else:
        for line in view.to_text(shown):
            click.echo(line)
