"""The data model shared by every stage: plain frozen dataclasses, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from midway.errors import SourceLocation
from midway.objects.apiversion import group_of
from midway.objects.labelselector import LabelSelector

API_VERSION = "midway.dev/v1"
FIELD_MANAGER = "midway"

# Ownership marks put on every rendered object (docs/design.md §6, docs/state-repo.md "Layout").
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "midway"
LABEL_APP = "midway.dev/app"
LABEL_TEAM = "midway.dev/team"
LABEL_ENV = "midway.dev/env"
LABEL_CLUSTER = "midway.dev/cluster"
ANNOTATION_BLUEPRINT = "midway.dev/blueprint"
# A namespace midway created only because its objects needed one (no blueprint renders it):
# annotated, NOT labelled as midway's. It is no desired object, so it must never look like
# one of midway's (an orphan to prune would take every object in it along).
ANNOTATION_CREATED_NAMESPACE = "midway.dev/created-namespace"

# Prune protection (docs/blueprints.md, "Cluster-scoped objects and their ownership").
# `midway.dev/prune: disabled` keeps any object from being pruned (as Flux's
# `kustomize.toolkit.fluxcd.io/prune: disabled`); the kinds below are pruned only with
# `midway.dev/prune: allow`, since deleting one deletes everything in or of it.
ANNOTATION_PRUNE = "midway.dev/prune"
PRUNE_ALLOW = "allow"
PRUNE_DISABLED = "disabled"
PRUNE_PROTECTED_KINDS = frozenset({"CustomResourceDefinition", "Namespace"})
ANNOTATION_ARGOCD_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
# Objects a provisioner rendered for a resource (docs/resources.md, "Layout"): which resource
# (its home name) and of which type.
LABEL_RESOURCE = "midway.dev/resource"
LABEL_RESOURCE_TYPE = "midway.dev/resource-type"

JSON = Any  # a JSON-compatible value (dict/list/str/int/float/bool/None)
ParamPath = tuple[str | int, ...]

DriftMode = Literal["correct", "warn"]


@dataclass(frozen=True)
class IgnoreRule:
    """Drift ignore rule. Empty selectors match everything; `path` is a JSON pointer."""

    kind: str | None = None
    name: str | None = None
    path: str | None = None
    manager: str | None = None
    when: str | None = None  # named condition, e.g. "hpa": only when an HPA targets the object
    reason: str | None = None
    source: SourceLocation | None = None


@dataclass(frozen=True)
class ArgoSyncPolicy:
    automated: bool = False  # only when the environment says so (docs/state-repo.md)
    prune: bool = False
    self_heal: bool = False


@dataclass(frozen=True)
class Policy:
    drift: DriftMode = "warn"
    prune: bool = False
    allow_empty_prune: bool = False
    argocd: ArgoSyncPolicy = field(default_factory=ArgoSyncPolicy)


@dataclass(frozen=True)
class Cluster:
    name: str
    server: str
    kubernetes_version: str
    context: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # placement selects on these
    # where `server:` is written: the cluster's identity, named in wrong-cluster errors
    server_source: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Placement:
    """Which clusters of an environment an app goes to (config/placement.py)."""

    selector: LabelSelector
    allow_empty: bool = False  # a selector that matches no cluster is then no error
    source: SourceLocation = field(default_factory=lambda: SourceLocation("apps"), compare=False)


@dataclass(frozen=True)
class Environment:
    name: str
    order: int
    clusters: tuple[Cluster, ...]
    namespace_template: str
    params: Mapping[str, JSON]
    policy: Policy
    ignore: tuple[IgnoreRule, ...] = ()
    state_repo_url: str | None = None  # what ArgoCD should pull; None = repo-wide default
    state_revision: str | None = None
    argocd_mode: Literal["applications", "applicationset"] = "applications"
    argocd_namespace: str = "argocd"
    argocd_project: str = "default"
    source: SourceLocation = field(default_factory=lambda: SourceLocation("environments"))
    param_sources: Mapping[ParamPath, SourceLocation] = field(default_factory=dict)
    namespace_source: SourceLocation | None = None  # the `namespace:` line, when written
    provisioners: tuple[ProvisionerRule, ...] = ()


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str = ""

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core


@dataclass(frozen=True)
class BlueprintExample:
    """A sample request kept with the blueprint: `midway check` renders it whenever the
    blueprint changes, even before any app uses this version."""

    name: str
    params: Mapping[str, JSON]
    environments: tuple[str, ...] | None  # None: every environment
    source: SourceLocation
    param_sources: Mapping[ParamPath, SourceLocation] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputSpec:
    """One output a provisioner declares: its JSON Schema and whether it is a secret
    reference (`{secretKeyRef: {name, key}}`) rather than a value."""

    name: str
    schema: Mapping[str, JSON]
    secret: bool = False


@dataclass(frozen=True)
class Provides:
    """What a provisioner blueprint provides (`spec.provides` in blueprint.yaml)."""

    type: str
    classes: tuple[str, ...]
    outputs: Mapping[str, OutputSpec]
    stateful: bool = False
    source: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Blueprint:
    name: str
    version: Version
    description: str
    parameters: Mapping[str, JSON]  # JSON Schema (draft 2020-12)
    directory: str  # repo-relative directory holding blueprint.yaml and main.jsonnet
    ignore: tuple[IgnoreRule, ...] = ()
    policy_drift: DriftMode | None = None
    source: SourceLocation = field(default_factory=lambda: SourceLocation("blueprints"))
    examples: tuple[BlueprintExample, ...] = ()
    # where each node of `parameters` is written (a default's line, for `midway explain`)
    param_sources: Mapping[ParamPath, SourceLocation] = field(default_factory=dict, compare=False)
    catalog_type: str | None = None  # Backstage Component type (`spec.catalog.type`)
    provides: Provides | None = None  # a provisioner blueprint (docs/resources.md)
    # outputs a workload exports to other apps (`service-port` resources): name -> template
    exports: Mapping[str, JSON] = field(default_factory=dict)
    exports_source: SourceLocation | None = field(default=None, compare=False)
    placement: Placement | None = None  # the default of apps that do not say (None: all)
    version_source: SourceLocation | None = field(default=None, compare=False)  # spec.version

    @cached_property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class BlueprintRequest:
    """What an app asks for: a blueprint name and a semver range (`^1`, `~1.2`, `1.3.0`)."""

    name: str
    range: str
    source: SourceLocation

    def __str__(self) -> str:
        return f"{self.name}@{self.range}" if self.range else self.name


@dataclass(frozen=True)
class ResourceRequest:
    """A resource an app declares (Score's shape): `spec.resources.<name>`, with the
    environment's override already applied when it comes from `AppEnvironment.resources`."""

    name: str  # the app's own local name
    type: str
    class_: str | None
    id: str | None
    params: Mapping[str, JSON]
    source: SourceLocation
    param_sources: Mapping[ParamPath, SourceLocation] = field(default_factory=dict)


@dataclass(frozen=True)
class ProvisionerRule:
    """An environment's mapping of a resource type (and class, team, app) to a provisioner."""

    type: str
    blueprint: BlueprintRequest
    class_: str | None = None
    team: str | None = None
    app: str | None = None  # "team/app"
    source: SourceLocation = field(default_factory=lambda: SourceLocation("environments"))

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.class_, self.team, self.app))


