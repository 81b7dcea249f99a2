"""`midway new app`: a minimal, valid app file for a blueprint — the required parameters and
nothing else — checked with the render's own merge and schema before a byte is written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from midway.authoring.editor_schemas import modeline
from midway.config.schemas import DNS_LABEL
from midway.config.targets import unknown_environment
from midway.config.validation import did_you_mean
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import (
    JSON,
    App,
    AppEnvironment,
    Blueprint,
    BlueprintRequest,
    ConfigRepo,
    Environment,
    ParamPath,
)
from midway.render.params import merge_params, resolve_blueprint, validate_params


@dataclass(frozen=True)
class MissingParam:
    """A required parameter no flag, default or environment supplies."""

    path: ParamPath
    schema: Mapping[str, Any]

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.path)

    @property
    def description(self) -> str:
        return " ".join(str(self.schema.get("description", "")).split())


@dataclass(frozen=True)
class AppRequest:
    """What `midway new app` was asked for, checked against the config."""

    team: str
    name: str
    blueprint: Blueprint
    blueprint_ref: str  # as it will be written, e.g. web-service@^2
    environments: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"apps/{self.team}/{self.name}.yaml"


def plan_app(
    config: ConfigRepo, app_id: str, blueprint_ref: str, envs: Iterable[str]
) -> AppRequest:
    team, slash, name = app_id.partition("/")
    if not slash or not re.match(DNS_LABEL, team) or not re.match(DNS_LABEL, name):
        raise MidwayError(
            f"`{app_id}` is not TEAM/NAME",
            hint="lower-case letters, digits and '-' on both sides, e.g. payments/checkout",
        )
    if config.settings.teams is not None and team not in config.settings.teams:
        raise MidwayError(
            f"team `{team}` is not in the team registry (`teams:` in midway.yaml)",
            config.settings.teams_source,
            hint=did_you_mean(team, list(config.settings.teams))
            or "add the team to midway.yaml first",
        )
    bp_name, at, range_text = blueprint_ref.partition("@")
    versions = config.blueprints.get(bp_name)
    if not versions:
        raise MidwayError(
            f"blueprint `{bp_name}` does not exist",
            hint=did_you_mean(bp_name, sorted(config.blueprints))
            or f"blueprints: {', '.join(sorted(config.blueprints)) or 'none'}",
        )
    if not at:  # pin the newest major, as the apps of the example do
        newest = next((bp for bp in versions if not bp.version.prerelease), versions[0])
        range_text = f"^{newest.version.major}"
    written = f"{bp_name}@{range_text}"
    request = BlueprintRequest(bp_name, range_text, SourceLocation("(--blueprint)"))
    probe = App(name, team, request, {}, {}, SourceLocation("(--blueprint)"))
    blueprint = resolve_blueprint(config, probe)
    known = [e.name for e in config.environments_in_order()]
    chosen = list(dict.fromkeys(envs)) or known
    MidwayErrors.raise_if_any(
        unknown_environment(config, e) for e in chosen if e not in config.environments
    )
    order = {n: i for i, n in enumerate(known)}
    return AppRequest(team, name, blueprint, written, tuple(sorted(chosen, key=order.__getitem__)))


def param_schema(blueprint: Blueprint, path: ParamPath) -> Mapping[str, Any] | None:
    schema: Any = blueprint.parameters
    for key in path:
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        if not isinstance(props, Mapping) or not isinstance(props.get(key), Mapping):
            return None
        schema = props[key]
    return schema if isinstance(schema, Mapping) else None


def parse_value(schema: Mapping[str, Any] | None, text: str) -> JSON:
    """A flag's or prompt's text as the parameter's value: strings stay as typed (an image
    tag `1.10` is not a number), anything else is read as YAML (`3`, `true`, `[a, b]`)."""
    if schema is not None and schema.get("type") == "string":
        return text
    try:
        value: JSON = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value


def parse_params(blueprint: Blueprint, pairs: Iterable[str]) -> dict[str, JSON]:
    """`--param a.b=v` flags as nested params (dotted keys make mappings)."""
    params: dict[str, JSON] = {}
    errors = []
    declared = sorted((blueprint.parameters.get("properties") or {}).keys())
    for pair in pairs:
        key, eq, text = pair.partition("=")
        if not eq or not key:
            errors.append(MidwayError(f"`--param {pair}` is not KEY=VALUE"))
            continue
        path = tuple(key.split("."))
        schema = param_schema(blueprint, path)
        if schema is None and path[0] not in declared:
            errors.append(
                MidwayError(
                    f"blueprint {blueprint.ref} has no parameter `{path[0]}`",
                    hint=did_you_mean(path[0], declared) or f"parameters: {', '.join(declared)}",
                )
            )
            continue
        set_param(params, path, parse_value(schema, text))
    MidwayErrors.raise_if_any(errors)
    return params


def set_param(params: dict[str, JSON], path: ParamPath, value: JSON) -> None:
    node = params
    for key in path[:-1]:
        child = node.get(str(key))
        if not isinstance(child, dict):
            child = node[str(key)] = {}
        node = child
    node[str(path[-1])] = value


def missing_params(
    request: AppRequest, params: Mapping[str, JSON], config: ConfigRepo
) -> list[MissingParam]:
    """Required parameters nothing supplies: not the flags, not a default, not every chosen
    environment's params. A required mapping is asked for field by field."""
    envs = [config.environments[e] for e in request.environments]
    return list(_missing(request.blueprint.parameters, params, (), envs))


