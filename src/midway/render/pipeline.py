"""Render a loaded config repo: plan units, reuse cached outputs, evaluate the rest in parallel,
check the whole result (duplicates, paths) and hand back every object and file.

Nothing is written anywhere; callers decide (render --out, publish, diff). All problems are
collected and raised together, so one run shows the user everything to fix.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson

from midway import gc_pause
from midway.cache import Cache
from midway.config.placement import placed_clusters
from midway.config.source import ConfigSource
from midway.config.targets import unknown_environment
from midway.config.validation import did_you_mean
from midway.errors import MidwayError, MidwayErrors
from midway.model import (
    JSON,
    LABEL_APP,
    LABEL_ENV,
    LABEL_MANAGED_BY,
    LABEL_RESOURCE,
    LABEL_RESOURCE_TYPE,
    LABEL_TEAM,
    MANAGED_BY_VALUE,
    App,
    Blueprint,
    Cluster,
    ConfigRepo,
    Environment,
    ObjectKey,
    RenderedObject,
    RenderResult,
    RenderUnit,
    ResolvedResource,
    Rollout,
)
from midway.objects.fileset import FileSet
from midway.objects.gitobject import blob_id
from midway.render import layout, pool
from midway.render.engine import ENGINE_VERSION, SHARED_ROOTS, EvalRequest
from midway.render.error_groups import group_unit_errors
from midway.render.graph.outputs import SECRET_REF_KEY
from midway.render.graph.plan import GraphPlan, PlacedApp, ResourceNode, plan_graph
from midway.render.graph.secret_refs import SecretUse, unmark
from midway.render.graph.wiring import Provided, UnitInputs, Wiring
from midway.render.normalize import NormalizedObject, namespace_for
from midway.render.ownership import Claim, ownership_errors
from midway.render.params import (
    MergedParams,
    merge_params,
    resolve_blueprint,
    validate_params,
)
from midway.render.payloads import LazyObject, Payloads
from midway.render.refusal_lines import Placer
from midway.render.rollout_plan import rollout_refusal

CACHE_NAMESPACE = "unit"  # content key -> output
INPUT_NAMESPACE = "input"  # input key -> content key
META_NAMESPACE = "meta"  # content key -> the output's keys, paths and blob ids (payloads.py)
# Bump when normalisation or serialisation changes output for the same evaluation.
# 5: more cluster-scoped kinds; 6: served API versions, name limits
OUTPUT_FORMAT = "manifest-format-6"
Progress = Callable[[int, int], None]


@dataclass
class RenderOptions:
    env: str | None = None
    app: str | None = None
    apps: frozenset[str] | None = None  # several apps by id (check renders just those)
    workers: int | None = None
    cache: Cache | None = None
    progress: Progress | None = None
    kubernetes_version: str | None = None  # overrides each cluster's version for validation
    # One owner per cluster-scoped object (render/ownership.py). Off for blueprint examples:
    # they never reach a cluster, and two examples of a CRD-shipping blueprint share its CRD.
    ownership: bool = True
    # Cached units' file bytes are read only when used (render/payloads.py): for callers that
    # compare blob ids (render --out into an existing tree, publish) and touch few files.
    lazy: bool = False


@dataclass
class _Unit:
    """One app × env × cluster. `input_key` is cheap (file identities); `key` (the content
    key over the exact TLAs) is only computed when the input key misses the cache."""

    unit: RenderUnit
    app: App
    blueprint: Blueprint
    env: Environment
    cluster: Cluster
    k8s_version: str
    input_key: str
    code_digest: str  # the blueprint's files and lib/ + vendor/
    key: str = ""
    request: EvalRequest | None = None
    context: pool.UnitContext | None = None
    merged: MergedParams | None = None
    node: ResourceNode | None = None  # set for a resource's provisioner unit
    # local resource name -> the unit rendering it (None: a service-port, no unit)
    resources: dict[str, _Unit | None] = field(default_factory=dict)
    bound: dict[str, ResourceNode] = field(default_factory=dict)  # local name -> graph node
    depth: int = 0  # render wave: resources before the units that use their outputs
    rollout: Rollout | None = None  # the rollout that chose `blueprint` here, if any
    own: Blueprint | None = None  # then: the version the app's own range resolves to


# One rendered object as stored in the cache: group, kind, namespace, name, path, YAML, JSON.
# Kept as a plain list until assembly: a 1,000-app render holds 15,000 of them and building
# intermediate objects for each was a measurable part of a no-op render.
Row = list[str]


@dataclass
class _Outcome:
    rows: list[Row] = field(default_factory=list)
    unvalidated: list[str] = field(default_factory=list)
    outputs: dict[str, JSON] | None = None  # a provisioner's outputs
    # set when read lazily: rows are then [group, kind, namespace, name, path, blob id] and
    # the bytes stay in the cache under this content key until used (render/payloads.py)
    content_key: str | None = None


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def select_apps(config: ConfigRepo, options: RenderOptions) -> list[App]:
    if options.env is not None and options.env not in config.environments:
        raise unknown_environment(config, options.env)
    if options.apps is not None:
        return [config.apps[a] for a in sorted(options.apps) if a in config.apps]
    if options.app is None:
        return list(config.apps.values())
    if options.app not in config.apps:
        raise MidwayError(
            f"app `{options.app}` does not exist",
            hint=did_you_mean(options.app, sorted(config.apps))
            or "apps are named team/app, as in apps/<team>/<app>.yaml",
        )
    return [config.apps[options.app]]


def render_config(
    config: ConfigRepo, source: ConfigSource, options: RenderOptions | None = None
) -> RenderResult:
    with gc_pause.paused():
        return _render(config, source, options or RenderOptions())


def _render(config: ConfigRepo, source: ConfigSource, options: RenderOptions) -> RenderResult:
    cache = options.cache if options.cache is not None else Cache()
    errors: list[MidwayError] = []
    digests = _Digests(source)
    units, resolved, versions = _plan(config, options, errors, digests)
    graph = plan_graph(config, _placements(config, options), errors)
    wiring = Wiring(config)  # placeholders and service-port exports, for this render only
    resource_units = _resource_units(config, graph, units, digests, errors)
    all_units = [*resource_units, *units]
    content_keys = cache.get_many(INPUT_NAMESPACE, (u.input_key for u in all_units))
    with contextlib.ExitStack() as stack:
        # Units the cache cannot answer are known now: their workers start (and warm up)
        # while the cached outputs of the others are read.
        unknown = [u for u in all_units if u.input_key not in content_keys]
        early = stack.enter_context(_worker_pool(unknown, options)) if unknown else None
        payloads = Payloads(cache, CACHE_NAMESPACE) if options.lazy else None
        outcomes = _cached_outputs(content_keys, cache, payloads)
        pending = [u for u in all_units if u.input_key not in outcomes and u.depth != _BLOCKED]
        evaluations = 0
        if pending:
            worker_pool = early or stack.enter_context(_worker_pool(pending, options))
            unit_errors: list[tuple[MidwayError, RenderUnit]] = []
            try:
                # in waves: a resource renders before the units that use its outputs
                for depth in sorted({u.depth for u in pending}):
                    wave = [
                        u
                        for u in pending
                        if u.depth == depth
                        and all(d is None or d.input_key in outcomes for d in u.resources.values())
                    ]
                    if wave:
                        evaluations += _evaluate_units(
                            wiring,
                            wave,
                            source,
                            cache,
                            options,
                            errors,
                            unit_errors,
                            outcomes,
                            worker_pool,
                        )
            finally:
                # each distinct error once over every wave, with the apps and destinations it
                # affects (lines for refusals first, so a re-blamed error groups with its peers)
                placer = Placer(source, {u.blueprint.ref: u.blueprint.directory for u in pending})
                errors.extend(group_unit_errors((placer.place(e), u) for e, u in unit_errors))
    result = _assemble(all_units, outcomes, errors, ownership=options.ownership, payloads=payloads)
    MidwayErrors.raise_if_any(errors)
    used = [outcomes[u.input_key] for u in all_units if u.input_key in outcomes]
    return RenderResult(
        config=config,
        objects=tuple(result),
        files=_files(result, payloads),
        evaluations=evaluations,
        resolved=resolved,
        versions=versions,
        unvalidated=tuple(unvalidated_kinds(used)),
        resources=_resolved_resources(graph, resource_units, units, outcomes, wiring),
    )


class _Digests:
    """Identities (git blob ids) of the inputs, combined per blueprint and for lib/ + vendor/."""

    def __init__(self, source: ConfigSource) -> None:
        self.source = source
        self.paths = source.paths()
        self.shared = _digest(
            f"{p}={source.digest(p)}" for p in self.paths if p.startswith(SHARED_ROOTS)
        )
        self._blueprints: dict[str, str] = {}

    def blueprint(self, blueprint: Blueprint) -> str:
        found = self._blueprints.get(blueprint.directory)
        if found is None:
            prefix = blueprint.directory + "/"
            found = _digest(
                f"{p}={self.source.digest(p)}" for p in self.paths if p.startswith(prefix)
            )
            self._blueprints[blueprint.directory] = found
        return found

    def file(self, path: str) -> str:
        return self.source.digest(path)


def _plan(
    config: ConfigRepo, options: RenderOptions, errors: list[MidwayError], digests: _Digests
) -> tuple[list[_Unit], dict[str, str], dict[str, dict[str, str]]]:
    """Every unit to render with its input key: a hash of the identities (blob ids) of
    everything its output depends on — the app file, the environment file, the blueprint's
    files, lib/ and vendor/ — so an unchanged unit is found without merging params.
    Units using resources add their resources' keys (`_resource_units`)."""
    units: list[_Unit] = []
    resolved: dict[str, str] = {}
    versions: dict[str, dict[str, str]] = {}
    for app in select_apps(config, options):
        try:
            own = resolve_blueprint(config, app)
        except MidwayError as exc:
            errors.append(exc)
            continue
        resolved[app.id] = own.ref
        app_digest = digests.file(app.source.path)
        for env, cluster in _destinations(config, app, own, options):
            # a rollout may set the version per environment (config/rollouts.py)
            rollout = config.rollout_for(app, env.name) if config.rollouts else None
            blueprint = own if rollout is None else resolve_blueprint(config, app, env.name)
            versions.setdefault(app.id, {})[env.name] = blueprint.ref
            blueprint_digest = digests.blueprint(blueprint)
            k8s_version = options.kubernetes_version or cluster.kubernetes_version
            input_key = _digest(
                [
                    "input",
                    ENGINE_VERSION,
                    OUTPUT_FORMAT,
                    blueprint.ref,
                    blueprint_digest,
                    digests.shared,
                    app.id,
                    app_digest,
                    digests.file(env.source.path),
                    cluster.name,
                    k8s_version,
                ]
            )
            units.append(
                _Unit(
                    RenderUnit(app.id, env.name, cluster.name),
                    app,
                    blueprint,
                    env,
                    cluster,
                    k8s_version,
                    input_key,
                    _digest([blueprint_digest, digests.shared]),
                    depth=0,  # raised past its resources' waves in _resource_units
                    rollout=rollout,
                    own=own if rollout is not None else None,
                )
            )
    return units, resolved, versions