@dataclass(frozen=True)
class AppEnvironment:
    name: str
    params: Mapping[str, JSON]
    source: SourceLocation
    param_sources: Mapping[ParamPath, SourceLocation] = field(default_factory=dict)
    resources: Mapping[str, ResourceRequest] = field(default_factory=dict)  # overrides, merged
    placement: Placement | None = None  # replaces the app's placement in this environment


@dataclass(frozen=True)
class App:
    name: str
    team: str
    blueprint: BlueprintRequest
    params: Mapping[str, JSON]
    environments: Mapping[str, AppEnvironment]
    source: SourceLocation
    param_sources: Mapping[ParamPath, SourceLocation] = field(default_factory=dict)
    ignore: tuple[IgnoreRule, ...] = ()
    policy_drift: DriftMode | None = None
    # no `environments:` in the file: the app goes to every environment, prod included
    all_environments: bool = False
    resources: Mapping[str, ResourceRequest] = field(default_factory=dict)

    def resources_in(self, env: str) -> Mapping[str, ResourceRequest]:
        """The app's resources in one environment, the environment's overrides applied."""
        per_env = self.environments.get(env)
        if per_env is None or not per_env.resources:
            return self.resources
        return {**self.resources, **per_env.resources}

    placement: Placement | None = None  # None: the blueprint's default, else every cluster

    @property
    def id(self) -> str:
        return f"{self.team}/{self.name}"


