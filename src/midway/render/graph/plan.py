"""Plan the resource graph of each destination (env × cluster): which resource nodes exist,
who consumes them, which provisioner serves each, and the order to render them in.

Identity (Score's rule): a resource without `id` is the app's own; with `id`, the same
(type, class, id) in one destination is one resource, provisioned once. An `id` is scoped to
the app's team (`ledger-db`), or names its owning team (`payments/ledger-db`) to be shared
across teams; its home (namespace, state directory) is the owning team's, so it never moves
when consumers come and go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from midway.config.resources import BUILTIN_TYPES, DEFAULT_CLASS, SERVICE_PORT
from midway.config.semver import best_match
from midway.config.validation import did_you_mean
from midway.errors import MidwayError
from midway.model import (
    App,
    AppEnvironment,
    Blueprint,
    BlueprintRequest,
    Cluster,
    ConfigRepo,
    Destination,
    Environment,
    ProvisionerRule,
    ResourceConsumer,
    ResourceRequest,
)
from midway.render.graph.placeholders import PlaceholderError, refs_in
from midway.render.normalize import namespace_for


@dataclass(frozen=True)
class PlacedApp:
    """An app in one destination: a unit whose resources the graph resolves."""

    app: App
    env: Environment
    cluster: Cluster

    @property
    def destination(self) -> Destination:
        return Destination(self.env.name, self.cluster.name)


@dataclass
class ResourceNode:
    uid: str
    destination: Destination
    type: str
    class_: str
    id: str | None
    shared: bool
    name: str  # object name base the provisioner gets as app.name
    namespace: str
    owner: App  # whose directory and labels its objects get (consumer, or the shared home)
    request: ResourceRequest  # the first consumer's (all consumers of a shared one agree)
    env: Environment
    cluster: Cluster
    provisioner: Blueprint | None = None  # None for service-port
    provider: PlacedApp | None = None  # service-port: the consumed app
    consumers: list[ResourceConsumer] = field(default_factory=list)
    deps: dict[str, str] = field(default_factory=dict)  # local name -> uid (private only)
    depth: int = 0

    @property
    def key(self) -> str:
        """The node's identity in the graph: its uid in its destination."""
        return f"{self.destination}|{self.uid}"

    @property
    def stateful(self) -> bool:
        provides = self.provisioner.provides if self.provisioner else None
        return bool(provides and provides.stateful)

    @property
    def pseudo_app(self) -> App:
        """The resource as an app for params merging and the provisioner's `app` input."""
        where = self.request.source
        return App(
            name=self.name,
            team=self.owner.team,
            blueprint=BlueprintRequest(
                self.provisioner.name if self.provisioner else SERVICE_PORT, "", where
            ),
            params=self.request.params,
            environments={self.env.name: AppEnvironment(self.env.name, {}, where)},
            source=where,
            param_sources=self.request.param_sources,
        )


@dataclass
class GraphPlan:
    nodes: list[ResourceNode]  # topological order: every node after the nodes it uses
    # (app id, env, cluster) -> local resource name -> node uid
    bindings: dict[tuple[str, str, str], dict[str, str]]
    # units with a resource that could not be planned (reported): they are not rendered
    failed: set[tuple[str, str, str]] = field(default_factory=set)

    def node(self, uid: str) -> ResourceNode:
        return self._by_uid[uid]

    def has(self, uid: str) -> bool:
        return uid in self._by_uid

    def __post_init__(self) -> None:
        self._by_uid = {n.key: n for n in self.nodes}


