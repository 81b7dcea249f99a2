"""`midway check [FILES…]`: the pre-commit entry point.

Loads and validates the config repo (schema, params, blueprint resolution), then renders only
the apps the given files can affect, which runs the Kubernetes schema validation and the
plaintext-secret refusal. Files outside the config roots are ignored. Exit 0 ok, 2 errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import click

from midway.cache import Cache
from midway.cli.context import CliContext
from midway.cli.render_options import check_cache_options
from midway.config.loader import load_config
from midway.config.score import is_score_file
from midway.config.source import ConfigSource, DiskSource
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import ConfigRepo
from midway.preview.affected import affected_apps, is_config_path, with_namespace_neighbours
from midway.render.examples import blueprints_touched, example_config
from midway.render.pipeline import RenderOptions, render_config


def config_paths(root: Path, files: Iterable[str]) -> list[str]:
    """The given files as config-repo-relative paths; files elsewhere are dropped."""
    cwd = Path.cwd()
    found: set[str] = set()
    for name in files:
        # abspath, not resolve(): a symlinked config file is checked where it sits
        absolute = Path(os.path.abspath(cwd / name))
        try:
            rel = absolute.relative_to(root).as_posix()
        except ValueError:
            continue
        if is_config_path(rel):
            found.add(rel)
    return sorted(found)


def _require_files(paths: list[str], source: ConfigSource, staged: bool) -> list[str]:
    """The given paths, a directory standing for the files below it. A named file that is not
    there is a mistake (a typo, a stale path): checking nothing and saying "ok" would let it
    through."""
    present = source.paths()
    known = set(present)
    found: set[str] = set()
    missing: list[str] = []
    for path in paths:
        if path in known:
            found.add(path)
            continue
        below = [p for p in present if p.startswith(path.rstrip("/") + "/")]
        if below:
            found.update(below)
        else:
            missing.append(path)
    where = "in the git index (stage it with git add)" if staged else "in the config repo"
    MidwayErrors.raise_if_any(
        MidwayError(
            f"no such file {where}",
            SourceLocation(p),
            hint="check the path; files are taken relative to the current directory",
        )
        for p in missing
    )
    return sorted(found)


def _note_every_environment(
    ctx: CliContext, config: ConfigRepo, apps: Iterable[str] | None
) -> None:
    """An app without `environments:` goes everywhere, prod included, and into every
    environment added later: legal (exit 0), but worth a line in review."""
    if ctx.quiet:
        return
    chosen = config.apps.values() if apps is None else [config.apps[a] for a in sorted(apps)]
    names = ", ".join(e.name for e in config.environments_in_order())
    for app in chosen:
        if app.all_environments:
            if is_score_file(app.source.path):  # Score has no environments (docs/score.md)
                why, how = "a Score file", "per-environment values come from environment params"
            else:
                why, how = "no `environments:`", "list them to choose"
            click.echo(
                f"note: {app.source.path}: {why}, so {app.id} deploys to every "
                f"environment ({names}) and to any added later; {how}",
                err=True,
            )


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--staged",
    is_flag=True,
    help="Check the files as staged in the git index (what the commit records), not the "
    "working tree.",
)
@check_cache_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (as `midway -q`).")
@click.pass_obj
def check(
    ctx: CliContext,
    files: tuple[str, ...],
    staged: bool,
    no_cache: bool,
    workers: int | None,
    quiet: bool,
) -> None:
    """Validate config files and render the apps they affect (all apps without FILES)."""
    ctx.quiet = ctx.quiet or quiet
    root = ctx.config_path.resolve()
    paths = config_paths(root, files)
    if files and not paths:
        if not ctx.quiet:
            click.echo("checked 0 files, rendered 0 apps (no config files given)")
        return
    cache = Cache.disabled() if no_cache else ctx.cache
    source: ConfigSource = DiskSource(root)
    if staged:
        from midway.config.gitsource import GitSource  # pygit2 only when asked

        source = GitSource.staged(root)
    paths = _require_files(paths, source, staged)
    config = load_config(source, cache)
    apps = affected_apps(paths, [config]) if files else None
    _note_every_environment(ctx, config, apps)
    if apps is not None:
        apps = with_namespace_neighbours(apps, config)
    rendered = 0
    if apps is None or apps:
        result = render_config(
            config, source, RenderOptions(apps=apps, workers=workers, cache=cache)
        )
        if apps is not None and any(not obj.key.namespace for obj in result.objects):
            # Cluster-scoped objects can collide with any app's: let the full render check.
            result = render_config(config, source, RenderOptions(workers=workers, cache=cache))
        rendered = len(result.resolved)
    # each changed blueprint's examples: the only render of a version no app uses yet
    every = [bp for versions in config.blueprints.values() for bp in versions]
    examples = example_config(config, blueprints_touched(config, paths) if files else every)
    if examples.apps:
        render_config(
            examples, source, RenderOptions(workers=workers, cache=cache, ownership=False)
        )
    if not ctx.quiet:
        checked = len(paths) if files else len(source.paths())
        tail = f" and {len(examples.apps)} blueprint examples" if examples.apps else ""
        click.echo(f"checked {checked} files, rendered {rendered} apps{tail}")
