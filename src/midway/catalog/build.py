"""Build the Backstage catalog of one render (docs/catalog.md). Pure.

    a Component per app      owner group:<team>, system, lifecycle, type from the blueprint,
                             annotations for Backstage's Kubernetes and Argo CD plugins,
                             links to the app file and to its state repo directories
    a Group per team         (and per other owner named: a resource owner, the system owner)
    a System per team        or one repo-wide System (`catalog.system` in midway.yaml)
    a Resource per resource  when the resource graph hands its resources in (`resources=`)
    a Location               listing every file, so Backstage registers one URL

Lifecycle: `production` when the app deploys to the last environment in promotion order,
else `experimental`.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from midway.catalog.entities import (
    AppDependency,
    Catalog,
    ComponentSpec,
    Entity,
    GroupSpec,
    Link,
    LocationSpec,
    ResourceDescription,
    ResourceSpec,
    SystemSpec,
    ref,
)
from midway.errors import MidwayError
from midway.model import (
    ANNOTATION_BLUEPRINT,
    LABEL_APP,
    LABEL_MANAGED_BY,
    LABEL_TEAM,
    MANAGED_BY_VALUE,
    App,
    ConfigRepo,
    RenderedObject,
    RenderResult,
    ResolvedResource,
)
from midway.render.layout import CLUSTER_SCOPED_DIR
from midway.render.params import resolve_blueprint

DEFAULT_COMPONENT_TYPE = "service"
LIFECYCLE_PRODUCTION = "production"
LIFECYCLE_EXPERIMENTAL = "experimental"
PLATFORM_GROUP = "platform"  # owns a resource consumed by several teams, unless one is named
LOCATION_NAME = "midway"

ANNOTATION_K8S_SELECTOR = "backstage.io/kubernetes-label-selector"
ANNOTATION_K8S_NAMESPACE = "backstage.io/kubernetes-namespace"
ANNOTATION_ARGOCD_SELECTOR = "argocd/app-selector"
ANNOTATION_VIEW_URL = "backstage.io/view-url"
ANNOTATION_APP = "midway.dev/app"
ANNOTATION_APP_FILE = "midway.dev/app-file"
ANNOTATION_ENVIRONMENTS = "midway.dev/environments"
ANNOTATION_RESOURCE_TYPE = "midway.dev/resource-type"
ANNOTATION_RESOURCE_CLASS = "midway.dev/resource-class"
ANNOTATION_RESOURCE_ID = "midway.dev/resource-id"
ANNOTATION_PROVISIONER = "midway.dev/provisioner"

NAME_LIMIT = 63  # Backstage entity names, like Kubernetes object names
_INVALID = re.compile(r"[^a-z0-9]+")
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")


def entity_name(*parts: str) -> str:
    """Parts joined by `-`, lower-case, runs of other characters as one `-`; over 63
    characters cut and given a stable hash suffix, so two long names stay distinct."""
    full = "-".join(_INVALID.sub("-", p.lower()).strip("-") for p in parts if p)
    if len(full) <= NAME_LIMIT:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[: NAME_LIMIT - 9].rstrip('-')}-{digest}"


def component_name(app: App) -> str:
    """`<team>-<app>`: app names are unique per team only, Backstage names per namespace."""
    return entity_name(app.team, app.name)


def catalog_of(result: RenderResult) -> Catalog:
    """The catalog of a render, with its resource graph's Resources and dependencies."""
    resources, dependencies = graph_entities(result)
    return build_catalog(result, resources=resources, dependencies=dependencies)


