"""`midway promote TEAM/APP --from ENV --to ENV`: copy the promotable params of one
environment's effective values into the next environment's overrides in the app file.

The app file is edited round-trip (comments and layout kept, config/yamledit.py), the result
is loaded and the app rendered before anything is written, then the file is written to the
working tree — or, with --branch, committed on a new branch from HEAD (working tree, index
and HEAD untouched). The preview of `midway diff` follows: working tree against HEAD, or
HEAD against the new branch. Exit 0 promoted (or nothing to promote), 2 refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from midway.cli.context import CliContext
from midway.config.loader import load_config
from midway.config.overlay import OverlaySource
from midway.config.source import ConfigSource
from midway.config.yamledit import set_values
from midway.model import JSON
from midway.render.pipeline import RenderOptions, render_config
from midway.render.promotion import Promotion, plan_promotion


def _shown(value: JSON) -> str:
    return "(unset)" if value is None else str(value)


def _summary(plan: Promotion) -> list[str]:
    lines = [f"promote {plan.app.id}: {plan.source_env} → {plan.target_env}"]
    for param in plan.params:
        lines.append(f"  {param.name}: {_shown(param.before)} → {_shown(param.value)}")
    if plan.unchanged:
        lines.append(f"  already the same in {plan.target_env}: {', '.join(plan.unchanged)}")
    if plan.missing:
        lines.append(f"  no value in {plan.source_env}: {', '.join(plan.missing)}")
    return lines


def _edited(plan: Promotion, source: ConfigSource) -> tuple[str, bytes]:
    path = plan.app.source.path
    text = source.read(path).decode("utf-8")
    values = {p.name: p.value for p in plan.params}
    return path, set_values(path, text, plan.path, values).encode("utf-8")


def _check_renders(source: ConfigSource, app_id: str) -> None:
    """Load the edited config and render the app: an error means nothing is written."""
    config = load_config(source)
    render_config(config, source, RenderOptions(apps=frozenset({app_id})))


def _preview(ctx: click.Context, base: str, head: str | None, fmt: str) -> None:
    from midway.cli.diff import diff  # the preview `midway diff` prints

    try:
        ctx.invoke(
            diff,
            base=base,
            head=head,
            worktree=head is None,
            fmt=fmt,
            against_state=None,
            exact_base=True,
            full=False,
            no_cache=False,
            workers=None,
        )
    except SystemExit as exc:  # 1: there are differences, as there should be
        if exc.code not in (0, 1, None):
            raise


@click.command()
@click.argument("app", metavar="TEAM/APP")
@click.option("--from", "source_env", required=True, metavar="ENV", help="Copy values from here.")
@click.option("--to", "target_env", required=True, metavar="ENV", help="Into this env's overrides.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME",
    help="Promote this parameter (repeatable); default: image and x-midway-promotable ones.",
)
@click.option("--force", is_flag=True, help="Promote even against environment order.")
@click.option(
    "--branch",
    metavar="NAME",
    help="Commit the edited app file on a new branch NAME from HEAD (the working tree stays).",
)
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Format of the diff preview.",
)
@click.pass_context
def promote(
    click_ctx: click.Context,
    app: str,
    source_env: str,
    target_env: str,
    params: tuple[str, ...],
    force: bool,
    branch: str | None,
    fmt: str,
) -> None:
    """Copy promotable params (image tags by default) from one environment to the next."""
    ctx: CliContext = click_ctx.obj
    source, config = ctx.load("HEAD" if branch else None)
    plan = plan_promotion(config, app, source_env, target_env, params, force=force)
    for line in _summary(plan):
        click.echo(line, err=True)
    if not plan.params:
        click.echo(f"nothing to promote: {target_env} already has these values", err=True)
        return
    path, content = _edited(plan, source)
    _check_renders(OverlaySource(source, {path: content}), plan.app.id)
    message = f"promote {plan.app.id} {source_env} → {target_env}: " + ", ".join(
        p.name for p in plan.params
    )
    if branch:
        from midway.gitrepo.branching import commit_on_new_branch, repo_path_of

        commit = commit_on_new_branch(
            ctx.config_path, branch, {repo_path_of(ctx.config_path, path): content}, message
        )
        click.echo(f"committed {commit[:12]} on new branch {branch}: {message}", err=True)
        _preview(click_ctx, "HEAD", branch, fmt)
        return
    (Path(ctx.config_path) / path).write_bytes(content)
    click.echo(f"wrote {path}", err=True)
    sys.stdout.flush()
    _preview(click_ctx, "HEAD", None, fmt)