_BLOCKED = -1  # a unit whose resources could not be planned


def _destinations(
    config: ConfigRepo, app: App, blueprint: Blueprint, options: RenderOptions
) -> Iterable[tuple[Environment, Cluster]]:
    """Where one app goes: the clusters its placement selects, in each of its environments
    (in the selection), in the environment's order."""
    for env_name in app.environments:
        if options.env is not None and env_name != options.env:
            continue
        env = config.environments[env_name]
        # a rollout may render another version here: its placement default applies
        rollout = config.rollout_for(app, env_name) if config.rollouts else None
        here = blueprint if rollout is None else resolve_blueprint(config, app, env_name)
        for cluster in placed_clusters(app, here, env):
            yield env, cluster


def placements(config: ConfigRepo, env: str | None = None) -> list[PlacedApp]:
    """Every app in every destination (of `env`): the input of `plan_graph`."""
    return list(_placements(config, RenderOptions(env=env)))


def _placements(config: ConfigRepo, options: RenderOptions) -> Iterable[PlacedApp]:
    """Every app in every destination of the selection, selected apps or not: a resource's
    consumers and a service-port's provider are found among all apps."""
    for app in config.apps.values():
        try:
            blueprint = resolve_blueprint(config, app)
        except MidwayError:
            continue  # reported where the app's own units are planned
        for env, cluster in _destinations(config, app, blueprint, options):
            yield PlacedApp(app, env, cluster)


