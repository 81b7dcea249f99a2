"""Blueprint examples as apps: what `midway check` renders when a blueprint changes, so a
blueprint version no app uses yet is still evaluated, schema-checked and validated."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from midway.config.source import JSONNETFILES
from midway.config.validation import did_you_mean
from midway.errors import MidwayError, MidwayErrors
from midway.model import App, AppEnvironment, Blueprint, BlueprintRequest, ConfigRepo

EXAMPLE_TEAM = "example"
# A change under these can affect any blueprint's output.
SHARED_INPUTS = ("lib/", "vendor/", "environments/", "midway.yaml", *JSONNETFILES)


def blueprints_touched(config: ConfigRepo, paths: Iterable[str]) -> list[Blueprint]:
    """The blueprints whose output the changed config paths can affect."""
    every = [bp for versions in config.blueprints.values() for bp in versions]
    changed = list(paths)
    if any(p.startswith(SHARED_INPUTS) for p in changed):
        return every
    return [bp for bp in every if any(p.startswith(bp.directory + "/") for p in changed)]


def example_config(config: ConfigRepo, blueprints: Iterable[Blueprint]) -> ConfigRepo:
    """`config` with the blueprints' examples as its only apps (team `example`, named
    `<blueprint>-<major>-<example>`, pinned to that exact blueprint version; with several
    versions of that major in the repo, `<blueprint>-<major>-<minor>-<patch>-<example>`)."""
    apps: dict[str, App] = {}
    errors: list[MidwayError] = []
    for blueprint in blueprints:
        for example in blueprint.examples:
            wanted = example.environments
            unknown = [e for e in wanted or () if e not in config.environments]
            if unknown:
                known = sorted(config.environments)
                errors.append(
                    MidwayError(
                        f"example `{example.name}` of blueprint {blueprint.ref} names "
                        f"environment `{unknown[0]}`, which does not exist",
                        example.source,
                        hint=did_you_mean(unknown[0], known)
                        or f"known environments: {', '.join(known)}",
                    )
                )
                continue
            envs = wanted if wanted is not None else tuple(config.environments)
            app = App(
                name=f"{blueprint.name}-{_version_label(config, blueprint)}-{example.name}",
                team=EXAMPLE_TEAM,
                blueprint=BlueprintRequest(blueprint.name, str(blueprint.version), example.source),
                params=example.params,
                environments={e: AppEnvironment(e, {}, example.source) for e in envs},
                source=example.source,
                param_sources=example.param_sources,
            )
            apps[app.id] = app
    MidwayErrors.raise_if_any(errors)
    # no rollouts: an example is pinned to its exact version, a rollout must not move it
    return dataclasses.replace(config, apps=dict(sorted(apps.items())), rollouts={})


def _version_label(config: ConfigRepo, blueprint: Blueprint) -> str:
    """The major alone while it is the only version of its major, else the whole version:
    two 1.x versions' examples must not share an app name (one would silently replace the
    other)."""
    version = blueprint.version
    same_major = [
        bp for bp in config.blueprints.get(blueprint.name, ()) if bp.version.major == version.major
    ]
    if len(same_major) <= 1:
        return str(version.major)
    return str(version).replace(".", "-").replace("+", "-").lower()
