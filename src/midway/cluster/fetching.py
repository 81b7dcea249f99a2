"""Reading objects: one by name, or a whole collection with its resourceVersion.

Answers are decoded straight from JSON into plain dicts (no client models): faster,
and exactly what the server sent.
"""

from __future__ import annotations

from typing import Any

from midway.cluster.connection import Connection
from midway.cluster.discovery import Resource, resolve
from midway.cluster.errors import NotFound

LIST_PAGE_SIZE = 500


def namespace_for(conn: Connection, resource: Resource, namespace: str | None) -> str | None:
    """The namespace a request goes to: None for cluster-scoped kinds, else the given one
    or the context's default namespace (as kubectl does)."""
    if not resource.namespaced:
        return None
    return namespace or conn.namespace


def describe(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def get(
    conn: Connection, api_version: str, kind: str, namespace: str | None, name: str
) -> dict[str, Any] | None:
    """The live object, or None if it does not exist."""
    resource = resolve(conn, api_version, kind)
    return get_resource(conn, resource, namespace, name)


def get_resource(
    conn: Connection, resource: Resource, namespace: str | None, name: str
) -> dict[str, Any] | None:
    ns = namespace_for(conn, resource, namespace)
    try:
        obj: dict[str, Any] = conn.request(
            "GET", resource.path(ns, name), action=f"get {describe(resource.kind, ns, name)}"
        )
    except NotFound:
        return None
    return obj


def list_objects(
    conn: Connection,
    resource: Resource,
    namespace: str | None = None,
    label_selector: str | None = None,
    *,
    field_selector: str | None = None,
    page_size: int = LIST_PAGE_SIZE,
) -> tuple[list[dict[str, Any]], str]:
    """All objects of one type (in one namespace, or everywhere when namespace is None).

    Returns the items (with apiVersion and kind filled in, which list answers omit) and
    the list's resourceVersion, from which a watch can continue.
    """
    ns = namespace if resource.namespaced else None
    where = f" in namespace {ns}" if ns else ""
    action = f"list {resource.plural}{where}"
    query: list[tuple[str, str]] = [("limit", str(page_size))]
    if label_selector:
        query.append(("labelSelector", label_selector))
    if field_selector:
        query.append(("fieldSelector", field_selector))
    items: list[dict[str, Any]] = []
    resource_version = ""
    cont = ""
    while True:
        page_query = [*query, ("continue", cont)] if cont else query
        data = conn.request("GET", resource.path(ns), action=action, query=page_query) or {}
        for item in data.get("items") or []:
            item.setdefault("apiVersion", resource.api_version)
            item.setdefault("kind", resource.kind)
            items.append(item)
        meta = data.get("metadata") or {}
        resource_version = str(meta.get("resourceVersion") or resource_version)
        cont = str(meta.get("continue") or "")
        if not cont:
            return items, resource_version