def _resource_units(
    config: ConfigRepo,
    graph: GraphPlan,
    units: list[_Unit],
    digests: _Digests,
    errors: list[MidwayError],
) -> list[_Unit]:
    """A unit per provisioned resource the selected units use (and the resources those use),
    in graph order; each consumer's input key then covers its resources' keys."""
    by_uid: dict[str, _Unit] = {}
    needed: set[str] = set()
    for item in units:
        for uid in graph.bindings.get((item.app.id, item.env.name, item.cluster.name), {}).values():
            needed.add(uid)
    stack = sorted(u for u in needed if graph.has(u))
    while stack:
        for dep_uid in graph.node(stack.pop()).deps.values():
            if dep_uid not in needed:
                needed.add(dep_uid)
                stack.append(dep_uid)
    needed = {uid for uid in needed if graph.has(uid)}
    for node in graph.nodes:  # topological: dependencies first
        if node.key not in needed or node.provisioner is None:
            continue
        blueprint = node.provisioner
        k8s_version = node.cluster.kubernetes_version
        deps = {name: by_uid.get(uid) for name, uid in sorted(node.deps.items())}
        consumers = sorted({(c.app, c.name, c.namespace) for c in node.consumers})
        input_key = _digest(
            [
                "resource",
                ENGINE_VERSION,
                OUTPUT_FORMAT,
                blueprint.ref,
                digests.blueprint(blueprint),
                digests.shared,
                node.uid,
                _canonical_json(dict(node.request.params)),
                node.class_,
                _canonical_json(consumers),
                digests.file(node.env.source.path),
                node.cluster.name,
                k8s_version,
                *(_dep_key(d) for d in deps.values()),
            ]
        )
        unit_app = node.owner.id if not node.shared else f"{node.owner.team}/{node.name}"
        by_uid[node.key] = _Unit(
            RenderUnit(unit_app, node.env.name, node.cluster.name),
            node.pseudo_app,
            blueprint,
            node.env,
            node.cluster,
            k8s_version,
            input_key,
            _digest([digests.blueprint(blueprint), digests.shared]),
            node=node,
            resources=dict(deps),
            bound={name: graph.node(uid) for name, uid in sorted(node.deps.items())},
            depth=node.depth,
        )
    for item in units:
        unit_key = (item.app.id, item.env.name, item.cluster.name)
        local = graph.bindings.get(unit_key)
        if unit_key in graph.failed or (local and not all(graph.has(u) for u in local.values())):
            item.depth = _BLOCKED  # its resource problem is reported; nothing to render
            continue
        if not local:
            continue
        item.resources = {name: by_uid.get(uid) for name, uid in sorted(local.items())}
        item.bound = {name: graph.node(uid) for name, uid in sorted(local.items())}
        # one wave after the resources it uses: units without any render in the first wave,
        # beside the resources, so the workers are not idle while the next wave is prepared
        used = [d.depth for d in item.resources.values() if d is not None]
        item.depth = 1 + max(used) if used else 0
        extra = [item.input_key]
        for name, uid in sorted(local.items()):
            dep = by_uid.get(uid)
            node = graph.node(uid)
            if dep is not None:
                extra.append(f"{name}={dep.input_key}")
            elif node.provider is not None:
                extra.append(f"{name}={_provider_key(config, node, digests, errors)}")
        item.input_key = _digest(extra)
    return list(by_uid.values())


