"""Rollout plans: where a rollout stands, and which apps its new version would refuse.

Pure (no Jsonnet): for every app a rollout selects, in every environment of the app — rolled
out or not yet — the version it renders now, the rollout's target version and the app's
params checked against the target's schema (values holding a `${...}` placeholder are left
to the render, which fills them from the resource graph first). An app that is invalid under
the new version is listed with its exact errors before any environment switches it
(`midway rollout status`); in an environment the rollout already covers, the render refuses
it at the rollout's line (`rollout_refusal`), not at the app's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from midway.config.validation import did_you_mean, schema_errors
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import (
    App,
    Blueprint,
    BlueprintRequest,
    ConfigRepo,
    Environment,
    ParamPath,
    Rollout,
)
from midway.render.graph.placeholders import refs_in
from midway.render.params import merge_params, resolve_blueprint, resolve_request

EnvState = Literal["rolled-out", "next", "pending"]
SCHEMA_FILE = "rollout-status.schema.json"
SCHEMA_VERSION = 1


def _problem_lines(error: MidwayError) -> tuple[str, ...]:
    found = error.errors if isinstance(error, MidwayErrors) else (error,)
    return tuple(f"{e.source}: {e.message}" if e.source else e.message for e in found)


# Where a param value holds a `${...}` placeholder: the resource graph fills it at render
# time (docs/resources.md), so the raw text is not what the schema will see.
_DEFERRED = SourceLocation("${...}")


def errors_under(blueprint: Blueprint, env: Environment, app: App) -> tuple[str, ...]:
    """`file:line: message` of every schema violation of the app's merged params under
    `blueprint` in `env`; values holding a placeholder are left to the render."""
    merged = merge_params(blueprint, env, app)
    deferred = [at for at, _ in refs_in(merged.values)]

    def locate(path: ParamPath) -> SourceLocation:
        if any(tuple(path[: len(d)]) == d for d in deferred):
            return _DEFERRED
        return merged.where(path) or app.source

    problems = schema_errors(
        blueprint.parameters, merged.values, locate, prefix="params", subject="parameter"
    )
    return tuple(
        f"{p.source}: {p.message} (blueprint {blueprint.ref}, environment {env.name})"
        for p in problems
        if p.source != _DEFERRED
    )


def rollout_refusal(
    rollout: Rollout,
    app: App,
    env: Environment,
    blueprint: Blueprint,
    own: Blueprint,
    error: MidwayError,
) -> MidwayError:
    """A param error of an app the rollout moved to `blueprint`. When the version of its own
    range (`own`) accepts the params, the rollout is what broke it: blamed on the rollout's
    environment line, the app's lines kept in the detail. Otherwise the error is the app's
    (or the environment's) anyway and stays where it is."""
    if errors_under(own, env, app):
        return error
    return MidwayError(
        f"rollout {rollout.name} moves app {app.id} to {blueprint.ref} in {env.name}, but the "
        f"app's params are not valid for that version (they are for {own.ref})",
        rollout.env_sources.get(env.name, rollout.source),
        hint=f"fix the app's params for {blueprint.ref} first, or leave it out of the rollout "
        f"(exclude: [{app.id}])",
        detail="\n".join(_problem_lines(error)),
    )


@dataclass(frozen=True)
class UnitPlan:
    """One app × environment a rollout selects."""

    app: str
    env: str
    current: str  # blueprint@version rendered there now (the rollout's where it applies)
    target: str  # blueprint@version of the rollout's range
    switched: bool  # the rollout applies in this environment now
    errors: tuple[str, ...] = ()  # "file:line: message" of its params under the target


@dataclass(frozen=True)
class EnvPlan:
    name: str
    order: int
    state: EnvState  # rolled-out (listed), next (the first not listed), pending


@dataclass(frozen=True)
class RolloutPlan:
    name: str
    file: str
    blueprint: str
    to: str
    target: str  # blueprint@version `to` resolves to
    force: bool
    environments: tuple[EnvPlan, ...]  # every environment, in order
    units: tuple[UnitPlan, ...]  # by environment order, then app

    @property
    def invalid(self) -> tuple[UnitPlan, ...]:
        return tuple(u for u in self.units if u.errors)

    @property
    def next_env(self) -> str | None:
        return next((e.name for e in self.environments if e.state == "next"), None)

    @property
    def complete(self) -> bool:
        return self.next_env is None


def plan_rollout(config: ConfigRepo, rollout: Rollout) -> RolloutPlan:
    ordered = config.environments_in_order()
    listed = set(rollout.environments)
    envs: list[EnvPlan] = []
    for env in ordered:
        state: EnvState = "rolled-out" if env.name in listed else "pending"
        if state == "pending" and all(e.state != "next" for e in envs):
            state = "next"
        envs.append(EnvPlan(env.name, env.order, state))
    target_bp = resolve_request(
        config, BlueprintRequest(rollout.blueprint, rollout.to, rollout.to_source)
    )
    units: list[UnitPlan] = []
    selected = [a for a in config.apps.values() if rollout.selects(a)]
    for env in ordered:
        for app in selected:
            if env.name not in app.environments:
                continue
            try:
                current = resolve_blueprint(config, app, env.name).ref
            except MidwayError:
                current = "(unresolved)"
            errors = errors_under(target_bp, env, app)
            units.append(
                UnitPlan(app.id, env.name, current, target_bp.ref, env.name in listed, errors)
            )
    return RolloutPlan(
        name=rollout.name,
        file=rollout.source.path,
        blueprint=rollout.blueprint,
        to=rollout.to,
        target=target_bp.ref,
        force=rollout.force,
        environments=tuple(envs),
        units=tuple(units),
    )


def progress_line(plans: list[RolloutPlan]) -> str | None:
    """One line for publish and render: the rollouts in progress and where each stands."""
    parts = []
    for plan in plans:
        if plan.complete:
            continue
        done = [e.name for e in plan.environments if e.state == "rolled-out"]
        parts.append(f"{plan.name} ({plan.target} in {', '.join(done)}; next {plan.next_env})")
    return f"rollouts in progress (midway rollout status): {'; '.join(parts)}" if parts else None


def rollout_plans(config: ConfigRepo, name: str | None = None) -> list[RolloutPlan]:
    """The plan of rollout `name`, or of every rollout (by name)."""
    if name is not None and name not in config.rollouts:
        known = ", ".join(config.rollouts) or "none (rollouts/*.yaml)"
        raise MidwayError(
            f"rollout `{name}` does not exist",
            hint=did_you_mean(name, list(config.rollouts)) or f"rollouts: {known}",
        )
    names = [name] if name is not None else list(config.rollouts)
    return [plan_rollout(config, config.rollouts[n]) for n in names]


def rollouts_of(config: ConfigRepo | None, blueprint: str) -> list[dict[str, Any]]:
    """The status page's rollouts of one blueprint (`Portal(rollouts=...)`): the entries of
    `rollout status -o json` for it, every rollout (in progress or complete) by name."""
    if config is None:
        return []
    plans = [plan_rollout(config, r) for r in config.rollouts.values() if r.blueprint == blueprint]
    rollouts: list[dict[str, Any]] = to_data(plans)["rollouts"]
    return rollouts


def schema() -> dict[str, Any]:
    text = resources.files("midway.render").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def to_data(plans: list[RolloutPlan]) -> dict[str, Any]:
    """`midway rollout status -o json`: the contract in rollout-status.schema.json."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "rollouts": [
            {
                "name": plan.name,
                "file": plan.file,
                "blueprint": plan.blueprint,
                "to": plan.to,
                "target": plan.target,
                "force": plan.force,
                "complete": plan.complete,
                "next": plan.next_env,
                "environments": [
                    {
                        "name": env.name,
                        "order": env.order,
                        "state": env.state,
                        "apps": [u.app for u in plan.units if u.env == env.name],
                    }
                    for env in plan.environments
                ],
                "units": [
                    {
                        "app": u.app,
                        "env": u.env,
                        "current": u.current,
                        "target": u.target,
                        "switched": u.switched,
                        "errors": list(u.errors),
                    }
                    for u in plan.units
                ],
                "invalid": sorted({u.app for u in plan.invalid}),
            }
            for plan in plans
        ],
    }
