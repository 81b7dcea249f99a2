"""Promotion: which params of an app move from one environment to the next, and to what.

`midway promote TEAM/APP --from staging --to prod` copies the *promotable* params — `image`
by default, plus every top-level parameter the blueprint's schema marks with
`x-midway-promotable: true`; `--param` names them instead — from the FROM environment's
effective values (merged as a render merges them: blueprint default < environment < app <
app environment) into the app's overrides for TO (`spec.environments.<to>.params`).

Promotion goes forward in environment `order` (dev → staging → prod); any other direction
is refused unless forced. A param whose value TO already has is left out (no override is
written for nothing). Pure: the CLI edits the file (config/yamledit.py) and commits it.
"""

from __future__ import annotations

from dataclasses import dataclass

from midway.config.targets import unknown_environment
from midway.config.validation import did_you_mean
from midway.errors import MidwayError
from midway.model import JSON, App, Blueprint, ConfigRepo
from midway.render.params import merge_params, resolve_blueprint

PROMOTABLE_MARK = "x-midway-promotable"
DEFAULT_PROMOTABLE = ("image",)


@dataclass(frozen=True)
class PromotedParam:
    name: str
    value: JSON  # FROM's effective value, written into TO's overrides
    before: JSON  # TO's effective value until now (None: unset)


@dataclass(frozen=True)
class Promotion:
    app: App
    blueprint: Blueprint
    source_env: str
    target_env: str
    params: tuple[PromotedParam, ...]  # what changes, in the order asked / declared
    unchanged: tuple[str, ...]  # promotable params TO already has with FROM's value
    missing: tuple[str, ...]  # promotable params FROM has no value for

    @property
    def path(self) -> tuple[str, ...]:
        """Where the values go in the app file."""
        return ("spec", "environments", self.target_env, "params")


def promotable_params(blueprint: Blueprint) -> tuple[str, ...]:
    """`image` (when declared) and every parameter marked `x-midway-promotable: true`, in the
    schema's order; a parameter may opt out with `x-midway-promotable: false`."""
    properties = blueprint.parameters.get("properties") or {}
    found = []
    for name, schema in properties.items():
        mark = schema.get(PROMOTABLE_MARK) if isinstance(schema, dict) else None
        if mark is True or (name in DEFAULT_PROMOTABLE and mark is not False):
            found.append(name)
    return tuple(found)


def plan_promotion(
    config: ConfigRepo,
    app_id: str,
    source_env: str,
    target_env: str,
    params: tuple[str, ...] = (),
    *,
    force: bool = False,
) -> Promotion:
    """What `promote` would write; MidwayError for anything the user must change first."""
    app = config.apps.get(app_id)
    if app is None:
        raise MidwayError(
            f"app `{app_id}` does not exist",
            hint=did_you_mean(app_id, sorted(config.apps))
            or "apps are named team/app, as in apps/<team>/<app>.yaml",
        )
    for name in (source_env, target_env):
        if name not in config.environments:
            raise unknown_environment(config, name)
        if name not in app.environments:
            raise MidwayError(
                f"app {app_id} does not deploy to environment `{name}`",
                app.source,
                hint=f"its environments: {', '.join(app.environments)}",
            )
    if source_env == target_env:
        raise MidwayError("--from and --to name the same environment")
    source, target = config.environments[source_env], config.environments[target_env]
    if target.order <= source.order and not force:
        order = " → ".join(e.name for e in config.environments_in_order())
        raise MidwayError(
            f"`{target_env}` (order {target.order}) does not come after `{source_env}` "
            f"(order {source.order}): promotion goes forward in environment order ({order})",
            target.source,
            hint="pass --force to copy the values anyway",
        )
    if app.all_environments:
        raise MidwayError(
            f"app {app_id} has no `environments:` map (it deploys to every environment), so "
            f"there is no `{target_env}` entry to put the promoted values in",
            app.source,
            hint="list its environments in the app file (spec.environments), then promote",
        )
    blueprint = resolve_blueprint(config, app)
    declared = list((blueprint.parameters.get("properties") or {}).keys())
    for name in params:
        if name not in declared:
            raise MidwayError(
                f"blueprint {blueprint.ref} has no parameter `{name}`",
                app.blueprint.source,
                hint=did_you_mean(name, declared) or f"its parameters: {', '.join(declared)}",
            )
    wanted = params or promotable_params(blueprint)
    if not wanted:
        raise MidwayError(
            f"blueprint {blueprint.ref} has no promotable parameter (no `image`, none marked "
            f"`{PROMOTABLE_MARK}: true`)",
            blueprint.source,
            hint="name them with --param, or mark them in the blueprint's schema",
        )
    # each environment's own version (a rollout may render another one there)
    before = merge_params(resolve_blueprint(config, app, target.name), target, app).values
    after = merge_params(resolve_blueprint(config, app, source.name), source, app).values
    promoted, unchanged, missing = [], [], []
    for name in wanted:
        if name not in after:
            missing.append(name)
        elif before.get(name) == after[name]:
            unchanged.append(name)
        else:
            promoted.append(PromotedParam(name, after[name], before.get(name)))
    return Promotion(
        app, blueprint, source_env, target_env, tuple(promoted), tuple(unchanged), tuple(missing)
    )