def _resolved_resources(
    graph: GraphPlan,
    resource_units: list[_Unit],
    units: list[_Unit],
    outcomes: Mapping[str, _Outcome],
    wiring: Wiring,
) -> tuple[ResolvedResource, ...]:
    """The graph as rendered: each node the selection uses, with its outputs (secret ones as
    references) and the state paths of its objects."""
    by_key = {u.node.key: u for u in resource_units if u.node is not None}
    used = set(by_key)
    for item in units:
        used.update(n.key for n in item.bound.values())
    found: list[ResolvedResource] = []
    for node in graph.nodes:
        if node.key not in used:
            continue
        unit = by_key.get(node.key)
        outcome = outcomes.get(unit.input_key) if unit is not None else None
        outputs: dict[str, JSON] = {}
        for name, value in ((outcome.outputs or {}) if outcome else {}).items():
            if isinstance(value, dict) and SECRET_REF_KEY in value:
                ref = value[SECRET_REF_KEY]
                value = f"secretKeyRef:{ref['name']}/{ref['key']}"
            outputs[name] = value
        if node.provider is not None:
            outputs = wiring.graph_exports(node)
        paths = tuple(sorted(row[4] for row in outcome.rows)) if outcome else ()
        home = node.owner if not node.shared else None
        home_app = home.id if home is not None else f"{node.owner.team}/{node.name}"
        directory = (
            layout.app_directory(
                node.env.name,
                node.cluster.name,
                node.namespace,
                home.name if home is not None else node.name,
            )
            if node.provisioner is not None
            else ""  # a service-port renders nothing
        )
        found.append(
            ResolvedResource(
                destination=node.destination,
                uid=node.uid,
                type=node.type,
                class_=node.class_,
                id=node.id,
                name=node.name,
                namespace=node.namespace,
                directory=directory,
                provisioner=node.provisioner.ref if node.provisioner else None,
                provider_app=node.provider.app.id if node.provider else None,
                stateful=node.stateful,
                shared=node.shared,
                consumers=tuple(sorted(node.consumers, key=lambda c: (c.app, c.name))),
                depends_on=tuple(sorted(graph.node(k).uid for k in node.deps.values())),
                outputs=outputs,
                paths=paths,
                home_app=home_app,
            )
        )
    found.sort(key=lambda r: (r.destination, r.uid))
    return tuple(found)


