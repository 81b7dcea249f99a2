"""Render a loaded config repo: plan units, reuse cached outputs, evaluate the rest in parallel,
check the whole result (duplicates, paths) and hand back every object and file.

Nothing is written anywhere; callers decide (render --out, publish, diff). All problems are
collected and raised together, so one run shows the user everything to fix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from midway.config.source import ConfigSource
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
    ConfigRepo,
    Environment,
    ObjectKey,
    RenderedObject,
    RenderResult,
    RenderUnit,
)
from midway.render import pool
from midway.render.cache import Cache
from midway.render.engine import ENGINE_VERSION, SHARED_ROOTS, EvalRequest
from midway.render.normalize import NormalizedObject, namespace_for
from midway.render.params import (
    MergedParams,
    merge_params,
    resolve_blueprint,
    validate_params,
)

CACHE_NAMESPACE = "unit"
# Bump when normalisation or serialisation changes output for the same evaluation.
OUTPUT_FORMAT = "manifest-format-3"
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


@dataclass
class _Planned:
    unit: RenderUnit
    app: App
    blueprint: Blueprint
    key: str
    request: EvalRequest
    context: pool.UnitContext
    env: Environment
    merged: MergedParams


@dataclass
class _Outcome:
    objects: list[NormalizedObject] = field(default_factory=list)
    unvalidated: list[str] = field(default_factory=list)


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def select_apps(config: ConfigRepo, options: RenderOptions) -> list[App]:
    if options.env is not None and options.env not in config.environments:
        raise MidwayError(
            f"environment `{options.env}` does not exist",
            hint=did_you_mean(options.env, sorted(config.environments))
            or f"known environments: {', '.join(sorted(config.environments))}",
        )
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
    options = options or RenderOptions()
    cache = options.cache if options.cache is not None else Cache()
    errors: list[MidwayError] = []
    paths = source.paths()
    shared_paths = [p for p in paths if p.startswith(SHARED_ROOTS)]
    shared_digest = _digest(f"{p}={source.digest(p)}" for p in shared_paths)
    blueprint_digests: dict[str, str] = {}
    planned: list[_Planned] = []
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
        for env_name in app.environments:
            if options.env is not None and env_name != options.env:
                continue
            env = config.environments[env_name]
            merged = merge_params(blueprint, env, app)
            namespace = namespace_for(env.namespace_template, app, env.name)
            app_json = json.dumps(
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
                },
                sort_keys=True,
            )
            params_json = json.dumps(merged.values, sort_keys=True)
            for cluster in env.clusters:
                k8s_version = options.kubernetes_version or cluster.kubernetes_version
                env_json = json.dumps(
                    {
                        "name": env.name,
                        "order": env.order,
                        "namespace": namespace,
                        "cluster": {
                            "name": cluster.name,
                            "server": cluster.server,
                            "kubernetesVersion": cluster.kubernetes_version,
                        },
                    },
                    sort_keys=True,
                )
                key = _digest(
                    [
                        ENGINE_VERSION,
                        OUTPUT_FORMAT,
                        blueprint.ref,
                        blueprint_digests[blueprint.directory],
                        shared_digest,
                        k8s_version,
                        app_json,
                        env_json,
                        params_json,
                    ]
                )
                unit = RenderUnit(app.id, env.name, cluster.name)
                context = pool.UnitContext(
                    app, env.name, cluster.name, namespace, blueprint, k8s_version
                )
                planned.append(
                    _Planned(
                        unit,
                        app,
                        blueprint,
                        key,
                        EvalRequest(app_json, env_json, params_json),
                        context,
                        env,
                        merged,
                    )
                )

    outcomes, evaluations = _evaluate(planned, source, cache, options, errors)
    result = _assemble(config, planned, outcomes, errors)
    MidwayErrors.raise_if_any(errors)
    used = {item.key for item in planned}
    return RenderResult(
        config=config,
        objects=tuple(result),
        files={obj.path: obj.content for obj in result},
        evaluations=evaluations,
        resolved=resolved,
        unvalidated=tuple(unvalidated_kinds(o for k, o in outcomes.items() if k in used)),
    )


def _evaluate(
    planned: list[_Planned],
    source: ConfigSource,
    cache: Cache,
    options: RenderOptions,
    errors: list[MidwayError],
) -> tuple[dict[str, _Outcome], int]:
    outcomes: dict[str, _Outcome] = {}
    cached = cache.get_many(CACHE_NAMESPACE, (p.key for p in planned))
    for key, text in cached.items():
        data = json.loads(text)
        outcomes[key] = _Outcome(
            [
                NormalizedObject(ObjectKey(g, k, ns, n), path, y, j)
                for g, k, ns, n, path, y, j in data["o"]
            ],
            data["u"],
        )
    misses: dict[str, _Planned] = {}
    for item in planned:
        if item.key in outcomes or item.key in misses:
            continue
        # Params are validated only when the output is not cached: the cache key covers the
        # schema (blueprint digest) and the values, so a cache hit was validated before.
        try:
            validate_params(item.blueprint, item.env, item.app, item.merged)
        except MidwayError as exc:
            errors.append(exc)
            continue
        misses[item.key] = item
    if not misses:
        return outcomes, 0

    by_main: dict[str, list[_Planned]] = {}
    for item in misses.values():
        by_main.setdefault(f"{item.blueprint.directory}/main.jsonnet", []).append(item)
    paths = source.paths()
    shared_files = {p: _read_or_none(source, p) for p in paths if p.startswith(SHARED_ROOTS)}
    workers = options.workers or pool.default_workers()
    batches: list[pool.Batch] = []
    owners: list[list[_Planned]] = []
    for main_path, items in sorted(by_main.items()):
        directory = main_path.rsplit("/", 1)[0] + "/"
        files = dict(shared_files)
        files.update({p: _read_or_none(source, p) for p in paths if p.startswith(directory)})
        for batch in pool.split_batches(
            main_path,
            files,
            [i.request for i in items],
            [i.context for i in items],
            workers,
        ):
            batches.append(batch)
            owners.append(items[: len(batch.requests)])
            items = items[len(batch.requests) :]
    try:
        results = pool.evaluate(batches, workers, options.progress)
    except pool.EvaluationTimeout as timeout:
        for index in timeout.batches:
            batch = batches[index]
            apps = sorted({c.app.id for c in batch.contexts})
            errors.append(
                MidwayError(
                    f"blueprint {batch.contexts[0].blueprint.ref} did not finish evaluating "
                    f"within {timeout.seconds:.0f}s (apps: {', '.join(apps[:5])}"
                    f"{' …' if len(apps) > 5 else ''})",
                    batch.contexts[0].blueprint.source,
                    hint="look for runaway recursion or huge ranges in main.jsonnet; "
                    "MIDWAY_RENDER_TIMEOUT raises the limit",
                )
            )
        return outcomes, sum(len(b.requests) for b in batches)
    for items, batch_results in zip(owners, results, strict=True):
        for item, unit_result in zip(items, batch_results, strict=True):
            if unit_result.error is not None:
                errors.append(unit_result.error.to_error())
                continue
            outcome = _Outcome(list(unit_result.objects), list(unit_result.unvalidated))
            outcomes[item.key] = outcome
            cache.put(
                CACHE_NAMESPACE,
                item.key,
                json.dumps(
                    {
                        "o": [
                            [
                                o.key.group,
                                o.key.kind,
                                o.key.namespace,
                                o.key.name,
                                o.path,
                                o.yaml_text,
                                o.json_text,
                            ]
                            for o in outcome.objects
                        ],
                        "u": outcome.unvalidated,
                    }
                ),
            )
    cache.flush()
    return outcomes, sum(len(b.requests) for b in batches)


def _read_or_none(source: ConfigSource, path: str) -> bytes | None:
    """File content for the Jsonnet sandbox; None marks a symlink leaving the repo."""
    try:
        return source.read(path)
    except MidwayError:
        return None


def _assemble(
    config: ConfigRepo,
    planned: list[_Planned],
    outcomes: dict[str, _Outcome],
    errors: list[MidwayError],
) -> list[RenderedObject]:
    objects: list[RenderedObject] = []
    seen_keys: dict[tuple[str, str, ObjectKey], _Planned] = {}
    seen_paths: dict[str, _Planned] = {}
    for item in planned:
        outcome = outcomes.get(item.key)
        if outcome is None:
            continue
        unit = item.unit
        for obj in outcome.objects:
            ident = (unit.env, unit.cluster, obj.key)
            first = seen_keys.get(ident)
            if first is None and obj.path in seen_paths:
                first = seen_paths[obj.path]
            if first is not None:
                errors.append(
                    MidwayError(
                        f"{obj.key} is produced twice in {unit.env}/{unit.cluster}: by app "
                        f"{first.app.id} ({first.blueprint.ref}) and by app {item.app.id} "
                        f"({item.blueprint.ref})",
                        item.app.source,
                        hint=f"also defined via {first.app.source}; rename one object or app, "
                        "or deploy them to different namespaces",
                    )
                )
                continue
            seen_keys[ident] = item
            seen_paths[obj.path] = item
            objects.append(
                RenderedObject(
                    key=obj.key,
                    unit=unit,
                    blueprint=item.blueprint.ref,
                    path=obj.path,
                    content=obj.yaml_text.encode(),
                    body_json=obj.json_text,
                )
            )
    objects.sort(key=lambda o: o.path)
    return objects


def unvalidated_kinds(
    planned_outcomes: Iterable[_Outcome],
) -> list[str]:
    found: set[str] = set()
    for outcome in planned_outcomes:
        found.update(outcome.unvalidated)
    return sorted(found)