def graph_entities(
    result: RenderResult,
) -> tuple[tuple[ResourceDescription, ...], tuple[AppDependency, ...]]:
    """The resource graph of a render as catalog input: one Resource per provisioned
    resource across environments (its class and provisioner may differ per environment:
    both are listed), and an app-to-app dependency per `service-port`."""
    order = {e.name: i for i, e in enumerate(result.config.environments_in_order())}
    grouped: dict[tuple[str, str], list[ResolvedResource]] = defaultdict(list)
    dependencies: set[AppDependency] = set()
    for resource in result.resources:
        if resource.provider_app is not None:
            for consumer in resource.consumers:
                dependencies.add(AppDependency(consumer.app, resource.provider_app))
            continue
        team = resource.home_app.split("/", 1)[0]
        grouped[(resource.type, f"{team}/{resource.name}")].append(resource)
    described = []
    for (type_, ident), found in sorted(grouped.items()):
        envs = sorted({r.destination.env for r in found}, key=lambda e: (order.get(e, 0), e))
        classes = sorted({r.class_ for r in found})
        described.append(
            ResourceDescription(
                type=type_,
                id=ident.split("/", 1)[1],
                provisioner=", ".join(sorted({r.provisioner or "" for r in found})),
                consumers=tuple(sorted({c.app for r in found for c in r.consumers})),
                resource_class=",".join(classes) if classes != ["default"] else None,
                owner=ident.split("/", 1)[0],
                environments=tuple(envs),
            )
        )
    return tuple(described), tuple(sorted(dependencies, key=lambda d: (d.consumer, d.provider)))


def build_catalog(
    result: RenderResult,
    *,
    resources: Sequence[ResourceDescription] = (),
    dependencies: Sequence[AppDependency] = (),
) -> Catalog:
    """Every entity for this render. `resources` and `dependencies` come from the resource
    graph when there is one; without them there are no Resources and no `dependsOn`."""
    config = result.config
    apps = [config.apps[a] for a in sorted(config.apps)]
    _check_unique_components(apps)
    by_app: dict[str, list[RenderedObject]] = defaultdict(list)
    for obj in result.objects:
        by_app[obj.unit.app].append(obj)
    built = _unique_resources([_resource(r, config) for r in resources])
    depends_on = _depends_on(config, built, dependencies)
    shared_names = _shared_app_names(apps)

    entities: list[Entity] = []
    entities.extend(
        _component(config, app, by_app.get(app.id, []), depends_on, shared_names) for app in apps
    )
    entities.extend(b.entity for b in built)
    entities.extend(_systems(config, apps))
    owners = {app.team for app in apps} | {b.owner for b in built}
    if config.settings.catalog.system:
        owners.add(config.settings.catalog.system_owner or PLATFORM_GROUP)
    entities.extend(_group(team, config) for team in sorted(owners))
    entities.sort(key=lambda e: (e.kind, e.name))
    entities.append(
        Entity(
            kind="Location",
            name=LOCATION_NAME,
            description="Every entity midway writes for this config repo",
            spec=LocationSpec(targets=tuple(f"./{e.file_name}" for e in entities)),
        )
    )
    return Catalog(tuple(entities))


def lifecycle(config: ConfigRepo, app: App) -> str:
    order = config.environments_in_order()
    if order and order[-1].name in app.environments:
        return LIFECYCLE_PRODUCTION
    return LIFECYCLE_EXPERIMENTAL


def system_name(config: ConfigRepo, team: str) -> str:
    return config.settings.catalog.system or team


def _check_unique_components(apps: Iterable[App]) -> None:
    seen: dict[str, App] = {}
    for app in apps:
        name = component_name(app)
        other = seen.get(name)
        if other is not None:
            raise MidwayError(
                f"app {app.id} and app {other.id} ({other.source.path}) would both be the "
                f"Backstage component `{name}`",
                app.source,
                hint="rename one of the apps: Backstage names the component <team>-<app>",
            )
        seen[name] = app


def _shared_app_names(apps: Iterable[App]) -> set[str]:
    teams: dict[str, set[str]] = defaultdict(set)
    for app in apps:
        teams[app.name].add(app.team)
    return {name for name, owners in teams.items() if len(owners) > 1}