def _dep_key(dep: _Unit | None) -> str:
    return dep.input_key if dep is not None else "-"


def _provider_key(
    config: ConfigRepo, node: ResourceNode, digests: _Digests, errors: list[MidwayError]
) -> str:
    """What a service-port's outputs depend on: the provider's file and blueprint."""
    assert node.provider is not None
    try:
        blueprint = resolve_blueprint(config, node.provider.app, node.provider.env.name)
    except MidwayError:
        return "-"  # reported for the provider itself
    return _digest(
        [
            "provider",
            node.provider.app.id,
            digests.file(node.provider.app.source.path),
            blueprint.ref,
            digests.blueprint(blueprint),
        ]
    )


def _cached_outputs(
    content_keys: Mapping[str, str], cache: Cache, payloads: Payloads | None = None
) -> dict[str, _Outcome]:
    """Outputs found through the input key -> content key -> output chain, by input key.
    Lazy (`payloads`): only each unit's meta is read; a unit whose meta is missing or
    unreadable (a cache written before metas existed) is read whole and its meta written."""
    outcomes: dict[str, _Outcome] = {}
    whole = dict(content_keys)
    if payloads is not None:
        metas = cache.get_many(META_NAMESPACE, content_keys.values())
        for input_key, content_key in content_keys.items():
            meta = _decode_meta(metas.get(content_key), content_key)
            if meta is not None:
                payloads.expect(content_key, [row[5] for row in meta.rows])
                outcomes[input_key] = meta
                del whole[input_key]
    stored = cache.get_many(CACHE_NAMESPACE, whole.values())
    for input_key, content_key in whole.items():
        text = stored.get(content_key)
        if text is not None:
            outcomes[input_key] = outcome = _decode(text)
            if payloads is not None:
                cache.put(META_NAMESPACE, content_key, _encode_meta(outcome))
    if payloads is not None:
        cache.flush()
    return outcomes


def _decode_meta(text: str | None, content_key: str) -> _Outcome | None:
    if text is None:
        return None
    try:
        data = orjson.loads(text)
        rows = data["k"]
        if not all(type(r) is list and len(r) == 6 for r in rows):
            return None
        return _Outcome(rows, data["u"], data.get("r"), content_key=content_key)
    except (ValueError, KeyError, TypeError):
        return None  # a damaged meta: the whole output is read instead


def _encode_meta(outcome: _Outcome) -> str:
    """What a lazy render needs of a unit without its bytes (render/payloads.py)."""
    rows = [[*row[:5], blob_id(row[5].encode())] for row in outcome.rows]
    data: dict[str, object] = {"k": rows, "u": outcome.unvalidated}
    if outcome.outputs is not None:
        data["r"] = outcome.outputs
    return orjson.dumps(data).decode()