def plan_graph(
    config: ConfigRepo, placements: Iterable[PlacedApp], errors: list[MidwayError]
) -> GraphPlan:
    placements = list(placements)
    by_unit = {(p.app.id, p.env.name, p.cluster.name): p for p in placements}
    known_types = _known_types(config)
    nodes: dict[str, ResourceNode] = {}
    bindings: dict[tuple[str, str, str], dict[str, str]] = {}
    failed: set[tuple[str, str, str]] = set()
    for placement in placements:
        requests = placement.app.resources_in(placement.env.name)
        if not requests:
            continue
        local: dict[str, str] = {}
        unit_key = (placement.app.id, placement.env.name, placement.cluster.name)
        for name, request in requests.items():
            try:
                node = _node_for(config, placement, request, known_types, by_unit)
            except MidwayError as exc:
                errors.append(exc)
                failed.add(unit_key)
                continue
            existing = nodes.get(node.key)
            if existing is None:
                nodes[node.key] = node
            else:
                try:
                    _check_same(existing, node)
                except MidwayError as exc:
                    errors.append(exc)
                    failed.add(unit_key)
                    continue
                node = existing
            consumer_ns = namespace_for(
                placement.env.namespace_template, placement.app, placement.env.name
            )
            node.consumers.append(
                ResourceConsumer(placement.app.id, name, consumer_ns, request.source)
            )
            local[name] = node.key
        bindings[(placement.app.id, placement.env.name, placement.cluster.name)] = local
        # edges: a private resource's params may use the app's other resources' outputs
        for uid in local.values():
            node = nodes[uid]
            if node.shared:
                continue
            for path, ref in refs_in(dict(node.request.params)):
                if ref.root != "resources" or len(ref.parts) < 2:
                    continue
                target = ref.parts[1]
                if target not in local:
                    errors.append(_unknown_resource(ref.text, node.request, path, local))
                    failed.add(unit_key)
                    continue
                node.deps[target] = local[target]
    _check_collisions(config, nodes.values(), errors)
    ordered = _order(nodes, errors)
    return GraphPlan(ordered, bindings, failed)


def _known_types(config: ConfigRepo) -> set[str]:
    found = set(BUILTIN_TYPES)
    for versions in config.blueprints.values():
        for bp in versions:
            if bp.provides is not None:
                found.add(bp.provides.type)
    return found


def _node_for(
    config: ConfigRepo,
    placement: PlacedApp,
    request: ResourceRequest,
    known_types: set[str],
    by_unit: Mapping[tuple[str, str, str], PlacedApp],
) -> ResourceNode:
    app, env, cluster = placement.app, placement.env, placement.cluster
    if request.type not in known_types:
        raise MidwayError(
            f"resource `{request.name}` of app {app.id} has the unknown type `{request.type}`",
            request.source,
            hint=did_you_mean(request.type, sorted(known_types))
            or f"types this platform provides: {', '.join(sorted(known_types))}",
        )
    class_ = request.class_ or DEFAULT_CLASS
    if request.type == SERVICE_PORT:
        return _service_port(placement, request, by_unit)
    if request.id is None:
        owner, name, shared = app, f"{app.name}-{request.name.replace('_', '-')}", False
        uid = f"{app.id}.{request.name}"
        namespace = namespace_for(env.namespace_template, app, env.name)
    else:
        team, _, id_name = request.id.rpartition("/")
        team = team or app.team
        owner = App(
            name=id_name,
            team=team,
            blueprint=BlueprintRequest("", "", request.source),
            params={},
            environments={},
            source=request.source,
        )
        name, shared = id_name, True
        uid = f"{request.type}/{class_}/{team}/{id_name}"
        namespace = namespace_for(env.namespace_template, owner, env.name)
        for path, ref in refs_in(dict(request.params)):
            if ref.root == "resources":
                raise MidwayError(
                    f"shared resource `{request.name}` (id {request.id}) uses `{ref.text}` in "
                    f"params.{'.'.join(str(p) for p in path)}",
                    request.param_sources.get(path, request.source),
                    hint="a shared resource's params cannot use other resources' outputs: each "
                    "consumer names its resources differently; give it plain values",
                )
    provisioner = _match(config, env, app, owner.team if shared else None, request, class_)
    return ResourceNode(
        uid=uid,
        destination=placement.destination,
        type=request.type,
        class_=class_,
        id=request.id,
        shared=shared,
        name=name,
        namespace=namespace,
        owner=owner,
        request=request,
        env=env,
        cluster=cluster,
        provisioner=provisioner,
    )


