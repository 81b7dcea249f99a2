"""`midway schema [--out DIR]`: JSON Schemas for editors (yaml-language-server), with this
repo's blueprints merged in; `--reference FILE` writes the field reference instead."""

from __future__ import annotations

import os
from pathlib import Path

import click

from midway.authoring.editor_schemas import DEFAULT_DIR, editor_schemas, vscode_settings
from midway.authoring.reference import reference_markdown
from midway.cli.context import CliContext
from midway.cli.file_output import write_files


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help=f"Directory for the schema files (default: {DEFAULT_DIR} in the config repo).",
)
@click.option(
    "--reference",
    "reference",
    type=click.Path(dir_okay=False),
    help="Write the Markdown field reference of every config kind to this file instead "
    "(needs no config repo).",
)
@click.pass_obj
def schema(ctx: CliContext, out_dir: str | None, reference: str | None) -> None:
    """Write JSON Schemas (draft-07) of every config kind, for editor completion and checks."""
    if reference is not None:
        path = Path(reference)
        write_files(path.parent, {path.name: reference_markdown().encode()}, overwrite=True)
        _say(ctx, f"wrote {reference}")
        return
    _, config = ctx.load()
    target = Path(out_dir) if out_dir is not None else ctx.config_path / DEFAULT_DIR
    files = {f.name: f.content for f in editor_schemas(config)}
    write_files(target, files, overwrite=True)
    _say(ctx, f"wrote {len(files)} schemas to {target}: {', '.join(files)}")
    if out_dir is None or Path(os.path.abspath(out_dir)) == (
        ctx.config_path.absolute() / DEFAULT_DIR
    ):
        _say(ctx, "VS Code (.vscode/settings.json):\n" + vscode_settings().rstrip())


def _say(ctx: CliContext, message: str) -> None:
    if not ctx.quiet:
        click.echo(message, err=True)