def _files(objects: list[RenderedObject], payloads: Payloads | None) -> Mapping[str, bytes]:
    """Every object's file by path; lazy objects' bytes stay in the cache until read."""
    if payloads is None:
        return {obj.path: obj.content for obj in objects}
    lazy = {obj.path: obj for obj in objects if isinstance(obj, LazyObject)}
    ids = {path: obj.blob_id for path, obj in lazy.items()}
    eager = {obj.path: obj.content for obj in objects if not isinstance(obj, LazyObject)}
    return FileSet(ids, lambda path: lazy[path].content, eager)


def _decode(text: str) -> _Outcome:
    data = orjson.loads(text)
    return _Outcome(data["o"], data["u"], data.get("r"))


def _encode(outcome: _Outcome) -> str:
    data: dict[str, object] = {"o": outcome.rows, "u": outcome.unvalidated}
    if outcome.outputs is not None:
        data["r"] = outcome.outputs
    return orjson.dumps(data).decode()


def _canonical_json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _rows(objects: Iterable[NormalizedObject]) -> list[Row]:
    return [
        [o.key.group, o.key.kind, o.key.namespace, o.key.name, o.path, o.yaml_text, o.json_text]
        for o in objects
    ]


def _prepare(item: _Unit, outcomes: Mapping[str, _Outcome], wiring: Wiring) -> None:
    """Merge params, fill in placeholders and build the exact Jsonnet inputs and the content
    key. Raises MidwayError (a placeholder that cannot be resolved)."""
    app, env, cluster, blueprint = item.app, item.env, item.cluster, item.blueprint
    node = item.node
    merged = merge_params(blueprint, env, app)
    owner = node.owner if node is not None else app  # whose directory and labels
    namespace = (
        node.namespace if node is not None else namespace_for(env.namespace_template, app, env.name)
    )
    uses: dict[str, SecretUse] = {}
    metadata_app = app if node is None or node.shared else node.owner
    values = wiring.fill(_inputs(item, metadata_app, namespace, outcomes), merged, uses)
    item.merged = MergedParams(values, merged.layers)
    labels = {
        LABEL_MANAGED_BY: MANAGED_BY_VALUE,
        LABEL_APP: owner.name,
        LABEL_TEAM: owner.team,
        LABEL_ENV: env.name,
    }
    app_doc: dict[str, object] = {"name": app.name, "team": app.team, "id": app.id}
    extra_labels: dict[str, str] = {}
    if node is not None:
        extra_labels = {LABEL_RESOURCE: node.name, LABEL_RESOURCE_TYPE: node.type}
        labels.update(extra_labels)
        app_doc["id"] = f"{owner.team}/{node.name}"
        app_doc["resource"] = {
            "type": node.type,
            "class": node.class_,
            "id": node.id,
            "shared": node.shared,
            "consumers": [
                {"app": c.app, "resource": c.name, "namespace": c.namespace}
                for c in sorted(node.consumers, key=lambda c: (c.app, c.name))
            ],
        }
    app_doc["labels"] = labels
    app_json = _canonical_json(app_doc)
    major, _, minor = cluster.kubernetes_version.partition(".")
    env_json = _canonical_json(
        {
            "name": env.name,
            "order": env.order,
            "namespace": namespace,
            "cluster": {
                "name": cluster.name,
                "server": cluster.server,
                "kubernetesVersion": cluster.kubernetes_version,
                # pre-parsed, so blueprints compare numbers instead of parsing strings
                "kubernetesMajor": int(major),
                "kubernetesMinor": int(minor),
            },
        }
    )
    params_json = _canonical_json(values)
    item.request = EvalRequest(app_json, env_json, params_json)
    item.context = pool.UnitContext(
        owner,
        env.name,
        cluster.name,
        namespace,
        blueprint,
        item.k8s_version,
        extra_labels=tuple(sorted(extra_labels.items())),
        other_namespaces=tuple(sorted({c.namespace for c in node.consumers} - {namespace}))
        if node is not None
        else (),
        stateful=node.stateful if node is not None else False,
        secret_uses=tuple(sorted(uses.items())),
    )
    item.key = _digest(
        [
            ENGINE_VERSION,
            OUTPUT_FORMAT,
            blueprint.ref,
            item.code_digest,
            item.k8s_version,
            app_json,
            env_json,
            params_json,
            _canonical_json(sorted(uses)),
        ]
    )


