"""Blast radius: for each shared input that changed (a blueprint directory, an environment,
the shared libraries, midway.yaml), every app × environment it feeds, split into those whose
rendered output changed and those that came out identical.

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

from midway.model import ConfigRepo, ResolvedResource
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
class BlastRadius:
    causes: tuple[Cause, ...]
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
        if found is None or found.role == "app":
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

    compared = changeset.compared_apps
    configs = (changeset.base, changeset.head)
    every = _units(configs, compared)
    directories: dict[AppEnv, set[str]] = {}
    sides = ((changeset.base, changeset.base_resolved), (changeset.head, changeset.head_resolved))
    for config, resolved in sides:
        for app_id, ref in resolved.items():
            directory = _blueprint_directory(config, ref)
            app = config.apps.get(app_id)
            if directory is None or app is None:
                continue
            for env in app.environments:
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
    causes += _graph_causes(changeset, graph, paths, files, provisioners, output_changed, app_files)
    causes.sort(key=lambda c: CAUSE_ORDER[c.kind])  # stable: names stay sorted within a kind
    return BlastRadius(tuple(causes), graph, frozenset(output_changed))


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


def _version_span(refs: Iterable[str | None]) -> str:
    """`postgres-cnpg@1.0.0`, or `postgres-cnpg@1.0.0 → 1.1.0` when the versions differ."""
    found = sorted({r for r in refs if r})
    if len(found) == 1:
        return found[0]
    name = found[0].partition("@")[0] if found else ""
    if found and all(r.partition("@")[0] == name for r in found):
        return f"{name}@" + " → ".join(r.partition("@")[2] for r in found)
    return " → ".join(found)


def _graph_causes(
    changeset: ChangeSet,
    graph: tuple[ResourceChange, ...],
    all_files: list[str],
    files: dict[tuple[CauseKind, str], list[str]],
    provisioners: set[str],
    output_changed: set[AppEnv],
    app_files: set[str],
) -> list[Cause]:
    compared = changeset.compared_apps
    app_paths = {
        a: f for f in all_files if (c := classify(f)) and c.role == "app" for a in [c.name]
    }

    def cause(
        kind: CauseKind, name: str, label: str, feeding: list[str], fed: list[ResourceChange]
    ) -> Cause:
        units = _consumers(fed, compared)
        return Cause(
            kind=kind,
            name=name,
            files=tuple(sorted(set(feeding))),
            changed=tuple(sorted(units & output_changed)),
            unchanged=tuple(sorted(units - output_changed)),
            direct=tuple(sorted({u.app for u in units} & app_files)),
            label=label,
            resources=tuple(c for c in fed if c.status != "unchanged"),
        )

    causes: list[Cause] = []
    for directory in sorted(provisioners):
        fed = [
            c
            for c in graph
            if directory
            in (
                _provisioner_directory(changeset, c.base),
                _provisioner_directory(changeset, c.head),
            )
        ]
        refs = [r.provisioner for c in fed for r in (c.base, c.head) if r is not None]
        span = _version_span(refs) if refs else directory
        causes.append(
            cause(
                "provisioner",
                directory,
                f"provisioner {span}",
                files[("blueprint", directory)],
                fed,
            )
        )
    exported: dict[str, list[ResourceChange]] = {}
    for change in graph:
        res = change.current
        if res.provider_app is not None and change.outputs_changed:
            exported.setdefault(res.provider_app, [])
    for change in graph:
        target = change.current.provider_app
        if target is not None and target in exported:
            exported[target].append(change)  # every env: the unchanged ones are candidates
    for provider, fed in sorted(exported.items()):
        names = sorted({n for c in fed for n in c.outputs_changed})
        home = _blueprint_directory_of_app(changeset, provider)
        envs = {c.env for c in fed if c.outputs_changed}
        feeding = [
            f
            for f in all_files
            if f == app_paths.get(provider)
            or (home is not None and f.startswith(f"blueprints/{home}/"))
            or ((c := classify(f)) and c.role == "environment" and c.name in envs)
        ]
        label = f"provider {provider} (exports {', '.join(names)} changed)"
        causes.append(cause("provider", provider, label, feeding, fed))
    shared: dict[str, list[ResourceChange]] = {}  # by label: one cause across classes
    for change in graph:
        res = change.current
        explained = {_provisioner_directory(changeset, change.base)} | {
            _provisioner_directory(changeset, change.head)
        }
        if res.shared and change.status != "unchanged" and not explained & provisioners:
            shared.setdefault(change.label, [])
    for change in graph:
        if change.label in shared:
            shared[change.label].append(change)
    for label, fed in sorted(shared.items()):
        users = {
            c.app for change in fed for r in (change.base, change.head) if r for c in r.consumers
        }
        feeding = [app_paths[a] for a in users if a in app_paths]
        envs = {c.env for c in fed if c.status != "unchanged"}
        feeding += [
            f
            for f in all_files
            if (c := classify(f)) and c.role == "environment" and c.name in envs
        ]
        causes.append(cause("resource", label, f"shared resource {label}", feeding, fed))
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
