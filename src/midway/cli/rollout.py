"""`midway rollout status [NAME]`: where each rollout stands, which apps its new version
refuses; and the "which version runs where" table `midway status --blueprints` prints.

Both read the config repo only (working tree or --rev): render/rollout_plan.py and
render/versions.py compute, this module prints text or JSON.
"""

from __future__ import annotations

import json
from collections import Counter

import click

from midway.cli.context import CliContext
from midway.render.rollout_plan import RolloutPlan, rollout_plans
from midway.render.rollout_plan import to_data as rollout_data
from midway.render.versions import BlueprintVersions, version_map
from midway.render.versions import to_data as versions_data

STATE_WORDS = {"rolled-out": "rolled out", "next": "next", "pending": "pending"}


@click.group()
def rollout() -> None:
    """Blueprint rollouts (rollouts/*.yaml): environment by environment."""


@rollout.command("status")
@click.argument("name", required=False)
@click.option("--rev", help="Read this git revision of the config (no checkout).")
@click.option("-o", "--output", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def status(ctx: CliContext, name: str | None, rev: str | None, fmt: str) -> None:
    """Show each rollout's environments, the apps it moves and the apps it would refuse."""
    _, config = ctx.load(rev)
    plans = rollout_plans(config, name)
    if fmt == "json":
        click.echo(json.dumps(rollout_data(plans), indent=2))
        return
    if not plans:
        click.echo("no rollouts (rollouts/*.yaml)")
    for index, plan in enumerate(plans):
        if index:
            click.echo()
        click.echo("\n".join(plan_lines(plan)))


def plan_lines(plan: RolloutPlan) -> list[str]:
    lines = [f"rollout {plan.name} ({plan.file}): {plan.blueprint}@{plan.to} = {plan.target}"]
    width = max((len(e.name) for e in plan.environments), default=0)
    for env in plan.environments:
        units = [u for u in plan.units if u.env == env.name]
        by_version = Counter(u.current for u in units)
        running = ", ".join(f"{n} on {ref}" for ref, n in sorted(by_version.items()))
        state = STATE_WORDS[env.state]
        tail = f": {running}" if running else ""
        lines.append(f"  {env.name:<{width}}  {state:<10}  {len(units)} app(s){tail}")
    invalid = plan.invalid
    if invalid:
        apps = sorted({u.app for u in invalid})
        lines.append(f"  invalid under {plan.target}: {len(apps)} app(s)")
        for unit in invalid:
            for error in unit.errors:
                lines.append(f"    {unit.app} in {unit.env}: {error}")
    if plan.next_env is None:
        lines.append(
            f"  complete: set `{plan.blueprint}@{plan.to}` in the apps' files, then remove "
            f"{plan.file}"
        )
    else:
        lines.append(f"  next: add {plan.next_env} to spec.environments in {plan.file}")
    return lines


def print_versions(ctx: CliContext, env: str | None, fmt: str, rev: str | None = None) -> None:
    """`midway status --blueprints`: per blueprint, per environment, per version, the apps."""
    _, config = ctx.load(rev)
    found = version_map(config, env)
    if fmt == "json":
        click.echo(json.dumps(versions_data(found), indent=2))
        return
    for index, blueprint in enumerate(found):
        if index:
            click.echo()
        click.echo("\n".join(version_lines(blueprint)))


def version_lines(blueprint: BlueprintVersions) -> list[str]:
    lines = [f"blueprint {blueprint.name} (versions {', '.join(blueprint.versions)})"]
    width = max((len(e.env) for e in blueprint.environments), default=0)
    for env in blueprint.environments:
        for use in env.versions:
            via = f" (rollout {', '.join(use.rollouts)})" if use.rollouts else ""
            lines.append(f"  {env.env:<{width}}  {use.version:<8}  {', '.join(use.apps)}{via}")
    if not blueprint.environments:
        lines.append("  no app uses it")
    if blueprint.unused:
        lines.append(f"  unused: {', '.join(blueprint.unused)}")
    return lines
