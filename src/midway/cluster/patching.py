"""Writing objects: server-side apply (the normal path), create, and replace (CAS).

Server-side apply sends the whole desired object as field manager `midway`; the server
merges it, tracks field ownership, and refuses with 409 when another manager owns a field
(ApplyConflict, listing who owns what) unless `force` takes the fields over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from midway.cluster.connection import Connection
from midway.cluster.discovery import Resource, resolve
from midway.cluster.fetching import describe, namespace_for
from midway.model import FIELD_MANAGER

APPLY_PATCH = "application/apply-patch+yaml"


def _target(conn: Connection, body: Mapping[str, Any]) -> tuple[Resource, str | None, str]:
    resource = resolve(conn, str(body.get("apiVersion", "")), str(body.get("kind", "")))
    meta = body.get("metadata") or {}
    namespace = namespace_for(conn, resource, meta.get("namespace"))
    return resource, namespace, str(meta.get("name") or "")


def _query(field_manager: str, dry_run: bool) -> list[tuple[str, str]]:
    query = [("fieldManager", field_manager)]
    if dry_run:
        query.append(("dryRun", "All"))
    return query


def apply(
    conn: Connection,
    body: Mapping[str, Any],
    field_manager: str = FIELD_MANAGER,
    dry_run: bool = False,
    force: bool = False,
) -> dict[str, Any]:
    """Server-side apply `body`; returns the object as the server has (or would have) it.

    Raises ApplyConflict (409, with `.conflicts`) when other managers own fields and
    `force` is off, Invalid (422) when the server rejects the object.
    """
    resource, namespace, name = _target(conn, body)
    verb = "dry-run apply" if dry_run else "apply"
    query = _query(field_manager, dry_run)
    if force:
        query.append(("force", "true"))
    result: dict[str, Any] = conn.request(
        "PATCH",
        resource.path(namespace, name),
        action=f"{verb} {describe(resource.kind, namespace, name)}",
        query=query,
        body=dict(body),  # sent as JSON, which is YAML: the apply content type accepts it
        content_type=APPLY_PATCH,
    )
    return result


def create(
    conn: Connection,
    body: Mapping[str, Any],
    field_manager: str = FIELD_MANAGER,
    dry_run: bool = False,
) -> dict[str, Any]:
    """POST a new object; AlreadyExists if it is there."""
    resource, namespace, name = _target(conn, body)
    result: dict[str, Any] = conn.request(
        "POST",
        resource.path(namespace),
        action=f"create {describe(resource.kind, namespace, name)}",
        query=_query(field_manager, dry_run),
        body=dict(body),
    )
    return result


def replace(
    conn: Connection,
    body: Mapping[str, Any],
    field_manager: str = FIELD_MANAGER,
    dry_run: bool = False,
) -> dict[str, Any]:
    """PUT the whole object. With metadata.resourceVersion set this is a compare-and-swap:
    ResourceConflict when the object changed since it was read (e.g. a Lease taken)."""
    resource, namespace, name = _target(conn, body)
    result: dict[str, Any] = conn.request(
        "PUT",
        resource.path(namespace, name),
        action=f"replace {describe(resource.kind, namespace, name)}",
        query=_query(field_manager, dry_run),
        body=dict(body),
    )
    return result
