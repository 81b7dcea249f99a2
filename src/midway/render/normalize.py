"""Post-render normalisation: namespace, ownership marks, shape checks, plaintext-secret refusal.

Pure: raw Jsonnet output in, normalised objects (or errors in the app team's terms) out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from midway.errors import MidwayError, SourceLocation
from midway.model import (
    ANNOTATION_ARGOCD_SYNC_OPTIONS,
    ANNOTATION_BLUEPRINT,
    ANNOTATION_PRUNE,
    JSON,
    LABEL_APP,
    LABEL_CLUSTER,
    LABEL_ENV,
    LABEL_MANAGED_BY,
    LABEL_TEAM,
    MANAGED_BY_VALUE,
    PRUNE_ALLOW,
    PRUNE_DISABLED,
    PRUNE_PROTECTED_KINDS,
    App,
    Blueprint,
    ObjectKey,
)
from midway.render import layout
from midway.render.serialize import canonical, to_json, to_yaml

# Kinds without a namespace. Anything else is treated as namespaced; the server has the last
# word at apply time (discovery), this list only decides the directory and metadata.namespace.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterExternalSecret",
        "ClusterSecretStore",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "GatewayClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_RBAC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_RBAC_KINDS = {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
# What ArgoCD is told about a protected kind (see PRUNE_PROTECTED_KINDS): neither prune it
# nor delete it with its Application, so ArgoCD keeps the same promise midway's prune does.
ARGOCD_PROTECTION = "Prune=false,Delete=false"


@dataclass(frozen=True)
class NormalizedObject:
    key: ObjectKey
    path: str
    yaml_text: str
    json_text: str
    # The parsed body, kept only while checking in the worker; dropped before the object
    # crosses the process boundary (the JSON text carries it) to halve what is pickled.
    body: dict[str, Any] | None = field(default=None, compare=False, repr=False)


def namespace_for(template: str, app: App, env_name: str) -> str:
    return template.format(team=app.team, app=app.name, env=env_name)


def normalize_unit(
    raw: JSON,
    *,
    app: App,
    env_name: str,
    cluster_name: str,
    namespace: str,
    blueprint: Blueprint,
    extra_labels: Mapping[str, str] | None = None,
    stateful: bool = False,
    other_namespaces: frozenset[str] = frozenset(),
) -> list[NormalizedObject]:
    """Normalise one evaluation's output. Raises MidwayError naming the app and blueprint.
    `extra_labels` mark a resource's objects; `stateful` ones are never pruned automatically
    (`midway.dev/prune: disabled`, and ArgoCD told the same)."""
    where = SourceLocation(f"{blueprint.directory}/main.jsonnet")
    context = f"blueprint {blueprint.ref} for app {app.id} in {env_name}/{cluster_name}"
    if not isinstance(raw, dict | list):
        raise MidwayError(
            f"{context} returned {type(raw).__name__}, expected a list of Kubernetes objects",
            where,
            hint="main.jsonnet must return [objects], {name: object} or nested maps of objects",
        )
    items = flatten(raw, context, where)
    if not layout.safe_segment(namespace) or not _DNS_SUBDOMAIN.match(namespace):
        raise MidwayError(
            f"namespace `{namespace}` for app {app.id} is not a valid Kubernetes namespace",
            app.source,
            hint="namespaces are lower-case letters, digits and '-', at most 63 characters",
        )
    return [
        _normalize_object(
            item,
            label,
            app,
            env_name,
            cluster_name,
            namespace,
            blueprint,
            where,
            context,
            extra_labels or {},
            stateful,
            other_namespaces,
        )
        for label, item in items
    ]


_OBJECT_KEYS = ("apiVersion", "kind", "metadata")


def flatten(raw: JSON, context: str, where: SourceLocation) -> list[tuple[str, JSON]]:
    """The objects of a blueprint's return value with a label each, in a fixed order: a list
    in its order, a map (of maps…) of objects by sorted key — the "nested-map return shape"
    of libraries like kube-prometheus — and a `kind: *List` object as its `items`.
    null anywhere means "no object" (`if cond then obj` without else)."""
    out: list[tuple[str, JSON]] = []

    def visit(value: JSON, label: str, in_list: bool) -> None:
        if value is None:
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, f"{label}[{index}]" if label else f"#{index + 1}", True)
            return
        if isinstance(value, dict) and (in_list or any(k in value for k in _OBJECT_KEYS)):
            kind, meta = value.get("kind"), value.get("metadata")
            if (
                isinstance(kind, str)
                and kind.endswith("List")
                and isinstance(value.get("items"), list)
                and not (isinstance(meta, dict) and meta.get("name"))  # a real object's kind
            ):
                visit(value["items"], f"{label}.items" if label else "items", False)
                return
            out.append((label, value))
            return
        if isinstance(value, dict):
            for key in sorted(value):
                visit(value[key], f"{label}.{key}" if label else key, False)
            return
        raise MidwayError(
            f"`{label}` returned by {context} is {type(value).__name__}, not a Kubernetes object",
            where,
            hint="return [objects], {name: object} or nested maps of objects (see "
            "docs/blueprints.md, the nested-map return shape)",
        )

    visit(raw, "", isinstance(raw, list))
    return out


def _normalize_object(
    item: JSON,
    position: str,
    app: App,
    env_name: str,
    cluster_name: str,
    namespace: str,
    blueprint: Blueprint,
    where: SourceLocation,
    context: str,
    extra_labels: Mapping[str, str],
    stateful: bool,
    other_namespaces: frozenset[str] = frozenset(),
) -> NormalizedObject:
    label = f"object {position if position.startswith('#') else f'`{position}`'} of {context}"
    if not isinstance(item, dict):
        raise MidwayError(f"{label} is not an object", where)
    for field_name in ("apiVersion", "kind"):
        if not isinstance(item.get(field_name), str) or not item.get(field_name):
            raise MidwayError(
                f"{label} has no `{field_name}`",
                where,
                hint="every object needs apiVersion, kind and metadata.name",
            )
    kind: str = item["kind"]
    meta = item.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise MidwayError(
            f"{label} ({kind}) has no metadata.name",
            where,
            hint="every object needs apiVersion, kind and metadata.name",
        )
    name: str = meta["name"]
    name_ok = _RBAC_NAME.match(name) if kind in _RBAC_KINDS else _DNS_SUBDOMAIN.match(name)
    if not name_ok or len(name) > 253:
        raise MidwayError(
            f"{kind} name `{name}` from {context} is not a valid Kubernetes name",
            where,
            hint="names are lower-case letters, digits, '-' and '.', at most 253 characters",
        )
    cluster_scoped = kind in CLUSTER_SCOPED_KINDS
    given_ns = meta.get("namespace")
    target_ns = "" if cluster_scoped else namespace
    if not cluster_scoped and isinstance(given_ns, str) and given_ns in other_namespaces:
        target_ns = given_ns  # a provisioner's copy in a consumer's namespace
    if given_ns not in (None, "", target_ns):
        raise MidwayError(
            f"{kind} {name} from {context} sets metadata.namespace `{given_ns}`",
            where,
            hint=f"leave the namespace out: midway places every object of the app in "
            f"`{namespace}` (the environment's namespace template)",
        )
    _refuse_plaintext_secret(item, kind, name, where, context)
    body: dict[str, Any] = dict(item)
    new_meta: dict[str, Any] = dict(meta)
    if target_ns:
        new_meta["namespace"] = target_ns
    else:
        new_meta.pop("namespace", None)
    labels = dict(new_meta.get("labels") or {})
    labels.update(
        {
            LABEL_MANAGED_BY: MANAGED_BY_VALUE,
            LABEL_APP: app.name,
            LABEL_TEAM: app.team,
            LABEL_ENV: env_name,
            **extra_labels,
        }
    )
    if cluster_scoped:
        # several destinations of an environment may share one physical cluster: the label
        # tells whose cluster-scoped object it is (orphan search, prune)
        labels[LABEL_CLUSTER] = cluster_name
    annotations = dict(new_meta.get("annotations") or {})
    annotations[ANNOTATION_BLUEPRINT] = blueprint.ref
    _check_prune_annotation(annotations, kind, name, where, context)
    if stateful:
        # a stateful resource's data goes with its objects: never pruned by midway or ArgoCD
        annotations[ANNOTATION_PRUNE] = PRUNE_DISABLED
        annotations.setdefault(ANNOTATION_ARGOCD_SYNC_OPTIONS, ARGOCD_PROTECTION)
    if (
        kind in PRUNE_PROTECTED_KINDS
        and annotations.get(ANNOTATION_PRUNE) != PRUNE_ALLOW
        and ANNOTATION_ARGOCD_SYNC_OPTIONS not in annotations
    ):
        annotations[ANNOTATION_ARGOCD_SYNC_OPTIONS] = ARGOCD_PROTECTION
    new_meta["labels"] = labels
    new_meta["annotations"] = annotations
    body["metadata"] = new_meta
    body = canonical(body)
    key = ObjectKey.of(body)
    try:
        path = layout.object_path(env_name, cluster_name, target_ns, app.name, kind, name)
    except ValueError:
        raise MidwayError(
            f"{kind} {name} from {context} cannot be stored: unsafe file name",
            where,
            hint="names may not contain '/' or start with '.'",
        ) from None
    return NormalizedObject(key, path, to_yaml(body), to_json(body), body)


def _check_prune_annotation(
    annotations: Mapping[str, Any], kind: str, name: str, where: SourceLocation, context: str
) -> None:
    value = annotations.get(ANNOTATION_PRUNE)
    if value is not None and value not in (PRUNE_ALLOW, PRUNE_DISABLED):
        raise MidwayError(
            f"{kind} {name} from {context} has annotation {ANNOTATION_PRUNE}: {value!r}",
            where,
            hint=f"the value is `{PRUNE_ALLOW}` (prune a protected kind: "
            f"{', '.join(sorted(PRUNE_PROTECTED_KINDS))}) or `{PRUNE_DISABLED}` (never prune it)",
        )


def _refuse_plaintext_secret(
    item: Mapping[str, Any], kind: str, name: str, where: SourceLocation, context: str
) -> None:
    if kind != "Secret" or str(item.get("apiVersion")) != "v1":
        return
    if item.get("data") or item.get("stringData"):
        raise MidwayError(
            f"Secret {name} from {context} contains plaintext data",
            where,
            hint="secret values must never be in git: use an ExternalSecret "
            "(external-secrets.io) or a SealedSecret (bitnami.com) instead",
        )