def _service_port(
    placement: PlacedApp,
    request: ResourceRequest,
    by_unit: Mapping[tuple[str, str, str], PlacedApp],
) -> ResourceNode:
    app, env, cluster = placement.app, placement.env, placement.cluster
    params = dict(request.params)
    workload = params.get("workload")
    unknown = sorted(set(params) - {"workload"})
    if unknown:
        raise MidwayError(
            f"service-port resource `{request.name}` has the unknown param(s) {', '.join(unknown)}",
            request.param_sources.get((unknown[0],), request.source),
            hint="a service-port takes one param, `workload`: the app to reach (name in the "
            "same team, or team/name)",
        )
    if not isinstance(workload, str) or not workload:
        raise MidwayError(
            f"service-port resource `{request.name}` needs `params.workload`",
            request.source,
            hint="name the app to reach: `workload: ledger-api` (same team) or "
            "`workload: payments/ledger-api`",
        )
    provider_id = workload if "/" in workload else f"{app.team}/{workload}"
    provider = by_unit.get((provider_id, env.name, cluster.name))
    where = request.param_sources.get(("workload",), request.source)
    if provider is None:
        deployed = sorted({f"{e}/{c}" for (a, e, c) in by_unit if a == provider_id})
        if deployed:
            where_it_is = f"{provider_id} is deployed to {', '.join(deployed)}"
        else:
            guess = did_you_mean(provider_id, sorted({a for a, _, _ in by_unit}))
            where_it_is = f"there is no app {provider_id}" + (f" ({guess})" if guess else "")
        raise MidwayError(
            f"app {app.id} consumes the service of `{provider_id}`, which is not deployed to "
            f"{env.name}/{cluster.name}",
            where,
            hint=f"{where_it_is}; a service-port reaches an app in the same environment and "
            "cluster",
        )
    return ResourceNode(
        uid=f"{app.id}.{request.name}",
        destination=placement.destination,
        type=SERVICE_PORT,
        class_=DEFAULT_CLASS,
        id=None,
        shared=False,
        name=provider.app.name,
        namespace=namespace_for(env.namespace_template, provider.app, env.name),
        owner=app,
        request=request,
        env=env,
        cluster=cluster,
        provider=provider,
    )


def _match(
    config: ConfigRepo,
    env: Environment,
    app: App,
    shared_team: str | None,
    request: ResourceRequest,
    class_: str,
) -> Blueprint:
    """The provisioner of one request in one environment: the most specific matching rule
    (class, team, app each count one); a tie at the top is an error naming both rules."""
    candidates: list[tuple[ProvisionerRule, Blueprint]] = []
    refused: list[str] = []
    for rule in env.provisioners:
        if rule.type != request.type:
            continue
        if rule.class_ is not None and rule.class_ != class_:
            continue
        team = shared_team or app.team
        if rule.team is not None and rule.team != team:
            continue
        if rule.app is not None and (shared_team is not None or rule.app != app.id):
            continue
        blueprint = _provisioner_blueprint(config, rule)
        assert blueprint.provides is not None
        if class_ not in blueprint.provides.classes:
            refused.append(
                f"{blueprint.ref} ({rule.source}) serves classes "
                f"{', '.join(blueprint.provides.classes)}"
            )
            continue
        candidates.append((rule, blueprint))
    what = f"resource type `{request.type}` class `{class_}`"
    if not candidates:
        raise MidwayError(
            f"no provisioner for {what} in environment {env.name} (resource "
            f"`{request.name}` of app {app.id})",
            request.source,
            hint=("; ".join(refused) + "; ")
            if refused
            else ""
            f"the platform team maps types to provisioners under spec.provisioners in "
            f"{env.source.path}; or use a class it provides",
        )
    candidates.sort(key=lambda c: -c[0].specificity)
    best = candidates[0][0].specificity
    top = [c for c in candidates if c[0].specificity == best]
    if len(top) > 1:
        raise MidwayError(
            f"{what} for app {app.id} in environment {env.name} matches "
            f"{len(top)} provisioner entries equally well",
            top[1][0].source,
            hint=f"also matched by {top[0][0].source}; make one more specific (class, team or "
            "app) or remove one: midway never picks by file order",
        )
    return top[0][1]


