"""`midway new app TEAM/NAME --blueprint B`: write a minimal app file that passes `midway check`.

Required parameters come from `--param KEY=VALUE` (dotted keys for nested fields); on a
terminal the missing ones are asked for, otherwise they are listed and nothing is written
(exit 2)."""

from __future__ import annotations

import sys

import click

from midway.authoring.scaffold import (
    MissingParam,
    app_file,
    check_app,
    missing_params,
    parse_params,
    parse_value,
    plan_app,
    set_param,
)
from midway.cli.context import CliContext
from midway.cli.file_output import write_files
from midway.errors import MidwayError


@click.group()
def new() -> None:
    """Scaffold new config files."""


@new.command("app")
@click.argument("app_id", metavar="TEAM/NAME")
@click.option(
    "--blueprint",
    "blueprint_ref",
    required=True,
    metavar="NAME[@RANGE]",
    help="The blueprint (without a range: ^ of its newest major).",
)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter (repeat).")
@click.option(
    "--env", "envs", multiple=True, metavar="ENV", help="Deploy to ENV (repeat; default: all)."
)
@click.option("--no-input", is_flag=True, help="Never prompt, even on a terminal.")
@click.pass_obj
def app(
    ctx: CliContext,
    app_id: str,
    blueprint_ref: str,
    params: tuple[str, ...],
    envs: tuple[str, ...],
    no_input: bool,
) -> None:
    """Write apps/TEAM/NAME.yaml: the blueprint's required params and the environments."""
    _, config = ctx.load()
    request = plan_app(config, app_id, blueprint_ref, envs)
    values = parse_params(request.blueprint, params)
    missing = missing_params(request, values, config)
    if missing and not no_input and _interactive():
        for item in missing:
            set_param(values, item.path, _ask(item))
        missing = missing_params(request, values, config)
    if missing:
        raise MidwayError(
            f"blueprint {request.blueprint.ref} needs {len(missing)} more parameter(s): "
            + ", ".join(m.name for m in missing),
            detail="\n".join(f"{m.name}: {m.description or '(no description)'}" for m in missing),
            hint="pass them as "
            + " ".join(f"--param {m.name}=…" for m in missing)
            + f" (see `midway blueprint show {request.blueprint.name}`)",
        )
    check_app(request, values, config)
    text = app_file(request, values)
    write_files(ctx.config_path, {request.path: text.encode()}, overwrite=False)
    if not ctx.quiet:
        click.echo(
            f"wrote {request.path} ({request.blueprint_ref} -> {request.blueprint.version}, "
            f"environments: {', '.join(request.environments)}); next: midway check {request.path}",
            err=True,
        )


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask(item: MissingParam) -> object:
    label = item.name + (f" ({item.description})" if item.description else "")
    return parse_value(item.schema, click.prompt(label, err=True))
