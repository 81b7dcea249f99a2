"""Which apps a set of changed config files can affect: the input of `check` (render only
those) and of `diff` (compare only those). Render output depends on the app file, the files
of its blueprint directory, its environment file, the shared libraries and midway.yaml, and
on nothing else (the Jsonnet sandbox sees only the blueprint directory and lib/ + vendor/).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from midway.config.resources import SERVICE_PORT
from midway.config.score import SCORE_STEM
from midway.config.source import CONFIG_ROOTS, ROOT_FILES
from midway.model import App, ConfigRepo, ResourceRequest
from midway.render.normalize import namespace_for

FileRole = Literal["app", "blueprint", "environment", "rollout", "shared", "settings"]
SHARED_DIRS = ("lib", "vendor")


@dataclass(frozen=True, order=True)
class ConfigFile:
    """A config file and what it feeds: `name` is the app id, blueprint directory name,
    environment name, or the file itself for shared files and settings."""

    role: FileRole
    name: str
    path: str


def is_config_path(path: str) -> bool:
    """Files midway reads; anything else in the repository (docs, CI files) is ignored."""
    return path in ROOT_FILES or ("/" in path and path.split("/", 1)[0] in CONFIG_ROOTS)


def classify(path: str) -> ConfigFile | None:
    if not is_config_path(path):
        return None
    if path in ROOT_FILES:
        return ConfigFile("settings", path, path)
    top, _, rest = path.partition("/")
    if top in SHARED_DIRS:
        return ConfigFile("shared", path, path)
    if top == "blueprints":
        return ConfigFile("blueprint", rest.split("/", 1)[0], path)
    stem = posixpath.splitext(rest)[0]
    if top == "environments":
        return ConfigFile("environment", stem, path)
    if top == "rollouts":
        return ConfigFile("rollout", stem, path)
    # apps/<team>/<app>.yaml and apps/<team>/<app>.score.yaml -> team/app
    return ConfigFile("app", stem.removesuffix(SCORE_STEM), path)


def changed_paths(base: Mapping[str, str], head: Mapping[str, str]) -> list[str]:
    """Paths whose content identity (git blob id) differs, including added and removed."""
    return sorted(p for p in base.keys() | head.keys() if base.get(p) != head.get(p))


def blueprint_name(directory_name: str) -> str:
    """`web-service@1` -> `web-service`: every directory of a blueprint competes in resolution."""
    return directory_name.split("@", 1)[0]


def affected_apps(paths: Iterable[str], configs: Iterable[ConfigRepo]) -> frozenset[str] | None:
    """App ids whose render may change when `paths` change; None means every app.

    Any directory of a blueprint counts for all apps asking for that blueprint by name: a new
    or removed version can change which version their range resolves to. The resource graph
    carries changes further (docs/graph.md): a provisioner blueprint feeds every app asking
    for a type some environment maps to it; an app file feeds the other consumers of the
    shared resources it requests (their resource may change, or appear or vanish); an app
    feeds the consumers of its service-port (its exports).
    """
    configs = list(configs)
    apps: set[str] = set()
    blueprints: set[str] = set()
    environments: set[str] = set()
    rollouts: set[str] = set()
    for path in paths:
        found = classify(path)
        if found is None:
            continue
        if found.role in ("shared", "settings"):
            return None
        if found.role == "app":
            apps.add(found.name)
        elif found.role == "blueprint":
            blueprints.add(blueprint_name(found.name))
        elif found.role == "rollout":  # it moves apps of its blueprint, on either side
            rollouts.add(found.name)
        else:
            environments.add(found.name)
    own_files = set(apps)
    for config in configs:
        blueprints.update(r.blueprint for n, r in config.rollouts.items() if n in rollouts)
    for config in configs:
        for app in config.apps.values():
            if app.blueprint.name in blueprints or environments & set(app.environments):
                apps.add(app.id)
    providers = set(apps)  # exports come from the app file, its blueprint and environment
    for config in configs:
        apps.update(_service_port_consumers(config, providers))
        apps.update(_co_consumers(config, own_files))
        if blueprints:
            apps.update(_provisioned_by(config, blueprints))
    return frozenset(apps)


def _requests(config: ConfigRepo) -> Iterator[tuple[App, str, ResourceRequest]]:
    for app in config.apps.values():
        for env_name in app.environments:
            for request in app.resources_in(env_name).values():
                yield app, env_name, request


def _provisioned_by(config: ConfigRepo, blueprints: set[str]) -> set[str]:
    """Apps requesting a type that some rule of their environment maps to one of
    `blueprints` (any class, team or app match: a superset, the preview compares outputs)."""
    types = {
        (name, rule.type)
        for name, env in config.environments.items()
        for rule in env.provisioners
        if rule.blueprint.name in blueprints
    }
    return {app.id for app, env, request in _requests(config) if (env, request.type) in types}


def _shared_key(app: App, env: str, request: ResourceRequest) -> tuple[str, str, str] | None:
    if request.id is None or request.type == SERVICE_PORT:
        return None
    scoped = request.id if "/" in request.id else f"{app.team}/{request.id}"
    return env, request.type, scoped


def _co_consumers(config: ConfigRepo, apps: set[str]) -> set[str]:
    """Apps sharing a resource (same type and id in an environment) with one of `apps`."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for app, env, request in _requests(config):
        key = _shared_key(app, env, request)
        if key is not None:
            found.setdefault(key, set()).add(app.id)
    return {other for users in found.values() if users & apps for other in users}


def _provider(app: App, request: ResourceRequest) -> str | None:
    workload = request.params.get("workload")
    if request.type != SERVICE_PORT or not isinstance(workload, str) or not workload:
        return None
    return workload if "/" in workload else f"{app.team}/{workload}"


def _service_port_consumers(config: ConfigRepo, providers: set[str]) -> set[str]:
    return {app.id for app, _, request in _requests(config) if _provider(app, request) in providers}


def with_namespace_neighbours(apps: frozenset[str], config: ConfigRepo) -> frozenset[str]:
    """`apps` plus every app that shares a namespace with one of them in some environment.

    Two apps in one namespace can produce the same object; rendering them together lets the
    render's duplicate check see it. With the usual `{team}-{app}` template nothing is added.
    """
    targets: set[tuple[str, str]] = set()
    for app_id in apps:
        app = config.apps.get(app_id)
        if app is None:
            continue
        for env_name in app.environments:
            env = config.environments[env_name]
            targets.add((env_name, namespace_for(env.namespace_template, app, env_name)))
    found = set(apps)
    for app in config.apps.values():
        if app.id in found:
            continue
        for env_name in app.environments:
            env = config.environments[env_name]
            if (env_name, namespace_for(env.namespace_template, app, env_name)) in targets:
                found.add(app.id)
                break
    return frozenset(found)