def _provisioner_blueprint(config: ConfigRepo, rule: ProvisionerRule) -> Blueprint:
    versions = config.blueprints.get(rule.blueprint.name)
    if not versions:
        raise MidwayError(
            f"provisioner blueprint `{rule.blueprint.name}` does not exist",
            rule.blueprint.source,
            hint=did_you_mean(rule.blueprint.name, sorted(config.blueprints))
            or "add it under blueprints/",
        )
    chosen = best_match(rule.blueprint.range, [bp.version for bp in versions])
    if chosen is None:
        raise MidwayError(
            f"no version of blueprint `{rule.blueprint.name}` satisfies `{rule.blueprint.range}`",
            rule.blueprint.source,
            hint=f"available versions: {', '.join(str(bp.version) for bp in versions)}",
        )
    blueprint = next(bp for bp in versions if bp.version == chosen)
    if blueprint.provides is None or blueprint.provides.type != rule.type:
        provided = blueprint.provides.type if blueprint.provides else "no resource type"
        raise MidwayError(
            f"blueprint {blueprint.ref} is mapped to resource type `{rule.type}` but provides "
            f"{provided if blueprint.provides is None else f'`{provided}`'}",
            rule.blueprint.source,
            hint="a provisioner declares `spec.provides.type` in its blueprint.yaml",
        )
    return blueprint


def _check_same(first: ResourceNode, other: ResourceNode) -> None:
    """Consumers of one shared resource must ask for the same thing."""
    a, b = first.request, other.request
    if first.provisioner is not other.provisioner or dict(a.params) != dict(b.params):
        what = "params" if dict(a.params) != dict(b.params) else "provisioner"
        raise MidwayError(
            f"shared resource {other.type} `{other.id}` in {other.destination} is requested "
            f"with different {what} by {first.consumers[0].app} and by another app",
            b.source,
            hint=f"also requested in {a.source}; the same type, class and id is one resource, "
            "so every consumer must give the same params (or use another id)",
        )


def _check_collisions(
    config: ConfigRepo, nodes: Iterable[ResourceNode], errors: list[MidwayError]
) -> None:
    homes: dict[tuple[Destination, str], ResourceNode] = {}
    for node in nodes:
        if not node.shared:
            continue
        home = f"{node.owner.team}/{node.name}"
        if home in config.apps:
            errors.append(
                MidwayError(
                    f"shared resource id `{node.id}` would live where app {home} lives",
                    node.request.source,
                    hint="shared resources get the home of an app of their name in the owning "
                    "team; choose another id",
                )
            )
            continue
        first = homes.get((node.destination, home))
        if first is not None:
            errors.append(
                MidwayError(
                    f"shared resources {first.type} and {node.type} both use id `{node.id}` "
                    f"in {node.destination}",
                    node.request.source,
                    hint=f"also in {first.request.source}; ids name the resource's home "
                    "directory, so give each its own",
                )
            )
            continue
        homes[(node.destination, home)] = node


def _order(nodes: Mapping[str, ResourceNode], errors: list[MidwayError]) -> list[ResourceNode]:
    """Depth-first topological order by uid; a cycle is reported once with its whole path."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    out: list[ResourceNode] = []
    reported: set[frozenset[str]] = set()

    def visit(uid: str, path: list[str]) -> int:
        node = nodes[uid]
        if state.get(uid) == 2:
            return node.depth
        if state.get(uid) == 1:
            cycle = [*path[path.index(uid) :], uid]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                names = [nodes[k].request.name for k in cycle]
                errors.append(
                    MidwayError(
                        f"resources of app {node.consumers[0].app} depend on each other in a "
                        f"cycle: {' -> '.join(names)}",
                        node.request.source,
                        hint="each resource's params use the next one's outputs; break the "
                        "cycle by giving one of them a plain value",
                    )
                )
            return -1
        state[uid] = 1
        depth = 0
        for dep in sorted(node.deps.values()):
            d = visit(dep, [*path, uid])
            if d < 0:
                state[uid] = 2
                node.depth = -1
                return -1
            depth = max(depth, d + 1)
        state[uid] = 2
        node.depth = depth
        out.append(node)
        return depth

    for uid in sorted(nodes):
        visit(uid, [])
    return [n for n in out if n.depth >= 0]


def _unknown_resource(
    text: str, request: ResourceRequest, path: tuple[str | int, ...], local: Mapping[str, str]
) -> MidwayError:
    name = text[2:-1].split(".")[1]
    return MidwayError(
        f"`{text}` in the params of resource `{request.name}` names the resource `{name}`, "
        "which the app does not declare",
        request.param_sources.get(path, request.source),
        hint=did_you_mean(name, sorted(local))
        or f"the app's resources: {', '.join(sorted(local)) or 'none'}",
    )


__all__ = ["GraphPlan", "PlacedApp", "PlaceholderError", "ResourceNode", "plan_graph"]
