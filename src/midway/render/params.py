"""Blueprint resolution and parameter merging, with every value traced to the line that set it.

Precedence: blueprint schema defaults < environment params < app params < app per-env params.
Environment params are env-wide defaults, so a key the blueprint does not declare is skipped
for that blueprint rather than reported: the app team cannot fix the environment file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from midway.config.semver import best_match
from midway.config.validation import did_you_mean, schema_errors
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import (
    JSON,
    App,
    Blueprint,
    BlueprintRequest,
    ConfigRepo,
    Environment,
    ParamPath,
)


@dataclass(frozen=True)
class ParamLayer:
    """One source of parameter values, lowest precedence first when merged."""

    values: Mapping[str, JSON]
    sources: Mapping[ParamPath, SourceLocation]
    fallback: SourceLocation


@dataclass(frozen=True)
class MergedParams:
    values: dict[str, JSON]
    layers: tuple[ParamLayer, ...] = ()

    def where(self, path: ParamPath) -> SourceLocation | None:
        """The line that supplied the value at `path`: the highest-precedence layer holding it.

        Computed on demand (only errors ask), so merging thousands of units stays cheap.
        """
        for layer in reversed(self.layers):
            node: Any = layer.values
            depth = 0
            for part in path:
                holds = (isinstance(node, dict) and part in node) or (
                    isinstance(node, list) and isinstance(part, int) and part < len(node)
                )
                if not holds:
                    break
                node, depth = node[part], depth + 1
            if depth == 0:
                continue
            probe = tuple(path[:depth])
            while probe:
                if probe in layer.sources:
                    return layer.sources[probe]
                probe = probe[:-1]
            return layer.fallback
        return None


def resolve_blueprint(config: ConfigRepo, app: App, env: str | None = None) -> Blueprint:
    """The version `app` renders with: in `env`, the range of a rollout that moves it there
    (an error then points at the rollout's `to`), else the range in the app's own file."""
    rollout = config.rollout_for(app, env) if env is not None and config.rollouts else None
    if rollout is None:
        return resolve_request(config, app.blueprint)
    request = BlueprintRequest(app.blueprint.name, rollout.to, rollout.to_source)
    return resolve_request(config, request)


def resolve_request(config: ConfigRepo, request: BlueprintRequest) -> Blueprint:
    """The newest version of the requested blueprint its range allows."""
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


def _fresh(value: JSON) -> JSON:
    """Copy the mappings (merging and defaults write into them); lists and scalars are
    never mutated downstream, so they are shared instead of deep-copied."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def _deep_merge(base: dict[str, JSON], layer: Mapping[str, JSON]) -> None:
    for key, value in layer.items():
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _deep_merge(current, value)
        else:
            base[key] = _fresh(value)


def _apply_defaults(schema: Mapping[str, Any], value: dict[str, JSON]) -> None:
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if key not in value and "default" in prop:
            value[key] = _fresh(prop["default"])
        child = value.get(key)
        if isinstance(child, dict) and prop.get("type") == "object":
            _apply_defaults(prop, child)


def merge_params(blueprint: Blueprint, env: Environment, app: App) -> MergedParams:
    declared = set((blueprint.parameters.get("properties") or {}).keys())
    layers = [
        ParamLayer({}, {}, blueprint.source),  # defaults, filled below
        ParamLayer(
            {k: v for k, v in env.params.items() if k in declared},
            env.param_sources,
            env.source,
        ),
        ParamLayer(app.params, app.param_sources, app.source),
    ]
    per_env = app.environments.get(env.name)
    if per_env is not None:
        layers.append(ParamLayer(per_env.params, per_env.param_sources, per_env.source))
    values: dict[str, JSON] = {}
    for layer in layers[1:]:
        _deep_merge(values, layer.values)
    _apply_defaults(blueprint.parameters, values)
    return MergedParams(values, tuple(layers))


def validate_params(blueprint: Blueprint, env: Environment, app: App, merged: MergedParams) -> None:
    def locate(path: ParamPath) -> SourceLocation:
        return merged.where(path) or app.source

    problems = schema_errors(
        blueprint.parameters, merged.values, locate, prefix="params", subject="parameter"
    )
    for problem in problems:
        problem.message = f"{problem.message} (blueprint {blueprint.ref}, environment {env.name})"
    MidwayErrors.raise_if_any(problems)