def _missing(
    schema: Mapping[str, Any], value: Any, path: ParamPath, envs: list[Environment]
) -> Iterator[MissingParam]:
    props = schema.get("properties") or {}
    for key in schema.get("required") or ():
        prop = props.get(key) if isinstance(props, Mapping) else None
        prop = prop if isinstance(prop, Mapping) else {}
        here = (*path, key)
        given = value.get(key) if isinstance(value, Mapping) else None
        if given is None and ("default" in prop or all(_env_has(e, here) for e in envs)):
            continue
        if prop.get("type") == "object" and prop.get("required"):
            yield from _missing(prop, given or {}, here, envs)
        elif given is None:
            yield MissingParam(here, prop)


def _env_has(env: Environment, path: ParamPath) -> bool:
    node: Any = env.params
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def check_app(request: AppRequest, params: Mapping[str, JSON], config: ConfigRepo) -> None:
    """The render's own merge and schema check, in every chosen environment."""
    where = SourceLocation(request.path)
    app = App(
        name=request.name,
        team=request.team,
        blueprint=BlueprintRequest(request.blueprint.name, "", where),
        params=params,
        environments={e: AppEnvironment(e, {}, where) for e in request.environments},
        source=where,
    )
    errors: list[MidwayError] = []
    for env in request.environments:
        environment = config.environments[env]
        merged = merge_params(request.blueprint, environment, app)
        try:
            validate_params(request.blueprint, environment, app, merged)
        except MidwayError as exc:
            errors.extend(exc.errors if isinstance(exc, MidwayErrors) else [exc])
    seen: set[str] = set()
    unique = []
    for error in errors:  # the same bad flag fails in every environment: say it once
        key = error.message.rsplit(" (blueprint", 1)[0]
        if key not in seen:
            seen.add(key)
            unique.append(error)
    MidwayErrors.raise_if_any(unique)


def app_file(request: AppRequest, params: Mapping[str, JSON]) -> str:
    """The app file's text: the modeline, then the smallest valid request."""
    spec: dict[str, Any] = {"blueprint": request.blueprint_ref}
    body = {
        "apiVersion": "midway.dev/v1",
        "kind": "App",
        "metadata": {"name": request.name, "team": request.team},
        "spec": spec,
    }
    text = yaml.safe_dump(body, sort_keys=False, default_flow_style=False)
    params_text = (
        yaml.safe_dump({"params": dict(params)}, sort_keys=False, default_flow_style=False)
        if params
        else "params: {}\n"
    )
    envs = "environments:\n" + "".join(f"  {e}: {{}}\n" for e in request.environments)
    indented = "".join("  " + line + "\n" for line in (params_text + envs).splitlines())
    return f"{modeline('App', request.path)}\n{text}{indented}"
