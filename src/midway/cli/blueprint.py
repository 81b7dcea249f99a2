"""`midway blueprint ls|show`: discover the blueprints an app can ask for."""

from __future__ import annotations

import click

from midway.authoring.catalog import (
    list_blueprints,
    list_json,
    list_text,
    show_blueprint,
    show_json,
    show_text,
)
from midway.cli.context import CliContext

_FORMAT = click.option(
    "-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@click.group()
def blueprint() -> None:
    """List blueprints and show their versions, parameters and examples."""


@blueprint.command("ls")
@_FORMAT
@click.pass_obj
def ls(ctx: CliContext, fmt: str) -> None:
    """Every blueprint: versions, how many apps use it, what it is."""
    _, config = ctx.load()
    summaries = list_blueprints(config)
    click.echo(list_json(summaries) if fmt == "json" else list_text(summaries), nl=False)


@blueprint.command("show")
@click.argument("name", metavar="NAME[@RANGE]")
@_FORMAT
@click.pass_obj
def show(ctx: CliContext, name: str, fmt: str) -> None:
    """One blueprint version (the newest, or the one RANGE picks): its parameter table with
    types, defaults and descriptions, its examples and the apps using it."""
    _, config = ctx.load()
    detail = show_blueprint(config, name)
    click.echo(show_json(detail) if fmt == "json" else show_text(detail), nl=False)
