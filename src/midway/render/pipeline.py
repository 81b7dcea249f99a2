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
    LABEL_APP,
    LABEL_ENV,
    LABEL_MANAGED_BY,
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
)
from midway.render import pool
from midway.render.engine import ENGINE_VERSION, SHARED_ROOTS, EvalRequest
from midway.render.error_groups import group_unit_errors
from midway.render.normalize import NormalizedObject, namespace_for
from midway.render.ownership import Claim, ownership_errors
from midway.render.params import (
    MergedParams,
    merge_params,
    resolve_blueprint,
    validate_params,
)
from midway.render.refusal_lines import Placer

CACHE_NAMESPACE = "unit"  # content key -> output
INPUT_NAMESPACE = "input"  # input key -> content key
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


# One rendered object as stored in the cache: group, kind, namespace, name, path, YAML, JSON.
# Kept as a plain list until assembly: a 1,000-app render holds 15,000 of them and building
# intermediate objects for each was a measurable part of a no-op render.
Row = list[str]


@dataclass
class _Outcome:
    rows: list[Row] = field(default_factory=list)
    unvalidated: list[str] = field(default_factory=list)


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
    units, resolved = _plan(config, source, options, errors)
    content_keys = cache.get_many(INPUT_NAMESPACE, (u.input_key for u in units))
    with contextlib.ExitStack() as stack:
        # Units the cache cannot answer are known now: their workers start (and warm up)
        # while the cached outputs of the others are read.
        unknown = [u for u in units if u.input_key not in content_keys]
        early = stack.enter_context(_worker_pool(unknown, options)) if unknown else None
        outcomes = _cached_outputs(content_keys, cache)
        pending = [u for u in units if u.input_key not in outcomes]
        evaluations = 0
        if pending:
            worker_pool = early or stack.enter_context(_worker_pool(pending, options))
            evaluations = _evaluate_pending(
                pending, source, cache, options, errors, outcomes, worker_pool
            )
    result = _assemble(units, outcomes, errors, ownership=options.ownership)
    MidwayErrors.raise_if_any(errors)
    used = [outcomes[u.input_key] for u in units if u.input_key in outcomes]
    return RenderResult(
        config=config,
        objects=tuple(result),
        files={obj.path: obj.content for obj in result},
        evaluations=evaluations,
        resolved=resolved,
        unvalidated=tuple(unvalidated_kinds(used)),
    )


def _plan(
    config: ConfigRepo, source: ConfigSource, options: RenderOptions, errors: list[MidwayError]
) -> tuple[list[_Unit], dict[str, str]]:
    """Every unit to render with its input key: a hash of the identities (blob ids) of
    everything its output depends on — the app file, the environment file, the blueprint's
    files, lib/ and vendor/ — so an unchanged unit is found without merging params."""
    paths = source.paths()
    shared_digest = _digest(f"{p}={source.digest(p)}" for p in paths if p.startswith(SHARED_ROOTS))
    blueprint_digests: dict[str, str] = {}
    units: list[_Unit] = []
    resolved: dict[str, str] = {}
    for app in select_apps(config, options):
        try:
            blueprint = resolve_blueprint(config, app)
        except MidwayError as exc:
            errors.append(exc)
            continue
        resolved[app.id] = blueprint.ref
        if blueprint.directory not in blueprint_digests:
            prefix = blueprint.directory + "/"
            blueprint_digests[blueprint.directory] = _digest(
                f"{p}={source.digest(p)}" for p in paths if p.startswith(prefix)
            )
        app_digest = source.digest(app.source.path)
        for env_name in app.environments:
            if options.env is not None and env_name != options.env:
                continue
            env = config.environments[env_name]
            env_digest = source.digest(env.source.path)
            for cluster in placed_clusters(app, blueprint, env):  # its placement, in order
                k8s_version = options.kubernetes_version or cluster.kubernetes_version
                input_key = _digest(
                    [
                        "input",
                        ENGINE_VERSION,
                        OUTPUT_FORMAT,
                        blueprint.ref,
                        blueprint_digests[blueprint.directory],
                        shared_digest,
                        app.id,
                        app_digest,
                        env_digest,
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
                        _digest([blueprint_digests[blueprint.directory], shared_digest]),
                    )
                )
    return units, resolved


def _cached_outputs(content_keys: Mapping[str, str], cache: Cache) -> dict[str, _Outcome]:
    """Outputs found through the input key -> content key -> output chain, by input key."""
    stored = cache.get_many(CACHE_NAMESPACE, content_keys.values())
    outcomes: dict[str, _Outcome] = {}
    for input_key, content_key in content_keys.items():
        text = stored.get(content_key)
        if text is not None:
            outcomes[input_key] = _decode(text)
    return outcomes


def _decode(text: str) -> _Outcome:
    data = orjson.loads(text)
    return _Outcome(data["o"], data["u"])


