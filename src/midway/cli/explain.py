"""`midway explain TEAM/APP [PARAM]`: every effective parameter value and where it came from,
and why the blueprint version was chosen."""

from __future__ import annotations

import click

from midway.authoring.explain import as_json, as_text
from midway.authoring.explain import explain as build_explanation
from midway.cli.context import CliContext


@click.command()
@click.argument("app", metavar="TEAM/APP")
@click.argument("param", required=False, metavar="[PARAM]")
@click.option("--env", help="Only this environment (default: every environment of the app).")
@click.option("--cluster", help="Only the environment holding this cluster.")
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.pass_obj
def explain(
    ctx: CliContext,
    app: str,
    param: str | None,
    env: str | None,
    cluster: str | None,
    fmt: str,
) -> None:
    """Show each effective param (PARAM: one, dotted, e.g. ingress.host) with the file:line
    that set it (blueprint default, environment, app or app environment)."""
    _, config = ctx.load()
    explanation = build_explanation(config, app, env=env, cluster=cluster, param=param)
    click.echo(as_json(explanation) if fmt == "json" else as_text(explanation), nl=False)