@dataclass(frozen=True)
class Rollout:
    """A blueprint release moved environment by environment (`rollouts/<name>.yaml`): in
    `environments`, the apps of `blueprint` it selects render with range `to` instead of
    their own (docs/fleet.md "Rollouts")."""

    name: str
    blueprint: str
    to: str  # a version range, e.g. ~1.3
    environments: tuple[str, ...]  # where `to` applies now: a prefix of the environment order
    source: SourceLocation
    to_source: SourceLocation
    env_sources: Mapping[str, SourceLocation]  # each listed environment's line
    include: tuple[str, ...] = ()  # "team" or "team/app"; empty: every app of the blueprint
    exclude: tuple[str, ...] = ()
    selector_sources: Mapping[str, SourceLocation] = field(default_factory=dict)
    force: bool = False  # environments need not be a prefix of the order

    def selects(self, app: App) -> bool:
        """Does the rollout move `app` (its blueprint, include and exclude)?"""
        if app.blueprint.name != self.blueprint:
            return False
        names = (app.team, app.id)
        if self.include and not any(n in self.include for n in names):
            return False
        return not any(n in self.exclude for n in names)

    def applies(self, app: App, env: str) -> bool:
        return env in self.environments and self.selects(app)


@dataclass(frozen=True)
class CatalogSettings:
    """`catalog:` in midway.yaml: how `midway catalog` describes apps to Backstage."""

    publish: bool = False  # `midway publish` (and the daemon) write catalog/ into the state tree
    system: str | None = None  # one System for every app; None: a System per team
    system_owner: str | None = None  # the Group owning that one System
    config_repo_url: str | None = None  # browse URL of the config repo, for links to app files
    config_branch: str = "main"


@dataclass(frozen=True)
class Settings:
    """Repo-wide settings from midway.yaml (all optional)."""

    state: str | None = None  # PATH|URL[@BRANCH]
    state_branch: str = "main"
    state_repo_url: str | None = None  # URL ArgoCD pulls the state repo from
    state_author: str | None = None  # "Name <email>" of state commits (default midway)
    state_committer: str | None = None  # default: the author
    kubernetes_version: str = "1.31"
    source: SourceLocation | None = None
    teams: tuple[str, ...] | None = None  # the team registry; None = any team folder is a team
    teams_source: SourceLocation | None = None
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    # the workload blueprint Score files render through (`score.blueprint`, docs/score.md)
    score_blueprint: BlueprintRequest | None = None


@dataclass(frozen=True)
class ConfigRepo:
    """A loaded, validated config repo at one revision (or the working tree)."""

    settings: Settings
    blueprints: Mapping[str, tuple[Blueprint, ...]]  # name -> versions, newest first
    environments: Mapping[str, Environment]  # by name, iterate in promotion order
    apps: Mapping[str, App]  # by "team/app"
    revision: str | None = None  # full commit id when read from git, None for a working tree
    rollouts: Mapping[str, Rollout] = field(default_factory=dict)  # by name

    def rollout_for(self, app: App, env: str) -> Rollout | None:
        """The rollout that sets `app`'s blueprint range in `env`, if any (at most one: the
        loader refuses two rollouts moving the same app × env)."""
        for rollout in self.rollouts.values():
            if rollout.applies(app, env):
                return rollout
        return None

    def environments_in_order(self) -> list[Environment]:
        return sorted(self.environments.values(), key=lambda e: (e.order, e.name))


