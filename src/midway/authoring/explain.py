"""`midway explain`: every effective parameter value of an app and the line that set it, and
why that blueprint version was chosen. Pure: built from the loaded config with the render's
own resolution (`resolve_blueprint`) and merge (`merge_params`), so it cannot disagree."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from midway.config.semver import parse_range
from midway.config.targets import unknown_environment
from midway.config.validation import did_you_mean
from midway.errors import MidwayError, SourceLocation
from midway.model import JSON, App, Blueprint, ConfigRepo, Environment, ParamPath
from midway.render.graph.plan import plan_graph
from midway.render.params import MergedParams, ParamLayer, merge_params, resolve_blueprint
from midway.render.pipeline import placements

Origin = Literal["blueprint default", "environment", "app", "app environment"]
# merge_params' layers after the defaults, lowest precedence first (render/params.py)
_LAYER_ORIGINS: tuple[Origin, ...] = ("environment", "app", "app environment")


@dataclass(frozen=True)
class ValueSource:
    origin: Origin
    value: JSON
    source: SourceLocation


@dataclass(frozen=True)
class ParamExplanation:
    """One effective value (a leaf: scalar, list or empty mapping) and who set it; the lower
    layers that also set it, highest first, in `overridden`."""

    path: ParamPath
    value: JSON
    origin: Origin
    source: SourceLocation
    overridden: tuple[ValueSource, ...] = ()

    @property
    def name(self) -> str:
        return param_name(self.path)


def param_name(path: ParamPath) -> str:
    """`ingress.host`; a key holding `.` or `/` in brackets: `env["a.b"]`."""
    out = ""
    for part in path:
        text = str(part)
        if isinstance(part, int) or "." in text or "/" in text:
            out += f"[{json.dumps(part)}]"
        else:
            out += f".{text}" if out else text
    return out


@dataclass(frozen=True)
class VersionChoice:
    """Which version of the blueprint the app's range picked, and from what."""

    request: str  # as written, e.g. web-service@^2
    range: str  # "" when the app names no range
    source: SourceLocation
    candidates: tuple[str, ...]  # every version, newest first
    matching: tuple[str, ...]  # those the range allows, newest first
    chosen: str
    reason: str


@dataclass(frozen=True)
class ResourceOrigin:
    """Seam for the resource graph (issue 16): which provisioner served a resource."""

    resource: str
    provisioner: str
    source: SourceLocation | None = None


@dataclass(frozen=True)
class EnvironmentExplanation:
    environment: str
    clusters: tuple[str, ...]
    params: tuple[ParamExplanation, ...]
    resources: tuple[ResourceOrigin, ...] = ()  # filled once apps declare resources


@dataclass(frozen=True)
class Explanation:
    app: str
    source: SourceLocation
    blueprint: VersionChoice
    environments: tuple[EnvironmentExplanation, ...] = field(default_factory=tuple)


def explain(
    config: ConfigRepo,
    app_id: str,
    env: str | None = None,
    cluster: str | None = None,
    param: str | None = None,
) -> Explanation:
    app = config.apps.get(app_id)
    if app is None:
        raise MidwayError(
            f"app `{app_id}` does not exist",
            hint=did_you_mean(app_id, sorted(config.apps))
            or "apps are named team/app, as in apps/<team>/<app>.yaml",
        )
    blueprint = resolve_blueprint(config, app)
    environments = _environments(config, app, env, cluster)
    explained = []
    for environment in environments:
        # a rollout may render another version there: its defaults and schema apply
        merged = merge_params(resolve_blueprint(config, app, environment.name), environment, app)
        rows = tuple(_explain_params(blueprint, merged))
        if param is not None:
            rows = _only(rows, param, environment)
        clusters = tuple(
            c.name for c in environment.clusters if cluster is None or c.name == cluster
        )
        explained.append(
            EnvironmentExplanation(
                environment.name, clusters, rows, _resources(config, app, environment, clusters)
            )
        )
    return Explanation(
        app.id, app.source, _version_choice(config, app, blueprint), tuple(explained)
    )


