"""`midway catalog`: the Backstage catalog of the config (working tree or --rev)."""

from __future__ import annotations

from pathlib import Path

import click

from midway.catalog.build import catalog_of
from midway.catalog.files import catalog_files
from midway.cli.context import CliContext
from midway.cli.render import render_options
from midway.cli.render_options import render_cache_options
from midway.render.output import write_tree
from midway.render.pipeline import render_config


@click.command()
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Write one file per entity here."
)
@click.option("--rev", help="Describe this git revision (read from git objects, no checkout).")
@render_cache_options
@click.pass_obj
def catalog(
    ctx: CliContext, out_dir: str | None, rev: str | None, no_cache: bool, workers: int | None
) -> None:
    """Write Backstage entities: a Component per app, a Group and a System per team.

    Without --out the entities go to stdout as one YAML stream. `catalog.publish: true` in
    midway.yaml puts them into the state repo (catalog/) on every publish (docs/catalog.md).
    """
    source, config = ctx.load(rev)
    result = render_config(config, source, render_options(ctx, None, None, no_cache, workers))
    files = catalog_files(catalog_of(result))
    if out_dir is None:
        click.echo("---\n".join(content.decode() for content in files.values()), nl=False)
        return
    write_tree(Path(out_dir), files)
    if not ctx.quiet:
        click.echo(f"{len(files)} entities written to {out_dir} (register {out_dir}/all.yaml)")