@dataclass(frozen=True, order=True)
class Destination:
    env: str
    cluster: str

    def __str__(self) -> str:
        return f"{self.env}/{self.cluster}"


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Identity of a Kubernetes object. group and namespace are "" for core / cluster-scoped."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        gk = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{gk} {self.namespace}/{self.name}" if self.namespace else f"{gk} {self.name}"

    @staticmethod
    def of(body: Mapping[str, JSON]) -> ObjectKey:
        api_version = str(body.get("apiVersion", ""))
        meta = body.get("metadata") or {}
        return ObjectKey(
            group=group_of(api_version),
            kind=str(body.get("kind", "")),
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name", "")),
        )


@dataclass(frozen=True)
class RenderUnit:
    """One evaluation: an app in one cluster of one environment."""

    app: str  # "team/app"
    env: str
    cluster: str

    @property
    def destination(self) -> Destination:
        return Destination(self.env, self.cluster)


@dataclass(frozen=True)
class RenderedObject:
    """A normalised manifest and where it goes. `content` is the exact file bytes (YAML);
    `body` is parsed lazily from canonical JSON so large renders stay cheap."""

    key: ObjectKey
    unit: RenderUnit
    blueprint: str  # "web-service@1.3.0"
    path: str  # state-repo relative, e.g. dev/dev-1/pay-checkout/checkout/deployment-checkout.yaml
    content: bytes
    body_json: str = field(repr=False, compare=False)

    @cached_property
    def body(self) -> dict[str, JSON]:
        parsed: dict[str, JSON] = json.loads(self.body_json)
        return parsed


@dataclass(frozen=True)
class ResourceConsumer:
    app: str  # "team/app"
    name: str  # the app's local name for the resource
    namespace: str  # the consumer's namespace (a provisioner may put its Secret copies there)
    source: SourceLocation = field(compare=False)


@dataclass(frozen=True)
class ResolvedResource:
    """One node of the resource graph in one destination, after rendering (docs/resources.md).
    Secret outputs appear as `secretKeyRef:<name>/<key>`, never as values."""

    destination: Destination
    uid: str  # "team/app.db" (private) or "postgres/default/team/ledger-db" (shared)
    type: str
    class_: str
    id: str | None
    name: str  # the name the provisioner gives its objects
    namespace: str
    directory: str  # state-repo directory of its objects (beside the consumer when private)
    provisioner: str | None  # "postgres-cnpg@1.0.0"; None for service-port
    provider_app: str | None  # service-port: the consumed app
    stateful: bool
    shared: bool
    consumers: tuple[ResourceConsumer, ...]
    depends_on: tuple[str, ...]  # uids of resources whose outputs its params use
    outputs: Mapping[str, JSON] = field(default_factory=dict)
    paths: tuple[str, ...] = ()  # state paths of the objects it rendered
    home_app: str = ""  # whose Application syncs it: the consumer, or "team/id" when shared


@dataclass(frozen=True)
class RenderResult:
    """The full render of a config repo: every object, plus the files as bytes."""

    config: ConfigRepo
    objects: tuple[RenderedObject, ...]
    files: Mapping[str, bytes]  # state path -> file content (manifests and argocd objects)
    evaluations: int = 0  # how many Jsonnet evaluations ran (cache misses)
    # app id -> "blueprint@version" its own range resolves to (rollouts aside)
    resolved: Mapping[str, str] = field(default_factory=dict)
    # app id -> env -> "blueprint@version" rendered there (a rollout's where one applies)
    versions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    unvalidated: tuple[str, ...] = ()  # "<apiVersion> <kind>" the offline schemas do not know
    resources: tuple[ResolvedResource, ...] = ()  # the resource graph, by destination and uid


def implicit_namespace(name: str) -> dict[str, Any]:
    """The body of a namespace midway creates for its objects (see ANNOTATION_CREATED_NAMESPACE).
    A Namespace a blueprint renders is a desired object instead, labelled like any other."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "annotations": {ANNOTATION_CREATED_NAMESPACE: "true"}},
    }