def _encode(outcome: _Outcome) -> str:
    return orjson.dumps({"o": outcome.rows, "u": outcome.unvalidated}).decode()


def _canonical_json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _rows(objects: Iterable[NormalizedObject]) -> list[Row]:
    return [
        [o.key.group, o.key.kind, o.key.namespace, o.key.name, o.path, o.yaml_text, o.json_text]
        for o in objects
    ]


def _prepare(item: _Unit) -> None:
    """Merge params and build the exact Jsonnet inputs and the content key."""
    app, env, cluster, blueprint = item.app, item.env, item.cluster, item.blueprint
    item.merged = merge_params(blueprint, env, app)
    namespace = namespace_for(env.namespace_template, app, env.name)
    app_json = _canonical_json(
        {
            "name": app.name,
            "team": app.team,
            "id": app.id,
            "labels": {
                LABEL_MANAGED_BY: MANAGED_BY_VALUE,
                LABEL_APP: app.name,
                LABEL_TEAM: app.team,
                LABEL_ENV: env.name,
            },
        }
    )
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
    params_json = _canonical_json(item.merged.values)
    item.request = EvalRequest(app_json, env_json, params_json)
    item.context = pool.UnitContext(
        app, env.name, cluster.name, namespace, blueprint, item.k8s_version
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
        ]
    )


def _worker_pool(units: list[_Unit], options: RenderOptions) -> pool.WorkerPool:
    return pool.WorkerPool(
        options.workers or pool.default_workers(),
        [u.k8s_version for u in units],
        units=len(units),
    )


def _evaluate_pending(
    pending: list[_Unit],
    source: ConfigSource,
    cache: Cache,
    options: RenderOptions,
    errors: list[MidwayError],
    outcomes: dict[str, _Outcome],
    worker_pool: pool.WorkerPool,
) -> int:
    """Fill `outcomes` for units the input key did not find; returns evaluations run."""
    unit_errors: list[tuple[MidwayError, RenderUnit]] = []
    try:
        return _evaluate_units(
            pending, source, cache, options, errors, unit_errors, outcomes, worker_pool
        )
    finally:
        # each distinct error once, with the apps and destinations it affects (lines for
        # refusals first, so a re-blamed error groups with its peers)
        placer = Placer(source, {u.blueprint.ref: u.blueprint.directory for u in pending})
        errors.extend(group_unit_errors((placer.place(e), u) for e, u in unit_errors))


def _evaluate_units(
    pending: list[_Unit],
    source: ConfigSource,
    cache: Cache,
    options: RenderOptions,
    errors: list[MidwayError],
    unit_errors: list[tuple[MidwayError, RenderUnit]],
    outcomes: dict[str, _Outcome],
    worker_pool: pool.WorkerPool,
) -> int:
    for item in pending:
        _prepare(item)
    stored = cache.get_many(CACHE_NAMESPACE, (u.key for u in pending))
    misses: dict[str, _Unit] = {}
    waiting: list[_Unit] = []
    for item in pending:
        text = stored.get(item.key)
        if text is not None:
            outcomes[item.input_key] = _decode(text)
            cache.put(INPUT_NAMESPACE, item.input_key, item.key)
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
            outcome = _Outcome(_rows(unit_result.objects), list(unit_result.unvalidated))
            by_key[item.key] = outcome
            cache.put(CACHE_NAMESPACE, item.key, _encode(outcome))
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
        for group, kind, namespace, name, path, yaml_text, json_text in outcome.rows:
            # examples (no ownership): a cluster-scoped object twice only within one app
            owner = unit.app if not ownership and not namespace else ""
            ident: tuple[str, ...] = (unit.env, unit.cluster, group, kind, namespace, name, owner)
            first = seen_keys.get(ident) or seen_paths.get(path)
            key = ObjectKey(group, kind, namespace, name)
            if first is not None:
                errors.append(
                    MidwayError(
                        f"{key} is produced twice in {unit.env}/{unit.cluster}: by app "
                        f"{first.app.id} ({first.blueprint.ref}) and by app {item.app.id} "
                        f"({ref})",
                        item.app.source,
                        hint=f"also defined via {first.app.source}; rename one object or app, "
                        "or deploy them to different namespaces",
                    )
                )
                continue
            seen_keys[ident] = item
            seen_paths[path] = item
            objects.append(RenderedObject(key, unit, ref, path, yaml_text.encode(), json_text))
            if not namespace:
                directory = path.rsplit("/", 1)[0]
                claims.append(
                    Claim(key, unit, ref, item.cluster.server, directory, item.app.source)
                )
    if ownership:
        errors.extend(ownership_errors(claims))
    objects.sort(key=lambda o: o.path)
    return objects


def unvalidated_kinds(
    planned_outcomes: Iterable[_Outcome],
) -> list[str]:
    found: set[str] = set()
    for outcome in planned_outcomes:
        found.update(outcome.unvalidated)
    return sorted(found)
