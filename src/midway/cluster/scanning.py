"""Finding objects by label across many resource types at once (e.g. orphan scans).

`select_resources` turns kind names ("Deployment", "Cluster.postgresql.cnpg.io", "*")
into served, listable resource types; `list_labelled` lists them all with one label
selector, a bounded number of requests at a time, cluster-wide where allowed and per
namespace where RBAC only grants that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from midway.cluster.connection import Connection
from midway.cluster.discovery import Resource, ServedResources, served_resources
from midway.cluster.errors import Forbidden, NotFound
from midway.cluster.fetching import list_objects

ALL_KINDS = "*"


@dataclass
class LabelledObjects:
    """What a scan found: objects by resource, and the resources that could not be listed."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    by_resource: dict[Resource, list[dict[str, Any]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # resource -> why (forbidden…)
    requests: int = 0


def select_resources(
    conn: Connection,
    names: Iterable[str],
    *,
    served: ServedResources | None = None,
) -> tuple[list[Resource], list[str]]:
    """Listable resources for kind names ("Kind", "Kind.group", or "*" for all).

    Returns (resources, names the cluster does not serve). A kind served by several groups
    under the same name ("Cluster") matches all of them unless the group is given.
    """
    wanted = [n for n in names if n]
    if not wanted:
        return [], []
    served = served or served_resources(conn)
    listable = list(served.with_verbs("list", "watch"))
    if ALL_KINDS in wanted:
        return listable, []
    chosen: dict[tuple[str, str], Resource] = {}
    unknown: list[str] = []
    for name in wanted:
        kind, _, group = name.partition(".")
        matches = [
            r
            for r in listable
            if r.kind.lower() == kind.lower() and (not group or r.group == group)
        ]
        if not matches:
            unknown.append(name)
        for resource in matches:
            chosen[(resource.group, resource.kind)] = resource
    return list(chosen.values()), unknown


def list_labelled(
    conn: Connection,
    resources: Sequence[Resource],
    label_selector: str,
    *,
    namespaces: Sequence[str] | None = None,
    workers: int = 8,
) -> LabelledObjects:
    """Every object of `resources` matching `label_selector`.

    Namespaced types are listed cluster-wide in one request (paged); if that is forbidden
    and `namespaces` is given, per namespace instead. A type that cannot be listed at all
    ends up in `failed` (the scan goes on); an unreachable cluster raises ClusterError.
    """
    found = LabelledObjects()
    lock = threading.Lock()

    def count() -> None:
        with lock:
            found.requests += 1

    def scan(resource: Resource) -> tuple[Resource, list[dict[str, Any]] | None, str | None]:
        try:
            count()
            items, _ = list_objects(conn, resource, None, label_selector)
            return resource, items, None
        except Forbidden as exc:
            if not resource.namespaced or not namespaces:
                return resource, None, exc.server_message
        except NotFound as exc:  # the type went away (CRD deleted) since discovery
            return resource, None, exc.server_message
        items = []
        for namespace in namespaces:
            try:
                count()
                page, _ = list_objects(conn, resource, namespace, label_selector)
            except (Forbidden, NotFound):
                continue
            items.extend(page)
        return resource, items, None

    if not resources:
        return found
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(resources)))) as pool:
        results = list(pool.map(scan, resources))
    for resource, items, error in results:
        if items is None:
            found.failed[str(resource)] = error or "cannot list"
            continue
        found.by_resource[resource] = items
        found.objects.extend(items)
    return found