def _resources(
    config: ConfigRepo, app: App, environment: Environment, clusters: tuple[str, ...]
) -> tuple[ResourceOrigin, ...]:
    """Which provisioner serves each of the app's resources here (the graph's own matching,
    without rendering); a resource the graph cannot serve is left out (render says why)."""
    if not app.resources_in(environment.name):
        return ()
    requests = app.resources_in(environment.name)
    graph = plan_graph(config, placements(config, environment.name), [])
    found: dict[str, ResourceOrigin] = {}
    for cluster in clusters:
        local = graph.bindings.get((app.id, environment.name, cluster), {})
        for name, key in sorted(local.items()):
            if name in found or not graph.has(key):
                continue
            node = graph.node(key)
            if node.provider is not None:
                served = f"service-port of app {node.provider.app.id}"
            else:
                assert node.provisioner is not None
                shared = f", shared id {node.id}" if node.shared else ""
                served = f"{node.provisioner.ref} ({node.type}, class {node.class_}{shared})"
            found[name] = ResourceOrigin(name, served, requests[name].source)
    return tuple(found[n] for n in sorted(found))


def _environments(
    config: ConfigRepo, app: App, env: str | None, cluster: str | None
) -> list[Environment]:
    ordered = [e for e in config.environments_in_order() if e.name in app.environments]
    if env is not None:
        if env not in config.environments:
            raise unknown_environment(config, env)
        ordered = [e for e in ordered if e.name == env]
        if not ordered:
            raise MidwayError(
                f"app {app.id} does not deploy to environment `{env}`",
                app.source,
                hint=f"its environments: {', '.join(app.environments) or 'none'}",
            )
    if cluster is not None:
        with_cluster = [e for e in ordered if any(c.name == cluster for c in e.clusters)]
        if not with_cluster:
            known = sorted({c.name for e in ordered for c in e.clusters})
            raise MidwayError(
                f"no cluster `{cluster}` among app {app.id}'s environments",
                hint=did_you_mean(cluster, known) or f"clusters: {', '.join(known)}",
            )
        ordered = with_cluster
    return ordered


def _only(
    rows: tuple[ParamExplanation, ...], param: str, environment: Environment
) -> tuple[ParamExplanation, ...]:
    wanted = tuple(param.split("."))
    chosen = tuple(r for r in rows if tuple(str(p) for p in r.path[: len(wanted)]) == wanted)
    if not chosen:
        names = sorted({r.name for r in rows} | {str(r.path[0]) for r in rows})
        raise MidwayError(
            f"no parameter `{param}` in environment {environment.name}",
            hint=did_you_mean(param, names) or f"parameters: {', '.join(names)}",
        )
    return chosen


def _version_choice(config: ConfigRepo, app: App, blueprint: Blueprint) -> VersionChoice:
    request = app.blueprint
    versions = config.blueprints[request.name]
    predicate = parse_range(request.range)
    matching = tuple(str(bp.version) for bp in versions if predicate and predicate(bp.version))
    if request.range:
        reason = f"the newest version that `{request.range}` allows"
        if "-" not in request.range and any(bp.version.prerelease for bp in versions):
            reason += " (pre-releases only when the range names one)"
    else:
        reason = "no range given: the newest release"
    return VersionChoice(
        request=str(request),
        range=request.range,
        source=request.source,
        candidates=tuple(str(bp.version) for bp in versions),
        matching=matching,
        chosen=str(blueprint.version),
        reason=reason,
    )


def _explain_params(blueprint: Blueprint, merged: MergedParams) -> Iterator[ParamExplanation]:
    layers = merged.layers[1:]
    origins = _LAYER_ORIGINS[: len(layers)]
    for path, value in _leaves(merged.values, ()):
        setters = [
            ValueSource(origin, _value_at(layer.values, path), _where(layer, path))
            for origin, layer in reversed(list(zip(origins, layers, strict=True)))
            if _holds(layer.values, path)
        ]
        # the default supplies the value when no layer does, else it is what they override
        default = _default(blueprint, () if setters else layers, path)
        if default is not None:
            setters.append(default)
        if not setters:  # not expected: every merged value comes from a layer or a default
            setters.append(ValueSource("blueprint default", value, blueprint.source))
        winner, *rest = setters
        yield ParamExplanation(path, value, winner.origin, winner.source, tuple(rest))


def _leaves(value: JSON, path: ParamPath) -> Iterator[tuple[ParamPath, JSON]]:
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _leaves(value[key], (*path, key))
    else:
        yield path, value


def _holds(values: Any, path: ParamPath) -> bool:
    node = values
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _value_at(values: Any, path: ParamPath) -> JSON:
    node = values
    for part in path:
        node = node[part]
    return node


def _where(layer: ParamLayer, path: ParamPath) -> SourceLocation:
    return MergedParams({}, (layer,)).where(path) or layer.fallback