def _inputs(
    item: _Unit, metadata_app: App, namespace: str, outcomes: Mapping[str, _Outcome]
) -> UnitInputs:
    """What the unit's placeholders may refer to: its resources' outputs as rendered."""
    resources: dict[str, Provided | ResourceNode] = {}
    for name, dep in item.resources.items():
        if dep is None:
            resources[name] = item.bound[name]  # a service-port
            continue
        outcome = outcomes.get(dep.input_key)
        resources[name] = Provided(dep.blueprint, (outcome.outputs or {}) if outcome else {})
    node = item.node
    return UnitInputs(
        subject=f"resource `{node.request.name}`" if node else f"app {item.app.id}",
        app=item.app,
        metadata_app=metadata_app,
        env=item.env,
        cluster=item.cluster,
        namespace=namespace,
        resources=resources,
        per_environment=node is None,
    )


def _worker_pool(units: list[_Unit], options: RenderOptions) -> pool.WorkerPool:
    return pool.WorkerPool(
        options.workers or pool.default_workers(),
        [u.k8s_version for u in units],
        units=len(units),
    )


def _evaluate_units(
    wiring: Wiring,
    pending: list[_Unit],
    source: ConfigSource,
    cache: Cache,
    options: RenderOptions,
    errors: list[MidwayError],
    unit_errors: list[tuple[MidwayError, RenderUnit]],
    outcomes: dict[str, _Outcome],
    worker_pool: pool.WorkerPool,
) -> int:
    prepared: list[_Unit] = []
    for item in pending:
        try:
            _prepare(item, outcomes, wiring)
        except MidwayError as exc:
            unit_errors.append((exc, item.unit))
            continue
        prepared.append(item)
    pending = prepared
    stored = cache.get_many(CACHE_NAMESPACE, (u.key for u in pending))
    misses: dict[str, _Unit] = {}
    waiting: list[_Unit] = []
    for item in pending:
        text = stored.get(item.key)
        if text is not None:
            outcomes[item.input_key] = _decode(text)
            cache.put(INPUT_NAMESPACE, item.input_key, item.key)
            cache.put(META_NAMESPACE, item.key, _encode_meta(outcomes[item.input_key]))
            continue
        waiting.append(item)
        if item.key in misses:
            continue
        # Params are validated only when the output is not cached: the cache key covers the
        # schema (blueprint digest) and the values, so a cache hit was validated before.
        try:
            assert item.merged is not None
            validate_params(item.blueprint, item.env, item.app, item.merged)
        except MidwayError as exc:
            for problem in exc.errors if isinstance(exc, MidwayErrors) else (exc,):
                # a secret output is shown as its placeholder, never as midway's marker
                problem.message = unmark(problem.message)
            if item.rollout is not None and item.own is not None:  # blame the rollout?
                exc = rollout_refusal(
                    item.rollout, item.app, item.env, item.blueprint, item.own, exc
                )
            unit_errors.append((exc, item.unit))
            continue
        misses[item.key] = item
    if not misses:
        cache.flush()
        return 0

    by_main: dict[str, list[_Unit]] = {}
    for item in misses.values():
        by_main.setdefault(f"{item.blueprint.directory}/main.jsonnet", []).append(item)
    paths = source.paths()
    shared_files = {p: _read_or_none(source, p) for p in paths if p.startswith(SHARED_ROOTS)}
    groups: list[pool.Batch] = []
    owners: list[list[_Unit]] = []
    for main_path, items in sorted(by_main.items()):
        directory = main_path.rsplit("/", 1)[0] + "/"
        files = dict(shared_files)
        files.update({p: _read_or_none(source, p) for p in paths if p.startswith(directory)})
        requests = tuple(i.request for i in items if i.request is not None)
        contexts = tuple(i.context for i in items if i.context is not None)
        groups.append(pool.Batch(main_path, files, requests, contexts))
        owners.append(items)
    evaluations = sum(len(g.requests) for g in groups)
    by_key: dict[str, _Outcome] = {}
    failed: dict[tuple[int, int], tuple[MidwayError, RenderUnit]] = {}
    inputs: dict[str, list[str]] = {}
    for item in waiting:
        inputs.setdefault(item.key, []).append(item.input_key)

    def finished(group: int, results: Sequence[tuple[int, pool.UnitResult]]) -> None:
        # Into the cache as each batch finishes: a later failure loses nothing finished.
        for index, unit_result in results:
            item = owners[group][index]
            if unit_result.error is not None:
                failed[group, index] = (unit_result.error.to_error(), item.unit)
                continue
            outcome = _Outcome(
                _rows(unit_result.objects), list(unit_result.unvalidated), unit_result.outputs
            )
            by_key[item.key] = outcome
            cache.put(CACHE_NAMESPACE, item.key, _encode(outcome))
            cache.put(META_NAMESPACE, item.key, _encode_meta(outcome))
            for input_key in inputs.get(item.key, ()):
                cache.put(INPUT_NAMESPACE, input_key, item.key)
        cache.flush()

    try:
        worker_pool.evaluate(groups, finished, options.progress)
    except pool.WorkerCrashed as crash:
        errors.append(
            MidwayError(
                "a render worker process stopped unexpectedly",
                hint="this is not a problem in your config; run again, and check memory limits "
                "(each worker may use a few hundred MB) or MIDWAY_WORKERS",
                detail=str(crash),
            )
        )
    unit_errors.extend(failed[at] for at in sorted(failed))  # in unit order, not finishing
    for item in waiting:
        found = by_key.get(item.key)
        if found is not None:
            outcomes[item.input_key] = found
    cache.flush()
    return evaluations