def _component(
    config: ConfigRepo,
    app: App,
    objects: Sequence[RenderedObject],
    depends_on: Mapping[str, tuple[str, ...]],
    shared_names: set[str],
) -> Entity:
    settings = config.settings.catalog
    blueprint = resolve_blueprint(config, app)
    envs = [e.name for e in config.environments_in_order() if e.name in app.environments]
    namespaces = sorted({o.key.namespace for o in objects if o.key.namespace})
    managed = f"{LABEL_MANAGED_BY}={MANAGED_BY_VALUE}"
    selector = f"{managed},{LABEL_TEAM}={app.team},{LABEL_APP}={app.name}"
    # Applications of an ApplicationSet carry no team label (the team is not in the state
    # path), so the Argo CD selector names the team only when two teams share the app name.
    argo_selector = f"{managed},{LABEL_APP}={app.name}"
    if app.name in shared_names:
        argo_selector += f",{LABEL_TEAM}={app.team}"
    annotations = {
        ANNOTATION_K8S_SELECTOR: selector,
        ANNOTATION_ARGOCD_SELECTOR: argo_selector,
        ANNOTATION_APP: app.id,
        ANNOTATION_BLUEPRINT: blueprint.ref,
        ANNOTATION_APP_FILE: app.source.path,
        ANNOTATION_ENVIRONMENTS: ",".join(envs),
    }
    if len(namespaces) == 1:
        annotations[ANNOTATION_K8S_NAMESPACE] = namespaces[0]
    links: list[Link] = []
    if settings.config_repo_url:
        file_url = _browse(
            settings.config_repo_url, "blob", settings.config_branch, app.source.path
        )
        annotations[ANNOTATION_VIEW_URL] = file_url
        links.append(Link(file_url, f"App file {app.source.path}"))
    links.extend(_state_links(config, objects))
    return Entity(
        kind="Component",
        name=component_name(app),
        title=app.name,
        description=f"{app.id}: {blueprint.ref} in {', '.join(envs) or 'no environment'}",
        annotations=annotations,
        tags=tuple(t for t in (blueprint.name,) if _TAG.match(t) and len(t) <= NAME_LIMIT),
        links=tuple(links),
        spec=ComponentSpec(
            type=blueprint.catalog_type or DEFAULT_COMPONENT_TYPE,
            lifecycle=lifecycle(config, app),
            owner=ref("Group", app.team),
            system=ref("System", system_name(config, app.team)),
            depends_on=depends_on.get(app.id, ()),
        ),
    )


def _state_links(config: ConfigRepo, objects: Sequence[RenderedObject]) -> list[Link]:
    """One link per state directory of the app, in promotion order, where the state repo has
    a browsable (http) URL: the environment's, else midway.yaml's `state.repoURL`."""
    dirs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for obj in objects:
        dirs[(obj.unit.env, obj.unit.cluster)].add(obj.path.rsplit("/", 1)[0])
    links: list[Link] = []
    for env in config.environments_in_order():
        url = env.state_repo_url or config.settings.state_repo_url
        branch = env.state_revision or config.settings.state_branch
        if not url or not _is_http(url):
            continue
        for cluster in env.clusters:
            for directory in sorted(dirs.get((env.name, cluster.name), ())):
                scoped = directory.split("/")[2] == CLUSTER_SCOPED_DIR
                suffix = " (cluster-scoped)" if scoped else ""
                links.append(
                    Link(
                        _browse(url, "tree", branch, directory),
                        f"State {env.name}/{cluster.name}{suffix}",
                    )
                )
    return links


