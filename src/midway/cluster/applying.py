"""Applying many objects in a sane order: namespaces, CRDs, then the rest.

`apply_order` sorts objects as Helm installs them (Namespace, CRDs, RBAC, config, then
workloads, custom resources last). `apply_all` server-side applies them in that order,
creating a missing namespace first and waiting for new CRDs to be served before their
custom resources go in. Objects of the same rank go concurrently. One object failing does
not stop the others: its error is in its outcome.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Literal

from midway.cluster.connection import Connection
from midway.cluster.discovery import forget, resolve
from midway.cluster.errors import AlreadyExists
from midway.cluster.fetching import get, get_resource, namespace_for
from midway.cluster.patching import apply, create
from midway.errors import ClusterError
from midway.model import FIELD_MANAGER, ObjectKey, implicit_namespace

# Helm's install order (pkg/releaseutil/kind_sorter.go); kinds not listed go last.
KIND_ORDER = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}
_FIRST = ("Namespace", "CustomResourceDefinition")  # before anything else, in this order

ApplyAction = Literal["created", "configured", "unchanged", "failed"]


@dataclass(frozen=True)
class ApplyOutcome:
    key: ObjectKey
    action: ApplyAction
    error: ClusterError | None = None
    result: Mapping[str, Any] | None = None  # what the server answered (dry-run too)
    note: str | None = None


@dataclass(frozen=True)
class ApplyRun:
    outcomes: tuple[ApplyOutcome, ...]
    namespaces_created: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[ApplyOutcome, ...]:
        return tuple(o for o in self.outcomes if o.action == "failed")


def rank(body: Mapping[str, Any]) -> int:
    """The apply rank of an object: lower goes first."""
    kind = str(body.get("kind", ""))
    if kind in _FIRST:
        return -len(_FIRST) + _FIRST.index(kind)
    return _RANK.get(kind, len(KIND_ORDER))


def apply_order(bodies: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Objects in apply order (stable: equal ranks keep their order)."""
    return sorted(bodies, key=rank)


def ensure_namespaces(
    conn: Connection, names: Iterable[str], *, dry_run: bool = False
) -> tuple[str, ...]:
    """Create the namespaces that do not exist yet (annotated as created by midway, not
    labelled as its: model.implicit_namespace); returns the names created (or that would
    be, with dry_run)."""
    created = []
    for name in sorted(set(names)):
        if get(conn, "v1", "Namespace", None, name) is not None:
            continue
        try:
            create(conn, implicit_namespace(name), dry_run=dry_run)
        except AlreadyExists:  # someone else was quicker
            continue
        created.append(name)
    return tuple(created)


def wait_for_crds(conn: Connection, names: Sequence[str], timeout_s: float = 30.0) -> None:
    """Wait until the CRDs are Established, then forget discovery so their kinds resolve."""
    deadline = time.monotonic() + timeout_s
    for name in names:
        while True:
            crd = get(conn, "apiextensions.k8s.io/v1", "CustomResourceDefinition", None, name)
            conditions = ((crd or {}).get("status") or {}).get("conditions") or []
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                break
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"the CustomResourceDefinition {name} is not Established "
                    f"{timeout_s:g}s after applying it on {conn.describe()}"
                )
            time.sleep(0.1)
    forget(conn)


def apply_all(
    conn: Connection,
    bodies: Iterable[Mapping[str, Any]],
    *,
    field_manager: str = FIELD_MANAGER,
    dry_run: bool = False,
    force: bool = False,
    create_namespaces: bool = True,
    workers: int = 4,
) -> ApplyRun:
    """Server-side apply every object in apply order (see module doc)."""
    ordered = apply_order(bodies)
    namespaces_created: tuple[str, ...] = ()
    if create_namespaces:
        declared = {
            str((b.get("metadata") or {}).get("name"))
            for b in ordered
            if b.get("kind") == "Namespace"
        }
        wanted = {
            str((b.get("metadata") or {}).get("namespace"))
            for b in ordered
            if (b.get("metadata") or {}).get("namespace")
        }
        namespaces_created = ensure_namespaces(conn, wanted - declared, dry_run=dry_run)

    def one(body: Mapping[str, Any]) -> ApplyOutcome:
        key = ObjectKey.of(body)
        if dry_run and key.namespace in namespaces_created:
            # the server cannot dry-run into a namespace that does not exist yet
            return ApplyOutcome(key, "created", note=f"namespace {key.namespace} is new")
        try:
            resource = resolve(conn, str(body.get("apiVersion", "")), key.kind)
            namespace = namespace_for(conn, resource, key.namespace or None)
            before = get_resource(conn, resource, namespace, key.name)
            result = apply(conn, body, field_manager, dry_run=dry_run, force=force)
        except ClusterError as exc:
            return ApplyOutcome(key, "failed", error=exc)
        action: ApplyAction
        if before is None:
            action = "created"
        elif _rv(before) != _rv(result) or (dry_run and _changed(before, result)):
            action = "configured"
        else:
            action = "unchanged"
        return ApplyOutcome(key, action, result=result)

    outcomes: list[ApplyOutcome] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for group_rank, group in groupby(ordered, key=rank):
            batch = list(group)
            outcomes.extend(pool.map(one, batch))
            if group_rank == rank({"kind": "CustomResourceDefinition"}) and not dry_run:
                names = [
                    str((b.get("metadata") or {}).get("name"))
                    for b, o in zip(batch, outcomes[-len(batch) :], strict=True)
                    if o.action != "failed"
                ]
                wait_for_crds(conn, names)
    return ApplyRun(tuple(outcomes), namespaces_created)


def _rv(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    # a dry run keeps the resourceVersion; compare what it would store instead
    def strip(obj: Mapping[str, Any]) -> dict[str, Any]:
        meta = {
            k: v
            for k, v in (obj.get("metadata") or {}).items()
            if k not in ("managedFields", "resourceVersion", "generation")
        }
        return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}

    return strip(before) != strip(after)
