"""Blast radius: for each shared input that changed (a blueprint directory, an environment,
the shared libraries, midway.yaml), every app × environment it feeds, split into those whose
rendered output changed and those that came out identical. A cluster added to an existing
environment is a new destination: every app placed on it arrives at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from midway.config.placement import placed_clusters
from midway.model import Blueprint, ConfigRepo, Destination
from midway.preview.affected import classify
from midway.preview.changeset import ChangeSet

CauseKind = Literal["blueprint", "environment", "shared", "settings"]
CAUSE_ORDER: dict[str, int] = {"settings": 0, "shared": 1, "environment": 2, "blueprint": 3}


@dataclass(frozen=True, order=True)
class AppEnv:
    app: str
    env: str


@dataclass(frozen=True)
class Cause:
    kind: CauseKind
    name: str  # blueprint directory (web-service@1), environment, "lib/ and vendor/", midway.yaml
    files: tuple[str, ...]
    changed: tuple[AppEnv, ...]
    unchanged: tuple[AppEnv, ...]
    # Apps fed by this input whose own file changed too: their change has two possible causes.
    direct: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        if self.kind == "blueprint":
            return f"blueprint {self.name}"
        if self.kind == "environment":
            return f"environment {self.name}"
        if self.kind == "shared":
            return "shared libraries"
        return "repository settings"

    @property
    def candidates(self) -> int:
        return len(self.changed) + len(self.unchanged)


@dataclass(frozen=True)
class NewDestination:
    """A cluster added to an environment that exists on both sides, and the apps placed
    on it (`new destination prod/prod-ap: 212 apps`)."""

    destination: Destination
    apps: tuple[str, ...]


@dataclass(frozen=True)
class BlastRadius:
    causes: tuple[Cause, ...]
    new_destinations: tuple[NewDestination, ...] = ()

    @property
    def changed(self) -> frozenset[AppEnv]:
        return frozenset(unit for cause in self.causes for unit in cause.changed)


def _units(configs: Iterable[ConfigRepo], apps: frozenset[str] | None) -> set[AppEnv]:
    return {
        AppEnv(app.id, env)
        for config in configs
        for app in config.apps.values()
        if apps is None or app.id in apps
        for env in app.environments
    }


def _blueprint_directory(config: ConfigRepo, ref: str) -> str | None:
    """`web-service@2.1.0` -> `web-service` (the directory name under blueprints/)."""
    name, _, version = ref.partition("@")
    for blueprint in config.blueprints.get(name, ()):
        if str(blueprint.version) == version:
            return blueprint.directory.removeprefix("blueprints/")
    return None


def _resolved_blueprint(config: ConfigRepo, ref: str | None) -> Blueprint | None:
    name, _, version = (ref or "").partition("@")
    return next((bp for bp in config.blueprints.get(name, ()) if str(bp.version) == version), None)


def new_destinations(changeset: ChangeSet) -> tuple[NewDestination, ...]:
    """Clusters of head that base's environment of the same name lacks, in environment and
    cluster order, with the apps head places there (by their placement and blueprint)."""
    base, head = changeset.base, changeset.head
    found = []
    for env in head.environments_in_order():
        before = base.environments.get(env.name)
        if before is None:  # a new environment is reported as one
            continue
        known = {c.name for c in before.clusters}
        for cluster in env.clusters:
            if cluster.name in known:
                continue
            apps = tuple(
                app.id
                for app in head.apps.values()
                if env.name in app.environments
                and cluster
                in placed_clusters(
                    app, _resolved_blueprint(head, changeset.head_resolved.get(app.id)), env
                )
            )
            found.append(NewDestination(Destination(env.name, cluster.name), apps))
    return tuple(found)


def blast_radius(paths: Iterable[str], changeset: ChangeSet) -> BlastRadius:
    """Group `paths` (changed config files) into causes; app files are not a blast radius."""
    files: dict[tuple[CauseKind, str], list[str]] = {}
    app_files: set[str] = set()
    for path in paths:
        found = classify(path)
        if found is not None and found.role == "app":
            app_files.add(found.name)
        # a rollout's effect is its own report section (preview/report.py version_switches)
        if found is None or found.role == "app" or found.role == "rollout":
            continue
        kind: CauseKind = found.role
        name = found.name
        if kind == "shared":
            name = "lib/ and vendor/"
        files.setdefault((kind, name), []).append(path)
    if not files:
        return BlastRadius(())
    arriving = new_destinations(changeset) if any(k == "environment" for k, _ in files) else ()

    compared = changeset.compared_apps
    configs = (changeset.base, changeset.head)
    every = _units(configs, compared)
    output_changed = {AppEnv(c.app, c.env) for c in changeset.changes}
    directories: dict[AppEnv, set[str]] = {}
    sides = ((changeset.base, changeset.base_versions), (changeset.head, changeset.head_versions))
    for config, versions in sides:  # per app × env: a rollout may pick another directory
        for app_id, per_env in versions.items():
            for env, ref in per_env.items():
                directory = _blueprint_directory(config, ref)
                if directory is not None:
                    directories.setdefault(AppEnv(app_id, env), set()).add(directory)

    causes: list[Cause] = []
    for (kind, name), cause_files in sorted(
        files.items(), key=lambda item: (CAUSE_ORDER[item[0][0]], item[0][1])
    ):
        if kind == "blueprint":
            fed = {u for u in every if name in directories.get(u, set())}
        elif kind == "environment":
            fed = {u for u in every if u.env == name}
        else:
            fed = every
        causes.append(
            Cause(
                kind=kind,
                name=name,
                files=tuple(sorted(cause_files)),
                changed=tuple(sorted(fed & output_changed)),
                unchanged=tuple(sorted(fed - output_changed)),
                direct=tuple(sorted({u.app for u in fed} & app_files)),
            )
        )
    return BlastRadius(tuple(causes), arriving)