def _is_http(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _browse(repo_url: str, what: str, branch: str, path: str) -> str:
    """`<repo>/tree|blob/<branch>/<path>`, the form GitHub, GitLab and Gitea all serve."""
    base = repo_url.rstrip("/")
    base = base.removesuffix(".git")
    return f"{base}/{what}/{branch}/{path}"


@dataclass(frozen=True)
class _BuiltResource:
    entity: Entity
    description: ResourceDescription
    owner: str  # a team (Group name)


def _resource(description: ResourceDescription, config: ConfigRepo) -> _BuiltResource:
    for consumer in description.consumers:
        if consumer not in config.apps:
            raise ValueError(f"resource {description.id}: unknown consumer app {consumer}")
    teams = sorted({config.apps[c].team for c in description.consumers})
    owner = description.owner or (teams[0] if len(teams) == 1 else PLATFORM_GROUP)
    annotations = {
        ANNOTATION_RESOURCE_TYPE: description.type,
        ANNOTATION_RESOURCE_ID: description.id,
        ANNOTATION_PROVISIONER: description.provisioner,
    }
    if description.resource_class:
        annotations[ANNOTATION_RESOURCE_CLASS] = description.resource_class
    if description.environments:
        annotations[ANNOTATION_ENVIRONMENTS] = ",".join(description.environments)
    # one entity per resource across environments (its class may differ per environment)
    name = entity_name(description.type, owner, description.id)
    used_by = ", ".join(sorted(description.consumers)) or "no app"
    entity = Entity(
        kind="Resource",
        name=name,
        title=description.id,
        description=f"{description.type} provisioned by {description.provisioner}, used by "
        f"{used_by}",
        annotations=annotations,
        spec=ResourceSpec(
            type=description.type,
            owner=ref("Group", owner),
            system=_resource_system(config, owner),
        ),
    )
    return _BuiltResource(entity, description, owner)


def _unique_resources(built: Sequence[_BuiltResource]) -> list[_BuiltResource]:
    """One entity per name: the same description twice is one resource; two different ones
    that sanitize to one name are a programming error of the caller."""
    by_name: dict[str, _BuiltResource] = {}
    for resource in built:
        clash = by_name.get(resource.entity.name)
        if clash is not None and clash.description != resource.description:
            a, b = clash.description, resource.description
            raise ValueError(
                f"resources {a.type}/{a.id} and {b.type}/{b.id} would both be the Backstage "
                f"resource `{resource.entity.name}`"
            )
        by_name.setdefault(resource.entity.name, resource)
    return list(by_name.values())


def _resource_system(config: ConfigRepo, owner: str) -> str | None:
    """The repo-wide System, else the owning team's (a shared resource owned by `platform`
    belongs to no team's System)."""
    if config.settings.catalog.system:
        return ref("System", config.settings.catalog.system)
    has_apps = any(app.team == owner for app in config.apps.values())
    return ref("System", owner) if has_apps else None


def _depends_on(
    config: ConfigRepo, built: Sequence[_BuiltResource], dependencies: Sequence[AppDependency]
) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = defaultdict(set)
    for resource in built:
        for consumer in resource.description.consumers:
            found[consumer].add(resource.entity.ref)
    for dependency in dependencies:
        for app_id in (dependency.consumer, dependency.provider):
            if app_id not in config.apps:
                raise ValueError(f"app dependency names unknown app {app_id}")
        provider = config.apps[dependency.provider]
        found[dependency.consumer].add(ref("Component", component_name(provider)))
    return {app: tuple(sorted(refs)) for app, refs in found.items()}


def _systems(config: ConfigRepo, apps: Sequence[App]) -> list[Entity]:
    settings = config.settings.catalog
    if settings.system:
        return [
            Entity(
                kind="System",
                name=settings.system,
                description="Every app of this config repo (catalog.system in midway.yaml)",
                spec=SystemSpec(owner=ref("Group", settings.system_owner or PLATFORM_GROUP)),
            )
        ]
    return [
        Entity(
            kind="System",
            name=team,
            description=f"The apps of team {team} (apps/{team}/ in the config repo)",
            spec=SystemSpec(owner=ref("Group", team)),
        )
        for team in sorted({app.team for app in apps})
    ]


def _group(team: str, config: ConfigRepo) -> Entity:
    has_apps = any(app.team == team for app in config.apps.values())
    where = f" (apps/{team}/ in the config repo)" if has_apps else ""
    return Entity(
        kind="Group",
        name=team,
        description=f"Team {team}{where}",
        spec=GroupSpec(),
    )
