"""Placement: which clusters of an environment an app goes to, by the clusters' labels.

A placement is written `placement: {clusterSelector: {matchLabels, matchExpressions},
allowEmpty}` in three places; the most specific one wins, whole (selectors are not merged):

1. `spec.environments.<env>.placement` of the app (that environment only),
2. `spec.placement` of the app,
3. `spec.placement` of the blueprint (the default of the apps that say nothing),

and with none of them the app goes to every cluster of the environment. Clusters come in
the environment's order, always. A selector that matches no cluster of an environment the
app deploys to is an error at the selector (`allowEmpty: true` makes it deliberate).
Selector semantics are Kubernetes' (midway.objects.labelselector).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from midway.config.semver import best_match
from midway.config.yamlsource import YamlDocument
from midway.errors import MidwayError, SourceLocation
from midway.model import App, Blueprint, Cluster, ConfigRepo, Environment, ParamPath, Placement
from midway.objects.labelselector import (
    WITH_VALUES,
    LabelSelector,
    Operator,
    Requirement,
    format_labels,
)

# the JSON Schema of `placement:` (config/schemas.py embeds it in App and Blueprint)
LABEL_KEY = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
_label_value = {
    "type": "string",
    "pattern": LABEL_VALUE,
    "maxLength": 63,
    "description": "a Kubernetes label value: letters, digits, '-', '_', '.'; at most 63",
}
LABELS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "cluster labels, e.g. {region: eu, tier: gold} (placement selects on them)",
    "propertyNames": {"pattern": LABEL_KEY, "maxLength": 316},
    "additionalProperties": _label_value,
}
PLACEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["clusterSelector"],
    "description": "which clusters of the environment: clusterSelector, allowEmpty",
    "properties": {
        "clusterSelector": {
            "type": "object",
            "additionalProperties": False,
            "description": "a Kubernetes label selector over the clusters' labels",
            "properties": {
                "matchLabels": LABELS_SCHEMA,
                "matchExpressions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["key", "operator"],
                        "properties": {
                            "key": {"type": "string", "pattern": LABEL_KEY},
                            "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                            "values": {"type": "array", "items": _label_value},
                        },
                    },
                },
            },
        },
        "allowEmpty": {
            "type": "boolean",
            "description": "true: matching no cluster of an environment is no error",
        },
    },
}


def parse_placement(doc: YamlDocument, at: ParamPath) -> Placement | None:
    """The placement written at `at` of a schema-valid document (None when absent).
    Checks what the schema cannot say, as Kubernetes does: `In`/`NotIn` take a non-empty
    `values` list, `Exists`/`DoesNotExist` take none."""
    node: Any = doc.value
    for part in at:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return None
    raw = node["clusterSelector"]
    requirements = []
    for index, entry in enumerate(raw.get("matchExpressions") or []):
        where = doc.where((*at, "clusterSelector", "matchExpressions", index))
        operator = cast(Operator, entry["operator"])
        values = tuple(entry.get("values") or ())
        if operator in WITH_VALUES and not values:
            raise MidwayError(
                f"operator {operator} needs a non-empty `values` list (key `{entry['key']}`)",
                where,
                hint="add values: [...], or use Exists to require only that the label is set",
            )
        if operator not in WITH_VALUES and values:
            raise MidwayError(
                f"operator {operator} takes no `values` (key `{entry['key']}`)",
                where,
                hint="remove `values`, or use In/NotIn to compare the label's value",
            )
        requirements.append(Requirement(entry["key"], operator, values))
    match_labels = tuple(sorted((raw.get("matchLabels") or {}).items()))
    return Placement(
        selector=LabelSelector(match_labels, tuple(requirements)),
        allow_empty=bool(node.get("allowEmpty", False)),
        source=doc.where((*at, "clusterSelector")),
    )


def effective_placement(app: App, env_name: str, blueprint: Blueprint | None) -> Placement | None:
    """The placement that applies to `app` in `env_name`: the app's environment entry, else
    the app's, else the blueprint's default (None: every cluster)."""
    per_env = app.environments.get(env_name)
    if per_env is not None and per_env.placement is not None:
        return per_env.placement
    if app.placement is not None:
        return app.placement
    return blueprint.placement if blueprint is not None else None


def select_clusters(placement: Placement | None, env: Environment) -> tuple[Cluster, ...]:
    """The clusters of `env` a placement selects, in the environment's order."""
    if placement is None:
        return env.clusters
    return tuple(c for c in env.clusters if placement.selector.matches(c.labels))


def placed_clusters(app: App, blueprint: Blueprint | None, env: Environment) -> tuple[Cluster, ...]:
    """Where `app` (rendered with `blueprint`) goes in `env`: render units are planned from it."""
    return select_clusters(effective_placement(app, env.name, blueprint), env)


def _blueprint_of(config: ConfigRepo, app: App, env: str | None = None) -> Blueprint | None:
    """The version `app` renders with (in `env`: a rollout's range where one applies)."""
    rollout = config.rollout_for(app, env) if env is not None and config.rollouts else None
    range_text = rollout.to if rollout is not None else app.blueprint.range
    versions = config.blueprints.get(app.blueprint.name) or ()
    chosen = best_match(range_text, [bp.version for bp in versions])
    return next((bp for bp in versions if bp.version == chosen), None)


def describe_clusters(env: Environment) -> str:
    """One line per cluster with its labels: what a selector could have matched."""
    return "\n".join(f"{c.name} {format_labels(c.labels)}" for c in env.clusters)


def placement_errors(config: ConfigRepo) -> list[MidwayError]:
    """One error per selector × environment that matches no cluster of an environment an
    app using it deploys to (selectors with `allowEmpty: true` excepted). A blueprint's
    default shared by many apps is reported once, naming how many apps use it."""
    empty: dict[tuple[SourceLocation, str], tuple[Placement, list[str]]] = {}
    for app in config.apps.values():
        blueprint = _blueprint_of(config, app)  # an unresolvable one is its own error
        for env_name in app.environments:
            here = _blueprint_of(config, app, env_name) if config.rollouts else blueprint
            placement = effective_placement(app, env_name, here)
            env = config.environments.get(env_name)
            if placement is None or placement.allow_empty or env is None:
                continue
            if not select_clusters(placement, env):
                empty.setdefault((placement.source, env_name), (placement, []))[1].append(app.id)
    errors = []
    for (_, env_name), (placement, apps) in sorted(empty.items()):
        env = config.environments[env_name]
        more = " …" if len(apps) > 3 else ""
        who = (
            f"app {apps[0]}" if len(apps) == 1 else f"{len(apps)} apps: {', '.join(apps[:3])}{more}"
        )
        errors.append(
            MidwayError(
                f"cluster selector `{placement.selector}` matches no cluster of environment "
                f"`{env_name}` ({who} {'deploys' if len(apps) == 1 else 'deploy'} there); "
                "its clusters:",
                placement.source,
                detail=describe_clusters(env),
                hint=f"change the selector, label a cluster in {env.source.path}, or set "
                "`allowEmpty: true` next to `clusterSelector` if no cluster here is intended",
            )
        )
    return errors


def cluster_labels(raw: Mapping[str, Any]) -> dict[str, str]:
    """A cluster entry's `labels:` (schema-checked strings), sorted by key."""
    return dict(sorted((raw.get("labels") or {}).items()))