def _read_or_none(source: ConfigSource, path: str) -> bytes | None:
    """File content for the Jsonnet sandbox; None marks a symlink leaving the repo."""
    try:
        return source.read(path)
    except MidwayError:
        return None


def _assemble(
    units: list[_Unit],
    outcomes: dict[str, _Outcome],
    errors: list[MidwayError],
    *,
    ownership: bool = True,
    payloads: Payloads | None = None,
) -> list[RenderedObject]:
    objects: list[RenderedObject] = []
    seen_keys: dict[tuple[str, ...], _Unit] = {}
    seen_paths: dict[str, _Unit] = {}
    claims: list[Claim] = []  # cluster-scoped objects: one owner per physical cluster
    for item in units:
        outcome = outcomes.get(item.input_key)
        if outcome is None:
            continue
        unit = item.unit
        ref = item.blueprint.ref
        for index, row in enumerate(outcome.rows):
            group, kind, namespace, name, path = row[:5]
            # examples (no ownership): a cluster-scoped object twice only within one app
            owner = unit.app if not ownership and not namespace else ""
            ident: tuple[str, ...] = (unit.env, unit.cluster, group, kind, namespace, name, owner)
            first = seen_keys.get(ident) or seen_paths.get(path)
            key = ObjectKey(group, kind, namespace, name)
            if first is not None:
                errors.append(
                    MidwayError(
                        f"{key} is produced twice in {unit.env}/{unit.cluster}: by "
                        f"{_producer(first)} and by {_producer(item)}",
                        item.app.source,
                        hint=f"also defined via {first.app.source}; rename one object or app, "
                        "or deploy them to different namespaces",
                    )
                )
                continue
            seen_keys[ident] = item
            seen_paths[path] = item
            if outcome.content_key is not None and payloads is not None:  # lazy: row[5] blob id
                obj: RenderedObject = LazyObject(
                    key, unit, ref, path, payloads, outcome.content_key, index, row[5]
                )
            else:
                obj = RenderedObject(key, unit, ref, path, row[5].encode(), row[6])
            objects.append(obj)
            if not namespace:
                directory = path.rsplit("/", 1)[0]
                claims.append(
                    Claim(key, unit, ref, item.cluster.server, directory, item.app.source)
                )
    if ownership:
        errors.extend(ownership_errors(claims))
    objects.sort(key=lambda o: o.path)
    return objects


def _producer(item: _Unit) -> str:
    node = item.node
    if node is None:
        return f"app {item.app.id} ({item.blueprint.ref})"
    whose = f"app {node.owner.id}" if not node.shared else f"shared id {node.id}"
    return f"resource `{node.request.name}` of {whose} ({item.blueprint.ref})"


def unvalidated_kinds(
    planned_outcomes: Iterable[_Outcome],
) -> list[str]:
    found: set[str] = set()
    for outcome in planned_outcomes:
        found.update(outcome.unvalidated)
    return sorted(found)
