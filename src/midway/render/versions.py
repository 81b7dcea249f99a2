"""Which blueprint version runs where: per blueprint, per environment, per version, the apps.

Pure, from the config alone (the same resolution as the render, rollouts included), so
`midway status --blueprints` answers without a daemon or a cluster. Versions no app renders
anywhere are listed as unused: the directories that can go once an upgrade is finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from midway.config.semver import parse_version, sort_newest_first
from midway.errors import MidwayError, MidwayErrors
from midway.model import ConfigRepo
from midway.render.params import resolve_blueprint

SCHEMA_FILE = "blueprint-versions.schema.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class VersionUse:
    version: str
    apps: tuple[str, ...]
    rollouts: tuple[str, ...]  # rollouts that moved some of these apps here


@dataclass(frozen=True)
class EnvVersions:
    env: str
    versions: tuple[VersionUse, ...]  # newest first


@dataclass(frozen=True)
class BlueprintVersions:
    name: str
    versions: tuple[str, ...]  # every version in the repo, newest first
    environments: tuple[EnvVersions, ...]  # in environment order; only where apps run it

    @property
    def unused(self) -> tuple[str, ...]:
        used = {u.version for e in self.environments for u in e.versions}
        return tuple(v for v in self.versions if v not in used)


def version_map(config: ConfigRepo, env: str | None = None) -> list[BlueprintVersions]:
    """Every blueprint (by name) with the apps running each of its versions, per environment
    (only `env` when given). An app whose range resolves to nothing is an error, as in render."""
    runs: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    errors: list[MidwayError] = []
    for app in config.apps.values():
        for env_name in app.environments:
            if env is not None and env_name != env:
                continue
            try:
                blueprint = resolve_blueprint(config, app, env_name)
            except MidwayError as exc:
                errors.append(exc)
                continue
            rollout = config.rollout_for(app, env_name) if config.rollouts else None
            apps, rollouts = runs.setdefault(
                (blueprint.name, env_name, str(blueprint.version)), (set(), set())
            )
            apps.add(app.id)
            if rollout is not None:
                rollouts.add(rollout.name)
    MidwayErrors.raise_if_any(errors)
    result = []
    for name, blueprints in sorted(config.blueprints.items()):
        versions = tuple(str(bp.version) for bp in blueprints)
        envs = []
        for environment in config.environments_in_order():
            found = [
                (version, apps, rollouts)
                for (bp, env_name, version), (apps, rollouts) in runs.items()
                if bp == name and env_name == environment.name
            ]
            if not found:
                continue
            by_version = {v: (a, r) for v, a, r in found}
            ordered = sort_newest_first(
                parsed for v in by_version if (parsed := parse_version(v)) is not None
            )
            envs.append(
                EnvVersions(
                    environment.name,
                    tuple(
                        VersionUse(
                            str(v),
                            tuple(sorted(by_version[str(v)][0])),
                            tuple(sorted(by_version[str(v)][1])),
                        )
                        for v in ordered
                    ),
                )
            )
        result.append(BlueprintVersions(name, versions, tuple(envs)))
    return result


def schema() -> dict[str, Any]:
    text = resources.files("midway.render").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def to_data(found: list[BlueprintVersions]) -> dict[str, Any]:
    """`midway status --blueprints -o json`: the contract in blueprint-versions.schema.json."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "blueprints": [
            {
                "name": bp.name,
                "versions": list(bp.versions),
                "unused": list(bp.unused),
                "environments": [
                    {
                        "name": env.env,
                        "versions": [
                            {
                                "version": u.version,
                                "apps": list(u.apps),
                                "rollouts": list(u.rollouts),
                            }
                            for u in env.versions
                        ],
                    }
                    for env in bp.environments
                ],
            }
            for bp in found
        ],
    }