def _default(
    blueprint: Blueprint, layers: tuple[ParamLayer, ...], path: ParamPath
) -> ValueSource | None:
    """The blueprint default that supplies (or, under a layer's value, would supply) `path`:
    as render/params.py applies them, a missing key takes its property's whole default, a
    present mapping gets the defaults of its own missing properties."""
    schema: Any = blueprint.parameters
    for depth, key in enumerate(path):
        props = schema.get("properties") if isinstance(schema, dict) else None
        prop = props.get(key) if isinstance(props, dict) else None
        if not isinstance(prop, dict):
            return None
        prefix = path[: depth + 1]
        set_by_layer = any(_holds(layer.values, prefix) for layer in layers)
        rest = path[depth + 1 :]
        # a default lacking the rest of the path: a nested property's default fills it
        if "default" in prop and not set_by_layer and _holds(prop["default"], rest):
            at = ("properties", *_schema_path(path[:depth]), key, "default", *rest)
            return ValueSource(
                "blueprint default", _value_at(prop["default"], rest), _located(blueprint, at)
            )
        schema = prop
    return None


def _schema_path(path: ParamPath) -> list[str | int]:
    out: list[str | int] = []
    for key in path:
        out += [key, "properties"]
    return out


def _located(blueprint: Blueprint, at: ParamPath) -> SourceLocation:
    probe = tuple(at)
    while probe:
        if probe in blueprint.param_sources:
            return blueprint.param_sources[probe]
        probe = probe[:-1]
    return blueprint.source


# --- output --------------------------------------------------------------------------------

_SHOWN = 40  # characters of a value shown in text; JSON has it whole


def _short(value: JSON) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _line(location: SourceLocation) -> str:
    """file:line (the column adds nothing a reader needs here)."""
    if location.line is None:
        return location.path
    return f"{location.path}:{location.line}"


def as_text(explanation: Explanation) -> str:
    choice = explanation.blueprint
    lines = [
        f"app {explanation.app} ({explanation.source.path})",
        f"blueprint {choice.request} -> {choice.chosen}  ({_line(choice.source)})",
        f"  versions: {', '.join(choice.candidates)}",
        f"  allowed by `{choice.range or '(any)'}`: {', '.join(choice.matching) or 'none'}",
        f"  chosen: {choice.chosen}, {choice.reason}",
    ]
    for env in explanation.environments:
        lines += ["", f"environment {env.environment} (clusters: {', '.join(env.clusters)})"]
        rows = [(p.name, _short(p.value), p.origin, _line(p.source)) for p in env.params]
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(_HEADER)]
        for row_index, row in enumerate([_HEADER, *rows]):
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
            lines.append("  " + "  ".join(cells).rstrip())
            if row_index == 0:
                continue
            for lower in env.params[row_index - 1].overridden:
                lines.append(
                    f"  {'':{widths[0]}}  overrides {lower.origin} {_short(lower.value)} "
                    f"({_line(lower.source)})"
                )
        for resource in env.resources:
            where = f" ({_line(resource.source)})" if resource.source else ""
            lines.append(f"  resource {resource.resource}: {resource.provisioner}{where}")
    return "\n".join(lines) + "\n"


_HEADER = ("PARAM", "VALUE", "FROM", "WHERE")


def _location_json(location: SourceLocation | None) -> Mapping[str, Any] | None:
    if location is None:
        return None
    return {"path": location.path, "line": location.line, "at": _line(location)}


def as_json(explanation: Explanation) -> str:
    choice = explanation.blueprint
    document = {
        "app": explanation.app,
        "file": explanation.source.path,
        "blueprint": {
            "request": choice.request,
            "range": choice.range,
            "source": _location_json(choice.source),
            "candidates": list(choice.candidates),
            "matching": list(choice.matching),
            "chosen": choice.chosen,
            "reason": choice.reason,
        },
        "environments": [
            {
                "environment": env.environment,
                "clusters": list(env.clusters),
                "params": [
                    {
                        "param": p.name,
                        "path": list(p.path),
                        "value": p.value,
                        "from": p.origin,
                        "source": _location_json(p.source),
                        "overrides": [
                            {
                                "from": o.origin,
                                "value": o.value,
                                "source": _location_json(o.source),
                            }
                            for o in p.overridden
                        ],
                    }
                    for p in env.params
                ],
                "resources": [
                    {
                        "resource": r.resource,
                        "provisioner": r.provisioner,
                        "source": _location_json(r.source),
                    }
                    for r in env.resources
                ],
            }
            for env in explanation.environments
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
