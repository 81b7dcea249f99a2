"""Blast radius: for each shared input that changed (a blueprint directory, an environment,
the shared libraries, midway.yaml), every app × environment it feeds, split into those whose
rendered output changed and those that came out identical. A cluster added to an existing
environment is a new destination: every app placed on it arrives at once.

The resource graph adds causes of its own (docs/graph.md): a provisioner blueprint feeds the
consumers of the resources it provisions; a provider app whose exports changed feeds the
consumers of its service-port; a shared resource that changed for another reason (a consumer
came or went, its request changed) feeds its consumers. A consumer counts as changed when its
own objects changed or when the resource's objects in its namespace did (a Secret copy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from midway.config.placement import placed_clusters
from midway.model import Blueprint, ConfigRepo, Destination, ResolvedResource
from midway.preview.affected import classify
from midway.preview.changeset import ChangeSet
from midway.preview.graph_changes import ResourceChange, resource_changes

CauseKind = Literal[
    "blueprint", "environment", "shared", "settings", "provisioner", "provider", "resource"
]
CAUSE_ORDER: dict[str, int] = {
    "settings": 0,
    "shared": 1,
    "environment": 2,
    "blueprint": 3,
    "provisioner": 4,
    "provider": 5,
    "resource": 6,
}


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
    label: str = ""  # the title of a graph cause ("provisioner postgres-cnpg@1.0.0 → 1.1.0")
    resources: tuple[ResourceChange, ...] = ()  # graph causes: the resources that changed

    @property
    def title(self) -> str:
        if self.label:
            return self.label
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

    def resource_summary(self, order: Mapping[str, int]) -> list[ResourceSummary]:
        """The changed resources of a graph cause, one entry per resource across its
        environments (the clusters of one environment merged)."""
        grouped: dict[str, tuple[list[str], list[str]]] = {}
        for change in self.resources:
            envs, reasons = grouped.setdefault(change.label, ([], []))
            if change.env not in envs:
                envs.append(change.env)
            reasons += [r for r in change.reasons if r not in reasons]
        return [
            ResourceSummary(
                label, tuple(sorted(envs, key=lambda e: (order.get(e, 0), e))), tuple(reasons)
            )
            for label, (envs, reasons) in sorted(grouped.items())
        ]


@dataclass(frozen=True)
class ResourceSummary:
    resource: str  # "postgres payments/ledger-db"
    envs: tuple[str, ...]
    reasons: tuple[str, ...]  # "outputs host", "objects", "added"…


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
    # the graph on both sides, and which app × environment's output changed (for the picture)
    resources: tuple[ResourceChange, ...] = ()
    output_changed: frozenset[AppEnv] = frozenset()

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
    """Group `paths` (changed config files) into causes. An app file is no cause of its own,
    but it may change a graph node others use (a provider's exports, a shared resource)."""
    files: dict[tuple[CauseKind, str], list[str]] = {}
    app_files: set[str] = set()
    paths = sorted(paths)
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
    graph = resource_changes(changeset)
    output_changed = {AppEnv(c.app, c.env) for c in changeset.changes}
    for change in graph:  # a resource's objects in a consumer's namespace are its output too
        for res in (change.base, change.head):
            for consumer in res.consumers if res is not None else ():
                if consumer.namespace in change.touched_namespaces:
                    output_changed.add(AppEnv(consumer.app, change.env))
    arriving = new_destinations(changeset) if any(k == "environment" for k, _ in files) else ()

    compared = changeset.compared_apps
    configs = (changeset.base, changeset.head)
    every = _units(configs, compared)
    directories: dict[AppEnv, set[str]] = {}
    sides = ((changeset.base, changeset.base_versions), (changeset.head, changeset.head_versions))
    for config, versions in sides:  # per app × env: a rollout may pick another directory
        for app_id, per_env in versions.items():
            for env, ref in per_env.items():
                directory = _blueprint_directory(config, ref)
                if directory is not None:
                    directories.setdefault(AppEnv(app_id, env), set()).add(directory)

    causes: list[Cause] = []
    provisioners = {
        name for kind, name in files if kind == "blueprint" and _is_provisioner(configs, name)
    }
    for (kind, name), cause_files in sorted(
        files.items(), key=lambda item: (CAUSE_ORDER[item[0][0]], item[0][1])
    ):
        if name in provisioners and kind == "blueprint":
            continue  # a graph cause, below
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
    graph_causes = _GraphCauses(
        changeset, graph, tuple(paths), frozenset(output_changed), frozenset(app_files)
    )
    causes += [graph_causes.provisioners(d, files[("blueprint", d)]) for d in sorted(provisioners)]
    causes += graph_causes.providers()
    causes += graph_causes.shared_resources(provisioners)
    causes.sort(key=lambda c: CAUSE_ORDER[c.kind])  # stable: names stay sorted within a kind
    return BlastRadius(
        tuple(causes),
        new_destinations=arriving,
        resources=graph,
        output_changed=frozenset(output_changed),
    )


def _is_provisioner(configs: Iterable[ConfigRepo], directory: str) -> bool:
    path = f"blueprints/{directory}"
    return any(
        b.directory == path and b.provides is not None
        for config in configs
        for versions in config.blueprints.values()
        for b in versions
    )


def _consumers(changes: Iterable[ResourceChange], compared: frozenset[str] | None) -> set[AppEnv]:
    return {
        AppEnv(consumer.app, change.env)
        for change in changes
        for res in (change.base, change.head)
        if res is not None
        for consumer in res.consumers
        if compared is None or consumer.app in compared
    }


def _provisioner_directory(changeset: ChangeSet, res: ResolvedResource | None) -> str | None:
    if res is None or res.provisioner is None:
        return None
    for config in (changeset.head, changeset.base):
        found = _blueprint_directory(config, res.provisioner)
        if found is not None:
            return found
    return None


def _version_span(base: Iterable[str | None], head: Iterable[str | None]) -> str:
    """`postgres-cnpg@1.0.0`, or `postgres-cnpg@1.0.0 → 1.1.0` when head resolves another."""
    old, new = sorted({r for r in base if r}), sorted({r for r in head if r})
    if old == new or not old or not new:
        return ", ".join(old or new)
    names = {r.partition("@")[0] for r in (*old, *new)}
    if len(names) == 1:
        versions = [", ".join(r.partition("@")[2] for r in side) for side in (old, new)]
        return f"{names.pop()}@{versions[0]} → {versions[1]}"
    return f"{', '.join(old)} → {', '.join(new)}"


@dataclass(frozen=True)
class _GraphCauses:
    """What every graph cause is built from: the change set, its resource changes and the
    app × environment pairs whose output changed."""

    changeset: ChangeSet
    graph: tuple[ResourceChange, ...]
    paths: tuple[str, ...]  # every changed config file
    output_changed: frozenset[AppEnv]
    app_files: frozenset[str]  # apps whose own file changed

    def cause(
        self,
        kind: CauseKind,
        name: str,
        label: str,
        feeding: Iterable[str],
        fed: list[ResourceChange],
    ) -> Cause:
        units = _consumers(fed, self.changeset.compared_apps)
        return Cause(
            kind=kind,
            name=name,
            files=tuple(sorted(set(feeding))),
            changed=tuple(sorted(units & self.output_changed)),
            unchanged=tuple(sorted(units - self.output_changed)),
            direct=tuple(sorted({u.app for u in units} & self.app_files)),
            label=label,
            resources=tuple(c for c in fed if c.status != "unchanged"),
        )

    def directories(self, change: ResourceChange) -> set[str | None]:
        """The provisioner directories of a resource on both sides."""
        return {
            _provisioner_directory(self.changeset, change.base),
            _provisioner_directory(self.changeset, change.head),
        }

    def env_files(self, envs: set[str]) -> list[str]:
        return [
            f
            for f in self.paths
            if (c := classify(f)) and c.role == "environment" and c.name in envs
        ]

    def app_file(self, app: str) -> list[str]:
        return [f for f in self.paths if (c := classify(f)) and c.role == "app" and c.name == app]

    def provisioners(self, directory: str, files: list[str]) -> Cause:
        """Every resource the directory provisions (on either side), and their consumers."""
        fed = [c for c in self.graph if directory in self.directories(c)]
        span = _version_span(
            (c.base.provisioner for c in fed if c.base), (c.head.provisioner for c in fed if c.head)
        )
        return self.cause("provisioner", directory, f"provisioner {span or directory}", files, fed)

    def providers(self) -> list[Cause]:
        """Apps whose service-port outputs (their exports) differ, with every consumer of
        their service-port in every environment (the unchanged ones are candidates)."""
        exported = sorted(
            {p for c in self.graph if c.outputs_changed and (p := c.current.provider_app)}
        )
        causes = []
        for provider in exported:
            fed = [c for c in self.graph if c.current.provider_app == provider]
            names = sorted({n for c in fed for n in c.outputs_changed})
            home = _blueprint_directory_of_app(self.changeset, provider)
            feeding = [
                *self.app_file(provider),
                *(f for f in self.paths if home and f.startswith(f"blueprints/{home}/")),
                *self.env_files({c.env for c in fed if c.outputs_changed}),
            ]
            label = f"provider {provider} (exports {', '.join(names)} changed)"
            causes.append(self.cause("provider", provider, label, feeding, fed))
        return causes

    def shared_resources(self, provisioners: set[str]) -> list[Cause]:
        """Shared resources that changed for a reason other than a changed provisioner
        directory (that cause lists them already): consumers came or went, the request or
        the environment's mapping changed. One cause per resource across its classes."""
        changed = {
            c.label
            for c in self.graph
            if c.current.shared
            and c.status != "unchanged"
            and not self.directories(c) & set(provisioners)
        }
        causes = []
        for label in sorted(changed):
            fed = [c for c in self.graph if c.label == label]
            users = {u.app for c in fed for r in (c.base, c.head) if r for u in r.consumers}
            feeding = [f for app in sorted(users) for f in self.app_file(app)]
            feeding += self.env_files({c.env for c in fed if c.status != "unchanged"})
            causes.append(self.cause("resource", label, f"shared resource {label}", feeding, fed))
        return causes


def _blueprint_directory_of_app(changeset: ChangeSet, app: str) -> str | None:
    for config, resolved in (
        (changeset.head, changeset.head_resolved),
        (changeset.base, changeset.base_resolved),
    ):
        ref = resolved.get(app)
        if ref is not None:
            found = _blueprint_directory(config, ref)
            if found is not None:
                return found
    return None
