"""Blueprint resolution and parameter merging, with every value traced to the line that set it.

Precedence: blueprint schema defaults < environment params < app params < app per-env params.
Environment params are env-wide defaults, so a key the blueprint does not declare is skipped
for that blueprint rather than reported: the app team cannot fix the environment file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from midway.config.semver import best_match
from midway.config.validation import did_you_mean, schema_errors
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import JSON, App, Blueprint, ConfigRepo, Environment, ParamPath


@dataclass(frozen=True)
class MergedParams:
    values: dict[str, JSON]
    sources: dict[ParamPath, SourceLocation]

    def where(self, path: ParamPath) -> SourceLocation | None:
        probe = tuple(path)
        while probe:
            if probe in self.sources:
                return self.sources[probe]
            probe = probe[:-1]
        return None


def resolve_blueprint(config: ConfigRepo, app: App) -> Blueprint:
    request = app.blueprint
    versions = config.blueprints.get(request.name)
    if not versions:
        known = ", ".join(sorted(config.blueprints)) or "none"
        raise MidwayError(
            f"blueprint `{request.name}` does not exist",
            request.source,
            hint=did_you_mean(request.name, sorted(config.blueprints))
            or f"available blueprints: {known}",
        )
    chosen = best_match(request.range, [bp.version for bp in versions])
    if chosen is None:
        available = ", ".join(str(bp.version) for bp in versions)
        raise MidwayError(
            f"no version of blueprint `{request.name}` satisfies `{request.range}`",
            request.source,
            hint=f"available versions: {available}; widen the range, e.g. "
            f"{request.name}@^{versions[0].version.major}",
        )
    return next(bp for bp in versions if bp.version == chosen)


def _overlay(
    base: dict[str, JSON],
    sources: dict[ParamPath, SourceLocation],
    layer: Mapping[str, JSON],
    layer_sources: Mapping[ParamPath, SourceLocation],
    fallback: SourceLocation,
    at: ParamPath = (),
) -> None:
    for key, value in layer.items():
        path = (*at, key)
        here = layer_sources.get(path) or fallback
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            sources[path] = here
            _overlay(current, sources, value, layer_sources, here, path)
        else:
            base[key] = copy.deepcopy(value)
            # drop stale sources below a replaced value
            for stale in [p for p in sources if p[: len(path)] == path and len(p) > len(path)]:
                del sources[stale]
            sources[path] = here
            for sub, loc in layer_sources.items():
                if sub[: len(path)] == path and len(sub) > len(path):
                    sources[sub] = loc


def _apply_defaults(
    schema: Mapping[str, Any],
    value: dict[str, JSON],
    sources: dict[ParamPath, SourceLocation],
    where: SourceLocation,
    at: ParamPath = (),
) -> None:
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if key not in value and "default" in prop:
            value[key] = copy.deepcopy(prop["default"])
            sources.setdefault((*at, key), where)
        child = value.get(key)
        if isinstance(child, dict) and prop.get("type") == "object":
            _apply_defaults(prop, child, sources, where, (*at, key))


def merge_params(blueprint: Blueprint, env: Environment, app: App) -> MergedParams:
    values: dict[str, JSON] = {}
    sources: dict[ParamPath, SourceLocation] = {}
    declared = set((blueprint.parameters.get("properties") or {}).keys())
    env_params = {k: v for k, v in env.params.items() if k in declared}
    _overlay(values, sources, env_params, env.param_sources, env.source)
    _overlay(values, sources, app.params, app.param_sources, app.source)
    per_env = app.environments.get(env.name)
    if per_env is not None:
        _overlay(values, sources, per_env.params, per_env.param_sources, per_env.source)
    _apply_defaults(blueprint.parameters, values, sources, blueprint.source)
    return MergedParams(values, sources)


def validate_params(blueprint: Blueprint, env: Environment, app: App, merged: MergedParams) -> None:
    def locate(path: ParamPath) -> SourceLocation:
        return merged.where(path) or app.source

    problems = schema_errors(
        blueprint.parameters, merged.values, locate, prefix="params", subject="parameter"
    )
    for problem in problems:
        problem.message = f"{problem.message} (blueprint {blueprint.ref}, environment {env.name})"
    MidwayErrors.raise_if_any(problems)
